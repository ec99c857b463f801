//! Graded (non-spike) coupling between ranks: values, not events. A run
//! keeps one vector of f64 cut into blocks (an NEF chunk's partial decoded
//! sums today; a rate population's outputs or a learning signal later), each
//! block computed by the rank that owns it. `exchange` makes every rank's
//! copy of the vector equal to the owners' values, with one all-gather whose
//! counts are fixed before the run (the blocks and their owners do not
//! change), so a step costs one collective and no size negotiation.
//!
//! Invariant (what makes results independent of ranks and threads): a block
//! is computed the same way whoever owns it, and a reader combines blocks in
//! block order after `exchange` — never in arrival or rank order. Values
//! cross as exact f64 bits, so the combined result is bit-identical for any
//! number of ranks. Chosen over sending spikes (`sim/DESIGN.md`, "NEF").

use super::Comm;
use std::ops::Range;

/// The blocks of a graded vector, their owners, and the buffers of an
/// exchange.
#[derive(Clone, Debug)]
pub struct GradedExchange {
    /// Per rank: its blocks (ranges of the vector) in block order.
    by_rank: Vec<Vec<Range<usize>>>,
    counts: Vec<usize>,
    rank: usize,
    send: Vec<f64>,
    recv: Vec<f64>,
}

impl GradedExchange {
    /// `blocks[b]` is owned by rank `owner[b]` of `ranks`; this is `rank`.
    pub fn new(blocks: &[Range<usize>], owner: &[usize], ranks: usize, rank: usize) -> Self {
        assert_eq!(blocks.len(), owner.len(), "one owner per block");
        let mut by_rank = vec![Vec::new(); ranks];
        for (b, &r) in blocks.iter().zip(owner) {
            by_rank[r].push(b.clone());
        }
        let counts = by_rank
            .iter()
            .map(|bs| bs.iter().map(|b| b.len()).sum())
            .collect();
        Self {
            by_rank,
            counts,
            rank,
            send: Vec::new(),
            recv: Vec::new(),
        }
    }

    /// Values each rank sends per exchange.
    pub fn counts(&self) -> &[usize] {
        &self.counts
    }

    /// Copies every block from its owner into `values` on every rank (a
    /// collective: every rank calls it with its own `values`).
    pub fn exchange(&mut self, comm: &dyn Comm, values: &mut [f64]) {
        if self.by_rank.len() == 1 {
            return;
        }
        self.send.clear();
        for b in &self.by_rank[self.rank] {
            self.send.extend_from_slice(&values[b.clone()]);
        }
        comm.all_gather_f64(&self.send, &self.counts, &mut self.recv);
        let mut at = 0;
        for (r, blocks) in self.by_rank.iter().enumerate() {
            for b in blocks {
                if r != self.rank {
                    values[b.clone()].copy_from_slice(&self.recv[at..at + b.len()]);
                }
                at += b.len();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::comm::local::run_ranks;

    #[test]
    fn every_rank_ends_with_the_owners_blocks() {
        let blocks = [0..2, 2..2, 2..5, 5..6];
        let owner = [1, 0, 0, 2];
        let got = run_ranks(3, |c| {
            let mut g = GradedExchange::new(&blocks, &owner, 3, c.rank());
            // A rank writes its own blocks as 100 * rank + index, others junk.
            let mut v: Vec<f64> = (0..6).map(|i| -(i as f64)).collect();
            for (b, &r) in blocks.iter().zip(&owner) {
                if r == c.rank() {
                    for i in b.clone() {
                        v[i] = (100 * r + i) as f64;
                    }
                }
            }
            g.exchange(c, &mut v);
            v
        });
        let want = [100.0, 101.0, 2.0, 3.0, 4.0, 205.0];
        for v in got {
            assert_eq!(v, want);
        }
    }
}
