//! Philox4x32-10, the counter-based generator of Salmon et al. (SC'11, Random123).
//!
//! Invariant relied on by the whole simulator: the output is a pure function of
//! (key, counter). No generator state depends on iteration order, thread or rank,
//! so anything drawn with a counter that names *what* is drawn (projection, gid,
//! step, draw index) is identical for every layout of the run.

const M0: u32 = 0xD251_1F53;
const M1: u32 = 0xCD9E_8D57;
const W0: u32 = 0x9E37_79B9;
const W1: u32 = 0xBB67_AE85;

#[inline(always)]
fn mulhilo(a: u32, b: u32) -> (u32, u32) {
    let p = u64::from(a) * u64::from(b);
    ((p >> 32) as u32, p as u32)
}

/// One Philox4x32-10 block: four 32-bit outputs for `ctr` under `key`.
#[inline]
pub fn philox4x32(ctr: [u32; 4], key: [u32; 2]) -> [u32; 4] {
    let mut c = ctr;
    let mut k = key;
    for round in 0..10 {
        if round > 0 {
            k[0] = k[0].wrapping_add(W0);
            k[1] = k[1].wrapping_add(W1);
        }
        let (hi0, lo0) = mulhilo(M0, c[0]);
        let (hi1, lo1) = mulhilo(M1, c[2]);
        c = [hi1 ^ c[1] ^ k[0], lo1, hi0 ^ c[3] ^ k[1], lo0];
    }
    c
}

/// `L` Philox4x32-10 blocks at once, structure of arrays: `ctr[i][l]` is
/// word i of lane l's counter, and so is the result. Each lane equals
/// `philox4x32` of its counter; the lane loops are written to vectorise
/// (32x32 -> 64-bit multiplies).
#[inline(always)]
pub fn philox4x32_lanes<const L: usize>(ctr: [[u32; L]; 4], key: [u32; 2]) -> [[u32; L]; 4] {
    let [mut c0, mut c1, mut c2, mut c3] = ctr;
    let mut k = key;
    for round in 0..10 {
        if round > 0 {
            k[0] = k[0].wrapping_add(W0);
            k[1] = k[1].wrapping_add(W1);
        }
        let (mut n0, mut n1, mut n2, mut n3) = ([0; L], [0; L], [0; L], [0; L]);
        for l in 0..L {
            let p0 = u64::from(M0) * u64::from(c0[l]);
            let p1 = u64::from(M1) * u64::from(c2[l]);
            n0[l] = (p1 >> 32) as u32 ^ c1[l] ^ k[0];
            n1[l] = p1 as u32;
            n2[l] = (p0 >> 32) as u32 ^ c3[l] ^ k[1];
            n3[l] = p0 as u32;
        }
        (c0, c1, c2, c3) = (n0, n1, n2, n3);
    }
    [c0, c1, c2, c3]
}

/// Eight blocks at once (`philox4x32_lanes::<8>`), compiled for AVX2 when
/// the CPU has it (integer code: the same words either way).
#[inline]
fn philox4x32_x8(ctr: [[u32; 8]; 4], key: [u32; 2]) -> [[u32; 8]; 4] {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2 (checked above).
        return unsafe { philox_x8_avx2(ctr, key) };
    }
    philox4x32_lanes::<8>(ctr, key)
}

#[cfg(target_arch = "x86_64")]
mod blocks_avx512;

/// The words of the eight blocks of counters (`c[0]` + l wrapping, `c[1]`,
/// `c[2]`, `c[3]`), l = 0..8, under `key`, into `out`, block by block
/// (block l at words 4l..4l + 4).
#[inline]
pub fn blocks_x8(c: [u32; 4], key: [u32; 2], out: &mut [u32; 32]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f") {
        // SAFETY: the CPU has AVX-512F.
        return unsafe { blocks_avx512::blocks_x8(c, key, out) };
    }
    blocks_x8_lanes(c, key, out);
}

/// `philox4x32_lanes::<16>` (block l's counter words in `ctr[w][l]`), in
/// AVX-512 registers when the CPU has them.
#[inline]
pub fn philox4x32_x16(ctr: [[u32; 16]; 4], key: [u32; 2]) -> [[u32; 16]; 4] {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f") {
        // SAFETY: the CPU has AVX-512F.
        return unsafe { blocks_avx512::lanes_x16(ctr, key) };
    }
    philox4x32_lanes::<16>(ctr, key)
}

