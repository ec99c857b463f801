//! The plastic part of a chunk's checkpoint state (`PlasticChunkState`, in
//! `checkpoint::ChunkState`): per plastic store its weights, its rows'
//! states and its refused-weight count; per chunk its neurons' spike
//! histories. Plain arrays, for io to write and the cluster to carry.
//!
//! Invariant (what makes the state a function of the step, not of the
//! layout): weights and rows are updated by spike times only (`store`) and
//! a capture delivers the pending spikes first (`Network::capture`). A
//! full history is trimmed now and then, at deliveries that depend on the
//! layout, so it is saved as trimmed at the cut of the capture itself (the
//! earliest stamp a later lookup can need, `PlasticStore::history_cut`):
//! trimming at an earlier cut and then at this one leaves what trimming at
//! this one leaves, so every layout saves the same entries, and lookups at
//! or after the cut find what they would have found
//! (`History::trim_before`). The recent blocks are saved as they are (the
//! newest entries ever pushed, already layout-free). The memos are caches
//! of the same doubles and are not saved.

use super::history::Entry;
use super::recent::{Block, Histories, RECENT};
use super::rules::RowState;
use super::store::PlasticStore;

/// A chunk's plastic state: its stores in the chunk's order, and its
/// histories (empty when no rule reads them).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PlasticChunkState {
    /// One per plastic store of the chunk, in its order.
    pub stores: Vec<StoreState>,
    /// The neurons' histories.
    pub history: HistoryState,
}

/// One plastic store's state.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StoreState {
    /// The projection (index in the spec).
    pub projection: u32,
    /// Per synapse, in the store's order (`PlasticStore::synapses`).
    pub weight: Vec<f64>,
    /// Per row (by source): `RowState::last`.
    pub last: Vec<i64>,
    /// Per row: `RowState::t_last`.
    pub t_last: Vec<f64>,
    /// Per row: `RowState::kplus`.
    pub kplus: Vec<f64>,
    /// Per row: `RowState::u`.
    pub u: Vec<f64>,
    /// Per row: `RowState::x`.
    pub x: Vec<f64>,
    /// Weights refused so far (`PlasticStore::overflows`).
    pub overflows: u64,
}

/// A chunk's histories: every neuron's entries (as trimmed at the capture's
/// cut, see the module doc), neuron after neuron, and its recent block.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HistoryState {
    /// Entries per neuron; empty when the chunk keeps no history.
    pub count: Vec<u32>,
    /// The entries' stamps (steps), oldest first within a neuron.
    pub stamp: Vec<i64>,
    /// Their times (ms).
    pub t: Vec<f64>,
    /// Their K_minus.
    pub k: Vec<f64>,
    /// `[neuron][RECENT]`: the recent blocks' stamps, newest first.
    pub recent_stamp: Vec<i64>,
    /// `[neuron][RECENT]`: their times.
    pub recent_t: Vec<f64>,
    /// `[neuron][RECENT]`: their K_minus.
    pub recent_k: Vec<f64>,
}

impl PlasticChunkState {
    /// No store and no history.
    pub fn is_empty(&self) -> bool {
        self.stores.is_empty() && self.history.count.is_empty()
    }

    /// Bytes of the arrays.
    pub fn bytes(&self) -> usize {
        let stores: usize = self
            .stores
            .iter()
            .map(|s| 8 * (s.weight.len() + 5 * s.last.len()) + 16)
            .sum();
        let h = &self.history;
        stores + 4 * h.count.len() + 24 * (h.stamp.len() + h.recent_stamp.len())
    }
}

impl StoreState {
    /// Rows held.
    pub fn rows(&self) -> usize {
        self.last.len()
    }

    /// Ok when every row array has one value per row; else what is wrong.
    pub fn check(&self) -> Result<(), String> {
        let n = self.rows();
        let lens = [
            self.t_last.len(),
            self.kplus.len(),
            self.u.len(),
            self.x.len(),
        ];
        if lens.iter().any(|&l| l != n) {
            return Err(format!(
                "projection {}: row arrays of lengths {n} (last) and {lens:?} (t_last, kplus, u, x)",
                self.projection
            ));
        }
        Ok(())
    }

    /// Row `r`'s state.
    pub fn row(&self, r: usize) -> RowState {
        RowState {
            last: self.last[r],
            t_last: self.t_last[r],
            kplus: self.kplus[r],
            u: self.u[r],
            x: self.x[r],
        }
    }
}

