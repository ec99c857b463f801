//! `nengo_lif` against Nengo 4.1.0's own LIF neurons
//! (`tests/fixtures/nengo/lif_*.json`, made by `scripts/nengo_fixtures.py`:
//! neurons run in `nengo.Simulator`, each driven by its own sequence of
//! inputs — piecewise constant, ramps, sines, Gaussian noise — with a bias,
//! an initial voltage and two parameter sets, at dt = 1 ms and 0.1 ms for
//! 2000 steps). The model, built through the registry as any population's
//! chunk, is given the same inputs, biases and initial voltages.
//!
//! Nengo's last bits depend on the CPU: NumPy computes `expm1` and `log1p`
//! of arrays with its own AVX-512 code where the CPU has it, and with the C
//! library's functions (glibc's here, which Rust's `exp_m1` and `ln_1p` call)
//! elsewhere. Against Nengo with the C library's functions (the fixture's
//! traces) the replay must be bit for bit: the spikes at the same steps,
//! the voltage and refractory time after every step with the same bits.
//! Against Nengo with NumPy's AVX-512 code (the fixture's `native` part,
//! made on an AVX-512 CPU) the spikes must be at the same steps and every
//! value within `NATIVE_ABS` (measured: at most 8.5e-14).

mod common;
use brainsim_sim::model::nengo_lif::{self, BIAS, REFRACTORY_TIME, VOLTAGE};
use brainsim_sim::model::NeuronModel;
use brainsim_sim::spec::ParamMap;
use common::nengo::{fixture, ms};
use serde::Deserialize;

/// Nengo's LIF parameters (seconds).
#[derive(Deserialize)]
struct Params {
    tau_rc: f64,
    tau_ref: f64,
    min_voltage: f64,
    amplitude: f64,
}

/// One neuron: its input, bias and initial voltage, and Nengo's record.
#[derive(Deserialize)]
struct Neuron {
    bias: f64,
    v0: f64,
    u: Vec<f64>,
    voltage: Vec<f64>,
    refractory_time: Vec<f64>,
    spikes: Vec<usize>,
}

/// Neurons of one parameter set.
#[derive(Deserialize)]
struct Group {
    params: Params,
    spike_output: f64,
    neurons: Vec<Neuron>,
}

/// What Nengo gives with NumPy's AVX-512 code: the values that differ from
/// the traces, as (group, neuron, step, variable, value), and the spike
/// steps of the neurons ("group/neuron") whose spikes differ.
#[derive(Deserialize)]
struct Native {
    numpy_avx512: Vec<String>,
    values: Vec<(usize, usize, usize, String, f64)>,
    spikes: std::collections::BTreeMap<String, Vec<usize>>,
}

#[derive(Deserialize)]
struct Fixture {
    dt: f64,
    steps: usize,
    groups: Vec<Group>,
    native: Native,
}

/// The largest difference allowed from Nengo with NumPy's AVX-512 code
/// (voltages dimensionless, refractory times in s).
const NATIVE_ABS: f64 = 1e-12;

/// One neuron's replay: its voltage and refractory time after every step
/// and its spike steps.
#[derive(Default)]
struct Trace {
    voltage: Vec<f64>,
    refractory_time: Vec<f64>,
    spikes: Vec<usize>,
}

