//! Spikes are bit-identical for any number of threads, a chunk is built the
//! same whichever other chunks are built with it (as on any rank), and
//! connectivity statistics follow the rules (in-degree exact, Bernoulli and
//! total-number means).

mod common;
use brainsim_sim::chunk::Chunk;
use brainsim_sim::layout::{self, ChunkInfo};
use brainsim_sim::model;
use brainsim_sim::spec::*;
use brainsim_sim::synapse::Synapse;
use brainsim_sim::{InProcess, Network};
use common::*;

/// A small Brunel-like E/I network exercising every rule, distribution and device.
fn mixed_network() -> NetworkSpec {
    let mut spec = network(
        simulation(0.1, 300.0),
        vec![
            population("E", 400, "iaf_psc_exp", LIF),
            population("I", 100, "alif", LIF),
        ],
    );
    spec.populations[0].initial.insert(
        "V_m".into(),
        InitialValue::Uniform {
            low: 0.0,
            high: 20.0,
        },
    );
    let normal_w = Distribution::Normal {
        mean: 60.0,
        std: 20.0,
    };
    let normal_d = Distribution::Normal {
        mean: 1.5,
        std: 0.7,
    };
    spec.projections = vec![
        projection(
            0,
            0,
            ConnRule::FixedIndegree { indegree: 40 },
            normal_w.clone(),
            normal_d.clone(),
        ),
        projection(
            0,
            1,
            ConnRule::PairwiseBernoulli { p: 0.1 },
            Distribution::Uniform {
                low: 20.0,
                high: 80.0,
            },
            Distribution::Constant(1.0),
        ),
        projection(
            1,
            0,
            ConnRule::FixedTotalNumber { n: 4000 },
            Distribution::Constant(-250.0),
            normal_d,
        ),
        projection(
            1,
            1,
            ConnRule::FixedOutdegree { outdegree: 10 },
            Distribution::Lognormal {
                mu: 3.0,
                sigma: 0.5,
            },
            Distribution::Constant(0.8),
        ),
        projection(
            0,
            1,
            ConnRule::OneToOne,
            Distribution::Constant(5.0),
            Distribution::Constant(2.0),
        ),
    ];
    spec.projections[0].allow_autapses = false;
    spec.projections[0].allow_multapses = false;
    spec.stimuli.push(StimulusSpec {
        kind: StimulusKind::PoissonGenerator {
            rate: 15000.0,
            weight: 50.0,
            delay: 1.5,
        },
        target: 0,
        node_ids: None,
        receptor: Receptor::BySign,
    });
    spec.stimuli.push(StimulusSpec {
        kind: StimulusKind::DcGenerator {
            amplitude: 300.0,
            start: 50.0,
            stop: 200.0,
        },
        target: 1,
        node_ids: Some(vec![1, 2, 3]),
        receptor: Receptor::BySign,
    });
    spec
}

/// Thread count only: which chunks a rank owns is checked at the level of
/// what is built (`every_chunk_is_built_the_same_whoever_builds_it_with_it`).
#[test]
fn spikes_are_identical_for_1_2_3_threads() {
    let spec = mixed_network();
    let (one, _) = run(&spec, 1);
    assert!(
        one.len() > 1000,
        "network too quiet to test anything: {}",
        one.len()
    );
    for threads in [2, 3] {
        let (other, _) = run(&spec, threads);
        assert_eq!(one, other, "threads = {threads}");
    }
}

#[test]
fn connection_counts_follow_the_rules() {
    let spec = mixed_network();
    let mut ex = InProcess;
    let net = Network::build(&spec, &|_| true, &mut ex);
    let n_chunks = layout::chunks(&spec).len();
    assert_eq!(net.chunks.len(), n_chunks);
    let total: u64 = net.n_synapses();
    // indegree 40 x 400 + Bernoulli ~0.1 x 400 x 100 + 4000 + 10 x 100 + 100.
    let exact = 40 * 400 + 4000 + 1000 + 100;
    let bernoulli = total - exact;
    let mean = 0.1 * 400.0 * 100.0;
    let sd = (mean * 0.9f64).sqrt();
    assert!(
        (bernoulli as f64 - mean).abs() < 5.0 * sd,
        "bernoulli synapses {bernoulli} vs {mean}"
    );
}

