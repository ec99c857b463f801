//! Running a built NEF network (`net::Built`) step by step, in Nengo's
//! order: nodes at t = n dt; each ensemble's input from its connections'
//! filtered values of the previous step (and from unfiltered nodes of this
//! one), encoded once per neuron; the neurons (`nengo_lif`'s step); then
//! each connection's weighted source output for this step, through its
//! filter (Nengo's "update" mode: the target sees it next step, a probe
//! this step).
//!
//! Invariant (bit-identical results for any number of threads): an
//! ensemble's neurons are cut into chunks of `CHUNK` neurons that depend
//! only on the ensemble's size; a chunk sums its spiking neurons' weight
//! columns in neuron order, and the chunks' partial sums are added in chunk
//! order starting from zero. Threads only decide who computes a chunk. The
//! same holds across ranks when each rank computes its chunks' partials and
//! the partials (`size_out` values per connection and chunk: the graded
//! coupling) are gathered before the ordered sum (`sim/DESIGN.md`, "NEF").

use super::net::{Built, BuiltConnection, Post, Pre, ProbeOf};
use super::ranks::Ranks;
use super::synapse::Lowpass;
use super::wiring::Wiring;
use crate::comm::Comm;
use crate::model::dynamics::Dynamics;
use crate::model::nengo_lif::{NengoLif, NengoLifConsts, BIAS, VOLTAGE};
use rayon::prelude::*;
use record::probe_widths;
use std::ops::Range;

/// Neurons per chunk of an ensemble.
pub const CHUNK: usize = 256;

mod record;

/// One chunk: its ensemble and its neurons' indices in the global state.
#[derive(Clone, Debug)]
pub(super) struct Chunk {
    pub(super) ens: usize,
    pub(super) range: Range<usize>,
    /// First neuron of its ensemble in the global state.
    pub(super) ens_start: usize,
}

/// A built network while it runs, with what its probes recorded.
pub struct NefSim<'a> {
    net: &'a Built,
    step: u64,
    consts: Vec<NengoLifConsts>,
    /// Spike output (amplitude / dt) per ensemble.
    spike_out: Vec<f64>,
    /// Scaled encoders per ensemble, row-major (neuron, dimension).
    encoders: Vec<Vec<f64>>,
    state: Vec<[f64; 3]>,
    spiked: Vec<bool>,
    chunks: Vec<Chunk>,
    wiring: Wiring,
    /// Per chunk, where its partial sums start in `partials` (one block of
    /// size_out values per connection leaving its ensemble, in `outgoing`
    /// order); the last entry is the total.
    partial_at: Vec<usize>,
    partials: Vec<f64>,
    /// Each ensemble's input, and its neurons' currents where connections
    /// end on its neurons (reused every step).
    ens_in: Vec<Vec<f64>>,
    neuron_in: Vec<Option<Vec<f64>>>,
    node_out: Vec<Vec<f64>>,
    /// Each connection's filtered (or last) value.
    conn_x: Vec<Vec<f64>>,
    /// Each `ProbeOf::Connection` probe's own filter state.
    probe_x: Vec<Vec<f64>>,
    /// Each probe's filter, if it has a synapse.
    probe_filter: Vec<Option<Lowpass>>,
    /// Each probe's rows, one per step, flat (`widths[k]` values a row).
    records: Vec<Vec<f64>>,
    widths: Vec<usize>,
    /// Which chunks this rank steps, and the exchange of the others'
    /// partial sums.
    ranks: Ranks<'a>,
}

impl<'a> NefSim<'a> {
    /// `net` at t = 0 in one process: voltages at their initial values,
    /// filters at zero.
    pub fn new(net: &'a Built) -> Self {
        Self::build(net, None)
    }

    /// `net` at t = 0 as one of `comm`'s ranks, stepping the chunks that
    /// `owner` (one rank per chunk, in the order of `chunk_sizes`) gives
    /// this rank. Every rank must make the same calls.
    pub fn on_ranks(net: &'a Built, comm: &'a dyn Comm, owner: &[usize]) -> Self {
        Self::build(net, Some((comm, owner)))
    }

