//! Geometric skips of Bernoulli rows: ln(u) / ln(1 - p) for uniforms u,
//! with a logarithm of plain f64 arithmetic (a 1024-entry table and a cubic,
//! the table made by a series) so that every machine draws the same skips,
//! 32 at a time (AVX-512 or AVX2 when the CPU has them, no FMA: the same
//! bits either way).
//!
//! Invariant: `geometric_skips` gives, word for word, what `RowGen::row`'s
//! one-at-a-time loop computes (capped at `SKIP_CAP`, beyond any chunk).

use crate::rng::{open_unit, BATCH_WORDS};

/// ln(x) for x > 0 in plain f64 arithmetic: the same bits on every
/// machine. x = m 2^e with m in [sqrt(1/2), sqrt(2)); ln m = 2 atanh(s),
/// s = (m - 1) / (m + 1), |s| < 0.172, by its series to s^11 (relative
/// error < 1e-9). Builds `LnTable`.
pub fn ln_exact(x: f64) -> f64 {
    let bits = x.to_bits();
    let mut e = ((bits >> 52) & 0x7ff) as i64 - 1023;
    let mut m = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000);
    if m > std::f64::consts::SQRT_2 {
        m *= 0.5;
        e += 1;
    }
    let s = (m - 1.0) / (m + 1.0);
    let z = s * s;
    let series =
        1.0 + z * (1.0 / 3.0 + z * (1.0 / 5.0 + z * (1.0 / 7.0 + z * (1.0 / 9.0 + z / 11.0))));
    e as f64 * std::f64::consts::LN_2 + 2.0 * s * series
}

/// Skips are capped here: any skip beyond a chunk (<= 65536 neurons) ends
/// the row, so a capped one ends it the same way, and an i32 conversion
/// vectorises where a u64 one does not.
const SKIP_CAP: f64 = i32::MAX as f64;

/// The geometric skips of `words` (as the loop of `RowGen::row` computes
/// them one by one, capped at `SKIP_CAP`), compiled for AVX-512 or AVX2
/// when the CPU has it (no FMA: the same bits either way).
#[inline]
pub(super) fn geometric_skips(
    words: &[u32; BATCH_WORDS],
    inv_log_q: f64,
    out: &mut [u32; BATCH_WORDS],
) {
    let table = ln_table();
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f") {
        // SAFETY: the CPU has AVX-512F (checked above).
        return unsafe { skips_avx512(table, words, inv_log_q, out) };
    }
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2 (checked above).
        return unsafe { skips_avx2(table, words, inv_log_q, out) };
    }
    skips_portable(table, words, inv_log_q, out)
}

#[inline(always)]
fn skips_portable(
    table: &LnTable,
    words: &[u32; BATCH_WORDS],
    inv_log_q: f64,
    out: &mut [u32; BATCH_WORDS],
) {
    for (o, &w) in out.iter_mut().zip(words) {
        *o = (ln_with(table, open_unit(w)) * inv_log_q).min(SKIP_CAP) as i32 as u32;
    }
}

/// `skips_portable` compiled for AVX2.
///
/// # Safety
/// The CPU must have AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn skips_avx2(
    table: &LnTable,
    words: &[u32; BATCH_WORDS],
    inv_log_q: f64,
    out: &mut [u32; BATCH_WORDS],
) {
    skips_portable(table, words, inv_log_q, out)
}

/// `skips_portable` compiled for AVX-512.
///
/// # Safety
/// The CPU must have AVX-512F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn skips_avx512(
    table: &LnTable,
    words: &[u32; BATCH_WORDS],
    inv_log_q: f64,
    out: &mut [u32; BATCH_WORDS],
) {
    skips_portable(table, words, inv_log_q, out)
}

/// Mantissa bits that index `LnTable`.
const LN_BITS: u32 = 10;

/// ln(1 + j/1024) and 1/(1 + j/1024) for j < 1024, from `ln_exact`.
pub(super) struct LnTable {
    ln: [f64; 1 << LN_BITS],
    inv: [f64; 1 << LN_BITS],
}

pub(super) fn ln_table() -> &'static LnTable {
    static TABLE: std::sync::OnceLock<LnTable> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t = LnTable {
            ln: [0.0; 1 << LN_BITS],
            inv: [0.0; 1 << LN_BITS],
        };
        for j in 0..1usize << LN_BITS {
            let m = 1.0 + j as f64 / f64::from(1u32 << LN_BITS);
            t.ln[j] = ln_exact(m);
            t.inv[j] = 1.0 / m;
        }
        t
    })
}

/// ln(x) for normal x > 0, fast: the exponent, a table entry for the top
/// mantissa bits, and ln(1 + r) = r - r^2/2 + r^3/3 for the rest (|r| <
/// 2^-10; relative error < 1e-9). Plain f64 arithmetic and a table made
/// the same way everywhere: the same bits on every machine, no division,
/// 4x cheaper than libm's.
#[inline(always)]
pub(super) fn ln_with(t: &LnTable, x: f64) -> f64 {
    let bits = x.to_bits();
    let e = ((bits >> 52) & 0x7ff) as i64 - 1023;
    let frac = bits & 0x000f_ffff_ffff_ffff;
    let j = (frac >> (52 - LN_BITS)) as usize;
    let m = f64::from_bits(frac | 0x3ff0_0000_0000_0000);
    let mj = f64::from_bits((frac & !((1u64 << (52 - LN_BITS)) - 1)) | 0x3ff0_0000_0000_0000);
    let r = (m - mj) * t.inv[j];
    let ln1p = r * (1.0 - r * (0.5 - r * (1.0 / 3.0)));
    e as f64 * std::f64::consts::LN_2 + t.ln[j] + ln1p
}

#[cfg(test)]
mod tests {
    #[test]
    fn batched_skips_are_the_scalar_loop_s() {
        use crate::rng::{open_unit, BATCH_WORDS};
        let table = super::ln_table();
        let mut s = crate::rng::Stream::new(5, 6, 7, 8);
        for p in [1e-9, 5e-4, 0.1, 0.5, 0.999] {
            let inv = 1.0 / super::ln_exact(1.0 - p);
            for _ in 0..200 {
                let mut words = [0u32; BATCH_WORDS];
                s.next_words(&mut words);
                let mut skips = [0u32; BATCH_WORDS];
                super::geometric_skips(&words, inv, &mut skips);
                for (&w, &k) in words.iter().zip(&skips) {
                    let want = (super::ln_with(table, open_unit(w)) * inv) as u64;
                    assert_eq!(u64::from(k), want.min(i32::MAX as u64), "p {p} word {w}");
                }
            }
        }
    }

    #[test]
    fn table_ln_is_ln_to_1e_9() {
        let mut s = crate::rng::Stream::new(1, 2, 3, 4);
        for _ in 0..100_000 {
            let x = s.uniform_open32();
            let b = x.ln();
            for a in [super::ln_with(super::ln_table(), x), super::ln_exact(x)] {
                assert!((a - b).abs() <= 1e-9 * b.abs(), "{x}: {a} vs {b}");
            }
        }
        assert_eq!(super::ln_with(super::ln_table(), 1.0), 0.0);
        assert!((super::ln_with(super::ln_table(), 0.5) - 0.5f64.ln()).abs() < 1e-15);
    }
}
