//! Single neurons of every NEST-named model against reference traces of NEST
//! 3.10: spike times to the step and every recorded state variable at every
//! 0.1 ms sample of a 300 ms run. The fixtures in `tests/fixtures/nest/` were
//! made by `scripts/nest_fixtures.py` (PyNEST, one neuron with I_e and two
//! spike generators, an excitatory and an inhibitory one, delay 1 ms); here
//! the same setup is built as a `NetworkSpec`. Models integrated exactly in
//! NEST must agree within 1e-9 (absolute, in mV, pA or nS); those NEST
//! integrates with GSL's adaptive RKF45 within 1e-6 relative to
//! max(|NEST|, 1).
//!
//! Timing convention (checked by `iaf_psc_exp`, which matches NEST): NEST's
//! multimeter sample at time t and a spike stamped t are brainsim's sample and
//! spike of step s = t / dt - 1 (brainsim stamps the update of step s at
//! (s + 1) * dt, the end of the step). A spike generator's spike at t with
//! delay d is the same spike time in both: its weight arrives at the end of
//! step (t + d) / dt - 1, so NEST's sample at t + d already shows the jump
//! of I_syn (it acts on V_m from the next step on).

mod common;
use brainsim_sim::chunk::Sample;
use brainsim_sim::model;
use brainsim_sim::spec::*;
use brainsim_sim::Spike;
use common::*;
use serde::Deserialize;
use std::collections::BTreeMap;

/// Largest difference in the `exact` fixtures (mV, pA, nS).
const EXACT_ABS: f64 = 1e-9;
/// Largest difference in the `adaptive` fixtures, relative to
/// max(|NEST's value|, 1).
const ADAPTIVE_REL: f64 = 1e-6;

/// One spike generator of a fixture, connected with a static synapse.
#[derive(Deserialize)]
struct Generator {
    times: Vec<f64>,
    weight: f64,
    delay: f64,
}

/// How close the traces must be (`kind`: "exact" or "adaptive").
#[derive(Deserialize)]
struct Tolerance {
    kind: String,
    abs: Option<f64>,
    rel: Option<f64>,
}

/// A fixture file as `scripts/nest_fixtures.py` writes it.
#[derive(Deserialize)]
struct Fixture {
    model: String,
    nest_version: String,
    dt: f64,
    t_stop: f64,
    params: BTreeMap<String, f64>,
    exc: Generator,
    inh: Generator,
    tolerance: Tolerance,
    /// Multimeter times (ms).
    times: Vec<f64>,
    /// Variable -> one value per entry of `times`.
    traces: BTreeMap<String, Vec<f64>>,
    /// Spike times (ms), in order.
    spikes: Vec<f64>,
}

