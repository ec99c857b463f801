//! NEF configs (`config::nef`): one complete model checked value by value
//! (units: ms in the file, the seconds a Nengo user writes in the spec),
//! ensemble arrays expanded, then one test per class of bad input, each
//! asserting the located message (`file:line: field: message`).

use super::line_of;
use crate::config::nef::{is_nef, parse, NefConfig};
use crate::config::ConfigError;
use brainsim_sim::nef::{Function, Hypersphere, NodeOutput, Post, Pre, ProbeOf, Scalar, Transform};
use nalgebra::DMatrix;
use std::path::Path;

const GOOD: &str = r#"
[simulation]
dt = 0.1
t_stop = 100.04
seed = 7
threads = 2

[[nef.node]]
name = "stim"
output = "sine"
frequency = [1.0, 2.0]
phase = 0.5

[[nef.node]]
name = "steps"
output = "piecewise"
times = [0.0, 4.1]
values = [0.0, 1.0]

[[nef.ensemble]]
name = "a"
n_neurons = 50
dimensions = 2
radius = 1.5
max_rates = { distribution = "uniform", low = 100.0, high = 200.0 }
intercepts = { distribution = "uniform", low = -0.5, high = 0.5 }
encoders = "uniform"
tau_ref = 2.1
tau_rc = 20.0

[[nef.ensemble]]
name = "b"
n_neurons = 3
intercepts = [0.0, 0.1, 0.2]

[[nef.connection]]
pre = "stim"
post = "a"
pre_slice = [0, 2]
synapse = "none"

[[nef.connection]]
pre = "a"
post = "b"
function = "product"
synapse = 4.1

[[nef.connection]]
pre = "a"
post = "b.neurons"
function = { points = [[0.0, 0.0], [1.0, 1.0]], values = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]] }
transform = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
synapse = 2.0

[[nef.probe]]
name = "a_value"
target = "a"
synapse = 10.0

[[nef.probe]]
name = "b_volts"
target = "b.neurons"
attr = "voltage"

[[nef.probe]]
name = "conn"
connection = 1
"#;

pub(super) fn ok(text: &str) -> NefConfig {
    parse(Path::new("net.toml"), text).unwrap_or_else(|e| panic!("{e}"))
}

/// `text` is rejected at the line containing `at`, about `field`, with a
/// message containing every one of `parts`.
pub(super) fn rejects(text: &str, at: &str, field: &str, parts: &[&str]) -> ConfigError {
    rejects_at_line(text, line_of(text, at), field, parts)
}

/// As `rejects`, the line given as a number.
pub(super) fn rejects_at_line(text: &str, line: usize, field: &str, parts: &[&str]) -> ConfigError {
    let e = match parse(Path::new("net.toml"), text).and_then(|c| c.build().map(|_| c)) {
        Ok(_) => panic!("config should be rejected (expected an error at {field})"),
        Err(e) => e,
    };
    let shown = e.to_string();
    assert!(
        shown.starts_with(&format!("net.toml:{line}: {field}: ")),
        "expected net.toml:{line}: {field}: ..., got {shown}"
    );
    assert!(!shown.contains('\n'), "one line: {shown}");
    for part in parts {
        assert!(
            e.message.contains(part),
            "{shown:?} should contain {part:?}"
        );
    }
    e
}

/// The line of the `k`-th `[[nef.connection]]`.
fn header(text: &str, k: usize) -> usize {
    let (i, _) = text
        .lines()
        .enumerate()
        .filter(|(_, l)| *l == "[[nef.connection]]")
        .nth(k)
        .unwrap();
    i + 1
}

