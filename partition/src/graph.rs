//! The chunk graph, computed analytically from the projection rules — never by
//! building synapses, so it costs O(source chunks x target chunks) per
//! projection, not O(synapses).
//!
//! Vertices are chunks with two weights: neurons (update cost) and expected
//! incoming synapses (delivery cost and memory). A directed edge A -> B
//! carries the expected synapses n_AB from chunk A onto chunk B and the
//! smallest delay (steps) any of them can have; its traffic is
//! `messages(A, n_AB)` = |A| * rate_A * (1 - exp(-n_AB / |A|)) spike messages
//! per second: the spikes of A's neurons that have at least one target in B.
//!
//! Model of a projection S -> T with n = `expected_synapses` (all rules but
//! one_to_one pick sources and targets uniformly): n_AB = n * |A|/|S| * |B|/|T|.
//! one_to_one: n_AB = n / |T| * (overlap of A's and B's index ranges). The
//! autapses a projection omits are not subtracted pair by pair (they only
//! touch the A == A pair, which is never cut). Self-edges are not stored.
//!
//! Invariant: the graph depends only on the spec (it is a pure function of
//! it), so every rank computes the same graph and the same partition.

use brainsim_sim::connect::expected_synapses;
use brainsim_sim::dist::DelaySampler;
use brainsim_sim::layout::ChunkInfo;
use brainsim_sim::spec::{ConnRule, NetworkSpec};

/// Rate (Hz) assumed for a population without `expected_rate`.
pub const DEFAULT_RATE_HZ: f64 = 5.0;

/// One directed edge of the chunk graph.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Edge {
    /// Index of the chunk holding the presynaptic neurons.
    pub source: u32,
    /// Index of the chunk holding the postsynaptic neurons.
    pub target: u32,
    /// Expected synapses from `source` onto `target` (summed over projections).
    pub synapses: f64,
    /// Smallest delay (steps) of those synapses.
    pub min_delay_steps: u32,
}

/// The analytic chunk graph of a spec: vertices are chunks, weighted by
/// neurons and expected incoming synapses; edges carry expected synapses.
#[derive(Clone, Debug, PartialEq)]
pub struct ChunkGraph {
    /// All chunks, in gid order (vertex i = chunk i).
    pub chunks: Vec<ChunkInfo>,
    /// Expected incoming synapses per chunk (all projections, self included).
    pub incoming: Vec<f64>,
    /// Expected rate (Hz) of each chunk's neurons.
    pub rate: Vec<f64>,
    /// Directed edges without self-edges, sorted by (source, target), unique.
    pub edges: Vec<Edge>,
    /// dt (ms), to print delays.
    pub dt: f64,
}

/// Expected spike messages per second from a chunk of `len` neurons firing at
/// `rate` Hz to a destination holding `synapses` of their synapses.
pub fn messages(len: u32, rate: f64, synapses: f64) -> f64 {
    let n = f64::from(len);
    if n == 0.0 {
        return 0.0;
    }
    n * rate * -(-synapses / n).exp_m1()
}

/// Length of the overlap of two half-open ranges.
fn overlap(a: (u32, u32), b: (u32, u32)) -> f64 {
    f64::from(a.1.min(b.1).saturating_sub(a.0.max(b.0)))
}

/// Chunk index range [first, end) of every population; (0, 0) for a
/// population without chunks. Chunks are in gid order and populations hold
/// contiguous gids, so each population's chunks are contiguous.
fn population_chunk_ranges(n_pops: usize, chunks: &[ChunkInfo]) -> Vec<(usize, usize)> {
    let mut range = vec![(0usize, 0usize); n_pops];
    for c in chunks {
        let r = &mut range[c.population];
        // end == 0 means unset: a set end is at least index + 1.
        if r.1 == 0 {
            r.0 = c.index;
        }
        r.1 = c.index + 1;
    }
    range
}

/// Index range [first, end) of a chunk's neurons within its population.
fn index_range(spec: &NetworkSpec, c: &ChunkInfo) -> (u32, u32) {
    let f = c.first_in_population(spec);
    (f, f + c.len)
}

