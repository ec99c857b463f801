//! The devices of rate and temporal coding against their definitions:
//! counts of the rate encoder and of the inhomogeneous Poisson generator
//! against their rates (Pearson chi-square, p-values from the chi-square
//! distribution), their switching steps against NEST's timing, the latency
//! encoder's spikes against the formula to the step, and the new random
//! devices' spikes identical for 1/2/3 threads and 1/2/3 in-process ranks.
//!
//! Events are read at the devices' output (`for_each_input_event`: each
//! chunk's inputs applied step by step, one unit per event), not through a
//! neuron, so a count is exactly what the device emitted.
//!
//! Chi-square thresholds: a test fails when p < 0.001. The seeds are fixed,
//! so each test is deterministic; a correct generator would fail about one
//! seed in a thousand. Power, measured by skewing the reference: the
//! aggregated test (counts summed per component and segment, ~10^4 events
//! per cell) gives p = 0.007 for a 3% error in the rate of one of its 11
//! cells and p < 1e-4 (fails) for 5%; a rate error in every cell, or a
//! wrong time base, fails by far. The per-neuron test checks the Poisson
//! dispersion of the single trains (two-sided: too regular fails too).

mod common;
use brainsim_sim::spec::*;
use common::stats::{chi2_sf, pearson};
use common::*;

const DT: f64 = 0.1;

/// `n` silent neurons (V_th out of reach) driven by `kind` with weight 1 pA.
fn driven(n: u32, t_stop: f64, kind: StimulusKind, node_ids: Option<Vec<u32>>) -> NetworkSpec {
    let mut spec = network(
        simulation(DT, t_stop),
        vec![population("P", n, "iaf_psc_exp", &[("V_th", 1e9)])],
    );
    spec.simulation.chunk_size = 300;
    spec.stimuli.push(StimulusSpec {
        kind,
        target: 0,
        node_ids,
        receptor: Receptor::BySign,
    });
    spec
}

/// The segment (index of the last time <= t) of a spike stamped at `t`.
fn segment(times: &[f64], t: f64) -> Option<usize> {
    times.partition_point(|&s| s <= t + 1e-9).checked_sub(1)
}

/// Stamp steps (1..=n_steps - delay_steps + 1 ... ) whose events arrive in
/// the run, per segment: the exposure of each segment in steps.
fn exposure(times: &[f64], t_stop: f64, delay_steps: u64) -> Vec<f64> {
    let n_steps = (t_stop / DT).round() as u64;
    let mut steps = vec![0.0; times.len()];
    // Emission step e is stamped (e + 1) dt and consumed at e + delay.
    for e in 0..n_steps - delay_steps {
        if let Some(k) = segment(times, (e + 1) as f64 * DT) {
            steps[k] += 1.0;
        }
    }
    steps
}

/// Two-sided p-value of a chi-square statistic.
fn two_sided(x2: f64, df: f64) -> f64 {
    let sf = chi2_sf(x2, df);
    2.0 * sf.min(1.0 - sf)
}

