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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plastic::rules::Rule;
    use crate::plastic::sink::round_i32;
    use crate::plastic::time::Clock;

    /// Steps `step + 1..=until` of targets j spiking every 3 + 5 j steps.
    fn spike_until(h: &mut Histories, step: u64, until: u64, clock: &Clock, inv: f64) -> u64 {
        for s in step + 1..=until {
            for j in 0..h.len() {
                if s % (3 + 5 * j as u64) == 0 {
                    h.push(j, s as i64, clock.stamp_ms(s), inv);
                }
            }
        }
        until
    }

    /// The fast path against `Rule::synapse` on each target's full
    /// `History` (the NEST-validated rule): targets spiking every 3 to 40
    /// steps, so that lookups are answered by the recent blocks and by the
    /// full histories (both checked to happen), histories trimmed between
    /// spikes as a chunk trims them.
    #[test]
    fn fast_path_is_the_rule() {
        let p = PlHomParams {
            tau_plus: 15.0,
            inv_tau_plus: 1.0 / 15.0,
            lambda: 0.1,
            alpha: 0.0513,
            mu: 0.4,
        };
        let rule = Rule::StdpPlHom(p);
        let (clock, inv, n, steps) = (Clock::new(0.1), 1.0 / 30.0, 8u32, 15u32);
        let d = Delay {
            steps: i64::from(steps),
            ms: clock.delay_ms(u64::from(steps)),
        };
        let base = steps * n;
        let offset: Vec<u32> = (0..n).rev().map(|j| base + j).collect();
        let mut fast: Vec<f64> = (0..n).map(|j| 45.0 + f64::from(j)).collect();
        let mut slow = fast.clone();
        let mut h = Histories::new(n as usize);
        let mut row = rule.initial_row(0.0, 0.0, 0.0);
        let (mut pow, mut ring) = (PowMemo::default(), vec![0i32; 4096]);
        let (mut answered, mut fell_back) = (0, 0);
        let mut step = 0u64;
        for pre_stamp in [20i64, 52, 53, 90, 160, 161, 240, 300, 420, 421] {
            step = spike_until(&mut h, step, pre_stamp as u64, &clock, inv);
            let pre = PreSpike {
                stamp: pre_stamp,
                t: clock.stamp_ms(pre_stamp as u64),
            };
            for &o in &offset {
                let j = (o - base) as usize;
                match h.recent(j, row.last - d.steps, pre.stamp - d.steps) {
                    Some(_) => answered += 1,
                    None => fell_back += 1,
                }
            }
            let mut want = ring.clone();
            for (&o, w) in offset.iter().zip(slow.iter_mut()) {
                let full = h.get((o - base) as usize).unwrap();
                let sent = rule.synapse(w, &row, pre, d, full, inv);
                want[o as usize] += round_i32(sent * 10.0);
            }
            let mut sink = Sink {
                ring: &mut ring,
                slot: 0,
                fixed_scale: 10.0,
                bound: 1e6,
                overflows: 0,
            };
            let s = RowSpike {
                p: &p,
                row: &row,
                pre,
                d,
                base,
                inv_tau_minus: inv,
            };
            deliver_row(&s, &offset, &mut fast, &h, &mut pow, &mut sink);
            assert_eq!(sink.overflows, 0);
            assert_eq!(ring, want, "ring at pre spike {pre_stamp}");
            let bits = |w: &[f64]| w.iter().map(|w| w.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&fast), bits(&slow), "weights at pre spike {pre_stamp}");
            rule.row_after(&mut row, pre);
            h.trim_before(row.last - d.steps);
        }
        assert!(answered > 10 && fell_back > 10, "{answered} / {fell_back}");
        let first: Vec<f64> = (0..n).map(|j| 45.0 + f64::from(j)).collect();
        assert!(
            slow.iter().zip(&first).all(|(w, f)| w != f),
            "a weight kept"
        );
    }
}
