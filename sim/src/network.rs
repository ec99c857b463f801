//! The network of one rank: its chunks, how they are built from the spec, and
//! the epoch loop (update, gather, exchange, deliver).

use std::time::Instant;

use rayon::prelude::*;

use crate::chunk::{Chunk, Probe, Sample};
use crate::connect::{self, RawSynapse};
use crate::exchange::{Exchange, Spike};
use crate::layout::{self, ChunkInfo};
use crate::model;
use crate::rng::{stream_id, Purpose, Stream};
use crate::spec::{InitialValue, NetworkSpec, Receptor, RecordSpec, StimulusKind};
use crate::stimulus::{ChunkInputs, DcInput, PoissonInput, SpikeTrainInput};

/// Epoch length when the network has no synapses (nothing constrains it).
const EPOCH_WITHOUT_SYNAPSES: u64 = 100;

/// Wall-clock seconds per phase, under NEST's timer names.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Timers {
    pub time_construction_create: f64,
    pub time_construction_connect: f64,
    pub time_simulate: f64,
    pub time_update: f64,
    pub time_gather_spike_data: f64,
    pub time_communicate_spike_data: f64,
    pub time_deliver_spike_data: f64,
}

impl Timers {
    pub fn as_pairs(&self) -> [(&'static str, f64); 7] {
        [
            ("time_construction_create", self.time_construction_create),
            ("time_construction_connect", self.time_construction_connect),
            ("time_simulate", self.time_simulate),
            ("time_update", self.time_update),
            ("time_gather_spike_data", self.time_gather_spike_data),
            (
                "time_communicate_spike_data",
                self.time_communicate_spike_data,
            ),
            ("time_deliver_spike_data", self.time_deliver_spike_data),
        ]
    }
}

/// One state report: one variable of some neurons of one population.
#[derive(Clone, Debug, PartialEq)]
pub struct ReportInfo {
    pub name: String,
    pub population: usize,
    pub variable: String,
    /// Node ids within the population, one column each.
    pub node_ids: Vec<u32>,
    pub interval_steps: u64,
}

/// What one epoch produced on this rank.
#[derive(Debug, Default)]
pub struct EpochOutput {
    /// First and one-past-last step of the epoch.
    pub steps: (u64, u64),
    /// Local spikes, sorted by (step, gid).
    pub spikes: Vec<Spike>,
    /// Local samples, sorted by (record, step, column).
    pub samples: Vec<Sample>,
}

pub struct Network {
    pub spec: NetworkSpec,
    pub chunks: Vec<Chunk>,
    pub reports: Vec<ReportInfo>,
    pub min_delay: u64,
    pub max_delay: u64,
    pub ring_slots: u64,
    pub step: u64,
    pub n_steps: u64,
    pub timers: Timers,
    /// Spikes of the last epoch, exchanged, waiting to be delivered.
    pending: Vec<Spike>,
    pub spikes_total: u64,
}

/// All state reports of the spec, one per (record, variable).
pub fn reports(spec: &NetworkSpec) -> Vec<ReportInfo> {
    let dt = spec.simulation.dt;
    let mut out = Vec::new();
    for r in &spec.records {
        if let RecordSpec::State {
            name,
            population,
            variables,
            node_ids,
            interval,
        } = r
        {
            for v in variables {
                out.push(ReportInfo {
                    name: name.clone(),
                    population: *population,
                    variable: v.clone(),
                    node_ids: node_ids.clone(),
                    interval_steps: ((interval / dt).round() as u64).max(1),
                });
            }
        }
    }
    out
}

fn draw_initial(v: &InitialValue, s: &mut Stream) -> f64 {
    match *v {
        InitialValue::Constant(x) => x,
        InitialValue::Uniform { low, high } => low + (high - low) * s.uniform(),
        InitialValue::Normal { mean, std } => mean + std * s.normal(),
    }
}

fn receptor_index(r: &Receptor, weight: f64) -> usize {
    match r {
        Receptor::BySign => usize::from(weight < 0.0),
        Receptor::Index(i) => *i,
    }
}

/// Neurons, initial state, devices and probes of one chunk (no synapses yet).
fn create_chunk(spec: &NetworkSpec, info: ChunkInfo, reports: &[ReportInfo]) -> Chunk {
    let pop = &spec.populations[info.population];
    let m = model::lookup(&pop.model).expect("validated model name");
    let dt = spec.simulation.dt;
    let mut chunk = Chunk::new(
        info.clone(),
        (m.build)(&pop.params, dt, info.len as usize),
        m.receptors.len(),
        Default::default(),
    );
    for (var, init) in &pop.initial {
        let vi = m.state_index(var).expect("validated state variable");
        for (i, gid) in info.gids().enumerate() {
            let mut s = Stream::new(
                spec.simulation.seed,
                stream_id(Purpose::Initial, info.population),
                gid,
                vi as u32,
            );
            chunk.model_mut().set(vi, i, draw_initial(init, &mut s));
        }
    }
    let lo = info.first_in_population(spec);
    let local_targets = |ids: &Option<Vec<u32>>| -> Vec<u32> {
        match ids {
            None => (0..info.len).collect(),
            Some(ids) => ids
                .iter()
                .filter(|&&i| i >= lo && i < lo + info.len)
                .map(|&i| i - lo)
                .collect(),
        }
    };
    let mut inputs = ChunkInputs::default();
    for (d, st) in spec.stimuli.iter().enumerate() {
        if st.target != info.population {
            continue;
        }
        let targets = local_targets(&st.node_ids);
        if targets.is_empty() {
            continue;
        }
        match &st.kind {
            StimulusKind::PoissonGenerator {
                rate,
                weight,
                delay,
            } => {
                let lambda = rate * dt * 1e-3;
                let delay_steps = spec.simulation.steps(*delay).max(1);
                let r = receptor_index(&st.receptor, *weight);
                inputs.poisson.push(PoissonInput::new(
                    spec.simulation.seed,
                    d,
                    targets,
                    info.first_gid,
                    r,
                    *weight,
                    delay_steps,
                    lambda,
                ));
            }
            StimulusKind::DcGenerator {
                amplitude,
                start,
                stop,
            } => inputs.dc.push(DcInput {
                targets,
                amplitude: *amplitude,
                start_step: spec.simulation.steps(*start),
                stop_step: spec.simulation.steps(*stop),
            }),
            StimulusKind::SpikeGenerator {
                spike_times,
                weight,
                delay,
            } => {
                let d = spec.simulation.steps(*delay).max(1);
                // A spike stamped at T is consumed by the update of step T + d - 1.
                let steps = spike_times
                    .iter()
                    .map(|&t| (spec.simulation.steps(t) + d).saturating_sub(1))
                    .collect();
                let receptor = receptor_index(&st.receptor, *weight);
                inputs.trains.push(SpikeTrainInput {
                    steps,
                    targets,
                    receptor,
                    weight: *weight,
                    next: 0,
                });
            }
        }
    }
    chunk.inputs = inputs;
    for (ri, rep) in reports.iter().enumerate() {
        if rep.population != info.population {
            continue;
        }
        let var = m.state_index(&rep.variable).expect("validated variable");
        for (column, &node) in rep.node_ids.iter().enumerate() {
            if node >= lo && node < lo + info.len {
                chunk.probes.push(Probe {
                    record: ri as u32,
                    var,
                    neuron: node - lo,
                    column: column as u32,
                    interval_steps: rep.interval_steps,
                });
            }
        }
    }
    chunk
}

impl Network {
    /// Builds the chunks for which `is_local` holds. Collective over `ex`.
    pub fn build(
        spec: &NetworkSpec,
        is_local: &(dyn Fn(&ChunkInfo) -> bool + Sync),
        ex: &mut dyn Exchange,
    ) -> Network {
        let mut timers = Timers::default();
        let all = layout::chunks(spec);
        let reports = reports(spec);
        let t0 = Instant::now();
        let locals: Vec<ChunkInfo> = all.iter().filter(|c| is_local(c)).cloned().collect();
        let mut chunks: Vec<Chunk> = locals
            .into_par_iter()
            .map(|info| create_chunk(spec, info, &reports))
            .collect();
        timers.time_construction_create = t0.elapsed().as_secs_f64();

        let t1 = Instant::now();
        let splits: Vec<Vec<u64>> = (0..spec.projections.len())
            .map(|p| connect::split_total(spec, p, &all))
            .collect();
        let first_chunk_of_pop: Vec<usize> = spec
            .populations
            .iter()
            .enumerate()
            .map(|(p, _)| all.iter().position(|c| c.population == p).unwrap_or(0))
            .collect();
        let n_gids = spec.n_neurons() as usize;
        chunks.par_iter_mut().for_each(|chunk| {
            let info = chunk.info.clone();
            let mut raw: Vec<RawSynapse> = Vec::new();
            for (pi, p) in spec.projections.iter().enumerate() {
                if p.target == info.population {
                    let share = splits[pi]
                        .get(info.index - first_chunk_of_pop[info.population])
                        .copied()
                        .unwrap_or(0);
                    connect::generate(spec, pi, &info, share, &mut raw);
                }
            }
            let n_receptors = model::lookup(&spec.populations[info.population].model)
                .unwrap()
                .receptors
                .len() as u32;
            chunk.synapses =
                crate::synapse::SynapseStore::build(raw, n_gids, info.len, n_receptors);
        });
        let local_min = chunks
            .iter()
            .filter(|c| !c.synapses.is_empty())
            .map(|c| u64::from(c.synapses.min_delay))
            .min()
            .unwrap_or(u64::MAX);
        let local_max = chunks
            .iter()
            .map(|c| u64::from(c.synapses.max_delay))
            .max()
            .unwrap_or(0);
        let min_delay = ex.all_min(local_min);
        let max_delay = ex.all_max(local_max);
        let ring_slots = (max_delay + 1).next_power_of_two();
        chunks
            .par_iter_mut()
            .for_each(|c| c.allocate_ring(ring_slots));
        timers.time_construction_connect = t1.elapsed().as_secs_f64();

        Network {
            n_steps: spec.simulation.n_steps(),
            spec: spec.clone(),
            chunks,
            reports,
            min_delay,
            max_delay,
            ring_slots,
            step: 0,
            timers,
            pending: Vec::new(),
            spikes_total: 0,
        }
    }

