//! `stdp_pl_synapse_hom`'s weight update, and the fast path of its
//! delivery: a row whose synapses all have one delay and lane (the store's
//! `base`), taken in blocks of `BLOCK` synapses in three passes, compiled
//! for each vector width (`crate::twice`):
//!
//! 1. gather (scalar): each target's history is read from the chunk's flat
//!    recent blocks (`plastic::recent`: the four stamps compared with the
//!    window's bounds at once and the places counted; its full `History`
//!    only when a block may not hold the whole lookup), and the arguments
//!    of the synapse's exponentials are set down without a branch on the
//!    entries: its facilitations by the post-synaptic spikes in its
//!    window, oldest first, one per round (round r packs the synapses with
//!    more than r spikes: every round's argument is written, its length
//!    advanced by 0 or 1), and the depression's K_minus. A synapse with
//!    more than `ROUNDS` spikes in its window (rare) is facilitated here,
//!    one spike after the other;
//! 2. update (vectorised, in slices padded to whole vectors): round after
//!    round, the weights of its synapses packed, facilitated and put back,
//!    then every weight of the block depressed, with `crate::vmath`'s exp
//!    and ln, where libm's pow and exp were 36% of plastic Brunel's
//!    samples;
//! 3. send (scalar): each weight into the ring (`Sink`).
//!
//! Invariant: `facilitate` and `depress` (with their arguments from
//! `facilitation_arg` and `depression_args`) are the only arithmetic of the
//! rule, in the general path (`Rule::synapse_memo`) as here, in the scalar
//! and the vectorised passes alike, and a factor 0 (no spike before the
//! window) leaves a weight's bits as they are (w - 0 = w for w >= 0). So
//! a weight does not depend on which path, pass or vector lane updated it,
//! which depends on how a row is cut into chunks (the layout). As for
//! `Rule::synapse_memo`: the row sees its source's spikes in stamp order,
//! and the lookup window (last - d, stamp - d] and the entry before stamp
//! - d are complete in the histories.

use super::history::Entry;
use super::recent::{places_at, Histories, RECENT};
use super::rules::{Delay, PlHomParams, PreSpike, RowState};
use super::sink::Sink;
use crate::ring::{prefetch_line, TO_L1};
use crate::vmath::{exp, ln, select};

/// Synapses ahead whose target's history block is prefetched.
const AHEAD: usize = 8;

/// Synapses per block of the three passes.
const BLOCK: usize = 64;

/// Facilitations per synapse the vectorised pass makes (as many as a
/// recent block can hold in a window).
const ROUNDS: usize = RECENT;

/// w^mu for w >= 0 and mu >= 0: w itself for mu = 1, 1 for mu = 0 (as
/// libm's pow, exactly), else e^(mu ln w).
#[inline(always)]
fn pow(w: f64, mu: f64) -> f64 {
    let p = select(mu == 0.0, 1.0, exp(mu * ln(w)));
    select(mu == 1.0, w, p)
}

/// `w` facilitated by one post-synaptic spike: kplus e^arg is the row's
/// trace at it (arg = (t_last - (t_post + d)) / tau_plus; -inf: none).
#[inline(always)]
pub fn facilitate(p: &PlHomParams, w: f64, kplus: f64, arg: f64) -> f64 {
    w + (p.lambda * pow(w, p.mu)) * (kplus * exp(arg))
}

/// The argument of `facilitate` for post-synaptic spike `e` of a row whose
/// last spike was at `row.t_last`, through delay `d`.
#[inline(always)]
pub fn facilitation_arg(p: &PlHomParams, row: &RowState, d: Delay, e: &Entry) -> f64 {
    (row.t_last - (e.t + d.ms)) * p.inv_tau_plus
}

/// The arguments (arg, k) of `depress` for the post-synaptic spike
/// `before` the pre-synaptic spike's arrival `t_u` ((0, 0) for none).
#[inline(always)]
pub fn depression_args(before: Option<&Entry>, t_u: f64, inv_tau_minus: f64) -> (f64, f64) {
    before.map_or((0.0, 0.0), |e| ((e.t - t_u) * inv_tau_minus, e.k))
}

/// `w` depressed by K_minus = k e^arg (k = 0: no spike before), not below 0.
#[inline(always)]
pub fn depress(p: &PlHomParams, w: f64, k: f64, arg: f64) -> f64 {
    let n = w - (((p.lambda * p.alpha) * w) * (k * exp(arg)));
    select(n > 0.0, n, 0.0)
}

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