/// The model's complete parameters for Nengo's, in ms.
fn params(p: &Params) -> ParamMap {
    let given: ParamMap = [
        ("tau_rc", ms(p.tau_rc)),
        ("tau_ref", ms(p.tau_ref)),
        ("min_voltage", p.min_voltage),
        ("amplitude", p.amplitude),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    // The model computes with Nengo's very doubles.
    assert_eq!(nengo_lif::nengo_seconds(given["tau_rc"]), p.tau_rc);
    assert_eq!(nengo_lif::nengo_seconds(given["tau_ref"]), p.tau_ref);
    nengo_lif::INFO.with_defaults(&given).unwrap()
}

/// Runs group `g` for `steps` steps of `dt` ms: one trace per neuron.
fn replay(g: &Group, dt: f64, steps: usize) -> Vec<Trace> {
    let p = params(&g.params);
    nengo_lif::INFO.check(&p, dt).unwrap();
    assert_eq!(nengo_lif::spike_output(&p, dt), g.spike_output);
    let n = g.neurons.len();
    let mut chunk: Box<dyn NeuronModel> = (nengo_lif::INFO.build)(&p, dt, n, 1);
    for (i, nr) in g.neurons.iter().enumerate() {
        chunk.set(BIAS, i, nr.bias);
        chunk.set(VOLTAGE, i, nr.v0);
    }
    let mut traces: Vec<Trace> = (0..n).map(|_| Trace::default()).collect();
    let (stim, mut spiked) = (vec![0.0; n], Vec::new());
    for k in 0..steps {
        let input: Vec<f64> = g.neurons.iter().map(|nr| nr.u[k]).collect();
        spiked.clear();
        chunk.update(&input, &stim, &mut spiked);
        for &i in &spiked {
            traces[i as usize].spikes.push(k);
        }
        for (i, t) in traces.iter_mut().enumerate() {
            t.voltage.push(chunk.get(VOLTAGE, i));
            t.refractory_time.push(chunk.get(REFRACTORY_TIME, i));
        }
    }
    traces
}

/// The values of `ours` whose bits differ from `theirs`, and the largest
/// difference.
fn differing(ours: &[f64], theirs: &[f64]) -> (usize, f64) {
    assert_eq!(ours.len(), theirs.len());
    ours.iter()
        .zip(theirs)
        .filter(|(a, b)| a.to_bits() != b.to_bits())
        .fold((0, 0.0), |(k, m), (a, b)| {
            (k + 1, f64::max(m, (a - b).abs()))
        })
}

/// Replays fixture `name` (time step `dt` ms) against both of Nengo's
/// results; returns the replays.
fn check(name: &str, dt: f64) -> (Fixture, Vec<Vec<Trace>>) {
    let fx: Fixture = fixture(name);
    assert_eq!(ms(fx.dt), dt);
    let replays: Vec<Vec<Trace>> = fx.groups.iter().map(|g| replay(g, dt, fx.steps)).collect();
    let mut spikes = 0;
    for (g, traces) in fx.groups.iter().zip(&replays) {
        for (i, (nr, t)) in g.neurons.iter().zip(traces).enumerate() {
            assert_eq!(
                t.spikes, nr.spikes,
                "{name}: neuron {i}: spike steps differ"
            );
            let v = differing(&t.voltage, &nr.voltage);
            let r = differing(&t.refractory_time, &nr.refractory_time);
            assert_eq!((v.0, r.0), (0, 0), "{name}: neuron {i}: differ {v:?} {r:?}");
            spikes += t.spikes.len();
        }
    }
    println!("{name}: {spikes} spikes and every value bit for bit");
    (fx, replays)
}

/// Our replays against Nengo's run with NumPy's AVX-512 code.
fn check_native(name: &str, fx: &Fixture, replays: &[Vec<Trace>]) {
    let native = &fx.native;
    let mut max_abs: f64 = 0.0;
    for (gi, ni, k, var, value) in &native.values {
        let t = &replays[*gi][*ni];
        let ours = if var == "voltage" {
            t.voltage[*k]
        } else {
            t.refractory_time[*k]
        };
        max_abs = max_abs.max((ours - value).abs());
    }
    for (gi, (g, traces)) in fx.groups.iter().zip(replays).enumerate() {
        for (ni, (nr, t)) in g.neurons.iter().zip(traces).enumerate() {
            let theirs = native
                .spikes
                .get(&format!("{gi}/{ni}"))
                .unwrap_or(&nr.spikes);
            assert_eq!(&t.spikes, theirs, "{name}: {gi}/{ni}: spike steps differ");
        }
    }
    println!(
        "{name}: against NumPy's {:?}: {} values differ, at most {max_abs:e}",
        native.numpy_avx512,
        native.values.len()
    );
    assert!(max_abs <= NATIVE_ABS, "{name}: {max_abs:e}");
}

#[test]
fn spikes_voltages_and_refractory_times_are_nengos_at_1_ms() {
    let (fx, replays) = check("lif_dt1ms.json", 1.0);
    let spikes: usize = replays.iter().flatten().map(|t| t.spikes.len()).sum();
    assert!(spikes > 1000, "{spikes} spikes");
    check_native("lif_dt1ms.json", &fx, &replays);
}

#[test]
fn spikes_voltages_and_refractory_times_are_nengos_at_0_1_ms() {
    let (fx, replays) = check("lif_dt0.1ms.json", 0.1);
    let spikes: usize = replays.iter().flatten().map(|t| t.spikes.len()).sum();
    assert!(spikes > 80, "{spikes} spikes");
    check_native("lif_dt0.1ms.json", &fx, &replays);
}
