//! The plastic synapses of one projection onto one chunk: rows by source
//! gid (sorted sources, binary search), the row state every synapse of the
//! row shares (`RowState`), and per synapse its ring position and its
//! weight as a double — 12 bytes per synapse (NEST 3.10's `stdp_synapse`
//! object alone is 96).
//!
//! Delivery (`deliver`): for each spike, in the order given, the row's
//! rule runs (`Rule::row_before`, `synapse` for each synapse,
//! `row_after`) and each transmitted weight is added to the ring in the
//! chunk's fixed point.
//!
//! Invariants: (1) the spikes of one source reach the store in stamp order
//! (one source is one chunk's neuron, emitted in step order; the epoch loop
//! delivers batches in time order), so every row sees its source's spikes
//! as NEST's synapse would; (2) the ring's fixed point was chosen with
//! `Rule::max_transmitted` in the bound (`synapse::Ranges`), so a
//! transmitted weight within it cannot overflow a sum; one beyond it (only
//! `stdp_pl_synapse_hom`, which has no Wmax) is counted in `overflows` and
//! the run fails at its next check.

use super::history::History;
use super::rules::{Delay, PreSpike, RowState, Rule};
use super::time::Clock;
use crate::connect::RawSynapse;
use crate::exchange::Spike;

/// One plastic projection's synapses onto one chunk (see the module doc).
#[derive(Clone, Debug)]
pub struct PlasticStore {
    /// The projection (index in the spec).
    pub projection: usize,
    /// Its rule and parameters.
    pub rule: Rule,
    /// Sources with a row, increasing.
    sources: Vec<u32>,
    /// Row i is synapses `row_start[i]..row_start[i + 1]`.
    row_start: Vec<u32>,
    /// One per row.
    rows: Vec<RowState>,
    /// Per synapse: (delay * lanes + lane) * n + target, as the static store.
    offset: Vec<u32>,
    /// Per synapse: its weight (pA, or nS for conductances).
    weight: Vec<f64>,
    /// Neurons of the chunk and ring lanes per neuron.
    n: u32,
    lanes: u32,
    /// Smallest and largest delay (steps) of the synapses.
    pub min_delay: u32,
    /// Largest delay (steps).
    pub max_delay: u32,
    /// Largest weight a synapse may transmit (the fixed-point bound).
    pub bound: f64,
    /// Transmitted weights beyond `bound` (skipped, the run must fail).
    pub overflows: u64,
}

/// What `deliver` needs of the chunk besides the store.
pub struct Target<'a> {
    /// The chunk's neurons' histories (empty when no rule reads them).
    pub history: &'a [History],
    /// 1 / tau_minus of the chunk's population.
    pub inv_tau_minus: f64,
    /// Stamps and delays in ms.
    pub clock: Clock,
    /// The ring's fixed point (units per pA).
    pub fixed_scale: f64,
}

impl PlasticStore {
    /// The store of `raw` (the projection's synapses onto a chunk of `n`
    /// neurons with `lanes` lanes; receptor = lane), each row starting in
    /// `row0`, weights bounded by `bound`.
    pub fn build(
        projection: usize,
        rule: Rule,
        row0: RowState,
        raw: &mut [RawSynapse],
        n: u32,
        lanes: u32,
        bound: f64,
    ) -> Self {
        raw.sort_by_key(|s| s.source);
        let mut sources = Vec::new();
        let mut row_start = Vec::new();
        for (i, s) in raw.iter().enumerate() {
            if sources.last() != Some(&s.source) {
                sources.push(s.source);
                row_start.push(i as u32);
            }
        }
        row_start.push(raw.len() as u32);
        // With one lane (merged receptors) every receptor adds into lane 0.
        let lane = |s: &RawSynapse| if lanes == 1 { 0 } else { u32::from(s.receptor) };
        let offset = raw
            .iter()
            .map(|s| (s.delay_steps * lanes + lane(s)) * n + s.target)
            .collect();
        Self {
            projection,
            rule,
            rows: vec![row0; sources.len()],
            sources,
            row_start,
            offset,
            weight: raw.iter().map(|s| f64::from(s.weight)).collect(),
            n,
            lanes,
            min_delay: raw.iter().map(|s| s.delay_steps).min().unwrap_or(u32::MAX),
            max_delay: raw.iter().map(|s| s.delay_steps).max().unwrap_or(0),
            bound,
            overflows: 0,
        }
    }