/// `blocks_x8` on CPUs without AVX-512: eight lanes, then a transpose.
fn blocks_x8_lanes(c: [u32; 4], key: [u32; 2], out: &mut [u32; 32]) {
    let first: [u32; 8] = std::array::from_fn(|l| c[0].wrapping_add(l as u32));
    let r = philox4x32_x8([first, [c[1]; 8], [c[2]; 8], [c[3]; 8]], key);
    for (l, block) in out.chunks_exact_mut(4).enumerate() {
        for (w, word) in block.iter_mut().enumerate() {
            *word = r[w][l];
        }
    }
}

/// `philox4x32_lanes::<8>` compiled for AVX2.
///
/// # Safety
/// The CPU must have AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn philox_x8_avx2(ctr: [[u32; 8]; 4], key: [u32; 2]) -> [[u32; 8]; 4] {
    philox4x32_lanes::<8>(ctr, key)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Arbitrary test words (Marsaglia's xorshift32 from `x`, nonzero).
    fn xorshift(mut x: u32) -> impl FnMut() -> u32 {
        move || {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x
        }
    }

    #[test]
    fn lanes_equal_single_blocks() {
        let mut next = xorshift(0x1234_5678u32);
        for _ in 0..100 {
            let ctr: [[u32; 8]; 4] = std::array::from_fn(|_| std::array::from_fn(|_| next()));
            let key = [next(), next()];
            let out = philox4x32_lanes(ctr, key);
            for l in 0..8 {
                let one = philox4x32([ctr[0][l], ctr[1][l], ctr[2][l], ctr[3][l]], key);
                assert_eq!(one, [out[0][l], out[1][l], out[2][l], out[3][l]]);
            }
            // 16 lanes (the AVX-512 refill): lanes 8.. repeat lanes ..8.
            let wide: [[u32; 16]; 4] =
                std::array::from_fn(|w| std::array::from_fn(|l| ctr[w][l % 8]));
            let out16 = philox4x32_lanes(wide, key);
            for l in 0..16 {
                assert_eq!(out16[0][l], out[0][l % 8]);
                assert_eq!(out16[3][l], out[3][l % 8]);
            }
        }
    }

    /// Known-answer vectors of Random123 (`kat_vectors`, philox4x32 10 rounds).
    /// `blocks_x8` (AVX-512 where the CPU has it) and its lane version
    /// give the blocks one at a time would, counter word 0 wrapping past 2^32 included.
    #[test]
    fn eight_blocks_equal_single_blocks() {
        let mut next = xorshift(0x9abc_def0u32);
        for i in 0..200 {
            let mut c = [next(), next(), next(), next()];
            if i % 10 == 0 {
                c[0] = u32::MAX - (i as u32 / 10) % 8;
            }
            let key = [next(), next()];
            let (mut out, mut lanes) = ([0u32; 32], [0u32; 32]);
            blocks_x8(c, key, &mut out);
            blocks_x8_lanes(c, key, &mut lanes);
            assert_eq!(out, lanes);
            for l in 0..8 {
                let ctr = [c[0].wrapping_add(l as u32), c[1], c[2], c[3]];
                assert_eq!(out[4 * l..4 * l + 4], philox4x32(ctr, key), "block {l}");
            }
        }
    }

    /// Sixteen lanes (AVX-512 where the CPU has it) are the lane loop's.
    #[test]
    fn sixteen_lanes_equal_the_lane_loop() {
        let mut next = xorshift(0x1357_9bdfu32);
        for _ in 0..200 {
            let ctr: [[u32; 16]; 4] = std::array::from_fn(|_| std::array::from_fn(|_| next()));
            let key = [next(), next()];
            assert_eq!(philox4x32_x16(ctr, key), philox4x32_lanes(ctr, key));
        }
    }

    #[test]
    fn random123_known_answers() {
        assert_eq!(
            philox4x32([0, 0, 0, 0], [0, 0]),
            [0x6627_e8d5, 0xe169_c58d, 0xbc57_ac4c, 0x9b00_dbd8]
        );
        assert_eq!(
            philox4x32([u32::MAX; 4], [u32::MAX; 2]),
            [0x408f_276d, 0x41c8_3b0e, 0xa20b_c7c6, 0x6d54_51fd]
        );
        assert_eq!(
            philox4x32(
                [0x243f_6a88, 0x85a3_08d3, 0x1319_8a2e, 0x0370_7344],
                [0xa409_3822, 0x299f_31d0]
            ),
            [0xd16c_fe09, 0x94fd_cceb, 0x5001_e420, 0x2412_6ea1]
        );
    }
}
