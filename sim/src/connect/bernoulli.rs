//! The targets of a Bernoulli row (`pairwise_bernoulli`): each of the `cap`
//! targets a source may pick independently with probability p is the same
//! law as a count K ~ Binomial(cap, p) (`binomial.rs`) followed by K
//! distinct targets uniform among the cap. The count costs one table
//! look-up per row, so a near-empty row costs one Philox block; each
//! target costs half a word (Lemire's multiply-shift on 16 bits, chunks of
//! at most 4096) or a word, words drawn 32 at a time from eight Philox
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
/// halves of words when n <= 4096 (at most 1 in 16 rejected), else words.
#[derive(Clone, Copy, Debug)]
pub(super) struct Uniform {
    /// Targets.
    pub n: u32,
    half_words: bool,
    reject_below: u32,
}

impl Uniform {
    pub(super) fn new(n: u32) -> Self {
        let half_words = n <= 4096;
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
