//! Spikes are bit-identical for any number of threads, and connectivity
//! statistics follow the rules (in-degree exact, Bernoulli/total-number means).

mod common;
use brainsim_sim::layout;
use brainsim_sim::spec::*;
use brainsim_sim::{InProcess, Network};
use common::*;

/// A small Brunel-like E/I network exercising every rule, distribution and device.
fn mixed_network() -> NetworkSpec {
    let lif = [
        ("E_L", 0.0),
        ("V_th", 20.0),
        ("V_reset", 10.0),
        ("tau_m", 20.0),
        ("tau_syn_ex", 0.5),
        ("tau_syn_in", 0.5),
    ];
    let mut spec = network(
        simulation(0.1, 300.0),
        vec![
            population("E", 400, "iaf_psc_exp", &lif),
            population("I", 100, "alif", &lif),
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

#[test]
fn spikes_are_identical_for_1_2_3_threads_and_any_chunk_owner_order() {
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
