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

/// ln 2 split: `LN2_HI` has its low 32 bits zero, so e * LN2_HI is exact
/// for any exponent e of a double.
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
/// ln 2 - LN2_HI.
const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;

/// 1 / (2k + 3) for k = 0 .. 10: ln((1 + s) / (1 - s)) = 2s + 2s (s^2/3 +
/// s^4/5 + ...). For |s| <= 3 - 2 sqrt(2) = 0.1716 (s^2 <= 0.0295), the
/// first term left out, s^24 / 25, is below 2^-63 relative.
const ATANH: [f64; 11] = [
    1.0 / 3.0,
    1.0 / 5.0,
    1.0 / 7.0,
    1.0 / 9.0,
    1.0 / 11.0,
    1.0 / 13.0,
    1.0 / 15.0,
    1.0 / 17.0,
    1.0 / 19.0,
    1.0 / 21.0,
    1.0 / 23.0,
];

/// ln(1 + y) for y >= 0 (y = +inf gives +inf), without branches: u = 1 +
/// y rounded, ln u from its exponent and its mantissa m in [sqrt(1/2),
/// sqrt(2)) by the series of 2 atanh((m - 1) / (m + 1)), plus the first
/// order correction (y - (u - 1)) / u for the rounding of u.
#[inline(always)]
pub fn log1p_nonneg(y: f64) -> f64 {
    let u = 1.0 + y;
    let correction = (y - (u - 1.0)) / u;
    let bits = u.to_bits();
    // The mantissa with the exponent of [1, 2), then halved when above
    // sqrt(2) (its top bits 0x6a09e: sqrt(2) = 1.0110101000001001111...).
    let high = bits & 0x000f_ffff_ffff_ffff;
    let up = (high >= 0x0006_a09e_667f_3bcd) as u64;
    let m = f64::from_bits(high | ((0x3ff - up) << 52));
    let e = ((bits >> 52) as i64 - 0x3ff + up as i64) as f64;
    let f = m - 1.0;
    let s = f / (2.0 + f);
    let z = s * s;
    let mut p = 0.0;
    for &c in ATANH.iter().rev() {
        p = p * z + c;
    }
    let hf = 0.5 * f;
    // ln m = 2s + 2s z p = f - (f^2/2 - s (f^2/2 + 2 z p)), as 2s = f - s f.
    let hfsq = hf * f;
    let ln_m = f - (hfsq - s * (hfsq + 2.0 * z * p));
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
