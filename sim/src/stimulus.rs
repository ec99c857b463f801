//! Stimulus devices as seen by one chunk: Poisson trains, DC currents and
//! spike trains, applied step by step; the devices of rate and temporal
//! coding — Poisson trains of piecewise constant rate (`varying_poisson`),
//! step currents (`step_current`), per-target spike trains
//! (`target_trains`), the encoders' formulas (`coding`) and their set-up
//! from the spec (`setup`) — live in the submodules.
//!
//! Event devices (Poisson, spike trains) add into the ring slot of the step,
//! in the chunk's fixed point like synapses (weights rounded to 2^-k pA once),
//! so the input a neuron reads is one exact integer sum: it does not depend on
//! which lane an event used or in what order devices were applied (this is
//! what lets receptors with equal dynamics share a lane, see `model`). DC
//! currents are not events and go to `i_stim` in f64.
//!
//! Invariant: a Poisson count is a pure function of (seed, device, target gid,
//! emission step) — one Philox block covers four consecutive steps of one
//! target — so inputs are the same for any rank or thread layout.

use crate::philox::{philox4x32, philox4x32_lanes, philox4x32_x16};
use crate::rng::{stream_id, Purpose, Stream};

pub mod coding;
mod poisson_table;
pub(crate) mod setup;
pub mod step_current;
pub mod target_trains;
pub mod varying_poisson;

pub use poisson_table::PoissonTable;
pub use setup::device_cost;
use step_current::StepCurrentInput;
use target_trains::TargetTrainsInput;
use varying_poisson::VaryingPoissonInput;

/// Largest mean drawn from one table; larger means are sums of equal parts.
const MAX_PART_LAMBDA: f64 = 30.0;

/// One Poisson generator's input to the targets it has in one chunk: an
/// independent train per target, counts drawn four steps at a time.
#[derive(Clone, Debug)]
pub struct PoissonInput {
    key: [u32; 2],
    targets: Vec<u32>,
    first_gid: u32,
    /// Ring lane of the receptor.
    lane: usize,
    weight: f64,
    /// `weight` in the chunk's fixed point (set by `ChunkInputs::set_fixed_scale`).
    weight_fixed: i32,
    delay_steps: u64,
    table: PoissonTable,
    parts: u32,
    /// Counts of the four steps of `cached_block`, `[step][target]` (a table
    /// has at most 255 entries, so a count fits in a byte).
    cache: Vec<u8>,
    /// The targets are 0..n in order (the usual case): a step is one
    /// contiguous, vectorisable pass.
    dense: bool,
    cached_block: Option<u64>,
}

impl PoissonInput {
    /// Device number `device` of the spec (it keys the stream) on `targets`
    /// (indexes within the chunk whose first gid is `first_gid`), `weight` pA
    /// into ring lane `lane`, emitted events arriving `delay_steps` later;
    /// `lambda` = expected events per target and step (means above 30 are
    /// drawn as sums of equal parts).
    pub fn new(
        seed: u32,
        device: usize,
        targets: Vec<u32>,
        first_gid: u32,
        lane: usize,
        weight: f64,
        delay_steps: u64,
        lambda: f64,
    ) -> Self {
        let parts = (lambda / MAX_PART_LAMBDA).ceil().max(1.0) as u32;
        Self {
            key: [seed, stream_id(Purpose::Poisson, device)],
            cache: vec![0; 4 * targets.len()],
            dense: targets.iter().enumerate().all(|(i, &t)| i as u32 == t),
            targets,
            first_gid,
            lane,
            weight,
            weight_fixed: 0,
            delay_steps,
            table: PoissonTable::new(lambda / f64::from(parts)),
            parts,
            cached_block: None,
        }
    }

