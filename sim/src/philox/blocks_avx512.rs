//! Eight consecutive Philox4x32-10 blocks in AVX-512 registers, written out
//! block by block (`blocks_x8`), for the streams' batched refills: a third
//! of a procedural row's cost went to the compiler's version of the lane
//! loop (two multiplies and shuffles per 32-bit product, then a scalar
//! transpose).
//!
//! Invariant (what makes it the same Philox): each counter word of a block
//! lives in the low half of a 64-bit lane, one lane per block. Every
//! operation that reads a word reads only low halves (`vpmuludq` multiplies
//! low halves; the xors and the final permutes keep the low halves apart
//! from the high ones), so whatever the high halves hold never reaches a
//! result: a product's low half is the round's low word as it stands, and a
//! right shift by 32 brings its high word down.

use std::arch::x86_64::*;

use super::{M0, M1, W0, W1};

/// The words of the eight blocks of counters (`c[0]` + l wrapping, `c[1]`,
/// `c[2]`, `c[3]`), l = 0..8, under `key`, into `out`: block l at words
/// 4l..4l + 4.
#[target_feature(enable = "avx512f")]
pub(super) fn blocks_x8(c: [u32; 4], key: [u32; 2], out: &mut [u32; 32]) {
    let word = |x: u32| _mm512_set1_epi64(i64::from(x));
    let lane = _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0);
    // The low halves count up and wrap as u32 words do.
    let (c0, c1) = (_mm512_add_epi64(word(c[0]), lane), word(c[1]));
    let (c2, c3) = (word(c[2]), word(c[3]));
    let [c0, c1, c2, c3] = rounds([c0, c1, c2, c3], key);
    // Pairs (c0, c1) and (c2, c3) of each block in one 64-bit lane ...
    let pair = _mm512_set_epi32(30, 14, 28, 12, 26, 10, 24, 8, 22, 6, 20, 4, 18, 2, 16, 0);
    let c01 = _mm512_permutex2var_epi32(c0, pair, c1);
    let c23 = _mm512_permutex2var_epi32(c2, pair, c3);
    // ... then the two pairs of blocks 0..4 and of blocks 4..8.
    let low = _mm512_set_epi64(11, 3, 10, 2, 9, 1, 8, 0);
    let high = _mm512_set_epi64(15, 7, 14, 6, 13, 5, 12, 4);
    let (a, b) = (
        _mm512_permutex2var_epi64(c01, low, c23),
        _mm512_permutex2var_epi64(c01, high, c23),
    );
    let (first, second) = out.split_at_mut(16);
    // SAFETY: each half of `out` holds 16 u32, one 512-bit store (unaligned).
    unsafe {
        _mm512_storeu_si512(first.as_mut_ptr().cast(), a);
        _mm512_storeu_si512(second.as_mut_ptr().cast(), b);
    }
}

/// `philox4x32_lanes::<16>`: sixteen blocks, counter word w of block l in
/// `ctr[w][l]`, result words the same way; two sets of eight 64-bit lanes
/// whose rounds interleave (each waits on its multiplies' latency).
#[target_feature(enable = "avx512f")]
pub(super) fn lanes_x16(ctr: [[u32; 16]; 4], key: [u32; 2]) -> [[u32; 16]; 4] {
    // SAFETY: each `ctr[w]` holds 16 u32, one 512-bit load (unaligned).
    let v = ctr.map(|w| unsafe { _mm512_loadu_si512(w.as_ptr().cast()) });
    let low = v.map(|x| _mm512_cvtepu32_epi64(_mm512_castsi512_si256(x)));
    let high = v.map(|x| _mm512_cvtepu32_epi64(_mm512_extracti64x4_epi64::<1>(x)));
    let (low, high) = rounds2(low, high, key);
    std::array::from_fn(|w| {
        let both = _mm512_inserti64x4::<1>(
            _mm512_castsi256_si512(_mm512_cvtepi64_epi32(low[w])),
            _mm512_cvtepi64_epi32(high[w]),
        );
        let mut out = [0u32; 16];
        // SAFETY: `out` holds 16 u32, one 512-bit store (unaligned).
        unsafe { _mm512_storeu_si512(out.as_mut_ptr().cast(), both) };
        out
    })
}

/// The ten rounds on one set of eight blocks (see the invariant).
#[target_feature(enable = "avx512f")]
#[inline]
fn rounds(c: [__m512i; 4], key: [u32; 2]) -> [__m512i; 4] {
    let mut c = c;
    let mut k = key;
    for r in 0..10 {
        if r > 0 {
            k = [k[0].wrapping_add(W0), k[1].wrapping_add(W1)];
        }
        c = round(c, k);
    }
    c
}

/// `rounds` on two sets at once, round by round.
#[target_feature(enable = "avx512f")]
#[inline]
fn rounds2(a: [__m512i; 4], b: [__m512i; 4], key: [u32; 2]) -> ([__m512i; 4], [__m512i; 4]) {
    let (mut a, mut b) = (a, b);
    let mut k = key;
    for r in 0..10 {
        if r > 0 {
            k = [k[0].wrapping_add(W0), k[1].wrapping_add(W1)];
        }
        (a, b) = (round(a, k), round(b, k));
    }
    (a, b)
}

/// One Philox round under round key `k`: words (c0, c1, c2, c3) become
/// (hi(M1 c2) ^ c1 ^ k0, lo(M1 c2), hi(M0 c0) ^ c3 ^ k1, lo(M0 c0)).
#[target_feature(enable = "avx512f")]
#[inline]
fn round([c0, c1, c2, c3]: [__m512i; 4], k: [u32; 2]) -> [__m512i; 4] {
    let word = |x: u32| _mm512_set1_epi64(i64::from(x));
    let p0 = _mm512_mul_epu32(word(M0), c0);
    let p1 = _mm512_mul_epu32(word(M1), c2);
    // 0x96: a ^ b ^ c.
    let n0 = _mm512_ternarylogic_epi64::<0x96>(_mm512_srli_epi64::<32>(p1), c1, word(k[0]));
    let n2 = _mm512_ternarylogic_epi64::<0x96>(_mm512_srli_epi64::<32>(p0), c3, word(k[1]));
    [n0, p1, n2, p0]
}
