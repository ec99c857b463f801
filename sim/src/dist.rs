//! Per-synapse draws of weights and delays from a `Distribution`.
//!
//! NEST-user expectations written as rules: a weight is redrawn until it has
//! the sign of its distribution's location (mean, midpoint; lognormal is
//! positive), so an excitatory projection never yields an inhibitory synapse;
//! a delay is redrawn until it is >= dt, then rounded to whole steps.
//! Constant values consume no random numbers.

use crate::rng::Stream;
use crate::spec::Distribution;

/// Redraws before giving up and clamping (only reachable with absurd parameters).
const MAX_REDRAWS: usize = 1000;

/// Normal deviates are clamped to this many standard deviations (a draw
/// beyond it has probability 1.5e-23), so that every distribution has a hard
/// range: procedural rows size rings and fixed points from it (`range`).
pub const TAIL_SIGMAS: f64 = 10.0;

fn draw(dist: &Distribution, s: &mut Stream) -> f64 {
    let z = |s: &mut Stream| s.normal().clamp(-TAIL_SIGMAS, TAIL_SIGMAS);
    match *dist {
        Distribution::Constant(v) => v,
        Distribution::Normal { mean, std } => mean + std * z(s),
        Distribution::Uniform { low, high } => low + (high - low) * s.uniform(),
        Distribution::Lognormal { mu, sigma } => (mu + sigma * z(s)).exp(),
    }
}

/// The smallest and largest value `draw` can return.
pub fn range(dist: &Distribution) -> (f64, f64) {
    match *dist {
        Distribution::Constant(v) => (v, v),
        Distribution::Normal { mean, std } => (
            mean - TAIL_SIGMAS * std.abs(),
            mean + TAIL_SIGMAS * std.abs(),
        ),
        Distribution::Uniform { low, high } => (low.min(high), low.max(high)),
        Distribution::Lognormal { mu, sigma } => (
            (mu - TAIL_SIGMAS * sigma.abs()).exp(),
            (mu + TAIL_SIGMAS * sigma.abs()).exp(),
        ),
    }
}

/// Draws weights (pA) keeping the sign of the distribution's location.
#[derive(Clone, Debug)]
pub struct WeightSampler {
    dist: Distribution,
    /// +1, -1, or 0 when no sign constraint applies.
    sign: f64,
}

impl WeightSampler {
    /// A sampler for `dist`; its sign constraint is the sign of the location
    /// (normal: mean, uniform: midpoint; none for constants and lognormal).
    pub fn new(dist: &Distribution) -> Self {
        let location = match *dist {
            Distribution::Constant(_) | Distribution::Lognormal { .. } => 0.0,
            Distribution::Normal { mean, .. } => mean,
            Distribution::Uniform { low, high } => 0.5 * (low + high),
        };
        Self {
            dist: dist.clone(),
            sign: if location == 0.0 {
                0.0
            } else {
                location.signum()
            },
        }
    }

    /// One weight (pA): redrawn up to `MAX_REDRAWS` times while its sign is
    /// wrong, then 0.
    #[inline]
    pub fn sample(&self, s: &mut Stream) -> f64 {
        if let Distribution::Constant(v) = self.dist {
            return v;
        }
        let mut w = draw(&self.dist, s);
        let mut tries = 0;
        while self.sign != 0.0 && w * self.sign < 0.0 && tries < MAX_REDRAWS {
            w = draw(&self.dist, s);
            tries += 1;
        }
        if self.sign != 0.0 && w * self.sign < 0.0 {
            0.0
        } else {
            w
        }
    }

    /// The largest |weight| `sample` can return.
    pub fn max_abs(&self) -> f64 {
        let (lo, hi) = range(&self.dist);
        lo.abs().max(hi.abs())
    }

    /// Whether the distribution is a constant (no random numbers drawn).
    pub fn is_constant(&self) -> bool {
        matches!(self.dist, Distribution::Constant(_))
    }
}

/// A delay of `ms` >= dt > 0 (or a constant validated >= dt) in whole
/// steps, at least 1: adding 0.5 and truncating rounds half up without a
/// libm call.
#[inline(always)]
pub fn steps_of(ms: f64, dt: f64) -> u32 {
    ((ms / dt + 0.5) as u32).max(1)
}

/// `steps_of(ms, dt)` for a finite `ms / dt`, in operations that vectorise
/// (Rust's saturating `as u32` does not: it compiles to one scalar
/// conversion per lane). Equal to `steps_of` for every finite `ms / dt`
/// below 2^31 - 1: the clamp to [0, 2^31 - 1] changes nothing there, and
/// delays are far below it (a ring of 2^31 slots would not fit).
#[inline(always)]
pub fn steps_of_finite(ms: f64, dt: f64) -> u32 {
    let x = (ms / dt + 0.5).clamp(0.0, f64::from(i32::MAX));
    // SAFETY: x is in [0, 2^31 - 1] (finite by the caller's contract), so
    // its truncation fits an i32.
    let i = unsafe { x.to_int_unchecked::<i32>() };
    (i as u32).max(1)
}

/// Draws delays in whole steps (>= 1).
#[derive(Clone, Debug)]
pub struct DelaySampler {
    dist: Distribution,
    dt: f64,
}

impl DelaySampler {
    /// A sampler for delays (ms) drawn from `dist`, on the grid of step `dt`.
    pub fn new(dist: &Distribution, dt: f64) -> Self {
        Self {
            dist: dist.clone(),
            dt,
        }
    }