/// Receptors with equal time constants share one ring lane; recording a
/// per-receptor current keeps the lanes apart. Neither the spikes nor V_m may
/// change with what is recorded.
#[test]
fn recording_synaptic_currents_changes_no_result() {
    let record = |variables: &[&str]| RecordSpec::State {
        name: "cells".into(),
        population: 0,
        variables: variables.iter().map(|v| v.to_string()).collect(),
        node_ids: (0..400).step_by(7).collect(),
        interval: 0.1,
    };
    let mut merged = mixed_network();
    merged.records.push(record(&["V_m"]));
    let mut apart = mixed_network();
    apart.records.push(record(&["V_m", "I_syn_ex", "I_syn_in"]));
    let lanes = |spec: &NetworkSpec| {
        let net = Network::build(spec, &|_| true, &mut InProcess);
        net.chunks[0].n_lanes()
    };
    assert_eq!((lanes(&merged), lanes(&apart)), (1, 2));

    let (spikes_m, samples_m) = run(&merged, 2);
    let (spikes_a, samples_a) = run(&apart, 2);
    assert!(spikes_m.len() > 1000);
    assert_eq!(spikes_m, spikes_a);
    let of = |samples: &[brainsim_sim::chunk::Sample], r: u32| -> Vec<(u64, u32, u64)> {
        samples
            .iter()
            .filter(|s| s.record == r)
            .map(|s| (s.step, s.column, s.value.to_bits()))
            .collect()
    };
    assert_eq!(of(&samples_m, 0), of(&samples_a, 0), "V_m");
    // Both recorded currents carry input (E gets excitatory and inhibitory events).
    for r in [1, 2] {
        assert!(samples_a.iter().any(|s| s.record == r && s.value != 0.0));
    }
}

/// Everything a chunk is built with that decides results: its synapse rows
/// (sources, then each row's offsets and fixed-point weights, in store
/// order), the store's fixed-point scale and delay range, its ring lanes, its
/// neurons' initial state, its device inputs and probes. Not its ring slots:
/// they follow the maximum delay agreed among the chunks built together.
#[derive(Debug, PartialEq)]
struct Built {
    sources: Vec<u32>,
    rows: Vec<Vec<Synapse>>,
    fixed_scale: u64,
    delays: (u32, u32),
    lanes: usize,
    state: Vec<u64>,
    inputs: String,
    probes: String,
}

fn built(spec: &NetworkSpec, chunk: &mut Chunk) -> Built {
    let syn = &chunk.synapses;
    let sources: Vec<u32> = syn.sources().collect();
    let rows = sources.iter().map(|&g| syn.row(g).collect()).collect();
    let (fixed_scale, delays) = (syn.fixed_scale.to_bits(), (syn.min_delay, syn.max_delay));
    let pop = &spec.populations[chunk.info.population];
    let n_vars = model::lookup(&pop.model).unwrap().state.len();
    let n = chunk.info.len as usize;
    let m = chunk.model_mut();
    let state = (0..n_vars)
        .flat_map(|v| (0..n).map(move |i| (v, i)))
        .map(|(v, i)| m.get(v, i).to_bits())
        .collect();
    Built {
        sources,
        rows,
        fixed_scale,
        delays,
        lanes: chunk.n_lanes(),
        state,
        inputs: format!("{:?}", chunk.inputs),
        probes: format!("{:?}", chunk.probes),
    }
}

/// Which chunks one build owns.
type Owns = Box<dyn Fn(&ChunkInfo) -> bool + Sync>;

/// The chunks built under `owns`, by chunk index.
fn build_owned(
    spec: &NetworkSpec,
    owns: &(dyn Fn(&ChunkInfo) -> bool + Sync),
) -> Vec<(usize, Built)> {
    let mut net = Network::build(spec, owns, &mut InProcess);
    net.chunks
        .iter_mut()
        .map(|c| (c.info.index, built(spec, c)))
        .collect()
}