#[test]
fn a_complete_model_becomes_the_expected_spec() {
    assert!(is_nef(GOOD));
    let c = ok(GOOD);
    let s = &c.spec;
    // ms -> s by moving the decimal point: 4.1 ms is Python's 0.0041,
    // which 4.1 / 1000 is not.
    assert_eq!(s.dt, 0.0001);
    assert_ne!(4.1 / 1000.0, 0.0041);
    assert_eq!((c.dt_ms, c.t_stop_ms, c.steps()), (0.1, 100.0, 1000));
    assert_eq!((s.seed, c.threads), (7, Some(2)));
    assert_eq!(
        s.nodes[0].1,
        NodeOutput::Sine {
            frequency: vec![1.0, 2.0],
            amplitude: vec![1.0, 1.0],
            phase: vec![0.5, 0.5]
        }
    );
    assert_eq!(
        s.nodes[1].1,
        NodeOutput::Piecewise {
            times: vec![0.0, 0.0041],
            values: vec![vec![0.0], vec![1.0]]
        }
    );
    let (name, a) = &s.ensembles[0];
    assert_eq!(
        (name.as_str(), a.n_neurons, a.dimensions, a.radius),
        ("a", 50, 2, 1.5)
    );
    assert_eq!(
        a.max_rates,
        Scalar::Uniform {
            low: 100.0,
            high: 200.0
        }
    );
    assert_eq!(a.encoders, Hypersphere::Uniform { surface: true });
    assert_eq!(a.eval_points, Hypersphere::Scattered { surface: false });
    assert_eq!((a.neuron.tau_rc, a.neuron.tau_ref), (0.02, 0.0021));
    let b = &s.ensembles[1].1;
    // Nengo's defaults where nothing is written.
    assert_eq!(
        b.max_rates,
        Scalar::Uniform {
            low: 200.0,
            high: 400.0
        }
    );
    assert_eq!(b.intercepts, Scalar::Values(vec![0.0, 0.1, 0.2]));
    assert_eq!((b.dimensions, b.neuron.tau_ref), (1, 0.002));
    let k = &s.connections;
    assert_eq!(
        (k[0].pre, k[0].post, k[0].pre_slice.clone()),
        (Pre::Node(0), Post::Ensemble(0), Some(0..2))
    );
    assert_eq!(
        (k[0].synapse, &k[0].transform),
        (None, &Transform::Scalar(1.0))
    );
    assert_eq!(
        (k[1].function.clone(), k[1].synapse),
        (Function::Product, Some(0.0041))
    );
    assert_eq!((k[2].post, k[2].synapse), (Post::Neurons(1), Some(0.002)));
    assert!(matches!(&k[2].function, Function::Table { values, .. } if values[(1, 2)] == 6.0));
    let p = &s.probes;
    assert_eq!((p[0].of, p[0].synapse), (ProbeOf::Decoded(0), Some(0.01)));
    assert_eq!((p[1].of, p[1].synapse), (ProbeOf::Voltage(1), None));
    assert_eq!(p[2].of, ProbeOf::Connection(1));
    assert_eq!(c.datasets.len(), 3);
    c.build().unwrap();
}

const ARRAY: &str = r#"
[simulation]
dt = 1.0
t_stop = 10.0

[[nef.node]]
name = "in"
output = "constant"
value = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]

[[nef.ensemble_array]]
name = "arr"
n_neurons = 20
n_ensembles = 3
ens_dimensions = 2

[[nef.ensemble]]
name = "sum"
n_neurons = 20
dimensions = 2

[[nef.connection]]
pre = "in"
post = "arr"

[[nef.connection]]
pre = "arr"
post = "sum"
transform = [[1, 0, 0, 0, 1, 0], [0, 1, 0, 0, 0, 1]]

[[nef.probe]]
name = "arr"
target = "arr"
synapse = 10.0
"#;