    fn build(net: &'a Built, ranks: Option<(&'a dyn Comm, &[usize])>) -> Self {
        let spec = &net.spec;
        let (state, chunks) = neuron_layout(net);
        let per_ens: Vec<usize> = net
            .ensembles
            .iter()
            .map(|e| e.n_neurons().div_ceil(CHUNK))
            .collect();
        let wiring = Wiring::new(net, &per_ens);
        let mut partial_at = vec![0];
        for ch in &chunks {
            partial_at.push(partial_at.last().unwrap() + wiring.block[ch.ens]);
        }
        let (consts, spike_out, encoders) = ensemble_constants(net);
        let zeros = |n: usize| vec![0.0; n];
        Self {
            net,
            step: 0,
            consts,
            spike_out,
            encoders,
            spiked: vec![false; state.len()],
            state,
            partials: zeros(*partial_at.last().unwrap()),
            ens_in: spec
                .ensembles
                .iter()
                .map(|(_, p)| zeros(p.dimensions))
                .collect(),
            neuron_in: (0..net.ensembles.len())
                .map(|e| {
                    let fed = net.connections.iter().any(|c| c.post == Post::Neurons(e));
                    fed.then(|| zeros(net.ensembles[e].n_neurons()))
                })
                .collect(),
            wiring,
            node_out: spec
                .nodes
                .iter()
                .map(|(_, o)| zeros(o.dimensions().expect("built nodes are valid")))
                .collect(),
            conn_x: net
                .connections
                .iter()
                .map(|c| zeros(c.weights.nrows()))
                .collect(),
            probe_x: spec
                .probes
                .iter()
                .map(|p| match p.of {
                    ProbeOf::Connection(c) => zeros(net.connections[c].weights.nrows()),
                    _ => Vec::new(),
                })
                .collect(),
            probe_filter: spec
                .probes
                .iter()
                .map(|p| p.synapse.map(|tau| Lowpass::new(tau, spec.dt)))
                .collect(),
            widths: probe_widths(net),
            records: vec![Vec::new(); spec.probes.len()],
            ranks: Ranks::new(ranks, &chunks, &partial_at),
            chunks,
            partial_at,
        }
    }

    /// Steps done.
    pub fn steps(&self) -> u64 {
        self.step
    }

    /// Runs `n` steps.
    pub fn run(&mut self, n: u64) {
        for _ in 0..n {
            self.advance();
        }
    }

    /// One step.
    pub fn advance(&mut self) {
        self.step += 1;
        let spec = &self.net.spec;
        for (k, (_, out)) in spec.nodes.iter().enumerate() {
            out.eval(self.step, spec.dt, spec.seed, k, &mut self.node_out[k]);
        }
        self.inputs();
        self.neurons();
        self.record_filtered();
        self.update_connections();
        self.step_probes_of_unfiltered();
        self.record_unfiltered();
    }

    /// Each ensemble's input (its dimensions) and, where connections end on
    /// its neurons, their currents (one per neuron), in connection order.
    fn inputs(&mut self) {
        for v in self
            .ens_in
            .iter_mut()
            .chain(self.neuron_in.iter_mut().flatten())
        {
            v.fill(0.0);
        }
        for (c, conn) in self.net.connections.iter().enumerate() {
            // An unfiltered node connection carries this step's value: it
            // is computed here, once (`update_connections` leaves it).
            if let (None, Pre::Node(k)) = (conn.filter, conn.pre) {
                self.conn_x[c].fill(0.0);
                add_node_weighted(conn, &self.node_out[k], &mut self.conn_x[c]);
            }
            let value = &self.conn_x[c];
            let target = match conn.post {
                Post::Ensemble(e) => &mut self.ens_in[e],
                Post::Neurons(e) => self.neuron_in[e].as_mut().expect("made for it"),
                Post::Probe(_) | Post::Sink | Post::Node(_) => continue,
            };
            for (t, v) in target.iter_mut().zip(value) {
                *t += v;
            }
        }
    }

    /// Steps every neuron, and writes each chunk's partial weighted sums
    /// of the connections leaving its ensemble into `partials`.
    fn neurons(&mut self) {
        let net = self.net;
        let (consts, enc, out) = (&self.consts, &self.encoders, &self.spike_out);
        let (wiring, ens_in, neuron_in) = (&self.wiring, &self.ens_in, &self.neuron_in);
        let mut slices = Vec::with_capacity(self.chunks.len());
        let (mut state, mut spiked) = (&mut self.state[..], &mut self.spiked[..]);
        let mut partials = &mut self.partials[..];
        for (k, ch) in self.chunks.iter().enumerate() {
            let (s, rest) = state.split_at_mut(ch.range.len());
            let (f, frest) = spiked.split_at_mut(ch.range.len());
            let (p, prest) = partials.split_at_mut(self.partial_at[k + 1] - self.partial_at[k]);
            slices.push((s, f, p));
            (state, spiked, partials) = (rest, frest, prest);
        }
        let owned = &self.ranks.owned;
        slices
            .into_par_iter()
            .zip(self.chunks.par_iter())
            .enumerate()
            .filter(|(k, _)| owned[*k])
            .for_each(|(_, ((s, f, p), ch))| {
                let e = ch.ens;
                let d = ens_in[e].len();
                let gain = &net.ensembles[e].gain;
                for (j, (st, fl)) in s.iter_mut().zip(f.iter_mut()).enumerate() {
                    let i = ch.range.start + j - ch.ens_start;
                    let row = &enc[e][i * d..(i + 1) * d];
                    let mut x: f64 = row.iter().zip(&ens_in[e]).map(|(a, b)| a * b).sum();
                    if let Some(nin) = &neuron_in[e] {
                        x += gain[i] * nin[i];
                    }
                    *fl = NengoLif::step::<false>(&consts[e], st, &[x], 0.0) > 0;
                }
                chunk_partials(net, &wiring.outgoing[e], ch, f, out[e], p);
            });
        self.ranks.exchange(&mut self.partials);
    }

    /// Sums the chunks' partials in chunk order, adds node sources, and
    /// steps every filter.
    fn update_connections(&mut self) {
        let mut sum = Vec::new();
        for (c, conn) in self.net.connections.iter().enumerate() {
            if let (None, Pre::Node(_)) = (conn.filter, conn.pre) {
                continue; // computed by `inputs` this step
            }
            sum.clear();
            sum.resize(conn.weights.nrows(), 0.0);
            match conn.pre {
                Pre::Node(k) => add_node_weighted(conn, &self.node_out[k], &mut sum),
                Pre::Ensemble(e) | Pre::Neurons(e) => {
                    let at = self.wiring.offset[c].expect("a connection from an ensemble has one");
                    for k in self.wiring.chunks_of[e].clone() {
                        let p = &self.partials[self.partial_at[k] + at..];
                        for (s, v) in sum.iter_mut().zip(p) {
                            *s += v;
                        }
                    }
                }
            }
            match conn.filter {
                Some(f) => f.step(&mut self.conn_x[c], &sum),
                None => self.conn_x[c].copy_from_slice(&sum),
            }
        }
    }
}

