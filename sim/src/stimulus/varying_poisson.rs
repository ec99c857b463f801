//! Poisson trains whose rate is piecewise constant in time and may differ
//! between targets: the inhomogeneous Poisson generator (one rate for all
//! its targets) and the rate encoder (one rate per component of the input
//! vector). Each target gets an independent train.
//!
//! Timing (NEST's inhomogeneous_poisson_generator): the rate of segment k
//! drives the spikes stamped in [t_k, t_{k+1}). A spike emitted in step e is
//! stamped (e + 1) dt, so segment k covers the emission steps e with
//! steps(t_k) <= e + 1 < steps(t_{k+1}) (`segment_start`); an event emitted
//! in step e is consumed at step e + delay, as a poisson_generator's.
//!
//! Draws: the count of (target gid, emission step e) comes from its own
//! Philox block — counter (e low, gid, e high, block), key (seed,
//! `Purpose::VaryingPoisson` + device) — a pure function of what it decides,
//! so every rank and thread layout gives the same counts, and a target at
//! rate 0 draws nothing without shifting anyone else's numbers. A count is
//! drawn by inversion, walking the CDF from 0 (one comparison for the usual
//! small means); a mean above 30 per step is the sum of equal parts, four
//! parts per Philox block.

use crate::philox::philox4x32;
use crate::rng::{stream_id, Purpose};

/// Largest mean of one part; larger means are sums of equal parts.
const MAX_PART_LAMBDA: f64 = 30.0;

/// The largest count a part returns (its tail beyond is folded into it).
const MAX_PART_COUNT: u32 = 254;

/// Poisson(lambda) of one part, by inversion of a 32-bit uniform.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Part {
    lambda: f64,
    /// exp(-lambda), the probability of 0.
    p0: f64,
    /// The largest count returned: where the CDF passes 1/2 and the pmf
    /// drops below 1e-12 (as `PoissonTable`), at most `MAX_PART_COUNT`.
    cap: u32,
}

impl Part {
    fn new(lambda: f64) -> Self {
        let p0 = (-lambda).exp();
        let (mut k, mut pk, mut cdf) = (0u32, p0, p0);
        while !(cdf > 0.5 && pk < 1e-12) && k < MAX_PART_COUNT {
            k += 1;
            pk *= lambda / f64::from(k);
            cdf += pk;
        }
        Part { lambda, p0, cap: k }
    }

    /// The count for the uniform 32-bit `word`.
    #[inline]
    fn sample(&self, word: u32) -> u32 {
        let u = (f64::from(word) + 0.5) * (1.0 / 4_294_967_296.0);
        let (mut k, mut p, mut cdf) = (0u32, self.p0, self.p0);
        while u >= cdf && k < self.cap {
            k += 1;
            p *= self.lambda / f64::from(k);
            cdf += p;
        }
        k
    }
}

/// A mean per step, as `parts` equal parts.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Rate {
    part: Part,
    parts: u32,
}

impl Rate {
    fn new(lambda: f64) -> Self {
        let parts = (lambda / MAX_PART_LAMBDA).ceil().max(1.0) as u32;
        Rate {
            part: Part::new(lambda / f64::from(parts)),
            parts,
        }
    }

    /// The most events one step can bring.
    fn max_count(&self) -> u32 {
        self.part.cap * self.parts
    }
}

/// The first emission step of a segment starting at step `start` = steps(t_k):
/// spikes stamped at or after t_k, i.e. e + 1 >= start.
pub fn segment_start(start: u64) -> u64 {
    start.saturating_sub(1)
}

/// The most events one step of a mean of `lambda` per step can bring a
/// target (part of the chunk's fixed-point bound).
pub fn max_count(lambda: f64) -> u32 {
    Rate::new(lambda).max_count()
}

/// When the means change: segment k starts at emission step `starts[k]`
/// (non-decreasing) with mean `lambdas[k][g]` per step for group g.
#[derive(Clone, Debug, PartialEq)]
pub struct Schedule {
    /// First emission step of each segment.
    pub starts: Vec<u64>,
    /// Expected events per step, `[segment][group]`.
    pub lambdas: Vec<Vec<f64>>,
}

/// One device's trains to the targets it has in one chunk.
#[derive(Clone, Debug)]
pub struct VaryingPoissonInput {
    key: [u32; 2],
    first_gid: u32,
    /// Neuron indexes within the chunk.
    targets: Vec<u32>,
    /// Each target's group (its column of `lambdas`).
    groups: Vec<u32>,
    lane: usize,
    weight: f64,
    /// `weight` in the chunk's fixed point (set by `ChunkInputs::set_fixed_scale`).
    pub(super) weight_fixed: i32,
    delay_steps: u64,
    schedule: Schedule,
    /// Segments entered so far (0: before the first, no events).
    segment: usize,
    /// The current segment's rate per group.
    rates: Vec<Rate>,
    /// The most events one step can bring a target, over all segments.
    most: u32,
}

