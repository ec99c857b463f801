//! A Brunel-like network of each NEST model (and of `nengo_lif`) (excitatory and inhibitory
//! populations, fixed in-degrees, Poisson drive): its spikes must be
//! bit-identical on 1, 2 and 3 threads and on 1, 2 and 3 in-process ranks
//! (the one-thread run is the reference), and its mean rate must lie in the
//! asynchronous-irregular range the parameters were chosen for (checked
//! against bounds, 1-100 Hz: a silent or saturated network would make the
//! identity trivial).

mod common;
use brainsim_sim::spec::*;
use brainsim_sim::Spike;
use common::ranks::spikes_on_ranks;
use common::*;

/// Network sizes: excitatory, inhibitory; in-degrees from each.
const N_E: u32 = 400;
const N_I: u32 = 100;
const K_E: u64 = 40;
const K_I: u64 = 10;
const T_STOP: f64 = 300.0;

/// What differs between models: parameters, weights (exc., inh., Poisson
/// drive; in the unit of the model's receptors) and the drive's rate.
struct Setup {
    model: &'static str,
    params: &'static [(&'static str, f64)],
    w_e: f64,
    w_i: f64,
    w_x: f64,
    rate_x: f64,
}

fn brunel_like(s: &Setup) -> NetworkSpec {
    let mut spec = network(
        simulation(0.1, T_STOP),
        vec![
            population("E", N_E, s.model, s.params),
            population("I", N_I, s.model, s.params),
        ],
    );
    spec.simulation.chunk_size = 50;
    for target in 0..2 {
        for (source, k, w) in [(0, K_E, s.w_e), (1, K_I, s.w_i)] {
            spec.projections.push(projection(
                source,
                target,
                ConnRule::FixedIndegree { indegree: k },
                Distribution::Constant(w),
                Distribution::Uniform {
                    low: 1.0,
                    high: 2.0,
                },
            ));
        }
        spec.stimuli.push(StimulusSpec {
            kind: StimulusKind::PoissonGenerator {
                rate: s.rate_x,
                weight: s.w_x,
                delay: 1.0,
            },
            target,
            node_ids: None,
            receptor: Receptor::BySign,
        });
    }
    spec
}

fn check(s: &Setup) {
    let spec = brunel_like(s);
    let (mut reference, _) = run(&spec, 1);
    reference.sort_unstable();
    let rate = reference.len() as f64 / f64::from(N_E + N_I) / (T_STOP * 1e-3);
    assert!((1.0..100.0).contains(&rate), "{}: rate {rate} Hz", s.model);
    for threads in [2, 3] {
        let (mut spikes, _) = run(&spec, threads);
        spikes.sort_unstable();
        assert_same(s.model, &format!("{threads} threads"), &spikes, &reference);
    }
    for p in 1..=3 {
        let spikes = spikes_on_ranks(&spec, p);
        assert_same(s.model, &format!("{p} ranks"), &spikes, &reference);
    }
}

fn assert_same(model: &str, layout: &str, got: &[Spike], want: &[Spike]) {
    assert!(
        got == want,
        "{model} on {layout}: {} spikes vs {}",
        got.len(),
        want.len()
    );
}

const LIF: &[(&str, f64)] = &[
    ("E_L", 0.0),
    ("V_th", 20.0),
    ("V_reset", 10.0),
    ("tau_m", 20.0),
];

#[test]
fn izhikevich_network_is_identical_on_any_layout() {
    check(&Setup {
        model: "izhikevich",
        params: &[],
        w_e: 0.5,
        w_i: -2.0,
        w_x: 1.0,
        rate_x: 3000.0,
    });
}

#[test]
fn iaf_psc_alpha_network_is_identical_on_any_layout() {
    check(&Setup {
        model: "iaf_psc_alpha",
        params: LIF,
        w_e: 8.0,
        w_i: -40.0,
        w_x: 8.0,
        rate_x: 8000.0,
    });
}

#[test]
fn iaf_psc_delta_network_is_identical_on_any_layout() {
    check(&Setup {
        model: "iaf_psc_delta",
        params: LIF,
        w_e: 0.4,
        w_i: -2.0,
        w_x: 0.5,
        rate_x: 4000.0,
    });
}

/// Nengo's LIF: a spike adds its (dimensionless) weight to the input current
/// for one step.
#[test]
fn nengo_lif_network_is_identical_on_any_layout() {
    check(&Setup {
        model: "nengo_lif",
        params: &[],
        w_e: 3.0,
        w_i: -12.0,
        w_x: 0.6,
        rate_x: 20000.0,
    });
}