#[test]
fn rate_encoder_reproduces_its_target_rates() {
    let (t_stop, gain, offset, delay) = (3000.0, 10.0, 5.0, 1.0);
    let times = vec![0.0, 1000.0, 2000.0];
    let values = vec![
        vec![0.5, 1.0, 2.0, 4.0],
        vec![4.0, -1.0, 1.0, 0.0],
        vec![2.5, 3.0, 0.2, 1.5],
    ];
    let table = InputTable {
        times: times.clone(),
        values: values.clone(),
        components: None,
    };
    let kind = StimulusKind::RateEncoder {
        table,
        gain,
        offset,
        weight: 1.0,
        delay,
    };
    let n = 2000u32;
    let spec = driven(n, t_stop, kind, None);
    let d = (delay / DT).round() as u64;
    let (k_seg, dim) = (times.len(), 4);
    let mut counts = vec![0.0; n as usize * k_seg];
    for_each_input_event(&spec, |gid, step, v| {
        let stamp = (step + 1 - d) as f64 * DT;
        let k = segment(&times, stamp).expect("no event before the first time");
        counts[gid as usize * k_seg + k] += f64::from(v);
    });
    let exp_steps = exposure(&times, t_stop, d);
    let rate = |k: usize, c: usize| (gain * values[k][c] + offset).max(0.0);
    let expected: Vec<f64> = (0..n as usize * k_seg)
        .map(|cell| {
            let (i, k) = (cell / k_seg, cell % k_seg);
            rate(k, i % dim) * DT * 1e-3 * exp_steps[k]
        })
        .collect();
    // Per neuron and segment: Poisson dispersion of the single trains.
    let (x2, df, zeros_empty) = pearson(&counts, &expected);
    let p_neuron = two_sided(x2, df);
    // Summed per component and segment: the rates themselves.
    let mut agg = vec![0.0; dim * k_seg];
    let mut agg_e = vec![0.0; dim * k_seg];
    for (cell, (&o, &e)) in counts.iter().zip(&expected).enumerate() {
        let (i, k) = (cell / k_seg, cell % k_seg);
        agg[(i % dim) * k_seg + k] += o;
        agg_e[(i % dim) * k_seg + k] += e;
    }
    let (ax2, adf, _) = pearson(&agg, &agg_e);
    let p_rates = chi2_sf(ax2, adf);
    println!(
        "rate encoder: per neuron x2 = {x2:.1} on {df} df, p = {p_neuron:.3}; \
         per component x2 = {ax2:.2} on {adf} df, p = {p_rates:.3}"
    );
    assert!(zeros_empty, "a clipped (rate 0) component emitted events");
    assert_eq!((df, adf), (5500.0, 11.0));
    assert!(p_neuron > 1e-3, "per-neuron dispersion: p = {p_neuron}");
    assert!(p_rates > 1e-3, "rates: p = {p_rates}");
}

/// An explicit component mapping on a subset of node ids: target k (k-th
/// node id) reads `components[k]`.
#[test]
fn rate_encoder_follows_an_explicit_mapping() {
    let node_ids: Vec<u32> = (0..600).map(|i| 2 * i + 1).collect();
    let components: Vec<u32> = (0..600).map(|k| u32::from(k >= 200)).collect();
    let table = InputTable {
        times: vec![0.0],
        values: vec![vec![0.0, 5.0]],
        components: Some(components),
    };
    let kind = StimulusKind::RateEncoder {
        table,
        gain: 20.0,
        offset: 0.0,
        weight: 1.0,
        delay: 0.1,
    };
    let spec = driven(1300, 2000.0, kind, Some(node_ids));
    let mut per_node = vec![0.0; 1300];
    for_each_input_event(&spec, |gid, _, v| per_node[gid as usize] += f64::from(v));
    // Even nodes are not targets; odd node 2k+1 is target k.
    assert!(per_node.iter().step_by(2).all(|&c| c == 0.0));
    let first: f64 = (0..200).map(|k| per_node[2 * k + 1]).sum();
    let rest: f64 = (200..600).map(|k| per_node[2 * k + 1]).sum();
    let expected = 400.0 * 100.0 * (2000.0 - 0.1) / 1000.0;
    assert_eq!(first, 0.0, "component 0 has rate 0");
    let z = (rest - expected) / expected.sqrt();
    assert!(z.abs() < 4.0, "{rest} events vs {expected}: z = {z}");
}

#[test]
fn inhomogeneous_poisson_rate_per_segment() {
    let times = vec![0.0, 200.0, 700.0, 900.0];
    let rates = [20.0, 80.0, 0.0, 40.0];
    let (n, t_stop, delay) = (1000u32, 1500.0, 1.5);
    let kind = StimulusKind::InhomogeneousPoissonGenerator {
        rate_times: times.clone(),
        rate_values: rates.to_vec(),
        weight: 1.0,
        delay,
    };
    let spec = driven(n, t_stop, kind, None);
    let d = (delay / DT).round() as u64;
    let mut counts = vec![0.0; n as usize * times.len()];
    for_each_input_event(&spec, |gid, step, v| {
        let k = segment(&times, (step + 1 - d) as f64 * DT).unwrap();
        counts[gid as usize * times.len() + k] += f64::from(v);
    });
    let exp_steps = exposure(&times, t_stop, d);
    let expected: Vec<f64> = (0..counts.len())
        .map(|c| rates[c % times.len()] * DT * 1e-3 * exp_steps[c % times.len()])
        .collect();
    let (x2, df, zeros_empty) = pearson(&counts, &expected);
    let p_neuron = two_sided(x2, df);
    let sum = |v: &[f64], k: usize| v.iter().skip(k).step_by(times.len()).sum::<f64>();
    let agg: Vec<f64> = (0..times.len()).map(|k| sum(&counts, k)).collect();
    let agg_e: Vec<f64> = (0..times.len()).map(|k| sum(&expected, k)).collect();
    let (ax2, adf, _) = pearson(&agg, &agg_e);
    let p_rates = chi2_sf(ax2, adf);
    println!(
        "inhomogeneous_poisson_generator: per segment {agg:?} vs {agg_e:?}, \
         x2 = {ax2:.2} on {adf} df, p = {p_rates:.3}; per neuron p = {p_neuron:.3}"
    );
    assert!(zeros_empty, "events in the segment of rate 0");
    assert!(p_rates > 1e-3 && p_neuron > 1e-3, "{p_rates} {p_neuron}");
}