#[test]
fn an_ensemble_array_is_its_ensembles_with_the_transform_cut_in_blocks() {
    let c = ok(ARRAY);
    let s = &c.spec;
    let names: Vec<&str> = s.ensembles.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["sum", "arr[0]", "arr[1]", "arr[2]"]);
    assert!(s.ensembles[1..]
        .iter()
        .all(|(_, p)| p.n_neurons == 20 && p.dimensions == 2));
    // In: the 6 x 6 identity cut into three 2 x 6 blocks, one per ensemble.
    for k in 0..3 {
        let c = &s.connections[k];
        assert_eq!((c.pre, c.post), (Pre::Node(0), Post::Ensemble(1 + k)));
        let want = DMatrix::from_fn(2, 6, |i, j| f64::from(j == 2 * k + i));
        assert_eq!(c.transform, Transform::Matrix(want));
    }
    // Out: ensemble 1's block of the transform is zero, so it is left out.
    let out: Vec<_> = s.connections[3..].iter().map(|c| (c.pre, c.post)).collect();
    assert_eq!(
        out,
        [
            (Pre::Ensemble(1), Post::Ensemble(0)),
            (Pre::Ensemble(3), Post::Ensemble(0))
        ]
    );
    assert_eq!(
        s.connections[3].transform,
        Transform::Matrix(DMatrix::identity(2, 2))
    );
    // The probe: one per ensemble, one dataset of the three side by side.
    let probed: Vec<_> = s.probes.iter().map(|p| (p.name.as_str(), p.of)).collect();
    assert_eq!(
        probed,
        [
            ("arr[0]", ProbeOf::Decoded(1)),
            ("arr[1]", ProbeOf::Decoded(2)),
            ("arr[2]", ProbeOf::Decoded(3))
        ]
    );
    assert_eq!(
        (c.datasets[0].name.as_str(), c.datasets[0].probes.clone()),
        ("arr", vec![0, 1, 2])
    );
    c.build().unwrap();
}

#[test]
fn mismatched_dimensions_of_a_transform_name_both_ends() {
    let text = GOOD.replace(
        "transform = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]",
        "transform = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]",
    );
    rejects(
        &text,
        "transform = [[1.0",
        "nef.connection[2].transform",
        &["2 rows x 3 columns", "`b.neurons` takes 3"],
    );
    let text = GOOD.replace("function = \"product\"", "function = \"square\"");
    // No transform written: the error is at the connection's header.
    rejects_at_line(
        &text,
        header(&text, 1),
        "nef.connection[1].transform",
        &["scalar transform", "2 values", "`b` takes 1"],
    );
}

#[test]
fn a_function_table_of_the_wrong_shape() {
    let text = GOOD.replace(
        "values = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]",
        "values = [[1.0, 2.0, 3.0]]",
    );
    rejects(
        &text,
        "values = [[1.0, 2.0, 3.0]]",
        "nef.connection[2].function.values",
        &["1 rows for 2 points"],
    );
    let text = GOOD.replace(
        "points = [[0.0, 0.0], [1.0, 1.0]]",
        "points = [[0.0], [1.0]]",
    );
    rejects(
        &text,
        "points = [[0.0], [1.0]]",
        "nef.connection[2].function",
        &["points have 1 columns", "2 dimensions"],
    );
    let text = GOOD.replace(
        "values = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]",
        "values = [[1.0, 2.0, 3.0], [4.0, 5.0]]",
    );
    rejects(
        &text,
        "[4.0, 5.0]]",
        "nef.connection[2].function.values[1]",
        &["2 values, row 0 has 3"],
    );
}

#[test]
fn intercepts_outside_minus_one_to_one() {
    let text = GOOD.replace("low = -0.5, high = 0.5", "low = -0.5, high = 1.5");
    rejects(
        &text,
        "high = 1.5",
        "nef.ensemble[0].intercepts",
        &["1.5 is outside [-1, 1]"],
    );
    let text = GOOD.replace(
        "intercepts = [0.0, 0.1, 0.2]",
        "intercepts = [0.0, -1.1, 0.2]",
    );
    rejects(
        &text,
        "-1.1",
        "nef.ensemble[1].intercepts",
        &["-1.1 is outside [-1, 1]"],
    );
}

#[test]
fn a_max_rate_above_the_inverse_refractory_period() {
    // tau_ref 2.1 ms: at most 476.19 Hz.
    let text = GOOD.replace("low = 100.0, high = 200.0", "low = 100.0, high = 500.0");
    rejects(
        &text,
        "high = 500.0",
        "nef.ensemble[0].max_rates",
        &["500 Hz is not below 1 / tau_ref = 476.19"],
    );
}

