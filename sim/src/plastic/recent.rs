//! The spike histories of a chunk's neurons (`History`, one per neuron)
//! plus, in one flat array, each neuron's `RECENT` newest entries, newest
//! first: what nearly every lookup reads, without following a `Vec`'s
//! pointer into the heap. A plastic row's lookup (`places`) answers from
//! the block when the entries it needs are all there, and says so
//! otherwise; the caller then asks the neuron's full `History`. A block
//! keeps its stamps, times and traces in three arrays (`Block`), so that
//! a lookup compares the four stamps at once.
//!
//! Invariant: a block holds the newest `RECENT` entries ever pushed for its
//! neuron (unused places have the stamp `EMPTY`, below every lookup's
//! window), i.e. a suffix of the untrimmed history. Trimming the full
//! histories does not touch the blocks: a lookup at or after the cut finds
//! the same entries in either (`History::trim_before`).

use super::history::{Entry, History};
use crate::ring::{prefetch_line, TO_L1};

/// Entries kept per neuron in the flat array.
pub const RECENT: usize = 4;

/// Deliveries between two trims (`Histories::trim_due`).
const TRIM_EVERY: u32 = 16;

/// The stamp of an unused place in a block.
const EMPTY: i64 = i64::MIN;

/// The chunk's histories (see the module doc).
#[derive(Clone, Debug, Default)]
pub struct Histories {
    full: Vec<History>,
    recent: Vec<Block>,
    /// Deliveries since the last trim.
    untrimmed: u32,
}

impl Histories {
    /// Empty histories of `n` neurons.
    pub fn new(n: usize) -> Self {
        let empty = Block {
            stamp: [EMPTY; RECENT],
            t: [0.0; RECENT],
            k: [0.0; RECENT],
        };
        Histories {
            full: vec![History::default(); n],
            recent: vec![empty; n],
            untrimmed: 0,
        }
    }

    /// No neuron (no rule reads a history).
    pub fn is_empty(&self) -> bool {
        self.full.is_empty()
    }

    /// Neurons.
    pub fn len(&self) -> usize {
        self.full.len()
    }

    /// Neuron `i`'s full history, if there is such a neuron.
    #[inline]
    pub fn get(&self, i: usize) -> Option<&History> {
        self.full.get(i)
    }

    /// Appends a spike of neuron `i` (`History::push`).
    pub fn push(&mut self, i: usize, stamp: i64, t: f64, inv_tau_minus: f64) {
        let h = &mut self.full[i];
        h.push(stamp, t, inv_tau_minus);
        let newest = *h.entries().last().expect("just pushed");
        let block = &mut self.recent[i];
        block.stamp.copy_within(0..RECENT - 1, 1);
        block.t.copy_within(0..RECENT - 1, 1);
        block.k.copy_within(0..RECENT - 1, 1);
        (block.stamp[0], block.t[0], block.k[0]) = (newest.stamp, newest.t, newest.k);
    }

    /// Sets neuron `i`'s full history and block (a checkpoint's; the
    /// block must be the newest entries ever pushed, see the module doc).
    pub fn set(&mut self, i: usize, entries: Vec<Entry>, block: Block) {
        self.full[i].set_entries(entries);
        self.recent[i] = block;
        self.untrimmed = 0;
    }

    /// Hints the cache to load neuron `i`'s block (any `i`).
    #[inline]
    pub fn prefetch(&self, i: usize) {
        let p = self.recent.as_ptr().wrapping_add(i) as *const u8;
        prefetch_line::<TO_L1, _>(p);
        prefetch_line::<TO_L1, _>(p.wrapping_add(std::mem::size_of::<Block>() - 1));
    }

    /// Counts a delivery; true every `TRIM_EVERY`th. Trimming only bounds
    /// memory (a lookup finds the same entries before and after), so the
    /// histories are trimmed now and then, not after every delivery: the
    /// cut costs a walk over every row of every store.
    pub fn trim_due(&mut self) -> bool {
        self.untrimmed += 1;
        let due = self.untrimmed >= TRIM_EVERY;
        if due {
            self.untrimmed = 0;
        }
        due
    }

    /// Trims every full history (`History::trim_before`).
    pub fn trim_before(&mut self, cut: i64) {
        for h in &mut self.full {
            h.trim_before(cut);
        }
    }

    /// Neuron `i`'s block.
    #[inline(always)]
    pub fn block(&self, i: usize) -> &Block {
        &self.recent[i]
    }
}

