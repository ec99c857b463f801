//! Where a plastic row's transmitted weights go: one slot of the chunk's
//! ring (`[slot][lane][neuron]` in fixed point), with the bound check.
//!
//! Invariant: the ring's fixed point was chosen with `Rule::max_transmitted`
//! in the bound (`synapse::Ranges`), so a weight within `bound` cannot
//! overflow a sum; one beyond it (only `stdp_pl_synapse_hom`, which has no
//! Wmax) is counted in `overflows`, not added, and the run fails at its
//! next check.

/// `x.round() as i32` (half away from zero, saturating; NaN gives 0)
/// without libm's `round` nor branches: adding the double just below 1/2
/// with x's sign and truncating rounds exactly (a fraction of 1/2 or more
/// carries to the next whole number, anything less does not, and above
/// 2^52 the sum is x), and `as i32` truncates and saturates as `round`
/// then `as` would.
#[inline]
pub fn round_i32(x: f64) -> i32 {
    const BELOW_HALF: f64 = 0.49999999999999994;
    (x + BELOW_HALF.copysign(x)) as i32
}

/// One ring slot receiving a row's weights (see the module doc).
pub struct Sink<'a> {
    /// The ring.
    pub ring: &'a mut [i32],
    /// Where the slot starts.
    pub slot: u64,
    /// Ring units per pA.
    pub fixed_scale: f64,
    /// Largest weight that may be added.
    pub bound: f64,
    /// Weights beyond `bound` (or not finite), not added.
    pub overflows: u64,
}

impl Sink<'_> {
    /// Adds `sent` at `offset` ((delay * lanes + lane) * n + target) past
    /// the slot, wrapping around the ring.
    #[inline]
    pub fn add(&mut self, offset: u32, sent: f64) {
        if sent.abs() > self.bound || !sent.is_finite() {
            self.overflows += 1;
            return;
        }
        let len = self.ring.len() as u64;
        let pos = self.slot + u64::from(offset);
        let pos = if pos >= len { pos - len } else { pos };
        self.ring[pos as usize] += round_i32(sent * self.fixed_scale);
    }
}

#[cfg(test)]
mod tests {
    use super::round_i32;

    #[test]
    fn round_i32_is_round_as_i32() {
        let mut xs = vec![
            0.0,
            -0.0,
            0.5,
            -0.5,
            1.5,
            -2.5,
            0.49999999999999994,
            -0.49999999999999994,
        ];
        xs.extend([
            2147483647.5,
            -2147483648.5,
            3e9,
            -3e9,
            1e300,
            f64::NAN,
            f64::INFINITY,
        ]);
        xs.extend([4503599627370495.5, 4503599627370497.0, -4503599627370496.0]);
        let mut x = 0.1234f64;
        for _ in 0..10_000 {
            x = (x * 7919.0 + 0.377).fract();
            xs.extend([
                x * 1e3 - 500.0,
                (x * 2e3).floor() + 0.5,
                -(x * 2e3).floor() - 0.5,
            ]);
        }
        for x in xs {
            assert_eq!(round_i32(x), x.round() as i32, "{x}");
        }
    }
}
