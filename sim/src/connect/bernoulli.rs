//! The targets of a Bernoulli row (`pairwise_bernoulli`): each of the `cap`
//! targets a source may pick independently with probability p is the same
//! law as a count K ~ Binomial(cap, p) (`binomial.rs`) followed by K
//! distinct targets uniform among the cap. The count costs one table
//! look-up per row, so a near-empty row costs one Philox block; each
//! target costs half a word (Lemire's multiply-shift on 16 bits, in chunks
//! where at most 1 in 16 such draws is rejected) or a word, words drawn 32 at a time from eight Philox
//! blocks at once.
//!
//! Invariant: the targets depend only on the words of the row's stream
//! from block 1 on, taken in order (low half before high half) — drawing
//! them one at a time or 32 at a time gives the same row. A draw is used
//! when Lemire accepts it and its target is not yet picked. The bit set
//! `seen` is all clear between rows.

use crate::rng::{Stream, BATCH_WORDS};

/// Rows of at least this many targets draw their words in batches; smaller
/// ones word by word (the same words: see the invariant).
const BATCH_FROM: usize = 8;

/// Uniform draws on [0, n) by Lemire's multiply-shift on `bits`-bit
/// draws, rejecting the low products below 2^bits mod n (no bias): 16-bit
/// halves of words when at most 1 in 16 of them is rejected (2^16 mod n <=
/// 4096: every n <= 4096, and the larger n <= 2^16 that nearly divide 2^16,
/// such as 16384, 10240 and 6144 in the Spaun-scale config's chunks), else
/// words.
#[derive(Clone, Copy, Debug)]
pub(super) struct Uniform {
    /// Targets.
    pub n: u32,
    half_words: bool,
    reject_below: u32,
}

impl Uniform {
    pub(super) fn new(n: u32) -> Self {
        let half_words = n <= 1 << 16 && (n == 0 || (1u32 << 16) % n <= 4096);
        let reject_below = match (n, half_words) {
            (0, _) => 0,
            (_, true) => (1u32 << 16) % n,
            (_, false) => n.wrapping_neg() % n,
        };
        Self {
            n,
            half_words,
            reject_below,
        }
    }
}

/// The targets (indices in [0, `t.n`)) of a row of `k` <= `t.n` synapses,
/// into `picked[..k]` (grown as needed, never shrunk): `k` distinct uniform
/// ones from `s` (positioned at a block boundary), or, when `k` is more
/// than half the targets, all but `t.n - k` distinct uniform ones, in
/// ascending order. `seen` is a bit set of at least `t.n` bits, all clear
/// (left clear).
#[inline]
pub(super) fn targets(
    s: &mut Stream,
    t: &Uniform,
    k: u32,
    seen: &mut [u64],
    picked: &mut Vec<u32>,
) {
    let complement = k > t.n / 2;
    let draw = (if complement { t.n - k } else { k }) as usize;
    // Room for a word's two draws beyond the last target wanted (dropped).
    let room = (draw + 2).max(k as usize);
    if picked.len() < room {
        picked.resize(room, 0);
    }
    let mut n = 0;
    let take = |w: u32, seen: &mut [u64], picked: &mut [u32], n: usize| {
        if t.half_words {
            let n = accept::<16>(w & 0xffff, t, seen, picked, n);
            accept::<16>(w >> 16, t, seen, picked, n)
        } else {
            accept::<32>(w, t, seen, picked, n)
        }
    };
    if draw >= BATCH_FROM {
        let mut words = [0u32; BATCH_WORDS];
        while n < draw {
            s.next_words(&mut words);
            for &w in &words {
                n = take(w, seen, picked, n);
                if n >= draw {
                    break;
                }
            }
        }
    } else {
        while n < draw {
            n = take(s.next_u32(), seen, picked, n);
        }
    }
    for &i in &picked[draw..n] {
        seen[i as usize / 64] &= !(1u64 << (i % 64));
    }
    if complement {
        let mut n = 0;
        let words = t.n.div_ceil(64) as usize;
        for (w, &bits) in seen[..words].iter().enumerate() {
            let mut free = !bits;
            while free != 0 {
                let i = w as u32 * 64 + free.trailing_zeros();
                if i >= t.n {
                    break;
                }
                picked[n] = i;
                n += 1;
                free &= free - 1;
            }
        }
        seen[..words].fill(0);
    } else if draw * 4 > seen.len() {
        seen.fill(0);
    } else {
        for &i in &picked[..draw] {
            seen[i as usize / 64] = 0;
        }
    }
}

/// Draw `x` (`BITS` bits) as a target: Lemire's multiply-shift onto [0,
/// n), taken (at `picked[n]`, the count returned one more) when Lemire
/// accepts it (no bias) and the target is new. A repeat (1 in 10 at p =
/// 0.1, unpredictable) costs no branch: its bit is set already.
#[inline(always)]
fn accept<const BITS: u32>(
    x: u32,
    t: &Uniform,
    seen: &mut [u64],
    picked: &mut [u32],
    n: usize,
) -> usize {
    let m = u64::from(x) * u64::from(t.n);
    if ((m & ((1u64 << BITS) - 1)) as u32) < t.reject_below {
        return n;
    }
    let i = (m >> BITS) as usize;
    let bit = 1u64 << (i % 64);
    let word = &mut seen[i / 64];
    let new = *word & bit == 0;
    *word |= bit;
    picked[n] = i as u32;
    n + usize::from(new)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Chunks whose size nearly divides 2^16 draw on half words (10240:
    /// 2^16 mod n = 4096, 1 draw in 16 rejected), and the rejection keeps
    /// every target equally likely: over 2000 rows of 512 distinct targets
    /// each target's count is Binomial(2000, 1/20), and the chi-square over
    /// the 10240 targets stays within 6 standard deviations of its mean
    /// (0.95 x 10240, sd 140). Without the rejection, 4096 targets would be
    /// 7/6.4 as likely as the others and the statistic ~6000 higher.
    #[test]
    fn half_word_targets_are_uniform() {
        let n = 10_240u32;
        let t = Uniform::new(n);
        assert!(t.half_words && t.reject_below == 4096);
        assert!(Uniform::new(16_384).half_words && !Uniform::new(40_000).half_words);
        let (rows, k) = (2000u32, 512u32);
        let mut seen = vec![0u64; n.div_ceil(64) as usize];
        let mut picked = Vec::new();
        let mut counts = vec![0u32; n as usize];
        for row in 0..rows {
            let mut s = Stream::new(11, 3, row, 0);
            targets(&mut s, &t, k, &mut seen, &mut picked);
            for &i in &picked[..k as usize] {
                counts[i as usize] += 1;
            }
            assert!(seen.iter().all(|&w| w == 0), "the bit set is left clear");
        }
        let expected = f64::from(rows * k) / f64::from(n);
        let chi2: f64 = counts
            .iter()
            .map(|&c| (f64::from(c) - expected).powi(2) / expected)
            .sum();
        let mean = 0.95 * f64::from(n);
        assert!(
            (chi2 - mean).abs() < 6.0 * 140.0,
            "chi-square {chi2}, mean {mean}"
        );
        assert!(counts.iter().all(|&c| c > 0));
    }
}