    /// Steps between two exchanges: the minimum delay (>= 1).
    pub fn epoch_steps(&self) -> u64 {
        if self.min_delay == u64::MAX {
            EPOCH_WITHOUT_SYNAPSES
        } else {
            self.min_delay.max(1)
        }
    }

    pub fn n_synapses(&self) -> u64 {
        self.chunks.iter().map(|c| c.synapses.len() as u64).sum()
    }

    /// Every source gid with at least one synapse onto a local chunk, sorted:
    /// the spikes this rank must receive.
    pub fn needed_sources(&self) -> Vec<u32> {
        let n = self.spec.n_neurons() as usize;
        let mut needed = vec![false; n];
        for c in &self.chunks {
            for s in c.synapses.sources() {
                needed[s as usize] = true;
            }
        }
        (0..n as u32).filter(|&g| needed[g as usize]).collect()
    }

    pub fn synapse_bytes(&self) -> u64 {
        self.chunks.iter().map(|c| c.synapses.bytes() as u64).sum()
    }

    /// Synaptic events delivered so far on this rank.
    pub fn events(&self) -> u64 {
        self.chunks.iter().map(|c| c.events).sum()
    }

    pub fn is_done(&self) -> bool {
        self.step >= self.n_steps
    }

    /// Runs one epoch. Returns false (and does nothing) when the run is over.
    ///
    /// Each chunk first delivers the spikes of the previous epoch into its own
    /// ring buffer, then updates through this epoch's steps: one parallel
    /// region per epoch, and the ring is hot in cache when it is read.
    /// Invariant: every delay is >= the epoch length, so a spike of epoch e
    /// lands at a step >= the start of epoch e + 1; delivering it before
    /// updating epoch e + 1 is always in time.
    pub fn run_epoch(&mut self, ex: &mut dyn Exchange, out: &mut EpochOutput) -> bool {
        if self.is_done() {
            return false;
        }
        let t_start = Instant::now();
        let s0 = self.step;
        let s1 = (s0 + self.epoch_steps()).min(self.n_steps);

        let pending = &self.pending;
        let (deliver_ns, update_ns) = self
            .chunks
            .par_iter_mut()
            .map(|c| {
                let t0 = Instant::now();
                c.deliver(pending);
                let t1 = Instant::now();
                c.update_epoch(s0, s1);
                ((t1 - t0).as_nanos() as u64, t1.elapsed().as_nanos() as u64)
            })
            .reduce(|| (0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
        let t_compute = Instant::now();

        out.steps = (s0, s1);
        out.spikes.clear();
        out.samples.clear();
        for c in &self.chunks {
            out.spikes.extend_from_slice(&c.out_spikes);
            out.samples.extend_from_slice(&c.out_samples);
        }
        out.spikes.sort_unstable();
        out.samples
            .sort_unstable_by_key(|s| (s.record, s.step, s.column));
        self.spikes_total += out.spikes.len() as u64;
        let t_gather = Instant::now();

        ex.exchange(&out.spikes, &mut self.pending);
        // Delivery order does not change the sums (fixed point), so visit the
        // rows in gid order: increasing addresses are kinder to caches and TLB.
        self.pending.sort_unstable_by_key(|s| s.gid);
        let t_end = Instant::now();

        // Delivery and update run fused in one parallel region: its wall time
        // is split between their timers in proportion to their thread time.
        let compute = (t_compute - t_start).as_secs_f64();
        let total_ns = (deliver_ns + update_ns).max(1) as f64;
        let tm = &mut self.timers;
        tm.time_deliver_spike_data += compute * deliver_ns as f64 / total_ns;
        tm.time_update += compute * update_ns as f64 / total_ns;
        tm.time_gather_spike_data += (t_gather - t_compute).as_secs_f64();
        tm.time_communicate_spike_data += (t_end - t_gather).as_secs_f64();
        tm.time_simulate += (t_end - t_start).as_secs_f64();
        self.step = s1;
        true
    }
}
