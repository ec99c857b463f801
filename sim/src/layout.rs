//! Chunks: contiguous blocks of at most `chunk_size` neurons of one population,
//! the atoms of placement (ranks) and of threading.
//!
//! Invariant: the chunk list depends only on the spec (population sizes and
//! `chunk_size`), never on ranks or threads — everything that decides what the
//! network is may be keyed by chunk.

use crate::spec::NetworkSpec;

/// One chunk: which neurons it holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChunkInfo {
    /// Global chunk index, in gid order.
    pub index: usize,
    /// Population index.
    pub population: usize,
    /// Gid of the chunk's first neuron.
    pub first_gid: u32,
    /// Number of neurons (1 ..= `chunk_size`).
    pub len: u32,
}

impl ChunkInfo {
    /// The chunk's gids, `first_gid..first_gid + len`.
    pub fn gids(&self) -> std::ops::Range<u32> {
        self.first_gid..self.first_gid + self.len
    }
    /// Index of this chunk's first neuron within its population.
    pub fn first_in_population(&self, spec: &NetworkSpec) -> u32 {
        self.first_gid - spec.populations[self.population].first_gid
    }
}

/// All chunks of the network, in gid order.
pub fn chunks(spec: &NetworkSpec) -> Vec<ChunkInfo> {
    let c = spec.simulation.chunk_size as u32;
    let mut out = Vec::new();
    for (p, pop) in spec.populations.iter().enumerate() {
        let mut start = 0;
        while start < pop.size {
            let len = c.min(pop.size - start);
            out.push(ChunkInfo {
                index: out.len(),
                population: p,
                first_gid: pop.first_gid + start,
                len,
            });
            start += len;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::spec::test_specs::network;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Chunks tile each population contiguously in gid order, none
        /// larger than `chunk_size` or empty, every gid in exactly one, and
        /// `index` is the position in the list.
        #[test]
        fn chunks_tile_every_population_in_order(
            sizes in prop::collection::vec(1u32..300, 1..6),
            chunk_size in 1usize..100,
        ) {
            let spec = network(1, &sizes, chunk_size);
            let chunks = chunks(&spec);
            let mut next_gid = 0;
            for (i, c) in chunks.iter().enumerate() {
                prop_assert_eq!(c.index, i);
                prop_assert!(c.len >= 1 && c.len as usize <= chunk_size);
                // Contiguous: each chunk starts where the last one ended.
                prop_assert_eq!(c.first_gid, next_gid);
                next_gid += c.len;
                let pop = &spec.populations[c.population];
                prop_assert!(c.first_gid >= pop.first_gid && c.gids().end <= pop.gids().end);
                prop_assert_eq!(c.first_in_population(&spec), c.first_gid - pop.first_gid);
            }
            prop_assert_eq!(u64::from(next_gid), spec.n_neurons());
            for (p, pop) in spec.populations.iter().enumerate() {
                let own: Vec<&ChunkInfo> = chunks.iter().filter(|c| c.population == p).collect();
                prop_assert_eq!(own.first().map(|c| c.first_gid), Some(pop.first_gid));
                prop_assert_eq!(own.iter().map(|c| c.len).sum::<u32>(), pop.size);
                // Only a population's last chunk may be short.
                prop_assert!(own[..own.len() - 1].iter().all(|c| c.len as usize == chunk_size));
            }
        }
    }
}
