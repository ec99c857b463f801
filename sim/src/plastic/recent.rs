//! The spike histories of a chunk's neurons (`History`, one per neuron)
//! plus, in one flat array, each neuron's `RECENT` newest entries, newest
//! first: what nearly every lookup reads, without following a `Vec`'s
//! pointer into the heap. A plastic row's lookup (`Histories::recent`)
//! answers from the block when the entries it needs are all there, and
//! says so otherwise; the caller then asks the neuron's full `History`.
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

/// A lookup answered from a block (see `Histories::recent`).
#[derive(Clone, Copy, Debug)]
pub struct Recent<'a> {
    /// The entries with `lo < stamp <= hi`, newest first.
    pub window: &'a [Entry],
    /// The latest entry strictly before `hi`, if any.
    pub before: Option<&'a Entry>,
}

/// The chunk's histories (see the module doc).
#[derive(Clone, Debug, Default)]
pub struct Histories {
    full: Vec<History>,
    recent: Vec<[Entry; RECENT]>,
    /// Deliveries since the last trim.
    untrimmed: u32,
}

impl Histories {
    /// Empty histories of `n` neurons.
    pub fn new(n: usize) -> Self {
        let empty = Entry {
            stamp: EMPTY,
            t: 0.0,
            k: 0.0,
        };
        Histories {
            full: vec![History::default(); n],
            recent: vec![[empty; RECENT]; n],
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
        block.copy_within(0..RECENT - 1, 1);
        block[0] = newest;
    }

    /// Hints the cache to load neuron `i`'s block (any `i`).
    #[inline]
    pub fn prefetch(&self, i: usize) {
        let p = self.recent.as_ptr().wrapping_add(i) as *const u8;
        prefetch_line::<TO_L1, _>(p);
        prefetch_line::<TO_L1, _>(p.wrapping_add(std::mem::size_of::<[Entry; RECENT]>() - 1));
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

    /// Neuron `i`'s `History::lookup(lo, hi)` from its block (the window
    /// newest first), or None when the block may not hold all of it.
    #[inline]
    pub fn recent(&self, i: usize, lo: i64, hi: i64) -> Option<Recent<'_>> {
        let block = &self.recent[i];
        let mut a = 0;
        while a < RECENT && block[a].stamp > hi {
            a += 1;
        }
        let mut b = a;
        while b < RECENT && block[b].stamp > lo {
            b += 1;
        }
        // An older entry may still be in the window (or be the one before hi).
        if b == RECENT {
            return None;
        }
        // Entries stamped hi are in the window but not before hi (when
        // lo < hi, block[b] is below hi and ends the search).
        let mut j = a;
        while j < RECENT && block[j].stamp >= hi {
            j += 1;
        }
        if j == RECENT {
            return None;
        }
        let before = (block[j].stamp != EMPTY).then_some(&block[j]);
        Some(Recent {
            window: &block[a..b],
            before,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recent_is_lookup_when_it_answers() {
        let stamps = [3, 5, 5, 9, 12, 12, 20, 21, 30];
        for len in 0..=stamps.len() {
            let mut hs = Histories::new(1);
            for &s in &stamps[..len] {
                hs.push(0, s, s as f64 * 0.1, 1.0 / 30.0);
            }
            let h = hs.get(0).unwrap().clone();
            let mut answered = 0;
            for lo in -2..34 {
                for hi in lo..34 {
                    let Some(r) = hs.recent(0, lo, hi) else {
                        continue;
                    };
                    answered += 1;
                    let (w, b) = h.lookup(lo, hi);
                    let mut rev = r.window.to_vec();
                    rev.reverse();
                    assert_eq!(rev, w, "window ({lo}, {hi}], {len} spikes");
                    assert_eq!(r.before, b, "before {hi}, {len} spikes");
                }
            }
            assert!(answered > 0);
        }
    }
}
