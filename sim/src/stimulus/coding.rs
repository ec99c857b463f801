//! What the rate and latency encoders compute from a component value x,
//! shared by the devices (`setup`) and by the read-outs that decode them
//! (io's `analyze --decode`), so both always agree to the step.
//!
//! - Rate encoder: max(0, gain * x + offset) Hz.
//! - Latency encoder: one spike tau * ln(x / (x - threshold)) ms after the
//!   vector's time if x > threshold (none otherwise), rounded to the
//!   nearest step (halves away from zero, `f64::round`); a spike that would
//!   fall at or after the next vector's time is not emitted, so each
//!   vector gives each target at most one spike, inside its own interval.

/// Rate (Hz) of a rate encoder's target whose component is `x`.
pub fn encoder_rate_hz(gain: f64, offset: f64, x: f64) -> f64 {
    (gain * x + offset).max(0.0)
}

/// Latency (ms) of a latency encoder's spike for component `x`; `None` when
/// x <= threshold (threshold >= 0, tau > 0).
pub fn latency_ms(x: f64, tau: f64, threshold: f64) -> Option<f64> {
    (x > threshold).then(|| tau * (x / (x - threshold)).ln())
}

/// The step stamping the latency encoder's spike for component `x` of the
/// vector starting at step `start` and replaced at step `next` (`None`: the
/// last vector), time step `dt` ms; `None` if there is no spike.
pub fn latency_stamp(
    start: u64,
    next: Option<u64>,
    x: f64,
    tau: f64,
    threshold: f64,
    dt: f64,
) -> Option<u64> {
    let lat = latency_ms(x, tau, threshold)?;
    let stamp = start.saturating_add((lat / dt).round() as u64);
    match next {
        Some(n) if stamp >= n => None,
        _ => Some(stamp),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_by_hand() {
        assert_eq!(encoder_rate_hz(10.0, 5.0, 2.0), 25.0);
        assert_eq!(encoder_rate_hz(10.0, 5.0, -1.0), 0.0);
        assert_eq!(latency_ms(1.0, 10.0, 1.0), None);
        assert_eq!(latency_ms(0.5, 10.0, 1.0), None);
        // x = 2 threshold: tau ln 2 = 6.931 ms -> 69 steps of 0.1 ms.
        let lat = latency_ms(2.0, 10.0, 1.0).unwrap();
        assert!((lat - 10.0 * 2f64.ln()).abs() < 1e-12);
        assert_eq!(latency_stamp(100, None, 2.0, 10.0, 1.0, 0.1), Some(169));
        assert_eq!(
            latency_stamp(100, Some(170), 2.0, 10.0, 1.0, 0.1),
            Some(169)
        );
        assert_eq!(latency_stamp(100, Some(169), 2.0, 10.0, 1.0, 0.1), None);
        // threshold 0: every positive x fires at once.
        assert_eq!(latency_stamp(7, None, 0.3, 10.0, 0.0, 0.1), Some(7));
    }
}
