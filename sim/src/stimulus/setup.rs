//! The chunk inputs of the devices driven by tables or per-target trains —
//! inhomogeneous Poisson generator, step current generator, spike generator
//! from a spikes file, rate and latency encoders — made from the spec for
//! one chunk (times to steps, which of the device's targets the chunk
//! holds), and what they cost the memory estimate. `chunk_setup` hands
//! these kinds here; everything is keyed by device, gid and step, never by
//! rank or thread.

use super::coding::{encoder_rate_hz, latency_stamp};
use super::step_current::StepCurrentInput;
use super::target_trains::TargetTrainsInput;
use super::varying_poisson::{max_count, segment_start, Schedule, VaryingPoissonInput};
use super::ChunkInputs;
use crate::layout::ChunkInfo;
use crate::spec::{InputTable, NetworkSpec, Receptor, SimulationSpec, StimulusKind, StimulusSpec};

/// Expected events per step of a rate (Hz).
fn per_step(rate_hz: f64, sim: &SimulationSpec) -> f64 {
    rate_hz * sim.dt * 1e-3
}

/// A delay (ms) in steps, at least one.
fn delay_steps(sim: &SimulationSpec, delay: f64) -> u64 {
    sim.steps(delay).max(1)
}

/// The device's targets in the chunk: (position k in the device's target
/// list, neuron index within the chunk), k ascending.
fn positions(info: &ChunkInfo, lo: u32, ids: &Option<Vec<u32>>) -> Vec<(usize, u32)> {
    match ids {
        None => (0..info.len).map(|i| ((lo + i) as usize, i)).collect(),
        Some(ids) => {
            let a = ids.partition_point(|&n| n < lo);
            let b = ids.partition_point(|&n| n < lo + info.len);
            (a..b).map(|k| (k, ids[k] - lo)).collect()
        }
    }
}

/// Adds the chunk's input of device `device` (`st`, one of the kinds of
/// this module) to `inputs`; `lane` gives the ring lane of a receptor and
/// weight, and the weight as the receptor takes it (`ModelInfo::route`).
/// Nothing if the chunk holds none of its targets.
pub(crate) fn push_input(
    spec: &NetworkSpec,
    device: usize,
    st: &StimulusSpec,
    info: &ChunkInfo,
    lane: &dyn Fn(&Receptor, f64) -> (usize, f64),
    inputs: &mut ChunkInputs,
) {
    let sim = &spec.simulation;
    let lo = info.first_in_population(spec);
    let pos = positions(info, lo, &st.node_ids);
    if pos.is_empty() {
        return;
    }
    let lane_of = |weight| lane(&st.receptor, weight);
    match &st.kind {
        StimulusKind::StepCurrentGenerator {
            amplitude_times,
            amplitude_values,
            delay,
        } => {
            let d = delay_steps(sim, *delay);
            let starts = amplitude_times.iter().map(|&t| sim.steps(t) + d).collect();
            let targets = pos.iter().map(|&(_, t)| t).collect();
            let input = StepCurrentInput::new(targets, starts, amplitude_values.clone());
            inputs.steps.push(input);
        }
        StimulusKind::InhomogeneousPoissonGenerator { .. } | StimulusKind::RateEncoder { .. } => {
            let input = varying_input(sim, device, info.first_gid, &st.kind, &pos, &lane_of);
            inputs.varying.push(input);
        }
        _ => inputs
            .target_trains
            .push(trains_input(sim, &st.kind, &pos, &lane_of)),
    }
}

/// The chunk's input of an inhomogeneous Poisson generator or a rate encoder.
fn varying_input(
    sim: &SimulationSpec,
    device: usize,
    first_gid: u32,
    kind: &StimulusKind,
    pos: &[(usize, u32)],
    lane_of: &dyn Fn(f64) -> (usize, f64),
) -> VaryingPoissonInput {
    let (targets, schedule, weight, delay) = match kind {
        StimulusKind::InhomogeneousPoissonGenerator {
            rate_times,
            rate_values,
            weight,
            delay,
        } => {
            let schedule = Schedule {
                starts: segment_starts(sim, rate_times),
                lambdas: rate_values
                    .iter()
                    .map(|&r| vec![per_step(r, sim)])
                    .collect(),
            };
            let targets = pos.iter().map(|&(_, t)| (t, 0)).collect();
            (targets, schedule, *weight, *delay)
        }
        StimulusKind::RateEncoder {
            table,
            gain,
            offset,
            weight,
            delay,
        } => {
            let (targets, schedule) = rate_schedule(sim, table, *gain, *offset, pos);
            (targets, schedule, *weight, *delay)
        }
        _ => unreachable!("a Poisson device of varying rate"),
    };
    let ((lane, weight), d) = (lane_of(weight), delay_steps(sim, delay));
    VaryingPoissonInput::new(
        sim.seed, device, first_gid, &targets, lane, weight, d, schedule,
    )
}

