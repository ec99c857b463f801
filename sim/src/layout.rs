//! Chunks: contiguous blocks of at most `chunk_size` neurons of one population,
//! the atoms of placement (ranks) and of threading.
//!
//! Invariant: the chunk list depends only on the spec (population sizes and
//! `chunk_size`), never on ranks or threads — everything that decides what the
//! network is may be keyed by chunk.

use crate::spec::NetworkSpec;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChunkInfo {
    /// Global chunk index, in gid order.
    pub index: usize,
    pub population: usize,
    pub first_gid: u32,
    pub len: u32,
}

impl ChunkInfo {
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