/// NEST 3.10 (measured: an inhomogeneous_poisson_generator with rate_times
/// [1, 2] ms, rate_values [1e7, 0] Hz into a parrot_neuron with delay
/// 0.1 ms gives parrot spikes at 1.1 ... 2.0 ms): the new rate drives the
/// spikes stamped from its time on, which arrive one delay later. With
/// 100 events per step expected, every step of the segment has events.
#[test]
fn inhomogeneous_poisson_switches_at_the_step_of_its_times() {
    let kind = StimulusKind::InhomogeneousPoissonGenerator {
        rate_times: vec![1.0, 2.0],
        rate_values: vec![1e6, 0.0],
        weight: 1.0,
        delay: 0.1,
    };
    let spec = driven(10, 4.0, kind, None);
    let mut steps = std::collections::BTreeSet::new();
    let mut per_target = vec![0u32; 10];
    for_each_input_event(&spec, |gid, step, _| {
        steps.insert(step);
        per_target[gid as usize] += 1;
    });
    // Stamps 1.0 ..= 1.9 ms (steps 10..=19) arrive 1 step later: PSCs start
    // at 1.1 ..= 2.0 ms, i.e. consumed by the updates of steps 10..=19.
    assert_eq!(
        steps.into_iter().collect::<Vec<_>>(),
        (10..=19).collect::<Vec<u64>>()
    );
    assert!(per_target.iter().all(|&s| s == 10), "{per_target:?}");
}

#[test]
fn latency_encoder_spikes_follow_the_formula_to_the_step() {
    let (tau, threshold, delay) = (10.0, 1.0, 2.0);
    let times = vec![0.0, 50.0, 120.0];
    let values = vec![
        vec![2.0, 1.5, 5.0, 0.7, 1.000_1],
        vec![1.2, 3.0, 1.0, 9.0, 2.5],
        vec![1.05, 0.0, 4.0, 1.7, 30.0],
    ];
    let table = InputTable {
        times: times.clone(),
        values: values.clone(),
        components: None,
    };
    let kind = StimulusKind::LatencyEncoder {
        table,
        tau,
        threshold,
        weight: 1.0,
        delay,
    };
    let spec = driven(15, 200.0, kind, None);
    let mut got = Vec::new();
    for_each_input_event(&spec, |gid, step, v| got.push((gid, step, v)));
    got.sort_unstable();
    // The formula, by hand: t = t_k + tau ln(x / (x - threshold)), nearest
    // step, none at or after the next time; consumed delay - 1 step later.
    let d = (delay / DT).round() as u64;
    let mut want = Vec::new();
    for gid in 0..15u32 {
        let c = gid as usize % 5;
        for (k, v) in values.iter().enumerate() {
            let x = v[c];
            if x <= threshold {
                continue;
            }
            let t = times[k] + tau * (x / (x - threshold)).ln();
            if times.get(k + 1).is_some_and(|&next| t >= next - DT / 2.0) {
                continue;
            }
            let stamp = (t / DT).round() as u64;
            want.push((gid, stamp + d - 1, 1));
        }
    }
    want.sort_unstable();
    assert_eq!(got, want);
    // Spot checks: x = 2 -> ln 2 tau = 6.93 ms -> stamp 6.9 ms; x = 1.0001
    // would fire after 92 ms, beyond the next vector at 50 ms: dropped.
    assert!(want.contains(&(0, 69 + d - 1, 1)));
    assert!(!want.iter().any(|&(g, s, _)| g == 4 && s < 500));
    assert_eq!(want.len(), 3 * 11);
}