/// A neuron's `RECENT` newest entries, newest first, field by field.
#[derive(Clone, Copy, Debug)]
pub struct Block {
    /// The entries' stamps (`EMPTY` for an unused place).
    pub stamp: [i64; RECENT],
    /// Their times (ms).
    pub t: [f64; RECENT],
    /// Their traces K_minus.
    pub k: [f64; RECENT],
}

impl Block {
    /// The entry at place `p`.
    pub fn entry(&self, p: usize) -> Entry {
        Entry {
            stamp: self.stamp[p],
            t: self.t[p],
            k: self.k[p],
        }
    }
}

/// Where a lookup's entries are in a block (see `places`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Places {
    /// The window (lo, hi] is `a..b`, newest first (empty when b <= a).
    pub a: usize,
    /// See `a`.
    pub b: usize,
    /// The place of the latest entry strictly before hi, if any.
    pub before: Option<usize>,
}

/// `History::lookup(lo, hi)` as places in `block`, or None when the block
/// may not hold all of it: counted, not searched, so that no branch
/// depends on the entries (the stamps decrease along a block, so the
/// entries above a bound are a prefix whose length is a count).
#[inline(always)]
pub fn places(block: &Block, lo: i64, hi: i64) -> Option<Places> {
    let count = |x: i64| {
        block
            .stamp
            .iter()
            .map(|&s| usize::from(s > x))
            .sum::<usize>()
    };
    // Entries stamped hi are in the window but not before hi: j counts them.
    settle(block, count(hi), count(lo), count(hi - 1))
}

/// `places` in the vectors of `width` (`crate::twice`): the four stamps
/// compared at once with AVX2 (the same places).
#[inline(always)]
pub(crate) fn places_at(
    width: crate::twice::Width,
    block: &Block,
    lo: i64,
    hi: i64,
) -> Option<Places> {
    match width {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: a width of AVX2 or wider is at most `widest()`: the CPU has AVX2.
        crate::twice::Width::Avx2 | crate::twice::Width::Avx512 => unsafe {
            places_avx2(block, lo, hi)
        },
        _ => places(block, lo, hi),
    }
}

/// `places` with AVX2: each count is the length of the prefix of stamps
/// above its bound, the trailing ones of the comparison's mask.
///
/// # Safety
/// The CPU must have AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn places_avx2(block: &Block, lo: i64, hi: i64) -> Option<Places> {
    use std::arch::x86_64::*;
    // SAFETY: four i64 are 32 bytes, read unaligned.
    let s = unsafe { _mm256_loadu_si256(block.stamp.as_ptr().cast()) };
    let count = |x: i64| {
        let above = _mm256_cmpgt_epi64(s, _mm256_set1_epi64x(x));
        (_mm256_movemask_pd(_mm256_castsi256_pd(above)) as u32).trailing_ones() as usize
    };
    settle(block, count(hi), count(lo), count(hi - 1))
}

/// The places from the counts of stamps above hi, lo and hi - 1.
#[inline(always)]
fn settle(block: &Block, a: usize, b: usize, j: usize) -> Option<Places> {
    // An older entry may still be in the window (or be the one before hi).
    if b == RECENT || j == RECENT {
        return None;
    }
    let before = (block.stamp[j] != EMPTY).then_some(j);
    Some(Places { a, b, before })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_are_lookup_when_they_answer() {
        let stamps = [3, 5, 5, 9, 12, 12, 20, 21, 30];
        for len in 0..=stamps.len() {
            let mut hs = Histories::new(1);
            for &s in &stamps[..len] {
                hs.push(0, s, s as f64 * 0.1, 1.0 / 30.0);
            }
            let (h, block) = (hs.get(0).unwrap().clone(), hs.block(0));
            let mut answered = 0;
            for lo in -2..34 {
                for hi in lo..34 {
                    for w in crate::twice::available() {
                        assert_eq!(places_at(w, block, lo, hi), places(block, lo, hi), "{w:?}");
                    }
                    let Some(p) = places(block, lo, hi) else {
                        continue;
                    };
                    answered += 1;
                    let (w, b) = h.lookup(lo, hi);
                    let window: Vec<Entry> = (p.a..p.b).rev().map(|i| block.entry(i)).collect();
                    assert_eq!(window, w, "window ({lo}, {hi}], {len} spikes");
                    assert_eq!(
                        p.before.map(|i| block.entry(i)).as_ref(),
                        b,
                        "before {hi}, {len} spikes"
                    );
                }
            }
            assert!(answered > 0);
        }
    }
}