/// The chunk's input of a latency encoder or a spike generator from a file.
fn trains_input(
    sim: &SimulationSpec,
    kind: &StimulusKind,
    pos: &[(usize, u32)],
    lane_of: &dyn Fn(f64) -> (usize, f64),
) -> TargetTrainsInput {
    let (stamps, weight, delay) = match kind {
        StimulusKind::SpikeTrains {
            trains,
            weight,
            delay,
            ..
        } => {
            let stamps = pos
                .iter()
                .flat_map(|&(k, t)| trains[k].1.iter().map(move |&s| (sim.steps(s), t)))
                .collect();
            (stamps, *weight, *delay)
        }
        StimulusKind::LatencyEncoder {
            table,
            tau,
            threshold,
            weight,
            delay,
        } => {
            let stamps = latency_stamps(sim, table, *tau, *threshold, pos);
            (stamps, *weight, *delay)
        }
        _ => unreachable!("chunk_setup handles the other kinds"),
    };
    let (lane, weight) = lane_of(weight);
    TargetTrainsInput::new(stamps, delay_steps(sim, delay), lane, weight)
}

/// The first emission step of each segment starting at `times` (ms).
fn segment_starts(sim: &SimulationSpec, times: &[f64]) -> Vec<u64> {
    times.iter().map(|&t| segment_start(sim.steps(t))).collect()
}

/// The rate encoder's targets in the chunk with their group (the chunk's
/// distinct components, numbered in ascending order) and the mean per step
/// of each group in each segment.
fn rate_schedule(
    sim: &SimulationSpec,
    table: &InputTable,
    gain: f64,
    offset: f64,
    pos: &[(usize, u32)],
) -> (Vec<(u32, u32)>, Schedule) {
    let mut comps: Vec<usize> = pos.iter().map(|&(k, _)| table.component(k)).collect();
    comps.sort_unstable();
    comps.dedup();
    let targets = pos
        .iter()
        .map(|&(k, t)| {
            let g = comps.binary_search(&table.component(k)).expect("listed");
            (t, g as u32)
        })
        .collect();
    let schedule = Schedule {
        starts: segment_starts(sim, &table.times),
        lambdas: table
            .values
            .iter()
            .map(|v| {
                comps
                    .iter()
                    .map(|&c| per_step(encoder_rate_hz(gain, offset, v[c]), sim))
                    .collect()
            })
            .collect(),
    };
    (targets, schedule)
}

/// The latency encoder's spikes to the chunk's targets: (stamp step, neuron
/// index within the chunk).
fn latency_stamps(
    sim: &SimulationSpec,
    table: &InputTable,
    tau: f64,
    threshold: f64,
    pos: &[(usize, u32)],
) -> Vec<(u64, u32)> {
    let starts: Vec<u64> = table.times.iter().map(|&t| sim.steps(t)).collect();
    let mut out = Vec::new();
    for &(k, t) in pos {
        let c = table.component(k);
        for (j, v) in table.values.iter().enumerate() {
            let next = starts.get(j + 1).copied();
            if let Some(s) = latency_stamp(starts[j], next, v[c], tau, threshold, sim.dt) {
                out.push((s, t));
            }
        }
    }
    out
}

/// What a device of one of this module's kinds costs a chunk: the most one
/// step brings one target (pA, for the fixed-point bound), the bytes the
/// chunk's input holds besides its targets (an upper bound) and the bytes
/// per target.
pub fn device_cost(sim: &SimulationSpec, kind: &StimulusKind) -> (f64, usize, usize) {
    const STRUCT: usize = 160;
    match kind {
        StimulusKind::InhomogeneousPoissonGenerator {
            rate_values,
            weight,
            ..
        } => {
            let most = rate_values
                .iter()
                .map(|&r| max_count(per_step(r, sim)))
                .max()
                .unwrap_or(0);
            let bytes = STRUCT + rate_values.len() * 40;
            (f64::from(most) * weight.abs(), bytes, 8)
        }
        StimulusKind::RateEncoder {
            table,
            gain,
            offset,
            weight,
            ..
        } => {
            let most = table
                .values
                .iter()
                .flatten()
                .map(|&x| max_count(per_step(encoder_rate_hz(*gain, *offset, x), sim)))
                .max()
                .unwrap_or(0);
            let bytes = STRUCT + table.values.len() * (32 + 8 * table.dim()) + 40 * table.dim();
            (f64::from(most) * weight.abs(), bytes, 8)
        }
        StimulusKind::StepCurrentGenerator {
            amplitude_times, ..
        } => (0.0, STRUCT + amplitude_times.len() * 16, 4),
        StimulusKind::SpikeTrains { trains, weight, .. } => {
            let most = trains
                .iter()
                .map(|(_, t)| {
                    t.chunk_by(|a, b| a == b)
                        .map(<[f64]>::len)
                        .max()
                        .unwrap_or(0)
                })
                .max()
                .unwrap_or(0);
            let events: usize = trains.iter().map(|(_, t)| t.len()).sum();
            let per_target = 16 * events.div_ceil(trains.len().max(1));
            (most as f64 * weight.abs(), STRUCT, per_target)
        }
        StimulusKind::LatencyEncoder { table, weight, .. } => {
            (weight.abs(), STRUCT, 16 * table.values.len())
        }
        _ => unreachable!("estimate handles the other kinds"),
    }
}
