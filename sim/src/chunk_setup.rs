//! Chunk set-up: what a chunk is made of before its synapses — the neurons
//! of its population's model with their initial values, the device inputs
//! that target them, the probes of state reports — and the list of state
//! reports of the spec (`reports`). (Not a Cargo build script: called from
//! `Network::build`.)
//!
//! Invariant: everything here is keyed by gid, population or device — never
//! by rank or thread — so a chunk is the same whoever creates it.

use crate::chunk::{Chunk, Probe};
use crate::layout::ChunkInfo;
use crate::model::{self, ModelInfo, NeuronModel};
use crate::rng::{stream_id, Purpose, Stream};
use crate::spec::{InitialValue, NetworkSpec, Receptor, RecordSpec, SimulationSpec, StimulusKind};
use crate::stimulus::{ChunkInputs, DcInput, PoissonInput, SpikeTrainInput};

/// One state report: one variable of some neurons of one population.
#[derive(Clone, Debug, PartialEq)]
pub struct ReportInfo {
    /// The record's name (files are `<name>_<variable>.h5`).
    pub name: String,
    /// Population index.
    pub population: usize,
    /// The state variable.
    pub variable: String,
    /// Node ids within the population, one column each.
    pub node_ids: Vec<u32>,
    /// Sampling interval in steps (>= 1).
    pub interval_steps: u64,
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

/// Neurons, initial state, devices and probes of one chunk (no synapses yet).
pub(crate) fn create_chunk(spec: &NetworkSpec, info: ChunkInfo, reports: &[ReportInfo]) -> Chunk {
    let pop = &spec.populations[info.population];
    let m = model::lookup(&pop.model).expect("validated model name");
    let lanes = population_lanes(spec, info.population, reports);
    let mut chunk = Chunk::new(
        info.clone(),
        (m.build)(&pop.params, spec.simulation.dt, info.len as usize, lanes),
        lanes,
        Default::default(),
    );
    set_initial_values(spec, &info, m, chunk.model_mut());
    chunk.inputs = device_inputs(spec, &info, lanes);
    chunk.probes = probes(spec, &info, m, reports);
    chunk
}

/// Ring lanes of population `population`'s neurons. Receptors share one lane
/// unless a per-receptor variable is recorded or initialised; decided per
/// population (from the spec only), so every chunk of a population agrees.
pub fn population_lanes(spec: &NetworkSpec, population: usize, reports: &[ReportInfo]) -> usize {
    let pop = &spec.populations[population];
    let m = model::lookup(&pop.model).expect("validated model name");
    let used_vars = reports
        .iter()
        .filter(|r| r.population == population)
        .map(|r| r.variable.as_str())
        .chain(pop.initial.keys().map(String::as_str));
    m.lanes(&pop.params, used_vars)
}

/// Draws the population's initial values for the chunk's neurons, each from
/// its own stream keyed by (population, gid, variable).
fn set_initial_values(
    spec: &NetworkSpec,
    info: &ChunkInfo,
    m: &ModelInfo,
    neurons: &mut dyn NeuronModel,
) {
    let pop = &spec.populations[info.population];
    for (var, init) in &pop.initial {
        let vi = m.state_index(var).expect("validated state variable");
        for (i, gid) in info.gids().enumerate() {
            let mut s = Stream::new(
                spec.simulation.seed,
                stream_id(Purpose::Initial, info.population),
                gid,
                vi as u32,
            );
            neurons.set(vi, i, draw_initial(init, &mut s));
        }
    }
}

/// The chunk's neurons among population node ids `ids` (all when `None`), as
/// indexes within the chunk.
fn local_targets(info: &ChunkInfo, lo: u32, ids: &Option<Vec<u32>>) -> Vec<u32> {
    match ids {
        None => (0..info.len).collect(),
        Some(ids) => ids
            .iter()
            .filter(|&&i| i >= lo && i < lo + info.len)
            .map(|&i| i - lo)
            .collect(),
    }
}

/// The inputs of every device of the spec that targets some of the chunk's
/// neurons, in spec order (the device index keys the Poisson streams).
fn device_inputs(spec: &NetworkSpec, info: &ChunkInfo, lanes: usize) -> ChunkInputs {
    let lo = info.first_in_population(spec);
    let sim = &spec.simulation;
    let model = model::lookup(&spec.populations[info.population].model).expect("validated");
    // The lane and the weight as the receptor takes it (see `ModelInfo::route`).
    let lane_of = |r: &Receptor, weight: f64| {
        let (receptor, w) = model.route(r, weight);
        (if lanes == 1 { 0 } else { receptor }, w)
    };
    let mut inputs = ChunkInputs::default();
    for (d, st) in spec.stimuli.iter().enumerate() {
        if st.target != info.population {
            continue;
        }
        let targets = local_targets(info, lo, &st.node_ids);
        if targets.is_empty() {
            continue;
        }
        match &st.kind {
            StimulusKind::PoissonGenerator {
                rate,
                weight,
                delay,
            } => inputs.poisson.push(PoissonInput::new(
                sim.seed,
                d,
                targets,
                info.first_gid,
                lane_of(&st.receptor, *weight).0,
                lane_of(&st.receptor, *weight).1,
                sim.steps(*delay).max(1),
                rate * sim.dt * 1e-3,
            )),
            StimulusKind::DcGenerator {
                amplitude,
                start,
                stop,
            } => inputs.dc.push(DcInput {
                targets,
                amplitude: *amplitude,
                start_step: sim.steps(*start),
                stop_step: sim.steps(*stop),
            }),
            StimulusKind::SpikeGenerator {
                spike_times,
                weight,
                delay,
            } => inputs.trains.push(SpikeTrainInput {
                steps: train_steps(sim, spike_times, *delay),
                targets,
                lane: lane_of(&st.receptor, *weight).0,
                weight: lane_of(&st.receptor, *weight).1,
                weight_fixed: 0,
                next: 0,
            }),
            _ => crate::stimulus::setup::push_input(spec, d, st, info, &lane_of, &mut inputs),
        }
    }
    inputs
}

/// The steps at which a spike generator's events are consumed: a spike
/// stamped at T is consumed by the update of step T + d - 1 (d >= 1 steps).
pub(crate) fn train_steps(sim: &SimulationSpec, spike_times: &[f64], delay: f64) -> Vec<u64> {
    let d = sim.steps(delay).max(1);
    spike_times
        .iter()
        .map(|&t| (sim.steps(t) + d).saturating_sub(1))
        .collect()
}

/// One probe per (report, recorded node) of the chunk's neurons, in report
/// then column order.
fn probes(
    spec: &NetworkSpec,
    info: &ChunkInfo,
    m: &ModelInfo,
    reports: &[ReportInfo],
) -> Vec<Probe> {
    let lo = info.first_in_population(spec);
    let mut out = Vec::new();
    for (ri, rep) in reports.iter().enumerate() {
        if rep.population != info.population {
            continue;
        }
        let var = m.state_index(&rep.variable).expect("validated variable");
        for (column, &node) in rep.node_ids.iter().enumerate() {
            if node >= lo && node < lo + info.len {
                out.push(Probe {
                    record: ri as u32,
                    var,
                    neuron: node - lo,
                    column: column as u32,
                    interval_steps: rep.interval_steps,
                });
            }
        }
    }
    out
}