    /// One delay in steps: redrawn up to `MAX_REDRAWS` times while < dt, then
    /// rounded to the nearest step (half up), at least 1.
    #[inline]
    pub fn sample_steps(&self, s: &mut Stream) -> u32 {
        let mut d = self.draw_ms(s);
        let mut tries = 0;
        while d < self.dt && tries < MAX_REDRAWS && !matches!(self.dist, Distribution::Constant(_))
        {
            d = self.draw_ms(s);
            tries += 1;
        }
        steps_of(d, self.dt)
    }

    /// One delay in ms, not yet on the grid. A uniform delay takes one
    /// word (`Stream::uniform32`), not the two of a 53-bit uniform: it is
    /// rounded to steps of dt, and a spacing of (high - low) / 2^32 is far
    /// below any dt, while the second word was a third of the Philox
    /// output procedural rows of uniform delays consumed.
    #[inline]
    fn draw_ms(&self, s: &mut Stream) -> f64 {
        match self.dist {
            Distribution::Uniform { low, high } => low + (high - low) * s.uniform32(),
            _ => draw(&self.dist, s),
        }
    }

    /// Whether the distribution is a constant (no random numbers drawn).
    pub fn is_constant(&self) -> bool {
        matches!(self.dist, Distribution::Constant(_))
    }

    /// (low, high, dt) when the delays are uniform.
    pub fn uniform(&self) -> Option<(f64, f64, f64)> {
        match self.dist {
            Distribution::Uniform { low, high } => Some((low, high, self.dt)),
            _ => None,
        }
    }

    /// Smallest and largest delay (steps) `sample_steps` can return.
    pub fn bounds_steps(&self) -> (u32, u32) {
        let steps = |d: f64| ((d / self.dt + 0.5) as u32).max(1);
        let (lo, hi) = range(&self.dist);
        (steps(lo.max(self.dt)), steps(hi.max(self.dt)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_weights_keep_their_sign_and_mean() {
        let w = WeightSampler::new(&Distribution::Normal {
            mean: -10.0,
            std: 10.0,
        });
        let mut s = Stream::new(3, 1, 1, 1);
        let n = 200_000;
        let xs: Vec<f64> = (0..n).map(|_| w.sample(&mut s)).collect();
        assert!(xs.iter().all(|&x| x <= 0.0));
        // Mean of a normal(-10, 10) truncated to x <= 0: mu - sigma*phi(1)/Phi(1).
        let phi1 = (-0.5f64).exp() / (2.0 * std::f64::consts::PI).sqrt();
        let expected = -10.0 - 10.0 * phi1 / 0.841_344_746_068_543;
        let mean = xs.iter().sum::<f64>() / n as f64;
        assert!((mean - expected).abs() < 0.05, "{mean} vs {expected}");
    }

    #[test]
    fn delays_are_at_least_one_step_and_rounded() {
        let d = DelaySampler::new(
            &Distribution::Normal {
                mean: 0.75,
                std: 0.375,
            },
            0.1,
        );
        let mut s = Stream::new(3, 1, 1, 2);
        let steps: Vec<u32> = (0..100_000).map(|_| d.sample_steps(&mut s)).collect();
        assert!(steps.iter().all(|&k| k >= 1));
        let c = DelaySampler::new(&Distribution::Constant(1.5), 0.1);
        assert_eq!(c.sample_steps(&mut s), 15);
    }

    /// The vectorising conversion gives `steps_of`'s steps for finite
    /// quotients below 2^31 - 1: across each rounding boundary k - 1/2 (to
    /// the neighbouring doubles), at 0 and below, and up to 2^31 - 2.
    #[test]
    fn steps_of_finite_is_steps_of() {
        let mut ms = vec![
            0.0,
            -0.0,
            -3.0,
            -1e300,
            1e-300,
            2.0e8,
            2.1e9,
            2_147_483_645.6,
        ];
        for k in 0..200u32 {
            let b = f64::from(k) - 0.5;
            ms.extend([b.next_down(), b, b.next_up(), f64::from(k)]);
        }
        for dt in [0.1, 0.025, 1.0, 0.3] {
            for &m in &ms {
                let m = m * dt;
                assert_eq!(steps_of_finite(m, dt), steps_of(m, dt), "{m} ms at dt {dt}");
            }
        }
    }

    /// A uniform delay takes one word, w / 2^32 of the range, and lands on
    /// the grid with the probabilities of the exact law: uniform on [0.5,
    /// 1.5] ms at dt = 0.1 gives steps 5 and 15 with probability 1/20 and
    /// 6..=14 with 1/10 each (chi-square over 200,000 draws, 10 degrees of
    /// freedom, p > 1e-4).
    #[test]
    fn uniform_delays_take_one_word_and_follow_the_law() {
        let law = Distribution::Uniform {
            low: 0.5,
            high: 1.5,
        };
        let d = DelaySampler::new(&law, 0.1);
        let (mut a, mut b) = (Stream::new(5, 1, 1, 2), Stream::new(5, 1, 1, 2));
        for _ in 0..1000 {
            let u = f64::from(b.next_u32()) / 4_294_967_296.0;
            let want = ((0.5 + 1.0 * u) / 0.1 + 0.5) as u32;
            assert_eq!(d.sample_steps(&mut a), want.max(1));
        }
        let n = 200_000;
        let mut counts = [0u32; 16];
        for _ in 0..n {
            counts[d.sample_steps(&mut a) as usize] += 1;
        }
        let chi2: f64 = (5..=15)
            .map(|k| {
                let p = if k == 5 || k == 15 { 0.05 } else { 0.1 };
                let e = p * f64::from(n);
                (f64::from(counts[k]) - e).powi(2) / e
            })
            .sum();
        // The 1 - 1e-4 quantile of chi-square with 10 degrees of freedom.
        assert!(chi2 < 35.56, "chi2 {chi2}: {counts:?}");
        assert_eq!(counts[..5].iter().sum::<u32>(), 0);
    }
}
