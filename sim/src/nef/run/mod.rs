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
//! the partials (the weights' rows per connection and chunk: size_out, or
//! the decoded width where a transform is kept apart; the graded coupling)
//! are gathered before the ordered sum (`sim/DESIGN.md`, "NEF").

use super::net::{Built, Post, Pre, ProbeOf};
use super::ranks::Ranks;
use super::synapse::Lowpass;
use super::wiring::Wiring;
use crate::comm::Comm;
use crate::model::nengo_lif::NengoLifConsts;
use rayon::prelude::*;
pub use record::probe_record_bytes;
use record::probe_widths;
use std::ops::Range;

/// Neurons per chunk of an ensemble.
pub const CHUNK: usize = 256;

mod awake;
mod connections;
mod encode;
mod node_products;
mod record;

use awake::Awake;
use encode::Inputs;
use node_products::{Kept, NodeOutputs};

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
    steps: Steps<'a>,
    /// The communicator of a run across ranks. Only the thread that calls
    /// `advance`, `run` or `collect` uses it (MPI's funnelled threading):
    /// `Steps` holds none, so a one-process run can move to a pool thread.
    comm: Option<&'a dyn Comm>,
}

impl<'a> NefSim<'a> {
    /// `net` at t = 0 in one process: voltages at their initial values,
    /// filters at zero.
    pub fn new(net: &'a Built) -> Self {
        let steps = Steps::build(net, None);
        Self { steps, comm: None }
    }

    /// `net` at t = 0 as one of `comm`'s ranks, stepping the chunks that
    /// `owner` (one rank per chunk, in the order of `chunk_sizes`) gives
    /// this rank. Every rank must make the same calls.
    pub fn on_ranks(net: &'a Built, comm: &'a dyn Comm, owner: &[usize]) -> Self {
        let steps = Steps::build(net, Some((comm, owner)));
        Self {
            steps,
            comm: Some(comm),
        }
    }

    /// Steps done.
    pub fn steps(&self) -> u64 {
        self.steps.step
    }

    /// Runs `n` steps. In one process the whole run goes to a pool thread,
    /// so that each step's parallel region is a join among the pool's
    /// threads, not a hand-off from this thread (which would sleep and be
    /// woken once per step); across ranks the steps stay on this thread,
    /// which owns the communicator. In one process the other threads are
    /// kept awake through each step's serial part (`awake`).
    pub fn run(&mut self, n: u64) {
        match self.comm {
            None => {
                let steps = &mut self.steps;
                let awake = &Awake::default();
                rayon::scope(move |s| {
                    for _ in 0..n {
                        awake.spawn(s, steps.step + 1);
                        steps.advance(None, Some(awake));
                    }
                });
            }
            comm => (0..n).for_each(|_| self.steps.advance(comm, None)),
        }
    }

    /// One step.
    pub fn advance(&mut self) {
        self.steps.advance(self.comm, None);
    }

    /// Values per row of probe `k`.
    pub fn width(&self, k: usize) -> usize {
        self.steps.widths[k]
    }

    /// Probe `k`'s rows, one per step, one after another (`width` each);
    /// on several ranks, spikes and voltages hold this rank's neurons only
    /// (see `collect`).
    pub fn record(&self, k: usize) -> &[f64] {
        &self.steps.records[k]
    }

    /// Probe `k`'s rows as vectors (one process; else see `collect`).
    pub fn rows(&self, k: usize) -> Vec<Vec<f64>> {
        self.record(k)
            .chunks(self.width(k).max(1))
            .map(<[f64]>::to_vec)
            .collect()
    }

    /// Probe `k`'s whole record (rows of `width` values, one per step) on
    /// rank 0, gathering the neurons of other ranks for spikes and
    /// voltages; other ranks get an empty vector. A collective on several
    /// ranks: every rank calls it for the same `k`.
    pub fn collect(&self, k: usize) -> Vec<f64> {
        self.steps.collect(self.comm, k)
    }
}

