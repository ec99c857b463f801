//! What a chunk is made of before its synapses: neurons of the population's
//! model with their initial values, the device inputs that target them, and
//! the probes of state reports.
//!
//! Invariant: everything here is keyed by gid, population or device — never
//! by rank or thread — so a chunk is the same whoever creates it.

use crate::chunk::{Chunk, Probe};
use crate::layout::ChunkInfo;
use crate::model;
use crate::rng::{stream_id, Purpose, Stream};
use crate::spec::{InitialValue, NetworkSpec, Receptor, RecordSpec, StimulusKind};
use crate::stimulus::{ChunkInputs, DcInput, PoissonInput, SpikeTrainInput};

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
pub(crate) fn create_chunk(spec: &NetworkSpec, info: ChunkInfo, reports: &[ReportInfo]) -> Chunk {
    let pop = &spec.populations[info.population];
    let m = model::lookup(&pop.model).expect("validated model name");
    let dt = spec.simulation.dt;
    // Receptors share one lane unless a per-receptor variable is recorded or
    // initialised (decided per population, so every chunk agrees).
    let used_vars = reports
        .iter()
        .filter(|r| r.population == info.population)
        .map(|r| r.variable.as_str())
        .chain(pop.initial.keys().map(String::as_str));
    let lanes = m.lanes(&pop.params, used_vars);
    let lane_of = |receptor: usize| if lanes == 1 { 0 } else { receptor };
    let mut chunk = Chunk::new(
        info.clone(),
        (m.build)(&pop.params, dt, info.len as usize, lanes),
        lanes,
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
                    lane_of(r),
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
                    lane: lane_of(receptor),
                    weight: *weight,
                    weight_fixed: 0,
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