    /// Draws the counts of the four steps of `block` for every target.
    fn refill(&mut self, block: u64) {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f") {
                // SAFETY: the CPU has AVX-512F (checked just above).
                unsafe { self.refill_avx512(block) };
                return;
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU has AVX2 (checked just above).
                unsafe { self.refill_avx2(block) };
                return;
            }
        }
        self.refill_lanes::<8>(block, philox4x32_lanes);
    }

    /// `refill_lanes` compiled for AVX2 (integer code: same results).
    ///
    /// # Safety
    /// The CPU must have AVX2.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn refill_avx2(&mut self, block: u64) {
        self.refill_lanes::<8>(block, philox4x32_lanes);
    }

    /// `refill_lanes` on 16 lanes compiled for AVX-512 (same results).
    ///
    /// # Safety
    /// The CPU must have AVX-512F.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f")]
    unsafe fn refill_avx512(&mut self, block: u64) {
        self.refill_lanes::<16>(block, philox4x32_x16);
    }

    /// `L` targets' Philox blocks at a time (`philox`: vectorised), the
    /// rest one by one; each target's counts are those of its own block
    /// either way.
    #[inline(always)]
    fn refill_lanes<const L: usize>(
        &mut self,
        block: u64,
        philox: impl Fn([[u32; L]; 4], [u32; 2]) -> [[u32; L]; 4],
    ) {
        let m = self.targets.len();
        let (lo, hi) = (block as u32, (block >> 32) as u32);
        let mut j = 0;
        while j + L <= m {
            let ids: [u32; L] = std::array::from_fn(|l| self.first_gid + self.targets[j + l]);
            let out = philox([[lo; L], ids, [hi; L], [0; L]], self.key);
            for (k, words) in out.iter().enumerate() {
                for (l, &word) in words.iter().enumerate() {
                    self.cache[k * m + j + l] = self.table.sample(word) as u8;
                }
            }
            j += L;
        }
        for j in j..m {
            let words = philox4x32([lo, self.first_gid + self.targets[j], hi, 0], self.key);
            for (k, word) in words.into_iter().enumerate() {
                self.cache[k * m + j] = self.table.sample(word) as u8;
            }
        }
    }

    /// The largest input (pA) one step can bring a target.
    fn max_step_input(&self) -> f64 {
        f64::from(self.table.max_count() * self.parts) * self.weight.abs()
    }

    /// Adds this step's Poisson input (emitted at `step - delay`) to `slot`.
    #[inline]
    fn apply(&mut self, step: u64, slot: &mut [i32], n: usize) {
        if step < self.delay_steps {
            return;
        }
        let e = step - self.delay_steps;
        let base = self.lane * n;
        if self.parts == 1 {
            let block = e >> 2;
            if self.cached_block != Some(block) {
                self.refill(block);
                self.cached_block = Some(block);
            }
            let m = self.targets.len();
            let w = (e & 3) as usize;
            let counts = &self.cache[w * m..(w + 1) * m];
            let wf = self.weight_fixed;
            if self.dense {
                for (x, &c) in slot[base..base + m].iter_mut().zip(counts) {
                    *x += i32::from(c) * wf;
                }
            } else {
                let slot = &mut slot[base..];
                for (&c, &t) in counts.iter().zip(&self.targets) {
                    slot[t as usize] += i32::from(c) * wf;
                }
            }
        } else {
            for &t in &self.targets {
                let mut s = Stream::new(
                    self.key[0],
                    self.key[1] ^ 0x0080_0000,
                    self.first_gid + t,
                    e as u32,
                );
                let k: u32 = (0..self.parts)
                    .map(|_| self.table.sample(s.next_u32()))
                    .sum();
                slot[base + t as usize] += k as i32 * self.weight_fixed;
            }
        }
    }
}

/// What a Poisson device of mean `lambda` events per step and `weight` pA
/// costs a chunk in which it targets `m` neurons: the most one step can bring
/// a target (pA, as `PoissonInput` computes it for the fixed-point bound) and
/// the bytes the chunk's `PoissonInput` holds (targets, counts, tables).
pub fn poisson_cost(lambda: f64, weight: f64, m: usize) -> (f64, usize) {
    let parts = (lambda / MAX_PART_LAMBDA).ceil().max(1.0) as u32;
    let table = PoissonTable::new(lambda / f64::from(parts));
    let most = f64::from(table.max_count() * parts) * weight.abs();
    let tables = table.bytes();
    (
        most,
        m * (4 + 4) + tables + std::mem::size_of::<PoissonInput>(),
    )
}

/// A constant current on some of the chunk's neurons during a step range.
#[derive(Clone, Debug)]
pub struct DcInput {
    /// Neuron indexes within the chunk.
    pub targets: Vec<u32>,
    /// Current (pA).
    pub amplitude: f64,
    /// First step with the current.
    pub start_step: u64,
    /// First step without it again.
    pub stop_step: u64,
}

/// A spike train delivered to a set of targets; steps are when the events are
/// consumed (emission stamp + delay - 1, NEST's arrival convention).
#[derive(Clone, Debug)]
pub struct SpikeTrainInput {
    /// Steps whose update consumes an event, sorted (repeats allowed).
    pub steps: Vec<u64>,
    /// Neuron indexes within the chunk.
    pub targets: Vec<u32>,
    /// Ring lane of the receptor.
    pub lane: usize,
    /// Weight of each event (pA).
    pub weight: f64,
    /// `weight` in the chunk's fixed point (set by `ChunkInputs::set_fixed_scale`).
    pub weight_fixed: i32,
    /// Index of the first entry of `steps` not consumed yet.
    pub next: usize,
}