/// The state of a run and its steps, without the communicator (see
/// `NefSim::comm`).
struct Steps<'a> {
    net: &'a Built,
    step: u64,
    consts: Vec<NengoLifConsts>,
    /// Spike output (amplitude / dt) per ensemble.
    spike_out: Vec<f64>,
    /// Scaled encoders per ensemble, column-major (neuron, dimension): a
    /// dimension's column is contiguous.
    encoders: Vec<Vec<f64>>,
    /// Every neuron's voltage, refractory time (s) and bias, as columns
    /// (ensembles one after another).
    volt: Vec<f64>,
    refr: Vec<f64>,
    bias: Vec<f64>,
    /// Every neuron's input current of this step (scratch).
    current: Vec<f64>,
    spiked: Vec<bool>,
    /// Per chunk, the neurons that fired this step (indices in the chunk,
    /// increasing; scratch, as many entries as the chunk's neurons).
    fired: Vec<u16>,
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
    nodes: NodeOutputs,
    /// Per connection from a node: its product, kept while the node's
    /// output stays the same.
    node_kept: Vec<Kept>,
    /// Per connection: the weighted sum of this step, before its filter
    /// (scratch).
    conn_sum: Vec<Vec<f64>>,
    /// Each connection's filtered (or last) value, as its target gets it.
    conn_x: Vec<Vec<f64>>,
    /// Each connection with a transform kept apart (`after`): its filtered
    /// decoded value, which `after` maps to `conn_x` (else empty).
    conn_mid: Vec<Vec<f64>>,
    /// Each `ProbeOf::Connection` probe's own filter state.
    probe_x: Vec<Vec<f64>>,
    /// Each probe's filter, if it has a synapse.
    probe_filter: Vec<Option<Lowpass>>,
    /// Each probe's rows, one per step, flat (`widths[k]` values a row).
    records: Vec<Vec<f64>>,
    widths: Vec<usize>,
    /// Which chunks this rank steps, and the exchange of the others'
    /// partial sums.
    ranks: Ranks,
}