    /// Replaces the weights (one per synapse, in the order of the `raw`
    /// given to `build` once sorted by source, stably): initial weights
    /// read from a file (`plastic::loaded`), kept as f64.
    pub fn set_weights(&mut self, weights: Vec<f64>) {
        assert_eq!(weights.len(), self.weight.len(), "one weight per synapse");
        self.weight = weights;
    }

    /// Synapses held.
    pub fn len(&self) -> usize {
        self.offset.len()
    }

    /// No synapse.
    pub fn is_empty(&self) -> bool {
        self.offset.is_empty()
    }

    /// Bytes of the synapses and rows.
    pub fn bytes(&self) -> usize {
        self.len() * 12 + self.sources.len() * (8 + std::mem::size_of::<RowState>())
    }

    /// The sources with a row, increasing.
    pub fn sources(&self) -> &[u32] {
        &self.sources
    }

    /// (source, target index in the chunk, delay steps, weight) of every
    /// synapse, by source.
    pub fn synapses(&self) -> impl Iterator<Item = (u32, u32, u32, f64)> + '_ {
        self.sources.iter().enumerate().flat_map(move |(r, &src)| {
            (self.row_start[r]..self.row_start[r + 1]).map(move |i| {
                let o = self.offset[i as usize];
                let delay = o / (self.lanes * self.n);
                (src, o % self.n, delay, self.weight[i as usize])
            })
        })
    }

    /// The row states, by source.
    pub fn rows(&self) -> &[RowState] {
        &self.rows
    }

    /// Delivers `spikes` (see the module doc) into `ring` (`[slot][lane][neuron]`,
    /// `slots` a power of two); returns the events added.
    pub fn deliver(&mut self, spikes: &[Spike], t: &Target, ring: &mut [i32], slots: u64) -> u64 {
        let stride = u64::from(self.lanes * self.n);
        let mask = slots - 1;
        let len = ring.len() as u64;
        let per_delay = self.lanes * self.n;
        let mut events = 0;
        let empty = History::default();
        for sp in spikes {
            let Ok(r) = self.sources.binary_search(&sp.gid) else {
                continue;
            };
            let stamp = sp.step + 1;
            let pre = PreSpike {
                stamp: stamp as i64,
                t: t.clock.stamp_ms(stamp),
            };
            let row = &mut self.rows[r];
            self.rule.row_before(row, pre);
            let base = (sp.step & mask) * stride;
            for i in self.row_start[r] as usize..self.row_start[r + 1] as usize {
                let o = self.offset[i];
                let steps = o / per_delay;
                let d = Delay {
                    steps: i64::from(steps),
                    ms: t.clock.delay_ms(u64::from(steps)),
                };
                // No history when the rule reads none (tsodyks2).
                let h = t.history.get((o % self.n) as usize).unwrap_or(&empty);
                let sent = self
                    .rule
                    .synapse(&mut self.weight[i], row, pre, d, h, t.inv_tau_minus);
                if sent.abs() > self.bound || !sent.is_finite() {
                    self.overflows += 1;
                    continue;
                }
                let pos = base + u64::from(o);
                let pos = if pos >= len { pos - len } else { pos };
                ring[pos as usize] += (sent * t.fixed_scale).round() as i32;
            }
            self.rule.row_after(row, pre);
            events += u64::from(self.row_start[r + 1] - self.row_start[r]);
        }
        events
    }

    /// The earliest stamp a future lookup of this store can need: its rows'
    /// last spikes minus the largest delay (see `History::trim_before`).
    pub fn history_cut(&self) -> i64 {
        let last = self.rows.iter().map(|r| r.last).min().unwrap_or(i64::MAX);
        last.saturating_sub(i64::from(self.max_delay))
    }
}