#[test]
fn unknown_names_of_pre_post_and_targets() {
    let text = GOOD.replace("pre = \"stim\"", "pre = \"stimulus\"");
    rejects(
        &text,
        "pre = \"stimulus\"",
        "nef.connection[0].pre",
        &["unknown name `stimulus`", "`a`, `b`, `steps`, `stim`"],
    );
    let text = GOOD.replace("post = \"b.neurons\"", "post = \"c.neurons\"");
    rejects(
        &text,
        "c.neurons",
        "nef.connection[2].post",
        &["unknown name `c`"],
    );
    let text = GOOD.replace("target = \"a\"", "target = \"stim.neurons\"");
    rejects(
        &text,
        "stim.neurons",
        "nef.probe[0].target",
        &["`stim` is a node, it has no neurons"],
    );
    let text = GOOD.replace("connection = 1", "connection = 9");
    rejects(
        &text,
        "connection = 9",
        "nef.probe[2].connection",
        &["no [[nef.connection]] 9 (there are 3)"],
    );
}

#[test]
fn unknown_keys() {
    let text = GOOD.replace("radius = 1.5", "radius = 1.5\ncolour = 3");
    rejects(
        &text,
        "colour = 3",
        "nef.ensemble[0].colour",
        &["unknown key `colour`", "`n_neurons`"],
    );
    let text = format!("{GOOD}\n[[nef.layer]]\nname = \"x\"\n");
    rejects(
        &text,
        "[[nef.layer]]",
        "nef.layer",
        &["unknown key `layer`"],
    );
    // A key of another node output is not ignored.
    let text = GOOD.replace("phase = 0.5", "phase = 0.5\nperiod = 3.0");
    rejects(
        &text,
        "period = 3.0",
        "nef.node[0].period",
        &["`period` does not apply to output \"sine\""],
    );
}

#[test]
fn a_node_without_values() {
    let text = GOOD.replace("frequency = [1.0, 2.0]", "frequency = []");
    rejects(
        &text,
        "frequency = []",
        "nef.node[0].frequency",
        &["0 values, another key has 1"],
    );
    let text =
        format!("{GOOD}\n[[nef.node]]\nname = \"empty\"\noutput = \"constant\"\nvalue = []\n");
    let e = parse(Path::new("net.toml"), &text).unwrap_err();
    assert_eq!(e.field, "nef.node[2]", "{e}");
}

#[test]
fn build_errors_of_the_library_name_the_table() {
    // Only the library's build finds this one: an unfiltered connection
    // between ensembles.
    let text = GOOD.replace("synapse = 4.1", "synapse = \"none\"");
    rejects_at_line(
        &text,
        header(&text, 1),
        "nef.connection[1]",
        &["needs a synapse"],
    );
}

#[test]
fn a_spiking_loader_refuses_an_nef_model_in_one_line() {
    let e = crate::config::parse(Path::new("net.toml"), GOOD).unwrap_err();
    assert_eq!(e.field, "nef");
    assert!(e.message.contains("an NEF model"), "{e}");
}

#[test]
fn an_ensemble_array_runs_to_its_input_and_its_sum() {
    let mut text = ARRAY
        .replace("t_stop = 10.0", "t_stop = 300.0")
        .replace("n_neurons = 20", "n_neurons = 200");
    text.push_str("\n[[nef.probe]]\nname = \"sum\"\ntarget = \"sum\"\nsynapse = 10.0\n");
    let c = ok(&text);
    let built = c.build().unwrap();
    let mut sim = brainsim_sim::nef::NefSim::new(&built);
    sim.run(c.steps());
    // The mean of the last 100 ms of each probe's columns.
    let tail = |k: usize| -> Vec<f64> {
        let rows = sim.rows(k);
        let w = rows[0].len();
        (0..w)
            .map(|j| rows[200..].iter().map(|r| r[j]).sum::<f64>() / 100.0)
            .collect()
    };
    let arr: Vec<f64> = (0..3).flat_map(tail).collect();
    let input = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6];
    eprintln!("array: {arr:.3?}, sum: {:.3?}", tail(3));
    for (got, want) in arr.iter().zip(input) {
        assert!((got - want).abs() < 0.05, "{arr:?}");
    }
    // sum = arr[0] + arr[2], per dimension: [0.6, 0.8].
    for (got, want) in tail(3).iter().zip([0.6, 0.8]) {
        assert!((got - want).abs() < 0.1, "{got} vs {want}");
    }
}