/// The exponentials' arguments of a block's synapses (pass 1's output):
/// round r's facilitations packed, `fac[r][c]` for the synapse `at[r][c]`
/// of the block (c < `len[r]`), and every synapse's depression. Scratch
/// space, made once per delivery (`PlasticStore::deliver`), not per row.
pub struct Args {
    fac: [[f64; BLOCK]; ROUNDS],
    at: [[u8; BLOCK]; ROUNDS],
    len: [usize; ROUNDS],
    dep: [f64; BLOCK],
    dep_k: [f64; BLOCK],
}

impl Default for Args {
    fn default() -> Self {
        Args {
            fac: [[0.0; BLOCK]; ROUNDS],
            at: [[0; BLOCK]; ROUNDS],
            len: [0; ROUNDS],
            dep: [0.0; BLOCK],
            dep_k: [0.0; BLOCK],
        }
    }
}

/// The synapses of a row (`offset`, `weight`: the row's slices) at spike
/// `s`, into `sink` (see the module doc), with `args` as scratch space.
#[inline]
pub fn deliver_row(
    s: &RowSpike,
    offset: &[u32],
    weight: &mut [f64],
    h: &Histories,
    sink: &mut Sink,
    args: &mut Args,
) {
    let width = crate::twice::widest();
    crate::twice::call_at!(width;
        row_portable, row_avx2, row_avx512(s, offset, weight, h, sink, args, width));
}

// The three passes, compiled for each width (`crate::twice`: the same
// bits), so that pass 1 compares a block's stamps in one vector.
crate::twice::portable_and_avx2! {
    fn row_portable / row_avx2 / row_avx512(
        s: &RowSpike,
        offset: &[u32],
        weight: &mut [f64],
        h: &Histories,
        sink: &mut Sink,
        args: &mut Args,
        width: crate::twice::Width,
    ) {
        let mut packed = [0.0; BLOCK];
        for start in (0..offset.len()).step_by(BLOCK) {
            let end = (start + BLOCK).min(offset.len());
            // The block's weights are first read after its gather: fetch them now.
            for line in weight[start..end].iter().step_by(8) {
                prefetch_line::<TO_L1, _>(line);
            }
            let w = &mut weight[start..end];
            gather(s, offset, start, w, h, args, width);
            // Round r + 1 packs a subset of round r's synapses: stop at an empty one.
            for r in (0..ROUNDS).take_while(|&r| args.len[r] > 0) {
                let (c, at) = (args.len[r], &args.at[r]);
                for (x, &k) in packed[..c].iter_mut().zip(at) {
                    *x = w[usize::from(k)];
                }
                // Padding: 0 facilitated by a factor 0 stays 0.
                let cp = padded(c);
                packed[c..cp].fill(0.0);
                args.fac[r][c..cp].fill(f64::NEG_INFINITY);
                let (x, fac) = (&mut packed[..cp], &args.fac[r][..cp]);
                crate::twice::call_at!(width;
                    facilitate_portable, facilitate_avx2, facilitate_avx512(s.p, s.row.kplus, x, fac));
                for (&x, &k) in packed[..c].iter().zip(at) {
                    w[usize::from(k)] = x;
                }
            }
            let (n, np) = (w.len(), padded(w.len()));
            packed[..n].copy_from_slice(w);
            packed[n..np].fill(0.0);
            args.dep_k[n..np].fill(0.0);
            args.dep[n..np].fill(0.0);
            let (x, dep, dep_k) = (&mut packed[..np], &args.dep[..np], &args.dep_k[..np]);
            crate::twice::call_at!(width; depress_portable, depress_avx2, depress_avx512(s.p, x, dep, dep_k));
            w.copy_from_slice(&packed[..n]);
            for (&o, &w) in offset[start..end].iter().zip(w.iter()) {
                sink.add(o, w);
            }
        }
    }
}

