//! Spec builders for the sim crate's tests (no config files: sim has no io).
#![allow(dead_code)]

pub mod nengo;
pub mod plastic;
pub mod ranks;
pub mod segments;

use brainsim_sim::model;
use brainsim_sim::spec::*;
use brainsim_sim::{EpochOutput, InProcess, Network, Spike};
use std::collections::BTreeMap;

/// iaf_psc_exp parameters of the Brunel-like test networks (mV, ms).
pub const LIF: &[(&str, f64)] = &[
    ("E_L", 0.0),
    ("V_th", 20.0),
    ("V_reset", 10.0),
    ("tau_m", 20.0),
    ("tau_syn_ex", 0.5),
    ("tau_syn_in", 0.5),
];

pub fn simulation(dt: f64, t_stop: f64) -> SimulationSpec {
    SimulationSpec {
        dt,
        t_stop,
        seed: 12345,
        threads: None,
        chunk_size: 64,
    }
}

pub fn population(
    name: &str,
    size: u32,
    model_name: &str,
    params: &[(&str, f64)],
) -> PopulationSpec {
    let m = model::lookup(model_name).unwrap();
    let given: ParamMap = params.iter().map(|(k, v)| (k.to_string(), *v)).collect();
    PopulationSpec {
        name: name.into(),
        size,
        first_gid: 0,
        model: model_name.into(),
        params: m.with_defaults(&given).unwrap(),
        initial: BTreeMap::new(),
        expected_rate: None,
    }
}

pub fn network(sim: SimulationSpec, mut pops: Vec<PopulationSpec>) -> NetworkSpec {
    let mut first = 0;
    for p in &mut pops {
        p.first_gid = first;
        first += p.size;
    }
    NetworkSpec {
        simulation: sim,
        populations: pops,
        projections: vec![],
        stimuli: vec![],
        records: vec![],
    }
}

pub fn projection(
    source: usize,
    target: usize,
    rule: ConnRule,
    weight: Distribution,
    delay: Distribution,
) -> ProjectionSpec {
    ProjectionSpec {
        source,
        target,
        rule,
        allow_autapses: true,
        allow_multapses: true,
        weight,
        delay,
        receptor: Receptor::BySign,
        plastic: None,
        procedural: false,
        weights_from: None,
    }
}

/// Runs the whole simulation in one process; returns spikes and samples.
pub fn run(spec: &NetworkSpec, threads: usize) -> (Vec<Spike>, Vec<brainsim_sim::chunk::Sample>) {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| {
        let mut ex = InProcess;
        let mut net = Network::build(spec, &|_| true, &mut ex);
        let mut out = EpochOutput::default();
        let (mut spikes, mut samples) = (Vec::new(), Vec::new());
        while net.run_epoch(&mut ex, &mut out) {
            spikes.extend_from_slice(&out.spikes);
            samples.extend_from_slice(&out.samples);
        }
        (spikes, samples)
    })
}

pub mod stats;

/// Calls `f(gid, step, events)` for every (neuron, step) to which the
/// network's devices bring events, read from the chunks' inputs in a fixed
/// point of one unit per pA (so an event of weight 1 pA counts 1); the
/// network is built in one process, its neurons are not run.
pub fn for_each_input_event(spec: &NetworkSpec, mut f: impl FnMut(u32, u64, i32)) {
    let net = Network::build(spec, &|_| true, &mut InProcess);
    for chunk in &net.chunks {
        let n = chunk.info.len as usize;
        let lanes = chunk.n_lanes();
        let mut inputs = chunk.inputs.clone();
        inputs.set_fixed_scale(1.0);
        let (mut slot, mut i_stim) = (vec![0; lanes * n], vec![0.0; n]);
        for step in 0..spec.simulation.n_steps() {
            slot.fill(0);
            inputs.apply(step, &mut slot, &mut i_stim);
            for (j, &v) in slot.iter().enumerate() {
                if v != 0 {
                    f(chunk.info.first_gid + (j % n) as u32, step, v);
                }
            }
        }
    }
}

/// Runs `spec` on `ranks` in-process ranks (threads, `LocalComm`), chunk c
/// on rank c % ranks, and returns the union of their spikes, sorted.
pub fn run_on_ranks(spec: &NetworkSpec, ranks: usize) -> Vec<Spike> {
    ranks::spikes_on_ranks(spec, ranks)
}
