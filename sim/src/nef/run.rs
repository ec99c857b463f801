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

use super::net::{Built, Post, Pre, ProbeOf};
use super::synapse::Lowpass;
use crate::model::dynamics::Dynamics;
use crate::model::nengo_lif::{NengoLif, NengoLifConsts, BIAS, VOLTAGE};
use rayon::prelude::*;
use std::ops::Range;

/// Neurons per chunk of an ensemble.
pub const CHUNK: usize = 256;

/// One chunk: its ensemble and its neurons' indices in the global state.
#[derive(Clone, Debug)]
struct Chunk {
    ens: usize,
    range: Range<usize>,
    /// First neuron of its ensemble in the global state.
    ens_start: usize,
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
    starts: Vec<usize>,
    chunks: Vec<Chunk>,
    node_out: Vec<Vec<f64>>,
    /// Each connection's filtered (or last) value.
    conn_x: Vec<Vec<f64>>,
    /// Each `ProbeOf::Connection` probe's own filter state.
    probe_x: Vec<Vec<f64>>,
    /// Each probe's rows, one per step.
    pub records: Vec<Vec<Vec<f64>>>,
}

impl<'a> NefSim<'a> {
    /// `net` at t = 0: voltages at their initial values, filters at zero.
    pub fn new(net: &'a Built) -> Self {
        let spec = &net.spec;
        let (mut state, mut starts, mut chunks) = (Vec::new(), Vec::new(), Vec::new());
        let mut consts = Vec::new();
        let mut spike_out = Vec::new();
        let mut encoders = Vec::new();
        for (e, ens) in net.ensembles.iter().enumerate() {
            let lif = spec.ensembles[e].1.neuron;
            consts.push(NengoLifConsts::in_seconds(
                spec.dt,
                lif.tau_rc,
                lif.tau_ref,
                0.0,
            ));
            spike_out.push(lif.amplitude / spec.dt);
            let se = ens.scaled_encoders();
            encoders.push(se.transpose().as_slice().to_vec());
            let start = state.len();
            starts.push(start);
            for i in 0..ens.n_neurons() {
                let mut s = [0.0; 3];
                s[VOLTAGE] = ens.initial_voltage[i];
                s[BIAS] = ens.bias[i];
                state.push(s);
            }
            let mut k = start;
            while k < state.len() {
                let end = (k + CHUNK).min(state.len());
                chunks.push(Chunk {
                    ens: e,
                    range: k..end,
                    ens_start: start,
                });
                k = end;
            }
        }
        let node_out = spec
            .nodes
            .iter()
            .map(|(_, o)| vec![0.0; o.dimensions().expect("built nodes are valid")])
            .collect();
        let conn_x = net
            .connections
            .iter()
            .map(|c| vec![0.0; c.weights.nrows()])
            .collect();
        Self {
            net,
            step: 0,
            consts,
            spike_out,
            encoders,
            spiked: vec![false; state.len()],
            state,
            starts,
            chunks,
            node_out,
            conn_x,
            probe_x: spec
                .probes
                .iter()
                .map(|p| match p.of {
                    ProbeOf::Connection(c) => vec![0.0; net.connections[c].weights.nrows()],
                    _ => Vec::new(),
                })
                .collect(),
            records: vec![Vec::new(); spec.probes.len()],
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
        let (ens_in, neuron_in) = self.inputs();
        let partials = self.neurons(&ens_in, &neuron_in);
        self.record_filtered();
        self.update_connections(&partials);
        self.record_unfiltered();
    }

    /// Each ensemble's input (its dimensions) and, where connections end on
    /// its neurons, their currents (one per neuron), in connection order.
    fn inputs(&self) -> (Vec<Vec<f64>>, Vec<Option<Vec<f64>>>) {
        let spec = &self.net.spec;
        let mut ens_in: Vec<Vec<f64>> = spec
            .ensembles
            .iter()
            .map(|(_, p)| vec![0.0; p.dimensions])
            .collect();
        let mut neuron_in: Vec<Option<Vec<f64>>> = vec![None; spec.ensembles.len()];
        for (c, conn) in self.net.connections.iter().enumerate() {
            let now;
            let value: &[f64] = match (conn.filter, conn.pre) {
                (None, Pre::Node(k)) => {
                    now = &conn.weights * nalgebra::DVector::from_column_slice(&self.node_out[k]);
                    now.as_slice()
                }
                _ => &self.conn_x[c],
            };
            let target = match conn.post {
                Post::Ensemble(e) => &mut ens_in[e],
                Post::Neurons(e) => neuron_in[e].get_or_insert_with(|| vec![0.0; value.len()]),
                Post::Probe(_) | Post::Sink => continue,
            };
            for (t, v) in target.iter_mut().zip(value) {
                *t += v;
            }
        }
        (ens_in, neuron_in)
    }

    /// Steps every neuron; returns, per chunk, the partial weighted sum of
    /// each connection leaving its ensemble (indexed by connection).
    fn neurons(
        &mut self,
        ens_in: &[Vec<f64>],
        neuron_in: &[Option<Vec<f64>>],
    ) -> Vec<Vec<Vec<f64>>> {
        let net = self.net;
        let (consts, enc, out) = (&self.consts, &self.encoders, &self.spike_out);
        let mut slices = Vec::with_capacity(self.chunks.len());
        let (mut state, mut spiked) = (&mut self.state[..], &mut self.spiked[..]);
        for ch in &self.chunks {
            let (s, rest) = state.split_at_mut(ch.range.len());
            let (f, frest) = spiked.split_at_mut(ch.range.len());
            slices.push((s, f));
            (state, spiked) = (rest, frest);
        }
        slices
            .into_par_iter()
            .zip(self.chunks.par_iter())
            .map(|((s, f), ch)| {
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
                chunk_partials(net, ch, f, out[e])
            })
            .collect()
    }

    /// Sums the chunks' partials in chunk order, adds node sources, and
    /// steps every filter.
    fn update_connections(&mut self, partials: &[Vec<Vec<f64>>]) {
        for (c, conn) in self.net.connections.iter().enumerate() {
            let weighted: Vec<f64> = match conn.pre {
                Pre::Node(k) => {
                    let v = &conn.weights * nalgebra::DVector::from_column_slice(&self.node_out[k]);
                    v.as_slice().to_vec()
                }
                Pre::Ensemble(e) | Pre::Neurons(e) => {
                    let mut sum = vec![0.0; conn.weights.nrows()];
                    for (ch, p) in self.chunks.iter().zip(partials) {
                        if ch.ens == e {
                            for (s, v) in sum.iter_mut().zip(&p[c]) {
                                *s += v;
                            }
                        }
                    }
                    sum
                }
            };
            match conn.filter {
                Some(f) => f.step(&mut self.conn_x[c], &weighted),
                None => self.conn_x[c] = weighted,
            }
        }
    }

    /// Records every probe with a synapse: its filter's value before this
    /// step's update (Nengo's filters are "update" operators: what reads
    /// them, a probe included, sees the state after the previous step), and
    /// steps the filters of probes of connections with the connection's
    /// output as its readers see it this step (also before the update).
    fn record_filtered(&mut self) {
        for (k, p) in self.net.spec.probes.iter().enumerate() {
            if p.synapse.is_none() {
                continue;
            }
            let row = match p.of {
                ProbeOf::Decoded(_) | ProbeOf::Node(_) => self.conn_x[self.probe_conn(k)].clone(),
                ProbeOf::Connection(c) => {
                    let row = self.probe_x[k].clone();
                    let tau = p.synapse.expect("filtered");
                    Lowpass::new(tau, self.net.spec.dt).step(&mut self.probe_x[k], &self.conn_x[c]);
                    row
                }
                ProbeOf::Spikes(_) | ProbeOf::Voltage(_) => continue,
            };
            self.records[k].push(row);
        }
    }

    /// Records every probe without a synapse: this step's values.
    fn record_unfiltered(&mut self) {
        for (k, p) in self.net.spec.probes.iter().enumerate() {
            let row = match p.of {
                _ if p.synapse.is_some()
                    && !matches!(p.of, ProbeOf::Spikes(_) | ProbeOf::Voltage(_)) =>
                {
                    continue
                }
                ProbeOf::Decoded(_) | ProbeOf::Node(_) => self.conn_x[self.probe_conn(k)].clone(),
                ProbeOf::Connection(c) => self.conn_x[c].clone(),
                ProbeOf::Spikes(e) => {
                    let r = self.starts[e]..self.starts[e] + self.net.ensembles[e].n_neurons();
                    let amp = self.spike_out[e];
                    self.spiked[r]
                        .iter()
                        .map(|&s| if s { amp } else { 0.0 })
                        .collect()
                }
                ProbeOf::Voltage(e) => {
                    let r = self.starts[e]..self.starts[e] + self.net.ensembles[e].n_neurons();
                    self.state[r].iter().map(|s| s[VOLTAGE]).collect()
                }
            };
            self.records[k].push(row);
        }
    }

    /// The built connection that feeds probe `k`.
    fn probe_conn(&self, k: usize) -> usize {
        self.net
            .connections
            .iter()
            .position(|c| c.post == Post::Probe(k))
            .expect("a probe of a value has its connection")
    }
}

/// A chunk's partial weighted sums, one vector per connection of the
/// network (empty for connections not leaving its ensemble): the weight
/// columns of its spiking neurons times the spike output, in neuron order.
fn chunk_partials(net: &Built, ch: &Chunk, spiked: &[bool], out: f64) -> Vec<Vec<f64>> {
    net.connections
        .iter()
        .map(|conn| match conn.pre {
            Pre::Ensemble(e) | Pre::Neurons(e) if e == ch.ens => {
                let mut p = vec![0.0; conn.weights.nrows()];
                for (j, _) in spiked.iter().enumerate().filter(|(_, &s)| s) {
                    let col = conn.weights.column(ch.range.start + j - ch.ens_start);
                    for (p, w) in p.iter_mut().zip(col.iter()) {
                        *p += w * out;
                    }
                }
                p
            }
            _ => Vec::new(),
        })
        .collect()
}
