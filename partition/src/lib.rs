#![warn(missing_docs)]

//! Placement of chunks on ranks: the `Decomposition` (chunk -> rank, as data)
//! and the partitioners that compute it. `round_robin` puts chunk i on rank
//! i % P (NEST's placement); `block` gives each rank one contiguous range of
//! chunks, balanced by neuron count; `metis` splits the analytic chunk graph
//! (`graph`) with METIS k-way on two constraints, minimising spike messages
//! (`kway`). `report` predicts what a decomposition costs. `nef` does both
//! for an NEF network's chunks (values per step instead of spikes). See
//! DESIGN.md.
//!
//! Invariant: a decomposition depends only on the spec and the number of
//! ranks, so every rank computes the same one without communicating.

pub mod graph;
pub mod kway;
pub mod nef;
pub mod report;

use std::fmt;
use std::str::FromStr;

use brainsim_sim::layout::ChunkInfo;
use brainsim_sim::spec::NetworkSpec;

pub use graph::ChunkGraph;
pub use nef::{NefGraph, NefReport};
pub use report::Report;

/// How chunks are placed on ranks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Partitioner {
    /// Chunk i on rank i % P.
    RoundRobin,
    /// Contiguous chunk ranges, balanced by neuron count.
    Block,
    /// METIS k-way on the chunk graph: balanced neurons and synapses, few
    /// messages. The default (see DESIGN.md, Measurements).
    #[default]
    Metis,
}

impl Partitioner {
    /// The name on the command line and in `metadata.json`.
    pub fn name(self) -> &'static str {
        match self {
            Partitioner::RoundRobin => "round_robin",
            Partitioner::Block => "block",
            Partitioner::Metis => "metis",
        }
    }
}

impl fmt::Display for Partitioner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Partitioner {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "round_robin" => Ok(Partitioner::RoundRobin),
            "block" => Ok(Partitioner::Block),
            "metis" => Ok(Partitioner::Metis),
            _ => Err(format!(
                "unknown partitioner {s:?} (metis, round_robin or block)"
            )),
        }
    }
}

/// Chunk -> rank for one run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decomposition {
    /// Number of ranks (some may hold no chunk).
    pub ranks: usize,
    /// `owner[chunk.index]` is the rank holding the chunk.
    pub owner: Vec<u32>,
    /// First gid of every chunk, increasing (to find a gid's chunk).
    first_gids: Vec<u32>,
}

impl Decomposition {
    /// The decomposition giving `chunks[i]` (all chunks, in gid order) to
    /// rank `owner[i]`, every entry < `ranks`.
    pub fn new(chunks: &[ChunkInfo], ranks: usize, owner: Vec<u32>) -> Decomposition {
        assert_eq!(owner.len(), chunks.len());
        assert!(owner.iter().all(|&r| (r as usize) < ranks.max(1)));
        Decomposition {
            ranks,
            owner,
            first_gids: chunks.iter().map(|c| c.first_gid).collect(),
        }
    }

    /// The rank holding chunk `index`.
    pub fn rank_of_chunk(&self, index: usize) -> usize {
        self.owner[index] as usize
    }

    /// The rank holding neuron `gid` (which must be in the network).
    pub fn rank_of_gid(&self, gid: u32) -> usize {
        let c = self.first_gids.partition_point(|&f| f <= gid) - 1;
        self.owner[c] as usize
    }

    /// Neurons placed on each rank.
    pub fn neurons_per_rank(&self, chunks: &[ChunkInfo]) -> Vec<u64> {
        let mut n = vec![0u64; self.ranks];
        for c in chunks {
            n[self.owner[c.index] as usize] += u64::from(c.len);
        }
        n
    }
}

