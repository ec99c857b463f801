//! Spike times as NEST computes them, which plastic rules must reproduce
//! bit for bit: NEST counts time in tics (1000 per ms), so the stamp of step
//! s is `(s * tics_per_step) as f64 * 0.001` ms — not `s * dt`, and not
//! always the double nearest the decimal (step 523 at dt = 0.1 is
//! 52.300000000000004) — and a delay of d steps is `d * (tics_per_step /
//! 1000.0)` ms. A dt that is not a whole number of tics falls back to
//! `s * dt`.

/// Converts steps to NEST's millisecond doubles.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Clock {
    /// Tics (1/1000 ms) per step, when dt is a whole number of them.
    tics_per_step: Option<u64>,
    dt: f64,
}

/// NEST's default resolution of time: tics per ms.
const TICS_PER_MS: f64 = 1000.0;

impl Clock {
    /// The clock of steps of `dt` ms.
    pub fn new(dt: f64) -> Self {
        let tics = (dt * TICS_PER_MS).round();
        let whole = tics >= 1.0 && (dt * TICS_PER_MS - tics).abs() < 1e-9;
        Clock {
            tics_per_step: whole.then_some(tics as u64),
            dt,
        }
    }

    /// The time stamp (ms) of step boundary `steps` (a spike of step s has
    /// the stamp s + 1).
    #[inline]
    pub fn stamp_ms(&self, steps: u64) -> f64 {
        match self.tics_per_step {
            Some(t) => (steps * t) as f64 * (1.0 / TICS_PER_MS),
            None => steps as f64 * self.dt,
        }
    }

    /// A delay of `steps` steps in ms.
    #[inline]
    pub fn delay_ms(&self, steps: u64) -> f64 {
        match self.tics_per_step {
            Some(t) => steps as f64 * (t as f64 / TICS_PER_MS),
            None => steps as f64 * self.dt,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_are_nest_doubles() {
        let c = Clock::new(0.1);
        assert_eq!(c.stamp_ms(523), 52.300000000000004);
        assert_eq!(c.stamp_ms(279), 27.900000000000002);
        assert_eq!(c.stamp_ms(150), 15.0);
        assert_eq!(c.delay_ms(15), 1.5);
        assert_eq!(c.delay_ms(3), 0.30000000000000004);
    }
}
