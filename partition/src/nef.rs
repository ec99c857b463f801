//! Placing an NEF network's chunks on ranks, and what a placement costs.
//!
//! The chunk graph of an NEF network (`NefGraph`): vertices are the run's
//! chunks (`brainsim_sim::nef::chunk_sizes`, weighted by neurons); a
//! directed edge A -> B carries the values per step that chunk B's rank
//! needs from chunk A when they sit apart: for every connection from A's
//! ensemble into B's ensemble, its `size_out` (A's partial decoded sum of
//! it). METIS splits that graph as it splits a spiking network's
//! (`kway::metis_parts`, one constraint: neurons).
//!
//! What crosses today is an all-gather (`comm::graded`): every rank
//! receives every other rank's partial sums, so the placement sets the
//! balance of work, and the cut is what a targeted exchange (each block
//! only to the ranks that read it) would send. The report gives both.
//!
//! Invariant: the graph and the placement depend only on the built network
//! and the number of ranks, so every rank computes the same placement.

use crate::kway::{metis_parts, scale, undirected_csr};
use crate::Partitioner;
use brainsim_sim::nef::run::CHUNK;
use brainsim_sim::nef::{block_placement, chunk_sizes, Built, Post, Pre};
use std::fmt;

/// Chunk `target` reads connection `connection`'s partial sum (`values`
/// per step) from chunk `source`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NefEdge {
    /// The chunk computing the partial sum.
    pub source: u32,
    /// A chunk of the connection's target ensemble.
    pub target: u32,
    /// Values per step.
    pub values: f64,
    /// The connection (index into the built network's connections).
    pub connection: u32,
}

/// The chunk graph of an NEF network (see the module doc).
#[derive(Clone, Debug, PartialEq)]
pub struct NefGraph {
    /// Neurons per chunk, in the run's chunk order.
    pub sizes: Vec<usize>,
    /// Directed edges without self-edges, one per connection and pair of
    /// chunks.
    pub edges: Vec<NefEdge>,
    /// (chunk, connection, values per step) of every connection into a
    /// probe: rank 0 reads those (it writes the probes).
    pub probed: Vec<(u32, u32, u32)>,
    /// Per chunk: the values it contributes per step (its block of
    /// partial sums: `size_out` of every connection leaving its ensemble).
    pub block: Vec<usize>,
}

impl NefGraph {
    /// The graph of `net`.
    pub fn new(net: &Built) -> Self {
        let sizes = chunk_sizes(net);
        let mut first = Vec::with_capacity(net.ensembles.len() + 1);
        first.push(0usize);
        for e in &net.ensembles {
            first.push(first.last().unwrap() + e.n_neurons().div_ceil(CHUNK));
        }
        let chunks_of = |e: usize| first[e]..first[e + 1];
        let mut block = vec![0; sizes.len()];
        let (mut edges, mut probed) = (Vec::new(), Vec::new());
        for (ci, c) in net.connections.iter().enumerate() {
            let (Pre::Ensemble(e) | Pre::Neurons(e)) = c.pre else {
                continue;
            };
            let values = c.weights.nrows();
            for a in chunks_of(e) {
                block[a] += values;
            }
            let f = match c.post {
                Post::Ensemble(f) | Post::Neurons(f) => f,
                Post::Probe(_) => {
                    probed.extend(chunks_of(e).map(|a| (a as u32, ci as u32, values as u32)));
                    continue;
                }
                Post::Sink | Post::Node(_) => continue,
            };
            for a in chunks_of(e) {
                for b in chunks_of(f).filter(|&b| b != a) {
                    edges.push(NefEdge {
                        source: a as u32,
                        target: b as u32,
                        values: values as f64,
                        connection: ci as u32,
                    });
                }
            }
        }
        Self {
            sizes,
            edges,
            probed,
            block,
        }
    }

    /// Chunk -> rank by `how` on `ranks` ranks.
    pub fn place(&self, ranks: usize, how: Partitioner) -> Result<Vec<usize>, String> {
        let n = self.sizes.len();
        let ranks = ranks.max(1);
        Ok(match how {
            _ if ranks == 1 => vec![0; n],
            Partitioner::RoundRobin => (0..n).map(|k| k % ranks).collect(),
            Partitioner::Block => block_placement(&self.sizes, ranks),
            Partitioner::Metis if ranks >= n => (0..n).collect(),
            Partitioner::Metis => {
                let edges = self.edges.iter().map(|e| (e.source, e.target, e.values));
                let csr = undirected_csr(n, edges);
                let vwgt = scale(self.sizes.iter().map(|&s| s as f64));
                let parts = metis_parts(1, ranks, &vwgt, (&csr.0, &csr.1, &csr.2))?;
                parts.into_iter().map(|r| r as usize).collect()
            }
        })
    }
}

/// What a placement of an NEF network costs per step.
#[derive(Clone, Debug, PartialEq)]
pub struct NefReport {
    /// Neurons per rank.
    pub neurons_per_rank: Vec<usize>,
    /// max / mean - 1 of the neurons.
    pub imbalance: f64,
    /// Values each rank sends per step in the all-gather (its chunks'
    /// blocks; each goes to every other rank).
    pub sent_per_rank: Vec<usize>,
    /// Values per step a targeted exchange would send: each chunk's
    /// partial sum of a connection once to every other rank reading it.
    pub targeted_values: usize,
}