/// All device inputs of one chunk.
#[derive(Clone, Debug, Default)]
pub struct ChunkInputs {
    /// Poisson generators, in spec order.
    pub poisson: Vec<PoissonInput>,
    /// DC generators, in spec order.
    pub dc: Vec<DcInput>,
    /// Spike generators, in spec order.
    pub trains: Vec<SpikeTrainInput>,
    /// Inhomogeneous Poisson generators and rate encoders, in spec order.
    pub varying: Vec<VaryingPoissonInput>,
    /// Step current generators, in spec order.
    pub steps: Vec<StepCurrentInput>,
    /// Latency encoders and spike generators from spikes files, in spec order.
    pub target_trains: Vec<TargetTrainsInput>,
}

impl ChunkInputs {
    /// Per neuron (`n` of them), the largest input (pA) the event devices can
    /// bring in one step: part of the bound that fixes the chunk's fixed point.
    pub fn max_step_input(&self, n: usize) -> Vec<f64> {
        let mut bound = vec![0.0; n];
        for p in &self.poisson {
            for &t in &p.targets {
                bound[t as usize] += p.max_step_input();
            }
        }
        for tr in &self.trains {
            // Several times of one train can fall on one step.
            let most = max_repeats(&tr.steps) as f64;
            for &t in &tr.targets {
                bound[t as usize] += most * tr.weight.abs();
            }
        }
        for v in &self.varying {
            for &t in v.targets() {
                bound[t as usize] += v.max_step_input();
            }
        }
        for tt in &self.target_trains {
            tt.add_max_step_input(&mut bound);
        }
        bound
    }

    /// Rounds the event devices' weights to `scale` units per pA.
    pub fn set_fixed_scale(&mut self, scale: f64) {
        for p in &mut self.poisson {
            p.weight_fixed = (p.weight * scale).round() as i32;
        }
        for tr in &mut self.trains {
            tr.weight_fixed = (tr.weight * scale).round() as i32;
        }
        for v in &mut self.varying {
            v.weight_fixed = (v.weight() * scale).round() as i32;
        }
        for tt in &mut self.target_trains {
            tt.weight_fixed = (tt.weight() * scale).round() as i32;
        }
    }

    /// Adds the event devices' input of `step` into `slot` (`[lane][neuron]`,
    /// fixed point) and sets `i_stim` to the DC currents of the step.
    #[inline]
    pub fn apply(&mut self, step: u64, slot: &mut [i32], i_stim: &mut [f64]) {
        let n = i_stim.len();
        for p in &mut self.poisson {
            p.apply(step, slot, n);
        }
        for v in &mut self.varying {
            v.apply(step, slot, n);
        }
        for tt in &mut self.target_trains {
            tt.apply(step, slot, n);
        }
        i_stim.fill(0.0);
        for d in &self.dc {
            if (d.start_step..d.stop_step).contains(&step) {
                for &t in &d.targets {
                    i_stim[t as usize] += d.amplitude;
                }
            }
        }
        for sc in &mut self.steps {
            sc.apply(step, i_stim);
        }
        for tr in &mut self.trains {
            while tr.next < tr.steps.len() && tr.steps[tr.next] < step {
                tr.next += 1;
            }
            while tr.next < tr.steps.len() && tr.steps[tr.next] == step {
                for &t in &tr.targets {
                    slot[tr.lane * n + t as usize] += tr.weight_fixed;
                }
                tr.next += 1;
            }
        }
    }

    /// Makes the devices continue at `step` as if they had run up to it.
    /// Nothing of theirs needs saving: a Poisson count is a pure function of
    /// (device, gid, emission step), so its four-step cache is only dropped
    /// (the next `apply` refills the block of `step`, whatever its phase in
    /// the block); a spike train's cursor is its first step >= `step`; DC
    /// currents have no state.
    pub fn restart_at(&mut self, step: u64) {
        for p in &mut self.poisson {
            p.cached_block = None;
        }
        for tr in &mut self.trains {
            tr.next = tr.steps.partition_point(|&s| s < step);
        }
        for v in &mut self.varying {
            v.restart();
        }
        for c in &mut self.steps {
            c.restart();
        }
        for tr in &mut self.target_trains {
            tr.restart_at(step);
        }
    }