/// Pass 1 for the synapses `start..start + w.len()` of the row. A lookup
/// answered by the target's recent block (`plastic::recent::places`) sets
/// down its arguments without a branch on the entries: every round gets
/// the entry its place would give, and a round's length grows only when
/// the synapse has that many spikes in its window (at most `RECENT` - 1).
#[inline(always)]
fn gather(
    s: &RowSpike,
    offset: &[u32],
    start: usize,
    w: &mut [f64],
    h: &Histories,
    args: &mut Args,
    width: crate::twice::Width,
) {
    let (p, row, d) = (s.p, s.row, s.d);
    let (lo, hi) = (row.last - d.steps, s.pre.stamp - d.steps);
    let t_u = s.pre.t - d.ms;
    // The rounds' lengths in registers, not in `args` (a store and a load
    // per synapse and round otherwise).
    let mut len = [0; ROUNDS];
    for (k, w) in w.iter_mut().enumerate() {
        let i = start + k;
        if let Some(&ahead) = offset.get(i + AHEAD) {
            h.prefetch(ahead.wrapping_sub(s.base) as usize);
        }
        let j = (offset[i] - s.base) as usize;
        let block = h.block(j);
        let Some(at) = places_at(width, block, lo, hi) else {
            let (window, before) = h.get(j).expect("a history per target").lookup(lo, hi);
            gather_full(s, window, w, k, args, &mut len);
            (args.dep[k], args.dep_k[k]) = depression_args(before, t_u, s.inv_tau_minus);
            continue;
        };
        // The window is at.a..at.b, newest first: round r takes place b - 1 - r.
        let m = at.b.saturating_sub(at.a);
        for (r, len) in len.iter_mut().enumerate().take(RECENT - 1) {
            // len <= k < BLOCK: the remainder only spares a bounds check.
            let c = *len % BLOCK;
            let e = block.entry(at.b.wrapping_sub(1 + r) % RECENT);
            (args.fac[r][c], args.at[r][c]) = (facilitation_arg(p, row, d, &e), k as u8);
            *len = c + usize::from(r < m);
        }
        let e = block.entry(at.before.unwrap_or(0));
        let (arg, k_minus) = depression_args(Some(&e), t_u, s.inv_tau_minus);
        let some = at.before.is_some();
        (args.dep[k], args.dep_k[k]) = (select(some, arg, 0.0), select(some, k_minus, 0.0));
    }
    args.len = len;
}

/// Pass 1 for synapse `k` of the block (weight `w`) whose `window` (oldest
/// first) came from its target's full history: packed into the rounds (of
/// lengths `len`), or facilitated here when it has more spikes than rounds.
#[inline(never)]
fn gather_full(
    s: &RowSpike,
    window: &[Entry],
    w: &mut f64,
    k: usize,
    args: &mut Args,
    len: &mut [usize; ROUNDS],
) {
    let m = window.len();
    if m > ROUNDS {
        for e in window {
            *w = facilitate(s.p, *w, s.row.kplus, facilitation_arg(s.p, s.row, s.d, e));
        }
        return;
    }
    for (r, e) in window.iter().enumerate() {
        let c = len[r];
        (args.fac[r][c], args.at[r][c]) = (facilitation_arg(s.p, s.row, s.d, e), k as u8);
        len[r] = c + 1;
    }
}

/// Lanes of the vectorised passes: their slices are padded to whole
/// multiples of it, so that no synapse is left to a remainder loop.
const LANES: usize = 8;

/// `c` rounded up to a multiple of `LANES`.
fn padded(c: usize) -> usize {
    c.div_ceil(LANES) * LANES
}

// Pass 2, one round of facilitation and the depression, on slices of whole
// multiples of LANES: portable, AVX2 and AVX-512 from one body each
// (`crate::twice`: the same bits).
crate::twice::portable_and_avx2! {
    fn facilitate_portable / facilitate_avx2 / facilitate_avx512(p: &PlHomParams, kplus: f64, w: &mut [f64], fac: &[f64]) {
        for (w, a) in w.as_chunks_mut::<LANES>().0.iter_mut().zip(fac.as_chunks::<LANES>().0) {
            for l in 0..LANES {
                w[l] = facilitate(p, w[l], kplus, a[l]);
            }
        }
    }
}