/// Adds projection `pi`'s expected synapses onto each target chunk to
/// `incoming`, and one edge per connected (source chunk, target chunk) pair
/// to `raw` (self-edges only count as incoming).
fn add_projection(
    spec: &NetworkSpec,
    pi: usize,
    chunks: &[ChunkInfo],
    range: &[(usize, usize)],
    incoming: &mut [f64],
    raw: &mut Vec<Edge>,
) {
    let p = &spec.projections[pi];
    let n = expected_synapses(spec, pi);
    if n <= 0.0 {
        return;
    }
    let ns = f64::from(spec.populations[p.source].size);
    let nt = f64::from(spec.populations[p.target].size);
    let delay = DelaySampler::new(&p.delay, spec.simulation.dt)
        .bounds_steps()
        .0;
    let (s0, s1) = range[p.source];
    let (t0, t1) = range[p.target];
    for b in &chunks[t0..t1] {
        let b_range = index_range(spec, b);
        for a in &chunks[s0..s1] {
            let syn = match p.rule {
                // Source i connects to target i only: n / |T| per overlapping index.
                ConnRule::OneToOne => {
                    let o = overlap(index_range(spec, a), b_range);
                    if o <= 0.0 {
                        continue;
                    }
                    n / nt * o
                }
                // Uniform sources and targets: A's share of S times B's of T.
                _ => n * f64::from(a.len) / ns * f64::from(b.len) / nt,
            };
            incoming[b.index] += syn;
            if a.index != b.index {
                raw.push(Edge {
                    source: a.index as u32,
                    target: b.index as u32,
                    synapses: syn,
                    min_delay_steps: delay,
                });
            }
        }
    }
}

/// Sorts edges by (source, target) and merges the edges of different
/// projections between the same pair: synapses add up, the smallest delay wins.
fn merge_parallel_edges(mut raw: Vec<Edge>) -> Vec<Edge> {
    raw.sort_unstable_by_key(|e| (e.source, e.target));
    let mut edges: Vec<Edge> = Vec::with_capacity(raw.len());
    for e in raw {
        match edges.last_mut() {
            Some(l) if (l.source, l.target) == (e.source, e.target) => {
                l.synapses += e.synapses;
                l.min_delay_steps = l.min_delay_steps.min(e.min_delay_steps);
            }
            _ => edges.push(e),
        }
    }
    edges
}

impl ChunkGraph {
    /// The graph of `spec` over `chunks` (= `layout::chunks(spec)`).
    pub fn from_spec(spec: &NetworkSpec, chunks: &[ChunkInfo]) -> ChunkGraph {
        let range = population_chunk_ranges(spec.populations.len(), chunks);
        let mut incoming = vec![0.0; chunks.len()];
        let mut raw: Vec<Edge> = Vec::new();
        for pi in 0..spec.projections.len() {
            add_projection(spec, pi, chunks, &range, &mut incoming, &mut raw);
        }
        let rate = chunks
            .iter()
            .map(|c| {
                spec.populations[c.population]
                    .expected_rate
                    .unwrap_or(DEFAULT_RATE_HZ)
            })
            .collect();
        ChunkGraph {
            chunks: chunks.to_vec(),
            incoming,
            rate,
            edges: merge_parallel_edges(raw),
            dt: spec.simulation.dt,
        }
    }

    /// Number of vertices (= chunks).
    pub fn n_vertices(&self) -> usize {
        self.chunks.len()
    }

    /// Expected spike messages per second along edge `e`.
    pub fn edge_messages(&self, e: &Edge) -> f64 {
        let a = e.source as usize;
        messages(self.chunks[a].len, self.rate[a], e.synapses)
    }

    /// Replaces every chunk's rate by its population's entry of `rates` (Hz),
    /// e.g. rates measured in a run, to predict that run's traffic.
    pub fn with_rates(mut self, rates: &[f64]) -> ChunkGraph {
        for (r, c) in self.rate.iter_mut().zip(&self.chunks) {
            *r = rates[c.population];
        }
        self
    }
}