impl VaryingPoissonInput {
    /// Device number `device` (it keys the stream) on `targets` (pairs of
    /// neuron index within the chunk whose first gid is `first_gid`, and
    /// group), `weight` pA into ring lane `lane`, events arriving
    /// `delay_steps` after their emission step.
    pub fn new(
        seed: u32,
        device: usize,
        first_gid: u32,
        targets: &[(u32, u32)],
        lane: usize,
        weight: f64,
        delay_steps: u64,
        schedule: Schedule,
    ) -> Self {
        let most = schedule
            .lambdas
            .iter()
            .flatten()
            .map(|&l| max_count(l))
            .max()
            .unwrap_or(0);
        Self {
            key: [seed, stream_id(Purpose::VaryingPoisson, device)],
            first_gid,
            targets: targets.iter().map(|&(t, _)| t).collect(),
            groups: targets.iter().map(|&(_, g)| g).collect(),
            lane,
            weight,
            weight_fixed: 0,
            delay_steps,
            schedule,
            segment: 0,
            rates: Vec::new(),
            most,
        }
    }

    /// The neuron indexes it drives.
    pub(super) fn targets(&self) -> &[u32] {
        &self.targets
    }

    /// The weight (pA) of one event.
    pub(super) fn weight(&self) -> f64 {
        self.weight
    }

    /// The largest input (pA) one step can bring a target.
    pub(super) fn max_step_input(&self) -> f64 {
        f64::from(self.most) * self.weight.abs()
    }

    /// Forgets the segment reached: the next `apply` finds it again from
    /// its step (a restored checkpoint's, see `ChunkInputs::restart_at`).
    pub(super) fn restart(&mut self) {
        self.segment = 0;
    }

    /// Enters the segments started by emission step `e` (steps only move
    /// forward); whether a segment is in effect.
    fn enter(&mut self, e: u64) -> bool {
        let starts = &self.schedule.starts;
        let before = self.segment;
        while self.segment < starts.len() && starts[self.segment] <= e {
            self.segment += 1;
        }
        if self.segment != before {
            let lambdas = &self.schedule.lambdas[self.segment - 1];
            self.rates = lambdas.iter().map(|&l| Rate::new(l)).collect();
        }
        self.segment > 0
    }

    /// The count of target `gid` at emission step `e`.
    #[inline]
    fn count(&self, rate: Rate, gid: u32, e: u64) -> u32 {
        let (lo, hi) = (e as u32, (e >> 32) as u32);
        let mut words = [0u32; 4];
        let mut total = 0;
        for i in 0..rate.parts {
            if i % 4 == 0 {
                words = philox4x32([lo, gid, hi, i / 4], self.key);
            }
            total += rate.part.sample(words[(i % 4) as usize]);
        }
        total
    }

    /// Adds this step's events (emitted at `step - delay`) to `slot`.
    #[inline]
    pub(super) fn apply(&mut self, step: u64, slot: &mut [i32], n: usize) {
        if step < self.delay_steps || !self.enter(step - self.delay_steps) {
            return;
        }
        let e = step - self.delay_steps;
        let slot = &mut slot[self.lane * n..];
        for (&t, &g) in self.targets.iter().zip(&self.groups) {
            let rate = self.rates[g as usize];
            if rate.part.lambda > 0.0 {
                let k = self.count(rate, self.first_gid + t, e);
                slot[t as usize] += k as i32 * self.weight_fixed;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Stream;

    #[test]
    fn parts_follow_the_poisson_pmf() {
        for lambda in [0.02, 1.5, 29.0] {
            let part = Part::new(lambda);
            let mut s = Stream::new(3, 4, 5, 6);
            let n = 400_000;
            let mut hist = vec![0u32; part.cap as usize + 1];
            for _ in 0..n {
                hist[part.sample(s.next_u32()) as usize] += 1;
            }
            let mut pk = (-lambda).exp();
            for (k, &h) in hist.iter().enumerate().take(60) {
                let expected = pk * f64::from(n);
                let tol = 5.0 * expected.sqrt() + 2.0;
                assert!(
                    (f64::from(h) - expected).abs() < tol,
                    "lambda {lambda} k={k}: {h} vs {expected}"
                );
                pk *= lambda / (k + 1) as f64;
            }
        }
        assert_eq!(Part::new(0.0).sample(u32::MAX), 0);
    }

    #[test]
    fn segments_switch_at_their_start_steps_and_rate_zero_draws_nothing() {
        // Group 0: 0 then 50 per step; group 1: 50 then 0.
        let schedule = Schedule {
            starts: vec![0, 10],
            lambdas: vec![vec![0.0, 50.0], vec![50.0, 0.0]],
        };
        let targets = [(0, 0), (1, 1)];
        let mut p = VaryingPoissonInput::new(1, 0, 100, &targets, 0, 1.0, 2, schedule);
        p.weight_fixed = 1;
        let mut seen = Vec::new();
        for step in 0..30 {
            let mut slot = [0i32; 2];
            p.apply(step, &mut slot, 2);
            seen.push(slot);
        }
        // Emission step e = step - 2: segment 0 for e < 10, then segment 1.
        for (step, slot) in seen.iter().enumerate() {
            match step {
                0 | 1 => assert_eq!(*slot, [0, 0], "before the delay"),
                2..=11 => assert!(slot[0] == 0 && slot[1] > 10, "{step}: {slot:?}"),
                _ => assert!(slot[0] > 10 && slot[1] == 0, "{step}: {slot:?}"),
            }
        }
        assert_eq!(p.max_step_input(), f64::from(max_count(50.0)));
        assert!(max_count(50.0) > 50 && max_count(50.0) < 2 * MAX_PART_COUNT);
    }
}