crate::twice::portable_and_avx2! {
    fn depress_portable / depress_avx2 / depress_avx512(p: &PlHomParams, w: &mut [f64], dep: &[f64], dep_k: &[f64]) {
        let (dep, dep_k) = (dep.as_chunks::<LANES>().0, dep_k.as_chunks::<LANES>().0);
        for ((w, a), k) in w.as_chunks_mut::<LANES>().0.iter_mut().zip(dep).zip(dep_k) {
            for l in 0..LANES {
                w[l] = depress(p, w[l], k[l], a[l]);
            }
        }
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
    /// The row at spike `s` by the passes of `width`, into `ring` (fixed
    /// point 10 units per pA, weights beyond `bound` refused); returns the
    /// weights refused.
    fn deliver_at(
        width: crate::twice::Width,
        s: &RowSpike,
        offset: &[u32],
        w: &mut [f64],
        h: &Histories,
        ring: &mut [i32],
        bound: f64,
    ) -> u64 {
        let mut sink = Sink {
            ring,
            slot: 0,
            fixed_scale: 10.0,
            bound,
            overflows: 0,
        };
        let args = &mut Args::default();
        crate::twice::call_at!(width;
            row_portable, row_avx2, row_avx512(s, offset, w, h, &mut sink, args, width));
        sink.overflows
    }

    /// hpc_benchmark's parameters.
    fn params() -> PlHomParams {
        PlHomParams {
            tau_plus: 15.0,
            inv_tau_plus: 1.0 / 15.0,
            lambda: 0.1,
            alpha: 0.0513,
            mu: 0.4,
        }
    }

    /// Weights beyond the sink's bound are counted and not added, the
    /// others added, by every width: targets without spikes keep their
    /// weights, so the ring must hold exactly those within the bound.
    #[test]
    fn refused_weights_are_counted_not_added() {
        let (p, clock) = (params(), Clock::new(0.1));
        let row = Rule::StdpPlHom(p).initial_row(0.0, 0.0, 0.0);
        let (n, base) = (8u32, 15 * 8);
        let offset: Vec<u32> = (0..n).map(|j| base + j).collect();
        let weights: Vec<f64> = (0..n).map(|j| 45.0 + f64::from(j)).collect();
        let h = Histories::new(n as usize);
        let s = RowSpike {
            p: &p,
            row: &row,
            pre: PreSpike {
                stamp: 40,
                t: clock.stamp_ms(40),
            },
            d: Delay {
                steps: 15,
                ms: clock.delay_ms(15),
            },
            base,
            inv_tau_minus: 1.0 / 30.0,
        };
        let mut want = vec![0i32; 512];
        for (&o, &w) in offset.iter().zip(&weights) {
            if w <= 49.5 {
                want[o as usize] += round_i32(w * 10.0);
            }
        }
        for width in crate::twice::available() {
            let (mut w, mut ring) = (weights.clone(), vec![0i32; 512]);
            let overflows = deliver_at(width, &s, &offset, &mut w, &h, &mut ring, 49.5);
            assert_eq!(overflows, 3, "{width:?}");
            assert_eq!((ring, w), (want.clone(), weights.clone()), "{width:?}");
        }
    }

    #[test]
    fn fast_path_is_the_rule() {
        let p = params();
        let rule = Rule::StdpPlHom(p);
        let (clock, inv, n, steps) = (Clock::new(0.1), 1.0 / 30.0, 8u32, 15u32);
        let d = Delay {
            steps: i64::from(steps),
            ms: clock.delay_ms(u64::from(steps)),
        };
        let base = steps * n;
        let offset: Vec<u32> = (0..n).rev().map(|j| base + j).collect();
        let slow0: Vec<f64> = (0..n).map(|j| 45.0 + f64::from(j)).collect();
        let mut slow = slow0.clone();
        // Each width's weights and ring (`crate::twice`: the same bits).
        let widths: Vec<_> = crate::twice::available().collect();
        let mut fast = vec![(slow0.clone(), vec![0i32; 4096]); widths.len()];
        let mut h = Histories::new(n as usize);
        let mut row = rule.initial_row(0.0, 0.0, 0.0);
        let mut ring = vec![0i32; 4096];
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
                match crate::plastic::recent::places(
                    h.block(j),
                    row.last - d.steps,
                    pre.stamp - d.steps,
                ) {
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
            ring = want;
            let s = RowSpike {
                p: &p,
                row: &row,
                pre,
                d,
                base,
                inv_tau_minus: inv,
            };
            for (&width, (fast, fast_ring)) in widths.iter().zip(&mut fast) {
                let overflows = deliver_at(width, &s, &offset, fast, &h, fast_ring, 1e6);
                assert_eq!(overflows, 0);
                assert_eq!(*fast_ring, ring, "ring at pre spike {pre_stamp}, {width:?}");
                let bits = |w: &[f64]| w.iter().map(|w| w.to_bits()).collect::<Vec<_>>();
                assert_eq!(
                    bits(fast),
                    bits(&slow),
                    "weights at pre spike {pre_stamp}, {width:?}"
                );
            }
            rule.row_after(&mut row, pre);
            h.trim_before(row.last - d.steps);
        }
        assert!(answered > 10 && fell_back > 10, "{answered} / {fell_back}");
        assert!(
            slow.iter().zip(&slow0).all(|(w, f)| w != f),
            "a weight kept"
        );
    }
}