impl<'a> Steps<'a> {
    /// `net` at t = 0: voltages at their initial values, filters at zero;
    /// in one process, or as one of `comm`'s ranks with chunk owners.
    fn build(net: &'a Built, ranks: Option<(&dyn Comm, &[usize])>) -> Self {
        let spec = &net.spec;
        let ([volt, refr, bias], chunks) = neuron_layout(net);
        let (wiring, partial_at) = wiring(net, &chunks);
        let (consts, spike_out, encoders) = ensemble_constants(net);
        let zeros = |n: usize| vec![0.0; n];
        Self {
            net,
            step: 0,
            consts,
            spike_out,
            encoders,
            spiked: vec![false; volt.len()],
            fired: vec![0; volt.len()],
            current: vec![0.0; volt.len()],
            volt,
            refr,
            bias,
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
            node_kept: node_products::none_kept(net),
            conn_sum: net
                .connections
                .iter()
                .map(|c| zeros(c.weights.nrows()))
                .collect(),
            nodes: NodeOutputs::new(spec),
            conn_x: net
                .connections
                .iter()
                .map(|c| zeros(c.size_out()))
                .collect(),
            conn_mid: net
                .connections
                .iter()
                .map(|c| {
                    zeros(if c.after.is_some() {
                        c.weights.nrows()
                    } else {
                        0
                    })
                })
                .collect(),
            probe_x: spec
                .probes
                .iter()
                .map(|p| match p.of {
                    ProbeOf::Connection(c) => zeros(net.connections[c].size_out()),
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

    /// One step (`comm`: across ranks; `awake`: other threads to tell
    /// when the parallel part begins).
    fn advance(&mut self, comm: Option<&dyn Comm>, awake: Option<&Awake>) {
        self.step += 1;
        self.nodes.eval(&self.net.spec, self.step);
        self.inputs();
        if let Some(awake) = awake {
            awake.begin(self.step);
        }
        self.neurons(comm);
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
            if let (None, Pre::Node(_)) = (conn.filter, conn.pre) {
                self.conn_x[c].fill(0.0);
                node_products::add(
                    &mut self.node_kept[c],
                    conn,
                    &self.nodes,
                    &mut self.conn_x[c],
                );
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
    /// of the connections leaving its ensemble into `partials`; alongside
    /// (one parallel region, not two), the probes with a synapse record
    /// (`record_filtered`: they read only the connections' values of the
    /// previous step, which the neurons do not write), and the nodes'
    /// outputs of the next step are evaluated (`NodeOutputs::prepare`).
    fn neurons(&mut self, comm: Option<&dyn Comm>) {
        let (net, consts, out) = (self.net, &self.consts, &self.spike_out);
        let (wiring, owned) = (&self.wiring, &self.ranks.owned);
        let inputs = Inputs {
            encoders: &self.encoders,
            ens_in: &self.ens_in,
            neuron_in: &self.neuron_in,
        };
        let mut slices = Vec::with_capacity(self.chunks.len());
        let (mut v, mut r, mut x) = (
            &mut self.volt[..],
            &mut self.refr[..],
            &mut self.current[..],
        );
        let (mut spiked, mut partials) = (&mut self.spiked[..], &mut self.partials[..]);
        let mut fired = &mut self.fired[..];
        for (k, ch) in self.chunks.iter().enumerate() {
            let n = ch.range.len();
            let (cv, vrest) = v.split_at_mut(n);
            let (cr, rrest) = r.split_at_mut(n);
            let (cx, xrest) = x.split_at_mut(n);
            let (f, frest) = spiked.split_at_mut(n);
            let (l, lrest) = fired.split_at_mut(n);
            let (p, prest) = partials.split_at_mut(self.partial_at[k + 1] - self.partial_at[k]);
            slices.push((cv, cr, cx, (f, l), p));
            (v, r, x, spiked, partials) = (vrest, rrest, xrest, frest, prest);
            fired = lrest;
        }
        let bias = &self.bias;
        // A few pieces of work per thread, not one per chunk (each costs a
        // steal); 8 balanced the threads better than 4 (2 threads, the
        // 512-D array: 0.098 s vs 0.101 s, medians of 10 alternated).
        let pieces = 8 * rayon::current_num_threads();
        let (filters, widths) = (&self.probe_filter, &self.widths);
        let (records, probe_x, conn_x) = (&mut self.records, &mut self.probe_x, &self.conn_x);
        let probes =
            || Steps::record_filtered(net, wiring, conn_x, filters, widths, records, probe_x);
        let (nodes, next) = (&mut self.nodes, self.step + 1);
        let probes_and_nodes = || rayon::join(probes, || nodes.prepare(&net.spec, next));
        let chunks = || {
            slices
                .into_par_iter()
                .zip(self.chunks.par_iter())
                .enumerate()
                .with_min_len(self.chunks.len().div_ceil(pieces))
                .filter(|(k, _)| owned[*k])
                .for_each(|(_, ((v, r, x, (f, l), p), ch))| {
                    inputs.encode(net, ch, x);
                    let n = consts[ch.ens].step_slices(v, r, &bias[ch.range.clone()], x, f, l);
                    let outgoing = &wiring.outgoing[ch.ens];
                    chunk_partials(net, outgoing, ch, &l[..n], out[ch.ens], p);
                })
        };
        rayon::join(chunks, probes_and_nodes);
        self.ranks.exchange(comm, &mut self.partials);
    }
}

/// Who feeds whom, and where each chunk's partial sums start (the last
/// entry: their total).
fn wiring(net: &Built, chunks: &[Chunk]) -> (Wiring, Vec<usize>) {
    let per_ens: Vec<usize> = net
        .ensembles
        .iter()
        .map(|e| e.n_neurons().div_ceil(CHUNK))
        .collect();
    let wiring = Wiring::new(net, &per_ens);
    let mut partial_at = vec![0];
    for ch in chunks {
        partial_at.push(partial_at.last().unwrap() + wiring.block[ch.ens]);
    }
    (wiring, partial_at)
}

/// Neurons per chunk, in the chunks' order (what `on_ranks` places).
pub fn chunk_sizes(net: &Built) -> Vec<usize> {
    neuron_layout(net).1.iter().map(|c| c.range.len()).collect()
}

/// Every neuron's voltage, refractory time and bias at t = 0 (ensembles
/// one after another) and the chunks (`CHUNK` neurons, never across
/// ensembles).
fn neuron_layout(net: &Built) -> ([Vec<f64>; 3], Vec<Chunk>) {
    let (mut cols, mut chunks) = ([Vec::new(), Vec::new(), Vec::new()], Vec::new());
    for (e, ens) in net.ensembles.iter().enumerate() {
        let start = cols[0].len();
        cols[0].extend_from_slice(&ens.initial_voltage);
        cols[2].extend_from_slice(&ens.bias);
        let end = cols[0].len();
        for k in (start..end).step_by(CHUNK) {
            chunks.push(Chunk {
                ens: e,
                range: k..(k + CHUNK).min(end),
                ens_start: start,
            });
        }
    }
    cols[1] = vec![0.0; cols[0].len()];
    (cols, chunks)
}

/// Per ensemble: its neurons' step constants, its spike output
/// (amplitude / dt) and its scaled encoders column-major (neuron,
/// dimension).
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
            .map(|e| e.scaled_encoders().as_slice().to_vec())
            .collect(),
    )
}

/// A chunk's partial weighted sums into `p`, one block per connection
/// leaving its ensemble (`outgoing`, in that order): the weight columns of
/// its neurons that fired (`fired`, indices in the chunk, increasing) times
/// the spike output, in neuron order.
fn chunk_partials(
    net: &Built,
    outgoing: &[usize],
    ch: &Chunk,
    fired: &[u16],
    out: f64,
    p: &mut [f64],
) {
    p.fill(0.0);
    let first = ch.range.start - ch.ens_start;
    let mut at = 0;
    for &c in outgoing {
        let w = &net.connections[c].weights;
        let rows = w.nrows();
        let block = &mut p[at..at + rows];
        // Column-major: a neuron's column is contiguous (vectorised loop).
        let all = w.as_slice();
        if rows == 1 {
            // One row (a one-dimensional decoder): the same sum, in one
            // register.
            let col = &all[first..first + usize::from(fired.last().map_or(0, |&i| i + 1))];
            block[0] = fired
                .iter()
                .fold(block[0], |p, &i| p + col[usize::from(i)] * out);
            at += 1;
            continue;
        }
        for &i in fired {
            let i = first + usize::from(i);
            let col = &all[i * rows..(i + 1) * rows];
            for (p, w) in block.iter_mut().zip(col) {
                *p += w * out;
            }
        }
        at += rows;
    }
}