/// Chunk-owner invariance: every random draw is keyed by what it decides,
/// never by who builds it, so a chunk built together with any subset of the
/// other chunks (what a rank does) is identical to the same chunk of the
/// whole network. Ownership sets: all, even-indexed, odd-indexed, a
/// pseudo-random subset, each chunk alone.
#[test]
fn every_chunk_is_built_the_same_whoever_builds_it_with_it() {
    let mut spec = mixed_network();
    // A probe and a spike train too, so every kind of chunk content varies.
    spec.records.push(RecordSpec::State {
        name: "cells".into(),
        population: 0,
        variables: vec!["V_m".into()],
        node_ids: (0..400).step_by(9).collect(),
        interval: 0.5,
    });
    spec.stimuli.push(StimulusSpec {
        kind: StimulusKind::SpikeGenerator {
            spike_times: vec![5.0, 12.5, 12.5],
            weight: -40.0,
            delay: 1.0,
        },
        target: 1,
        node_ids: Some((0..100).step_by(3).collect()),
        receptor: Receptor::BySign,
    });
    // And every device of rate and temporal coding.
    let table = InputTable {
        times: vec![0.0, 20.0],
        values: vec![vec![1.0, 2.5], vec![3.0, 0.5]],
        components: None,
    };
    let coding = [
        StimulusKind::InhomogeneousPoissonGenerator {
            rate_times: vec![0.0, 30.0],
            rate_values: vec![100.0, 3000.0],
            weight: 10.0,
            delay: 1.0,
        },
        StimulusKind::RateEncoder {
            table: table.clone(),
            gain: 100.0,
            offset: 10.0,
            weight: 5.0,
            delay: 1.0,
        },
        StimulusKind::LatencyEncoder {
            table,
            tau: 5.0,
            threshold: 0.9,
            weight: 20.0,
            delay: 1.0,
        },
        StimulusKind::StepCurrentGenerator {
            amplitude_times: vec![3.0, 9.0],
            amplitude_values: vec![50.0, -5.0],
            delay: 1.0,
        },
        StimulusKind::SpikeTrains {
            file: "x.h5".into(),
            population: "x".into(),
            trains: vec![(7, vec![1.0]), (150, vec![2.0, 2.0]), (390, vec![4.0])],
            weight: 30.0,
            delay: 1.0,
        },
    ];
    for (i, kind) in coding.into_iter().enumerate() {
        let node_ids = match &kind {
            StimulusKind::SpikeTrains { trains, .. } => Some(trains.iter().map(|t| t.0).collect()),
            _ if i % 2 == 1 => Some((0..400).step_by(5).collect()),
            _ => None,
        };
        spec.stimuli.push(StimulusSpec {
            kind,
            target: 0,
            node_ids,
            receptor: Receptor::BySign,
        });
    }
    let whole = build_owned(&spec, &|_| true);
    let n_chunks = layout::chunks(&spec).len();
    assert_eq!(whole.len(), n_chunks);
    assert!(n_chunks >= 8, "too few chunks to split: {n_chunks}");
    let scramble = |i: usize| (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 61;
    let mut owners: Vec<(String, Owns)> = vec![
        ("even".into(), Box::new(|c: &ChunkInfo| c.index & 1 == 0)),
        ("odd".into(), Box::new(|c: &ChunkInfo| c.index & 1 == 1)),
        (
            "pseudo-random".into(),
            Box::new(move |c: &ChunkInfo| scramble(c.index) < 3),
        ),
    ];
    for k in 0..n_chunks {
        owners.push((
            format!("chunk {k} alone"),
            Box::new(move |c: &ChunkInfo| c.index == k),
        ));
    }
    let mut seen = vec![0; n_chunks];
    for (name, owns) in &owners {
        let part = build_owned(&spec, owns.as_ref());
        assert!(
            !part.is_empty() && part.len() < n_chunks,
            "{name}: {} chunks",
            part.len()
        );
        for (index, b) in part {
            assert_eq!(b, whole[index].1, "chunk {index} built with {name}");
            seen[index] += 1;
        }
    }
    // Every chunk was compared at least twice (alone and in a parity set).
    assert!(seen.iter().all(|&n| n >= 2), "{seen:?}");
}
