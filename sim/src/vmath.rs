//! `exp` and `ln` without branches or calls, so that loops over them
//! vectorise (the plastic rows' weight updates, the decoder solve's rates
//! through `nef::bulk_rates`), where libm's `exp` and `pow` are calls the
//! compiler cannot widen: in plastic Brunel libm's pow and exp were 36%
//! of the samples (perf, 1 thread).
//!
//! Invariant (what the callers rely on): plain multiplies, adds, divides
//! and bit operations in a fixed order, no FMA, so each function gives the
//! same bits on every x86_64 CPU and in the portable, AVX2 and AVX-512
//! variants of a loop (`crate::twice`), and in its scalar remainder. They
//! are not libm's bits: `exp` and `ln` are within 1 ulp of libm's over
//! their normal ranges (`tests`), far inside the 1e-12 relative of
//! the NEST comparisons. `exp` gives 0 below -708 (where libm's result is
//! subnormal or 0) and +inf above 709; `ln` takes normal doubles and 0
//! (giving -inf).

/// ln 2 split: `LN2_HI` has its low 32 bits zero, so e * LN2_HI is exact
/// for any exponent e of a double.
pub(crate) const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
/// ln 2 - LN2_HI.
pub(crate) const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;

/// 1 / (2k + 3) for k = 0 .. 10: ln((1 + s) / (1 - s)) = 2s + 2s (s^2/3 +
/// s^4/5 + ...). For |s| <= 3 - 2 sqrt(2) = 0.1716 (s^2 <= 0.0295), the
/// first term left out, s^24 / 25, is below 2^-63 relative. (A last 0
/// for `estrin12`.)
const ATANH: [f64; 12] = [
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
    0.0,
];

/// 2^52: a double this size has unit spacing, so adding it rounds to a
/// whole number and its low mantissa bits then hold that number.
const TWO52: f64 = 4_503_599_627_370_496.0;

/// 1 / k! for k = 2 .. 13: e^r = 1 + r + r^2 (1/2 + r/6 + ...). For |r|
/// <= ln 2 / 2 (0.347, plus rounding), the first term left out, r^14 /
/// 14!, is below 2^-57 relative.
const INV_FACT: [f64; 12] = [
    1.0 / 2.0,
    1.0 / 6.0,
    1.0 / 24.0,
    1.0 / 120.0,
    1.0 / 720.0,
    1.0 / 5040.0,
    1.0 / 40320.0,
    1.0 / 362_880.0,
    1.0 / 3_628_800.0,
    1.0 / 39_916_800.0,
    1.0 / 479_001_600.0,
    1.0 / 6_227_020_800.0,
];

/// c[0] + c[1] x + ... + c[11] x^11 by Estrin's scheme: pairs c[2i] +
/// c[2i + 1] x, then pairs of those with x^2, then with x^4 and x^8: a
/// chain of 6 operations instead of Horner's 22, which is what a
/// vectorised loop over these functions waits on.
#[inline(always)]
fn estrin12(c: &[f64; 12], x: f64) -> f64 {
    let x2 = x * x;
    let x4 = x2 * x2;
    let x8 = x4 * x4;
    let a = |i: usize| c[2 * i] + c[2 * i + 1] * x;
    let b0 = a(0) + a(1) * x2;
    let b1 = a(2) + a(3) * x2;
    let b2 = a(4) + a(5) * x2;
    (b0 + b1 * x4) + b2 * x8
}

/// The exponent e and ln m of a positive normal `u` = m 2^e with m in
/// [sqrt(1/2), sqrt(2)): ln u = e ln 2 + ln m. ln m by the series of 2
/// atanh((m - 1) / (m + 1)), written as f - (f^2/2 - s (f^2/2 + 2 z p))
/// with f = m - 1 (2s = f - s f), which keeps the leading term exact.
#[inline(always)]
pub(crate) fn ln_parts(u: f64) -> (f64, f64) {
    let bits = u.to_bits();
    // The mantissa with the exponent of [1, 2), then halved when above
    // sqrt(2) (its top bits 0x6a09e: sqrt(2) = 1.0110101000001001111...).
    let high = bits & 0x000f_ffff_ffff_ffff;
    let up = (high >= 0x0006_a09e_667f_3bcd) as u64;
    let m = f64::from_bits(high | ((0x3ff - up) << 52));
    // The biased exponent (+ up) as the low bits of 2^52 + it: exact.
    let e = f64::from_bits(TWO52.to_bits() | ((bits >> 52) + up)) - (TWO52 + 1023.0);
    let f = m - 1.0;
    let s = f / (2.0 + f);
    let z = s * s;
    let p = estrin12(&ATANH, z);
    let hfsq = (0.5 * f) * f;
    (e, f - (hfsq - s * (hfsq + 2.0 * z * p)))
}

/// ln x for x normal and positive, or 0 (-inf); see the module doc.
#[inline(always)]
pub fn ln(x: f64) -> f64 {
    let (e, ln_m) = ln_parts(x);
    let y = e * LN2_HI + (ln_m + e * LN2_LO);
    select(x == 0.0, f64::NEG_INFINITY, y)
}

/// e^x: x = k ln 2 + r with k whole and |r| <= ln 2 / 2, e^r by its
/// Taylor series (1 + r added last, which keeps the rounding below 1 ulp),
/// 2^k put in the exponent bits; see the module doc.
#[inline(always)]
pub fn exp(x: f64) -> f64 {
    let xc = x.clamp(-708.0, 709.0);
    // k = round(xc / ln 2) in the low bits of y (1.5 2^52 + k).
    let y = xc * std::f64::consts::LOG2_E + 1.5 * TWO52;
    let k = y - 1.5 * TWO52;
    let r = (xc - k * LN2_HI) - k * LN2_LO;
    let q = estrin12(&INV_FACT, r);
    let p = 1.0 + (r + (r * r) * q);
    // 2^k: k + 1023 in the exponent field (the low 12 bits of y's bits
    // + 1023, as 1.5 2^52's low 52 bits are 0 and |k| < 2^51).
    let scale = f64::from_bits(y.to_bits().wrapping_add(1023) << 52);
    let e = p * scale;
    let e = select(x > 709.0, f64::INFINITY, e);
    select(x < -708.0, 0.0, e)
}

/// `if c { a } else { b }` by bit masks, which the compiler keeps as a
/// vector blend where it may turn an `if` into a branch per lane.
#[inline(always)]
pub fn select(c: bool, a: f64, b: f64) -> f64 {
    let m = (c as u64).wrapping_neg();
    f64::from_bits((a.to_bits() & m) | (b.to_bits() & !m))
}

#[cfg(test)]
mod tests;