impl Fixture {
    fn load(model: &str) -> Self {
        let path = format!(
            "{}/tests/fixtures/nest/{model}.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let fx: Fixture = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!(fx.model, model, "{path}");
        assert!(fx.nest_version.starts_with("3.10"), "{path}");
        fx
    }

    /// brainsim's step of a NEST time stamp t (sample or spike): t / dt - 1.
    fn step_of(&self, t: f64) -> u64 {
        let k = (t / self.dt).round();
        assert!(
            k >= 1.0 && (t / self.dt - k).abs() < 1e-6,
            "{t} off the grid"
        );
        k as u64 - 1
    }

    /// The variables traced, in a fixed order (the report order).
    fn variables(&self) -> Vec<String> {
        self.traces.keys().cloned().collect()
    }

    /// Whether `ours` is close enough to NEST's `theirs`.
    fn close(&self, ours: f64, theirs: f64) -> bool {
        let diff = (ours - theirs).abs();
        match self.tolerance.kind.as_str() {
            "exact" => diff <= EXACT_ABS,
            "adaptive" => diff <= ADAPTIVE_REL * theirs.abs().max(1.0),
            kind => panic!("unknown tolerance kind {kind}"),
        }
    }
}

/// The fixture's setup in brainsim: one neuron of the fixture's model with
/// its parameters, the two generators (`Receptor::BySign`: weight >= 0
/// excitatory, < 0 inhibitory, as NEST) and every traced variable recorded
/// at every step.
fn spec_of(fx: &Fixture) -> NetworkSpec {
    let name = fx.model.as_str();
    let info = model::lookup(name)
        .unwrap_or_else(|| panic!("model {name} is not registered in brainsim (model::lookup)"));
    let given: ParamMap = fx.params.clone();
    if let Err(e) = info.with_defaults(&given) {
        panic!("model {name}: parameter {}: {}", e.param, e.message);
    }
    for var in fx.traces.keys() {
        assert!(
            info.state_index(var).is_some(),
            "model {name} has no state variable {var} (NEST records it)"
        );
    }
    let params: Vec<(&str, f64)> = fx.params.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    let mut spec = network(
        simulation(fx.dt, fx.t_stop),
        vec![population("neuron", 1, name, &params)],
    );
    for g in [&fx.exc, &fx.inh] {
        spec.stimuli.push(StimulusSpec {
            kind: StimulusKind::SpikeGenerator {
                spike_times: g.times.clone(),
                weight: g.weight,
                delay: g.delay,
            },
            target: 0,
            node_ids: None,
            receptor: Receptor::BySign,
        });
    }
    if !fx.traces.is_empty() {
        spec.records.push(RecordSpec::State {
            name: "nest".into(),
            population: 0,
            variables: fx.variables(),
            node_ids: vec![0],
            interval: fx.dt,
        });
    }
    spec
}

/// Our trace of each variable, indexed by step (report `r` = variable `r`).
fn our_traces(fx: &Fixture, samples: &[Sample]) -> Vec<Vec<f64>> {
    let n_steps = fx.step_of(fx.t_stop) as usize + 1;
    let mut traces = vec![vec![f64::NAN; n_steps]; fx.traces.len()];
    for s in samples {
        traces[s.record as usize][s.step as usize] = s.value;
    }
    traces
}

/// The first sample (in time, then variable order) where we differ from
/// NEST, with how many differ and the largest difference; None if all agree.
fn compare_traces(fx: &Fixture, samples: &[Sample]) -> Option<String> {
    let ours = our_traces(fx, samples);
    let vars = fx.variables();
    let (mut first, mut count, mut worst) = (None, 0, 0.0f64);
    let mut largest = vec![0.0f64; vars.len()];
    for (i, &t) in fx.times.iter().enumerate() {
        let step = fx.step_of(t) as usize;
        for (v, var) in vars.iter().enumerate() {
            let (a, b) = (ours[v][step], fx.traces[var][i]);
            largest[v] = largest[v].max((a - b).abs());
            if !fx.close(a, b) {
                count += 1;
                worst = worst.max((a - b).abs());
                first.get_or_insert(format!(
                    "t = {t} ms (step {step}), {var}: ours {a}, NEST {b} (diff {:e})",
                    a - b
                ));
            }
        }
    }
    for (var, d) in vars.iter().zip(&largest) {
        eprintln!("{}: largest |ours - NEST| of {var}: {d:e}", fx.model);
    }
    first.map(|f| {
        format!(
            "first differing sample: {f}; {count} samples differ, largest diff {worst:e} \
             (tolerance {})",
            fx.tolerance.kind
        )
    })
}

/// The first spike where we differ from NEST (steps, repeats included).
fn compare_spikes(fx: &Fixture, spikes: &[Spike]) -> Option<String> {
    let ours: Vec<u64> = spikes.iter().map(|s| s.step).collect();
    let nest: Vec<u64> = fx.spikes.iter().map(|&t| fx.step_of(t)).collect();
    if ours == nest {
        return None;
    }
    let k = ours.iter().zip(&nest).take_while(|(a, b)| a == b).count();
    let at = |v: &[u64]| match v.get(k) {
        Some(&s) => format!("{:.1} ms (step {s})", (s + 1) as f64 * fx.dt),
        None => "none".into(),
    };
    Some(format!(
        "spike {k} differs: ours {}, NEST {} ({} spikes vs NEST's {})",
        at(&ours),
        at(&nest),
        ours.len(),
        nest.len()
    ))
}

/// Runs the fixture of `model` in brainsim and compares everything.
fn check_against_nest(model: &str) {
    let fx = Fixture::load(model);
    match fx.tolerance.kind.as_str() {
        "exact" => assert_eq!(fx.tolerance.abs, Some(EXACT_ABS), "{model}"),
        "adaptive" => assert_eq!(fx.tolerance.rel, Some(ADAPTIVE_REL), "{model}"),
        kind => panic!("{model}: unknown tolerance kind {kind}"),
    }
    let spec = spec_of(&fx);
    let (spikes, samples) = run(&spec, 1);
    let expected = fx.traces.len() * fx.times.len();
    assert_eq!(samples.len(), expected, "{model}: number of samples");
    let failures: Vec<String> = [compare_traces(&fx, &samples), compare_spikes(&fx, &spikes)]
        .into_iter()
        .flatten()
        .collect();
    assert!(
        failures.is_empty(),
        "{model} differs from NEST {}:\n  {}",
        fx.nest_version,
        failures.join("\n  ")
    );
}

#[test]
fn iaf_psc_exp_matches_nest() {
    check_against_nest("iaf_psc_exp");
}

#[test]
fn iaf_psc_alpha_matches_nest() {
    check_against_nest("iaf_psc_alpha");
}

#[test]
fn iaf_psc_delta_matches_nest() {
    check_against_nest("iaf_psc_delta");
}

#[test]
fn iaf_cond_exp_matches_nest() {
    check_against_nest("iaf_cond_exp");
}

#[test]
fn aeif_cond_exp_matches_nest() {
    check_against_nest("aeif_cond_exp");
}

#[test]
fn izhikevich_matches_nest() {
    check_against_nest("izhikevich");
}

#[test]
fn parrot_neuron_matches_nest() {
    check_against_nest("parrot_neuron");
}

/// Every parameter a model declares has NEST 3.10's default
/// (`fixtures/nest/defaults.json`, NEST's GetDefaults, written by
/// `scripts/nest_fixtures.py`).
#[test]
fn declared_defaults_are_nest_defaults() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/nest/defaults.json"
    );
    let text = std::fs::read_to_string(path).unwrap();
    let nest: BTreeMap<String, BTreeMap<String, f64>> = serde_json::from_str(&text).unwrap();
    let mut checked = 0;
    for m in model::MODELS {
        let Some(theirs) = nest.get(m.name) else {
            continue;
        };
        for p in m.params {
            let Some(&want) = theirs.get(p.name) else {
                panic!("{}: NEST has no parameter {}", m.name, p.name);
            };
            assert!(
                (p.default - want).abs() <= 1e-12 * want.abs().max(1.0),
                "{}.{}: default {} but NEST's is {want}",
                m.name,
                p.name,
                p.default
            );
            checked += 1;
        }
    }
    assert!(checked >= 30, "{checked} defaults checked");
}