impl HistoryState {
    /// Ok when this is the histories of `n` neurons (or none): the entry
    /// arrays as long as the counts say, the blocks `RECENT` per neuron,
    /// and each neuron's stamps not decreasing; else what is wrong.
    pub fn check(&self, n: usize) -> Result<(), String> {
        if self.count.is_empty() {
            let empty = [self.stamp.len(), self.recent_stamp.len()]
                .iter()
                .all(|&l| l == 0);
            return if empty {
                Ok(())
            } else {
                Err("entries without counts".into())
            };
        }
        if self.count.len() != n {
            return Err(format!("{} histories for {n} neurons", self.count.len()));
        }
        let total: u64 = self.count.iter().map(|&c| u64::from(c)).sum();
        let lens = [self.stamp.len(), self.t.len(), self.k.len()];
        if lens.iter().any(|&l| l as u64 != total) {
            return Err(format!(
                "{lens:?} entries (stamp, t, k), the counts sum to {total}"
            ));
        }
        let recent = [
            self.recent_stamp.len(),
            self.recent_t.len(),
            self.recent_k.len(),
        ];
        if recent.iter().any(|&l| l != n * RECENT) {
            return Err(format!(
                "recent blocks of {recent:?} entries, not {}",
                n * RECENT
            ));
        }
        let mut at = 0;
        for (i, &c) in self.count.iter().enumerate() {
            let s = &self.stamp[at..at + c as usize];
            if s.windows(2).any(|w| w[0] > w[1]) {
                return Err(format!("neuron {i}: history stamps not in order"));
            }
            at += c as usize;
        }
        Ok(())
    }
}

impl PlasticStore {
    /// This store's state (see the module doc).
    pub fn capture(&self) -> StoreState {
        let rows = self.rows();
        let field = |f: fn(&RowState) -> f64| rows.iter().map(f).collect();
        StoreState {
            projection: self.projection as u32,
            weight: self.weights().to_vec(),
            last: rows.iter().map(|r| r.last).collect(),
            t_last: field(|r| r.t_last),
            kplus: field(|r| r.kplus),
            u: field(|r| r.u),
            x: field(|r| r.x),
            overflows: self.overflows,
        }
    }

    /// Ok when `s` is the state of a store like this one: the same
    /// projection, synapses and rows; else what differs.
    pub fn fits(&self, s: &StoreState) -> Result<(), String> {
        s.check()?;
        let (p, mine) = (s.projection, self.projection);
        if p as usize != mine {
            return Err(format!(
                "a store of projection {p} where this chunk has projection {mine}'s"
            ));
        }
        if (s.weight.len(), s.rows()) != (self.len(), self.rows().len()) {
            return Err(format!(
                "projection {p}: {} synapses in {} rows in the checkpoint, {} in {} here",
                s.weight.len(),
                s.rows(),
                self.len(),
                self.rows().len()
            ));
        }
        Ok(())
    }

    /// Takes back the state `s` (which `fits`).
    pub fn restore(&mut self, s: &StoreState) {
        self.set_weights(s.weight.clone());
        let rows = (0..s.rows()).map(|r| s.row(r)).collect();
        self.set_rows(rows);
        self.overflows = s.overflows;
    }
}

impl Histories {
    /// The histories' state, each full history as trimmed at `cut` (see
    /// the module doc); the default state when no history is kept.
    pub fn capture(&self, cut: i64) -> HistoryState {
        let mut s = HistoryState::default();
        for i in 0..self.len() {
            let kept = self.get(i).expect("a neuron of the chunk").needed_from(cut);
            s.count.push(kept.len() as u32);
            for e in kept {
                s.stamp.push(e.stamp);
                s.t.push(e.t);
                s.k.push(e.k);
            }
            let b = self.block(i);
            s.recent_stamp.extend_from_slice(&b.stamp);
            s.recent_t.extend_from_slice(&b.t);
            s.recent_k.extend_from_slice(&b.k);
        }
        s
    }

    /// Takes back the state `s` (whose `check(self.len())` holds, not
    /// empty).
    pub fn restore(&mut self, s: &HistoryState) {
        let mut at = 0;
        for (i, &c) in s.count.iter().enumerate() {
            let entries = (at..at + c as usize)
                .map(|e| Entry {
                    stamp: s.stamp[e],
                    t: s.t[e],
                    k: s.k[e],
                })
                .collect();
            at += c as usize;
            let r = i * RECENT..(i + 1) * RECENT;
            let block = Block {
                stamp: s.recent_stamp[r.clone()].try_into().expect("RECENT stamps"),
                t: s.recent_t[r.clone()].try_into().expect("RECENT times"),
                k: s.recent_k[r].try_into().expect("RECENT traces"),
            };
            self.set(i, entries, block);
        }
    }
}
