//! The rate approximation over many inputs at once, for the activities
//! decoders are solved from (`Ensemble::activities`): a neuron's column of
//! eval points in one loop without branches, which vectorises. Through
//! `LifRate::rate_at` and libm's `log1p` this was 40% of building a
//! circular convolution (measured: `__log1p_fma` 23%, the calling loop
//! 17% of `nef_bench circconv`'s build samples).
//!
//! Invariant: `log1p_nonneg` is within 1 ulp of libm's `log1p` for every
//! y >= 0 (`tests`: equal for 89% of 208,008 arguments over 40 decades), so a rate here is within a few ulp of
//! `LifRate::rate_at`'s (decoders, solved by least squares from
//! thousands of them, move by far less than the 1e-8 of Nengo's that
//! `tests/nengo_nef.rs` asks). Plain multiplies, adds and divides in a
//! fixed order (no FMA): the same bits on every CPU, and from the portable
//! and the AVX2 variant alike. `LifRate::rate` (gains, biases, single
//! rates) stays libm's.

use super::lif_rate::LifRate;

use crate::vmath::{ln_parts, LN2_HI, LN2_LO};

/// ln(1 + y) for y >= 0 (y = +inf gives +inf), without branches: u = 1 +
/// y rounded, ln u from its exponent and its mantissa m in [sqrt(1/2),
/// sqrt(2)) by the series of 2 atanh((m - 1) / (m + 1)), plus the first
/// order correction (y - (u - 1)) / u for the rounding of u.
#[inline(always)]
pub fn log1p_nonneg(y: f64) -> f64 {
    let u = 1.0 + y;
    let correction = (y - (u - 1.0)) / u;
    let (e, ln_m) = ln_parts(u);
    let ln_u = e * LN2_HI + (ln_m + (e * LN2_LO + correction));
    if u == f64::INFINITY {
        f64::INFINITY
    } else {
        ln_u
    }
}

/// `out[k]` = the rate of a neuron with `gain` and `bias` at the encoded
/// input `x[k]`, as `LifRate::rate_at` (see the module's invariant).
pub fn rates_into(lif: &LifRate, gain: f64, bias: f64, x: &[f64], out: &mut [f64]) {
    crate::twice::call_at!(crate::twice::widest();
        rates_portable, rates_avx2, rates_avx512(lif, gain, bias, x, out))
}

// The loop of `rates_into`, portable, AVX2 and AVX-512 from one body
// (`crate::twice`: the same bits).
crate::twice::portable_and_avx2! {
    fn rates_portable / rates_avx2 / rates_avx512(lif: &LifRate, gain: f64, bias: f64, x: &[f64], out: &mut [f64]) {
        let out = &mut out[..x.len()];
        for (o, &x) in out.iter_mut().zip(x) {
            let above = (gain * x + bias) - 1.0;
            let rate = lif.amplitude / (lif.tau_ref + lif.tau_rc * log1p_nonneg(1.0 / above));
            *o = if above > 0.0 { rate } else { 0.0 };
        }
    }
}

#[cfg(test)]
mod tests;