/// Neurons per chunk, in the chunks' order (what `on_ranks` places).
pub fn chunk_sizes(net: &Built) -> Vec<usize> {
    neuron_layout(net).1.iter().map(|c| c.range.len()).collect()
}

/// Every neuron's state at t = 0 (ensembles one after another) and the
/// chunks (`CHUNK` neurons, never across ensembles).
fn neuron_layout(net: &Built) -> (Vec<[f64; 3]>, Vec<Chunk>) {
    let (mut state, mut chunks) = (Vec::new(), Vec::new());
    for (e, ens) in net.ensembles.iter().enumerate() {
        let start = state.len();
        for i in 0..ens.n_neurons() {
            let mut s = [0.0; 3];
            s[VOLTAGE] = ens.initial_voltage[i];
            s[BIAS] = ens.bias[i];
            state.push(s);
        }
        for k in (start..state.len()).step_by(CHUNK) {
            chunks.push(Chunk {
                ens: e,
                range: k..(k + CHUNK).min(state.len()),
                ens_start: start,
            });
        }
    }
    (state, chunks)
}

/// Per ensemble: its neurons' step constants, its spike output
/// (amplitude / dt) and its scaled encoders row-major (neuron, dimension).
#[allow(clippy::type_complexity)]
fn ensemble_constants(net: &Built) -> (Vec<NengoLifConsts>, Vec<f64>, Vec<Vec<f64>>) {
    let dt = net.spec.dt;
    let lifs = net.spec.ensembles.iter().map(|(_, p)| p.neuron);
    (
        lifs.clone()
            .map(|l| NengoLifConsts::in_seconds(dt, l.tau_rc, l.tau_ref, 0.0))
            .collect(),
        lifs.map(|l| l.amplitude / dt).collect(),
        net.ensembles
            .iter()
            .map(|e| e.scaled_encoders().transpose().as_slice().to_vec())
            .collect(),
    )
}

/// Adds what node connection `conn` carries for the node output `out` to
/// `y`.
fn add_node_weighted(conn: &BuiltConnection, out: &[f64], y: &mut [f64]) {
    let x = &out[conn.pre_slice.clone()];
    let rows = conn.weights.nrows();
    // Column-major: column j is contiguous (vectorised loop).
    for (col, &v) in conn.weights.as_slice().chunks_exact(rows.max(1)).zip(x) {
        for (y, w) in y.iter_mut().zip(col) {
            *y += w * v;
        }
    }
}

/// A chunk's partial weighted sums into `p`, one block per connection
/// leaving its ensemble (`outgoing`, in that order): the weight columns of
/// its spiking neurons times the spike output, in neuron order.
fn chunk_partials(
    net: &Built,
    outgoing: &[usize],
    ch: &Chunk,
    spiked: &[bool],
    out: f64,
    p: &mut [f64],
) {
    p.fill(0.0);
    let mut at = 0;
    for &c in outgoing {
        let w = &net.connections[c].weights;
        let rows = w.nrows();
        let block = &mut p[at..at + rows];
        // Column-major: a neuron's column is contiguous (vectorised loop).
        let all = w.as_slice();
        for (j, _) in spiked.iter().enumerate().filter(|(_, &s)| s) {
            let i = ch.range.start + j - ch.ens_start;
            let col = &all[i * rows..(i + 1) * rows];
            for (p, w) in block.iter_mut().zip(col) {
                *p += w * out;
            }
        }
        at += rows;
    }
}
