//! The targets of a Bernoulli row (`pairwise_bernoulli`): each of the `cap`
//! targets a source may pick independently with probability p is the same
//! law as a count K ~ Binomial(cap, p) (`binomial.rs`) followed by K
//! distinct targets uniform among the cap. The count costs one table
//! look-up per row, so a near-empty row costs one Philox block; each
//! target costs half a word (Lemire's multiply-shift on 16 bits, in chunks
//! where at most 1 in 16 such draws is rejected) or a word, words drawn 32
//! at a time from eight Philox blocks at once, their targets computed in
//! vectors.
//!
//! Invariant: the targets depend only on the words of the row's stream
//! from block 1 on, taken in order (low half before high half) — drawing
//! them one at a time or 32 at a time gives the same row. A draw is used
//! when Lemire accepts it and its target is not yet picked. The bit set
//! `seen` is all clear between rows.

use crate::rng::{Stream, BATCH_WORDS};
use crate::twice::Width;

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
        let mut c = Candidates::default();
        let width = crate::twice::widest();
        'batches: while n < draw {
            s.next_words(&mut words);
            let halves = c.fill(t, width, &words);
            // Word k's draws in order: its low half (or the word), then its
            // high half.
            for k in 0..BATCH_WORDS {
                n = mark(c.index[0][k], c.accept[0][k], seen, picked, n);
                if halves {
                    n = mark(c.index[1][k], c.accept[1][k], seen, picked, n);
                }
                if n >= draw {
                    break 'batches;
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

/// The draws of a batch of words, computed in vectors: for each word its
/// low half's (or the word's) target and acceptance by Lemire
/// (`[0]`), and its high half's (`[1]`, half words only).
#[derive(Default)]
struct Candidates {
    index: [[u32; BATCH_WORDS]; 2],
    accept: [[u64; BATCH_WORDS]; 2],
}

impl Candidates {
    /// The draws of `words` for `t`, in the vectors of `width`; whether
    /// they are half words.
    #[inline]
    fn fill(&mut self, t: &Uniform, width: Width, words: &[u32; BATCH_WORDS]) -> bool {
        let [i0, i1] = &mut self.index;
        let [a0, a1] = &mut self.accept;
        if t.half_words {
            crate::twice::call_at!(width; halves_portable, halves_avx2, halves_avx512(t.n, t.reject_below, words, i0, a0, i1, a1));
        } else {
            crate::twice::call_at!(width; whole_portable, whole_avx2, whole_avx512(t.n, t.reject_below, words, i0, a0));
        }
        t.half_words
    }
}

crate::twice::portable_and_avx2! {
    /// Lemire on each word's 16-bit halves (`accept::<16>`'s arithmetic):
    /// target and acceptance (1 or 0) of the low halves into `i0`, `a0`,
    /// of the high halves into `i1`, `a1`.
    fn halves_portable / halves_avx2 / halves_avx512(
        n: u32,
        reject_below: u32,
        words: &[u32; BATCH_WORDS],
        i0: &mut [u32; BATCH_WORDS],
        a0: &mut [u64; BATCH_WORDS],
        i1: &mut [u32; BATCH_WORDS],
        a1: &mut [u64; BATCH_WORDS],
    ) {
        for k in 0..BATCH_WORDS {
            // Below 2^16 x 2^16: no overflow.
            let (lo, hi) = ((words[k] & 0xffff) * n, (words[k] >> 16) * n);
            i0[k] = lo >> 16;
            a0[k] = u64::from(lo & 0xffff >= reject_below);
            i1[k] = hi >> 16;
            a1[k] = u64::from(hi & 0xffff >= reject_below);
        }
    }
}

crate::twice::portable_and_avx2! {
    /// Lemire on whole words (`accept::<32>`'s arithmetic): targets and
    /// acceptances (1 or 0).
    fn whole_portable / whole_avx2 / whole_avx512(
        n: u32,
        reject_below: u32,
        words: &[u32; BATCH_WORDS],
        i0: &mut [u32; BATCH_WORDS],
        a0: &mut [u64; BATCH_WORDS],
    ) {
        for k in 0..BATCH_WORDS {
            let m = u64::from(words[k]) * u64::from(n);
            i0[k] = (m >> 32) as u32;
            a0[k] = u64::from(m as u32 >= reject_below);
        }
    }
}

/// Takes target `i` (at `picked[n]`, the count returned one more) when it
/// was accepted (`accepted` 1, else 0) and is new, without a branch: a
/// rejected draw sets no bit and counts nothing, as `accept`'s early
/// return.
#[inline(always)]
fn mark(i: u32, accepted: u64, seen: &mut [u64], picked: &mut [u32], n: usize) -> usize {
    let bit = accepted << (i % 64);
    let word = &mut seen[i as usize / 64];
    let new = bit & !*word != 0;
    *word |= bit;
    picked[n] = i;
    n + usize::from(new)
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

    /// The batched draws (vectorised Lemire, branch-free marking) pick the
    /// targets word-by-word `accept` picks from the same words, on half
    /// words (300, 10240: rejections) and whole words (40000), for rows
    /// short and long.
    #[test]
    fn batches_pick_what_one_word_at_a_time_picks() {
        for n in [300u32, 10_240, 40_000] {
            let t = Uniform::new(n);
            let mut seen = vec![0u64; n.div_ceil(64) as usize];
            let mut picked = Vec::new();
            for (row, k) in [8u32, 9, 31, 64, 65, 100, n / 3, n / 2]
                .into_iter()
                .enumerate()
            {
                let mut s = Stream::new(5, 6, row as u32, n);
                targets(&mut s, &t, k, &mut seen, &mut picked);
                let mut s = Stream::new(5, 6, row as u32, n);
                let (mut want, mut bits) = (vec![0u32; k as usize + 2], vec![0u64; seen.len()]);
                let mut m = 0;
                while m < k as usize {
                    let w = s.next_u32();
                    if t.half_words {
                        m = accept::<16>(w & 0xffff, &t, &mut bits, &mut want, m);
                        if m < k as usize {
                            m = accept::<16>(w >> 16, &t, &mut bits, &mut want, m);
                        }
                    } else {
                        m = accept::<32>(w, &t, &mut bits, &mut want, m);
                    }
                }
                assert_eq!(picked[..k as usize], want[..k as usize], "n {n}, k {k}");
            }
        }
    }

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
