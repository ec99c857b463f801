//! An NEF run across ranks: which chunks a rank steps, the graded exchange
//! of the chunks' partial decoded sums (`comm::graded`), the gathering of
//! spike and voltage probes to rank 0, and the default placement of chunks
//! (contiguous, balanced by neurons).
//!
//! Invariant: every rank builds the same chunks, partial-sum blocks and
//! owners (all are functions of the built network and the placement), so
//! the exchange's counts agree and a rank can place what another sent.

use super::run::Chunk;
use crate::comm::{Comm, GradedExchange};
use std::ops::Range;

/// This rank's part of a run (its communicator is the caller's: it stays
/// on the thread that runs the steps, see `NefSim::run`).
pub(super) struct Ranks {
    rank: usize,
    /// Per chunk: its rank.
    owner: Vec<usize>,
    /// Per chunk: stepped here.
    pub(super) owned: Vec<bool>,
    exchange: Option<GradedExchange>,
}

impl Ranks {
    /// One process (`None`: every chunk here), or `comm`'s rank with
    /// chunk owners `owner`; chunk k's partial sums are
    /// `partial_at[k]..partial_at[k + 1]`.
    pub(super) fn new(
        ranks: Option<(&dyn Comm, &[usize])>,
        chunks: &[Chunk],
        partial_at: &[usize],
    ) -> Self {
        let Some((comm, owner)) = ranks else {
            return Self {
                rank: 0,
                owner: vec![0; chunks.len()],
                owned: vec![true; chunks.len()],
                exchange: None,
            };
        };
        assert_eq!(owner.len(), chunks.len(), "one rank per chunk");
        assert!(owner.iter().all(|&r| r < comm.size()), "owners are ranks");
        let blocks: Vec<Range<usize>> = partial_at.windows(2).map(|w| w[0]..w[1]).collect();
        let exchange = GradedExchange::new(&blocks, owner, comm.size(), comm.rank());
        Self {
            rank: comm.rank(),
            owner: owner.to_vec(),
            owned: owner.iter().map(|&r| r == comm.rank()).collect(),
            exchange: Some(exchange),
        }
    }

    /// This rank.
    pub(super) fn rank(&self) -> usize {
        self.rank
    }

    /// Every chunk's partial sums from its owner (no-op in one process).
    pub(super) fn exchange(&mut self, comm: Option<&dyn Comm>, partials: &mut [f64]) {
        if let (Some(comm), Some(x)) = (comm, self.exchange.as_mut()) {
            x.exchange(comm, partials);
        }
    }

    /// The rows (one per step) of a per-neuron probe of the ensemble made
    /// of `of` chunks, on rank 0, from every rank's `mine` (its owned
    /// chunks' neurons per step, in chunk order). A collective.
    pub(super) fn collect_neurons(
        &self,
        comm: Option<&dyn Comm>,
        mine: &[f64],
        of: Range<usize>,
        chunks: &[Chunk],
    ) -> Vec<f64> {
        let Some(comm) = comm else {
            return mine.to_vec();
        };
        let all = comm.gather_f64(mine);
        if comm.rank() != 0 {
            return Vec::new();
        }
        // Per rank: neurons per step, and where its data starts in `all`.
        let p = comm.size();
        let mut width = vec![0; p];
        for k in of.clone() {
            width[self.owner[k]] += chunks[k].range.len();
        }
        let n: usize = width.iter().sum();
        let steps = all.len().checked_div(n).unwrap_or(0);
        let mut start = vec![0; p];
        for r in 1..p {
            start[r] = start[r - 1] + width[r - 1] * steps;
        }
        let mut out = Vec::with_capacity(all.len());
        for step in 0..steps {
            let mut at = vec![0; p];
            for k in of.clone() {
                let (r, len) = (self.owner[k], chunks[k].range.len());
                let from = start[r] + step * width[r] + at[r];
                out.extend_from_slice(&all[from..from + len]);
                at[r] += len;
            }
        }
        out
    }
}

/// Chunks (`sizes`: neurons each, in order) placed on `ranks` ranks in
/// contiguous runs of about equal neurons: chunk k goes to the rank whose
/// share of the neuron count its middle falls in.
pub fn block_placement(sizes: &[usize], ranks: usize) -> Vec<usize> {
    let total: usize = sizes.iter().sum();
    let mut before = 0;
    sizes
        .iter()
        .map(|&s| {
            let mid = 2 * before + s;
            before += s;
            (mid * ranks / (2 * total).max(1)).min(ranks - 1)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_placement_is_contiguous_and_balanced() {
        let sizes = [256, 256, 256, 44, 50, 50, 50, 50];
        let owner = block_placement(&sizes, 3);
        assert!(owner.windows(2).all(|w| w[0] <= w[1]), "{owner:?}");
        assert_eq!(owner.first(), Some(&0));
        assert_eq!(owner.last(), Some(&2));
        let mut per = [0; 3];
        for (s, r) in sizes.iter().zip(&owner) {
            per[*r] += s;
        }
        let total: usize = sizes.iter().sum();
        // No rank further from its share than one chunk.
        assert!(per.iter().all(|&n| n.abs_diff(total / 3) <= 256), "{per:?}");
        assert_eq!(block_placement(&sizes, 1), vec![0; sizes.len()]);
    }
}
