//! What a decomposition costs, predicted from the chunk graph: imbalance per
//! constraint, edge cut, remote spike messages per rank, the smallest delay
//! over the cut edges. `brainsim partition` prints it; tests compare it with
//! what a run measured.
//!
//! Remote messages: a spike of a neuron on rank r is sent once to every other
//! rank R holding at least one of its targets (the targeted exchange,
//! `brainsim_sim::comm::SpikeExchange`). So for source chunk A the synapses onto all of R's chunks are
//! summed first: messages(A, sum over B on R of n_AB), not a sum of per-edge
//! messages (which would count a spike twice when two of R's chunks need it).

use std::fmt;

use crate::graph::{messages, ChunkGraph};
use crate::Decomposition;

/// The predicted cost of a decomposition (see the module doc).
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// Number of ranks.
    pub ranks: usize,
    /// Number of chunks (vertices of the graph).
    pub chunks: usize,
    /// Directed edges of the chunk graph (without self-edges).
    pub edges: usize,
    /// Neurons per rank.
    pub neurons_per_rank: Vec<f64>,
    /// Expected incoming synapses per rank.
    pub synapses_per_rank: Vec<f64>,
    /// max / mean - 1 of neurons and of incoming synapses.
    pub imbalance: [f64; 2],
    /// Directed edges whose ends are on different ranks.
    pub cut_edges: usize,
    /// Spike messages per second along the cut edges (chunk to chunk).
    pub edge_cut: f64,
    /// Predicted spike messages per second sent by each rank to other ranks.
    pub messages_per_rank: Vec<f64>,
    /// Smallest delay (steps) over the cut edges; None when nothing is cut.
    pub min_cut_delay_steps: Option<u32>,
    /// dt (ms), to print the delay in ms.
    pub dt: f64,
}

fn imbalance(v: &[f64]) -> f64 {
    let mean = v.iter().sum::<f64>() / v.len().max(1) as f64;
    if mean > 0.0 {
        v.iter().cloned().fold(0.0, f64::max) / mean - 1.0
    } else {
        0.0
    }
}

impl Report {
    /// The report of decomposition `d` of `graph`.
    pub fn new(graph: &ChunkGraph, d: &Decomposition) -> Report {
        let p = d.ranks;
        let mut neurons = vec![0.0; p];
        let mut syn = vec![0.0; p];
        for c in &graph.chunks {
            let r = d.rank_of_chunk(c.index);
            neurons[r] += f64::from(c.len);
            syn[r] += graph.incoming[c.index];
        }
        let mut cut_edges = 0;
        let mut edge_cut = 0.0;
        let mut min_delay: Option<u32> = None;
        let mut per_rank = vec![0.0; p];
        // Synapses from the current source chunk onto each rank.
        let mut onto = vec![0.0; p];
        let mut touched: Vec<usize> = Vec::new();
        let edges = &graph.edges;
        let mut i = 0;
        while i < edges.len() {
            let a = edges[i].source as usize;
            let ra = d.rank_of_chunk(a);
            while i < edges.len() && edges[i].source as usize == a {
                let e = &edges[i];
                let rb = d.rank_of_chunk(e.target as usize);
                if rb != ra {
                    cut_edges += 1;
                    edge_cut += graph.edge_messages(e);
                    min_delay =
                        Some(min_delay.map_or(e.min_delay_steps, |m| m.min(e.min_delay_steps)));
                    if onto[rb] == 0.0 {
                        touched.push(rb);
                    }
                    onto[rb] += e.synapses;
                }
                i += 1;
            }
            for r in touched.drain(..) {
                per_rank[ra] += messages(graph.chunks[a].len, graph.rate[a], onto[r]);
                onto[r] = 0.0;
            }
        }
        Report {
            ranks: p,
            chunks: graph.n_vertices(),
            edges: edges.len(),
            imbalance: [imbalance(&neurons), imbalance(&syn)],
            neurons_per_rank: neurons,
            synapses_per_rank: syn,
            cut_edges,
            edge_cut,
            messages_per_rank: per_rank,
            min_cut_delay_steps: min_delay,
            dt: graph.dt,
        }
    }

    /// Predicted remote spike messages per second, all ranks.
    pub fn total_messages(&self) -> f64 {
        self.messages_per_rank.iter().sum()
    }
}

/// Up to 16 values in full, else min / mean / max.
fn per_rank(v: &[f64]) -> String {
    if v.len() <= 16 {
        v.iter()
            .map(|x| format!("{x:.0}"))
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        let min = v.iter().cloned().fold(f64::INFINITY, f64::min);
        let max = v.iter().cloned().fold(0.0, f64::max);
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        format!("min {min:.0}, mean {mean:.0}, max {max:.0}")
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "  chunk graph        {} chunks, {} directed edges",
            self.chunks, self.edges
        )?;
        writeln!(
            f,
            "  neurons per rank   {}",
            per_rank(&self.neurons_per_rank)
        )?;
        writeln!(
            f,
            "  imbalance          neurons {:.2} %, incoming synapses {:.2} %",
            100.0 * self.imbalance[0],
            100.0 * self.imbalance[1]
        )?;
        writeln!(
            f,
            "  edge cut           {:.0} spike messages/s over {} of {} edges",
            self.edge_cut, self.cut_edges, self.edges
        )?;
        writeln!(
            f,
            "  remote messages    {:.0} /s in total",
            self.total_messages()
        )?;
        writeln!(
            f,
            "  messages per rank  {} /s",
            per_rank(&self.messages_per_rank)
        )?;
        match self.min_cut_delay_steps {
            Some(s) => writeln!(
                f,
                "  min cut delay      {:.3} ms ({s} steps)",
                f64::from(s) * self.dt
            ),
            None => writeln!(f, "  min cut delay      none (no edge is cut)"),
        }
    }
}