/// Places the chunks of `spec` (`chunks` = `layout::chunks(spec)`) on
/// `ranks` ranks. Only `metis` builds the chunk graph, and only for more
/// than one rank (one rank holds everything whatever the partitioner; the
/// graph of a large network takes hundreds of MB).
pub fn decompose(
    spec: &NetworkSpec,
    chunks: &[ChunkInfo],
    ranks: usize,
    how: Partitioner,
) -> Result<Decomposition, String> {
    let ranks = ranks.max(1);
    let owner = match how {
        _ if ranks == 1 => vec![0; chunks.len()],
        Partitioner::RoundRobin => round_robin(chunks, ranks),
        Partitioner::Block => block(chunks, ranks),
        Partitioner::Metis => kway::kway(&ChunkGraph::from_spec(spec, chunks), ranks)?,
    };
    Ok(Decomposition::new(chunks, ranks, owner))
}

/// Chunk i on rank i % P.
pub fn round_robin(chunks: &[ChunkInfo], ranks: usize) -> Vec<u32> {
    chunks.iter().map(|c| (c.index % ranks) as u32).collect()
}

/// Contiguous ranges: a chunk goes to the rank whose share of the neurons
/// contains the chunk's middle neuron, so ranks differ by at most one chunk.
pub fn block(chunks: &[ChunkInfo], ranks: usize) -> Vec<u32> {
    let total: u64 = chunks.iter().map(|c| u64::from(c.len)).sum();
    let mut before = 0u64;
    chunks
        .iter()
        .map(|c| {
            let mid = 2 * before + u64::from(c.len);
            before += u64::from(c.len);
            let r = (mid * ranks as u64) / (2 * total.max(1));
            r.min(ranks as u64 - 1) as u32
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks(lens: &[u32]) -> Vec<ChunkInfo> {
        let mut first = 0;
        lens.iter()
            .enumerate()
            .map(|(i, &len)| {
                let c = ChunkInfo {
                    index: i,
                    population: 0,
                    first_gid: first,
                    len,
                };
                first += len;
                c
            })
            .collect()
    }

    #[test]
    fn round_robin_is_modulo() {
        let d = {
            let cs = chunks(&[10; 7]);
            Decomposition::new(&cs, 3, round_robin(&cs, 3))
        };
        assert_eq!(d.owner, vec![0, 1, 2, 0, 1, 2, 0]);
        assert_eq!(d.rank_of_gid(0), 0);
        assert_eq!(d.rank_of_gid(15), 1);
        assert_eq!(d.rank_of_gid(69), 0);
    }

    #[test]
    fn block_is_contiguous_and_balanced() {
        let cs = chunks(&[100; 10]);
        let d = Decomposition::new(&cs, 3, block(&cs, 3));
        assert!(d.owner.windows(2).all(|w| w[0] <= w[1]), "{:?}", d.owner);
        let n = d.neurons_per_rank(&cs);
        assert_eq!(n.iter().sum::<u64>(), 1000);
        assert!(n.iter().all(|&x| (300..=400).contains(&x)), "{n:?}");
        // Unequal chunks: balanced by neurons, not by chunk count.
        let cs = chunks(&[500, 100, 100, 100, 100, 100]);
        let d = Decomposition::new(&cs, 2, block(&cs, 2));
        assert_eq!(d.neurons_per_rank(&cs), vec![500, 500]);
    }

    #[test]
    fn more_ranks_than_chunks_and_parsing() {
        let cs = chunks(&[10, 10]);
        let d = Decomposition::new(&cs, 4, block(&cs, 4));
        assert!(d.owner.iter().all(|&r| r < 4));
        assert_eq!("block".parse::<Partitioner>(), Ok(Partitioner::Block));
        assert_eq!(
            "round_robin".parse::<Partitioner>(),
            Ok(Partitioner::RoundRobin)
        );
        assert_eq!("metis".parse::<Partitioner>(), Ok(Partitioner::Metis));
        assert!("scotch".parse::<Partitioner>().is_err());
    }
}

#[cfg(test)]
mod graph_tests;