/// A recurrent network driven by every new device; spikes identical for
/// 1/2/3 threads and for 1/2/3 in-process ranks (chunk c on rank c % P).
fn coded_network() -> NetworkSpec {
    let lif = [("E_L", 0.0), ("V_th", 20.0), ("V_reset", 10.0)];
    let mut spec = network(
        simulation(DT, 300.0),
        vec![
            population("E", 320, "iaf_psc_exp", &lif),
            population("I", 80, "iaf_psc_exp", &lif),
        ],
    );
    spec.simulation.chunk_size = 64;
    let w = |mean| Distribution::Normal { mean, std: 5.0 };
    let mut p = |s, t, k, weight| {
        spec.projections.push(projection(
            s,
            t,
            ConnRule::FixedIndegree { indegree: k },
            weight,
            Distribution::Constant(1.0),
        ))
    };
    p(0, 0, 30, w(25.0));
    p(0, 1, 30, w(25.0));
    p(1, 0, 10, w(-80.0));
    let table = InputTable {
        times: vec![0.0, 100.0, 200.0],
        values: vec![
            vec![1.0, 2.0, 3.0],
            vec![3.0, 0.5, 2.0],
            vec![2.0, 2.0, 0.0],
        ],
        components: None,
    };
    let mut stim = |kind, target, node_ids| {
        spec.stimuli.push(StimulusSpec {
            kind,
            target,
            node_ids,
            receptor: Receptor::BySign,
        })
    };
    stim(
        StimulusKind::InhomogeneousPoissonGenerator {
            rate_times: vec![0.0, 150.0],
            rate_values: vec![9000.0, 14000.0],
            weight: 40.0,
            delay: 1.0,
        },
        0,
        None,
    );
    stim(
        StimulusKind::RateEncoder {
            table: table.clone(),
            gain: 3000.0,
            offset: 2000.0,
            weight: 40.0,
            delay: 1.5,
        },
        0,
        Some((0..320).step_by(3).collect()),
    );
    stim(
        StimulusKind::LatencyEncoder {
            table,
            tau: 20.0,
            threshold: 0.8,
            weight: 300.0,
            delay: 1.0,
        },
        1,
        None,
    );
    stim(
        StimulusKind::StepCurrentGenerator {
            amplitude_times: vec![50.0, 120.0],
            amplitude_values: vec![300.0, 0.0],
            delay: 0.5,
        },
        1,
        Some(vec![0, 5, 70]),
    );
    stim(
        StimulusKind::SpikeTrains {
            file: "in.h5".into(),
            population: "x".into(),
            trains: vec![(3, vec![10.0, 10.0, 40.5]), (79, vec![0.1, 250.0])],
            weight: 500.0,
            delay: 2.0,
        },
        1,
        Some(vec![3, 79]),
    );
    spec
}

#[test]
fn coding_devices_give_identical_spikes_for_any_threads_and_ranks() {
    let spec = coded_network();
    let (one, _) = run(&spec, 1);
    assert!(one.len() > 2000, "too quiet: {}", one.len());
    for threads in [2, 3] {
        assert_eq!(run(&spec, threads).0, one, "threads = {threads}");
    }
    for ranks in [1, 2, 3] {
        assert_eq!(run_on_ranks(&spec, ranks), one, "ranks = {ranks}");
    }
}

#[test]
fn reference_chi2_sf_matches_tabulated_quantiles() {
    // Quantiles (k = 1, 10: tables; k = 1000: the exact sum for even k,
    // e^{-x/2} sum_{j < k/2} (x/2)^j / j!, in 50-digit decimals).
    for (x, k, p) in [
        (3.841_458_820_694_124, 1.0, 0.05),
        (6.634_896_601_021_214, 1.0, 0.01),
        (18.307_038_053_275_146, 10.0, 0.05),
        (23.209_251_158_954_356, 10.0, 0.01),
        (1_074.679_448_803_441, 1000.0, 0.05),
    ] {
        let got = chi2_sf(x, k);
        assert!((got - p).abs() < 1e-9, "x={x} k={k}: {got} vs {p}");
    }
}
