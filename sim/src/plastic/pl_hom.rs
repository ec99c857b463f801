//! The fast path of `stdp_pl_synapse_hom` delivery: a row whose synapses
//! all have one delay and lane (the store's `base`), the rule's parameters
//! hoisted out of the synapse loop, and each target's history read from
//! the chunk's flat recent blocks (`plastic::recent`), its full `History`
//! only when a block may not hold the whole lookup.
//!
//! Every double is computed with the operations and grouping of
//! `Rule::synapse_memo`, so weights and transmitted values are those of
//! the general path bit for bit. K_minus is computed at each synapse, not
//! taken from a target's `KMemo`: the memo hits too rarely here (a target
//! receives about one spike of a given step) to pay for its key
//! comparisons and cache lines (callgrind: fewer instructions, D1 misses
//! and mispredicted branches without it).
//!
//! Invariant: as for `Rule::synapse_memo` — the row sees its source's
//! spikes in stamp order, and the lookup window (last - d, stamp - d] and
//! the entry before stamp - d are complete in the histories.

use super::history::Entry;
use super::memo::PowMemo;
use super::recent::Histories;
use super::rules::{Delay, PlHomParams, PreSpike, RowState};
use super::sink::Sink;

/// Synapses ahead whose target's history block is prefetched.
const AHEAD: usize = 8;

/// One row's spike: the rule, the row's state and spike, the common delay.
pub struct RowSpike<'a> {
    /// The rule's parameters.
    pub p: &'a PlHomParams,
    /// The row's state before the spike.
    pub row: &'a RowState,
    /// The spike.
    pub pre: PreSpike,
    /// The delay of every synapse of the row.
    pub d: Delay,
    /// `(delay * lanes + lane) * n` of every synapse of the row.
    pub base: u32,
    /// 1 / tau_minus of the targets.
    pub inv_tau_minus: f64,
}

/// The synapses of a row (`offset`, `weight`: the row's slices) at spike
/// `s`, with the store's pow memo, into `sink`.
#[inline]
pub fn deliver_row(
    s: &RowSpike,
    offset: &[u32],
    weight: &mut [f64],
    h: &Histories,
    pow: &mut PowMemo,
    sink: &mut Sink,
) {
    let (p, row, d) = (s.p, s.row, s.d);
    let (lo, hi) = (row.last - d.steps, s.pre.stamp - d.steps);
    let t_u = s.pre.t - d.ms;
    let step = p.lambda;
    let depress = p.lambda * p.alpha;
    let facilitate = |w: &mut f64, pow: &mut PowMemo, e: &Entry| {
        let minus_dt = row.t_last - (e.t + d.ms);
        let k = row.kplus * (minus_dt * p.inv_tau_plus).exp();
        *w += (step * pow.pow(*w, p.mu)) * k;
    };
    for (i, (&o, w)) in offset.iter().zip(weight.iter_mut()).enumerate() {
        if let Some(&ahead) = offset.get(i + AHEAD) {
            h.prefetch(ahead.wrapping_sub(s.base) as usize);
        }
        let j = (o - s.base) as usize;
        let before = match h.recent(j, lo, hi) {
            Some(r) => {
                for e in r.window.iter().rev() {
                    facilitate(w, pow, e);
                }
                r.before
            }
            None => {
                let full = h.get(j).expect("a history per target");
                let (window, before) = full.lookup(lo, hi);
                for e in window {
                    facilitate(w, pow, e);
                }
                before
            }
        };
        let k = before.map_or(0.0, |e| e.k * ((e.t - t_u) * s.inv_tau_minus).exp());
        let n = *w - ((depress * *w) * k);
        *w = if n > 0.0 { n } else { 0.0 };
        sink.add(o, *w);
    }
}