impl NefReport {
    /// The report of placement `owner` of `graph` on `ranks` ranks.
    pub fn new(graph: &NefGraph, owner: &[usize], ranks: usize) -> Self {
        let mut neurons = vec![0; ranks];
        let mut sent = vec![0; ranks];
        for (k, &r) in owner.iter().enumerate() {
            neurons[r] += graph.sizes[k];
            sent[r] += graph.block[k];
        }
        // (source chunk, connection, reading rank, values): each partial
        // sum is sent once to each other rank that reads it.
        let mut needs: Vec<(u32, u32, usize, usize)> = graph
            .edges
            .iter()
            .map(|e| {
                let r = owner[e.target as usize];
                (e.source, e.connection, r, e.values as usize)
            })
            .chain(graph.probed.iter().map(|&(a, c, v)| (a, c, 0, v as usize)))
            .filter(|n| owner[n.0 as usize] != n.2)
            .collect();
        needs.sort_unstable();
        needs.dedup();
        let mean = neurons.iter().sum::<usize>() as f64 / ranks as f64;
        let max = neurons.iter().copied().max().unwrap_or(0) as f64;
        Self {
            imbalance: if mean > 0.0 { max / mean - 1.0 } else { 0.0 },
            neurons_per_rank: neurons,
            sent_per_rank: sent,
            targeted_values: needs.iter().map(|n| n.3).sum(),
        }
    }
}

impl fmt::Display for NefReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = self.neurons_per_rank.len();
        writeln!(
            f,
            "  imbalance          neurons {:.1} %",
            100.0 * self.imbalance
        )?;
        for r in 0..p {
            writeln!(
                f,
                "  rank {r}: {} neurons, sends {} values per step ({} bytes, all-gather)",
                self.neurons_per_rank[r],
                self.sent_per_rank[r],
                8 * self.sent_per_rank[r]
            )?;
        }
        write!(
            f,
            "  cut                {} values per step (what a targeted exchange would send)",
            self.targeted_values
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use brainsim_sim::nef::{ConnectionSpec, EnsembleParams, NetSpec, ProbeOf, ProbeSpec};

    /// Two chains, A (600) -> B (600) and C (300, 2-D) -> D (300, 2-D),
    /// with B probed: 3 + 3 + 2 + 2 chunks.
    fn two_chains() -> Built {
        let mut s = NetSpec {
            dt: 0.001,
            seed: 3,
            ensembles: Vec::new(),
            nodes: Vec::new(),
            connections: Vec::new(),
            probes: Vec::new(),
        };
        for (name, n, d) in [("A", 600, 1), ("B", 600, 1), ("C", 300, 2), ("D", 300, 2)] {
            s.ensembles.push((name.into(), EnsembleParams::new(n, d)));
        }
        s.connections
            .push(ConnectionSpec::new(Pre::Ensemble(0), Post::Ensemble(1)));
        s.connections
            .push(ConnectionSpec::new(Pre::Ensemble(2), Post::Ensemble(3)));
        s.probes.push(ProbeSpec {
            name: "B".into(),
            of: ProbeOf::Decoded(1),
            synapse: Some(0.01),
        });
        s.build().unwrap()
    }

    #[test]
    fn the_graph_counts_each_partial_sum_its_readers_need() {
        let g = NefGraph::new(&two_chains());
        assert_eq!(g.sizes, vec![256, 256, 88, 256, 256, 88, 256, 44, 256, 44]);
        // A's 3 chunks x B's 3, 1 value; C's 2 x D's 2, 2 values.
        assert_eq!(g.edges.len(), 9 + 4);
        let values: f64 = g.edges.iter().map(|e| e.values).sum();
        assert_eq!(values, 9.0 + 8.0);
        // Blocks: A 1 (to B), B 1 (to its probe), C 2, D 0.
        assert_eq!(g.block, vec![1, 1, 1, 1, 1, 1, 2, 2, 0, 0]);
        assert_eq!(g.probed.len(), 3);
    }

    #[test]
    fn the_report_counts_what_crosses_by_hand() {
        let g = NefGraph::new(&two_chains());
        // A and C on rank 0, B and D on rank 1.
        let owner = [0, 0, 0, 1, 1, 1, 0, 0, 1, 1];
        let r = NefReport::new(&g, &owner, 2);
        assert_eq!(r.neurons_per_rank, vec![600 + 300, 600 + 300]);
        assert_eq!(r.sent_per_rank, vec![3 + 4, 3]);
        // A's 3 chunks send 1 value to rank 1, C's 2 chunks 2 values, and
        // B's 3 chunks their probe's value to rank 0.
        assert_eq!(r.targeted_values, 3 + 4 + 3);
    }

    #[test]
    fn metis_keeps_chains_together_and_balanced() {
        let g = NefGraph::new(&two_chains());
        let cut = |how| {
            let owner = g.place(2, how).unwrap();
            let r = NefReport::new(&g, &owner, 2);
            assert!(r.imbalance < 0.35, "{how:?}: {r:?}");
            r.targeted_values
        };
        let (metis, rr) = (cut(Partitioner::Metis), cut(Partitioner::RoundRobin));
        assert!(metis < rr, "metis {metis}, round robin {rr}");
        assert_eq!(g.place(1, Partitioner::Metis).unwrap(), vec![0; 10]);
    }
}