    /// Whether no device targets the chunk.
    pub fn is_empty(&self) -> bool {
        self.poisson.is_empty()
            && self.dc.is_empty()
            && self.trains.is_empty()
            && self.varying.is_empty()
            && self.steps.is_empty()
            && self.target_trains.is_empty()
    }
}

/// The largest number of equal entries in sorted `steps`.
pub(crate) fn max_repeats(steps: &[u64]) -> usize {
    steps
        .chunk_by(|a, b| a == b)
        .map(<[u64]>::len)
        .max()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_poisson_has_the_right_mean_and_variance() {
        // lambda = 75 is drawn as the sum of three Poisson(25) parts.
        let mut p = PoissonInput::new(1, 0, (0..2000).collect(), 0, 0, 1.0, 1, 75.0);
        p.weight_fixed = 1;
        let mut slot = vec![0; 2000];
        p.apply(5, &mut slot, 2000);
        let input: Vec<f64> = slot.iter().map(|&k| f64::from(k)).collect();
        let mean = input.iter().sum::<f64>() / 2000.0;
        let var = input.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 2000.0;
        assert!(input.iter().all(|&k| k <= p.max_step_input()));
        assert!(
            (mean - 75.0).abs() < 5.0 * (75.0f64 / 2000.0).sqrt(),
            "mean {mean}"
        );
        assert!((var / 75.0 - 1.0).abs() < 0.15, "var {var}");
    }

    /// Devices restarted at a step — fresh, or after running past it, in
    /// the middle of a Poisson block or at its start — add what devices that
    /// ran without stopping add (what a restored checkpoint relies on).
    #[test]
    fn restarted_devices_continue_as_if_never_stopped() {
        let mut inputs = ChunkInputs::default();
        let targets = (0..6).collect();
        let poisson = PoissonInput::new(3, 0, targets, 40, 0, 1.0, 2, 0.8);
        inputs.poisson.push(poisson);
        inputs.trains.push(SpikeTrainInput {
            steps: vec![3, 5, 5, 9, 14],
            targets: vec![1, 4],
            lane: 0,
            weight: 2.0,
            weight_fixed: 0,
            next: 0,
        });
        inputs.set_fixed_scale(8.0);
        let run = |inputs: &mut ChunkInputs, steps: std::ops::Range<u64>| -> Vec<Vec<i32>> {
            steps
                .map(|s| {
                    let (mut slot, mut i_stim) = (vec![0; 6], vec![0.0; 6]);
                    inputs.apply(s, &mut slot, &mut i_stim);
                    slot
                })
                .collect()
        };
        let whole = run(&mut inputs.clone(), 0..20);
        assert!(whole.iter().any(|slot| slot[0] > 0), "Poisson events");
        assert!(whole[5][4] >= 32, "two train events at step 5");
        for restart in [0, 5, 6, 7, 13] {
            let mut past = inputs.clone();
            run(&mut past, 0..20);
            past.restart_at(restart);
            assert_eq!(run(&mut past, restart..20), whole[restart as usize..]);
            let mut fresh = inputs.clone();
            fresh.restart_at(restart);
            assert_eq!(run(&mut fresh, restart..20), whole[restart as usize..]);
        }
    }

    /// The 8-lane, 16-lane and dispatched (AVX2 / AVX-512) refills give
    /// every target the counts of its own Philox block, as one block at a
    /// time would.
    #[test]
    fn vector_refills_equal_one_block_per_target() {
        let targets: Vec<u32> = (0..45).map(|t| t * 3 + 1).collect();
        let mut p = PoissonInput::new(9, 2, targets.clone(), 1000, 0, 1.0, 1, 1.7);
        let block = (7u64 << 32) | 123;
        let want: Vec<u8> = (0..4)
            .flat_map(|k| {
                let p = &p;
                targets.iter().map(move |&t| {
                    let w = philox4x32([123, 1000 + t, 7, 0], p.key);
                    p.table.sample(w[k]) as u8
                })
            })
            .collect();
        p.refill_lanes::<8>(block, philox4x32_lanes);
        assert_eq!(p.cache, want);
        p.cache.fill(0);
        p.refill_lanes::<16>(block, philox4x32_lanes);
        assert_eq!(p.cache, want);
        p.cache.fill(0);
        p.refill(block);
        assert_eq!(p.cache, want);
        assert!(want.iter().any(|&c| c > 0) && want.contains(&0));
    }
}
