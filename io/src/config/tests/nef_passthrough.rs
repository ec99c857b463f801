//! Passthrough nodes in NEF configs (`output = "passthrough"`): a path
//! through them runs bit for bit as the direct connection it folds into
//! (identity transforms compose exactly), a probe of one records what its
//! connections bring, and bad input is refused in one line.

use super::line_of;
use super::nef::{ok, rejects, rejects_at_line};

/// The simulation, the input and the two ensembles of both networks.
const HEAD: &str = r#"
[simulation]
dt = 1.0
t_stop = 400.0
seed = 3

[[nef.node]]
name = "stim"
output = "sine"
frequency = 2.0

[[nef.ensemble]]
name = "A"
n_neurons = 80

[[nef.ensemble]]
name = "B"
n_neurons = 60
"#;

/// After `HEAD`: stim -> A -> B, directly; probes: B decoded (10 ms) and
/// B decoded again (10 ms).
const DIRECT: &str = r#"
[[nef.connection]]
pre = "stim"
post = "A"

[[nef.connection]]
pre = "A"
post = "B"

[[nef.probe]]
name = "B"
target = "B"
synapse = 10.0

[[nef.probe]]
name = "out"
target = "B"
synapse = 10.0
"#;

/// After `HEAD`: the same network with stim and A -> B going through
/// passthrough nodes (as Nengo's EnsembleArray wires its input and
/// output), and the second probe reading a passthrough node that B feeds.
const THROUGH: &str = r#"
[[nef.node]]
name = "in"
output = "passthrough"
dimensions = 1

[[nef.node]]
name = "mid"
output = "passthrough"
dimensions = 1

[[nef.node]]
name = "out"
output = "passthrough"
dimensions = 1

[[nef.connection]]
pre = "stim"
post = "in"
synapse = "none"

[[nef.connection]]
pre = "in"
post = "A"

[[nef.connection]]
pre = "A"
post = "mid"

[[nef.connection]]
pre = "mid"
post = "B"
synapse = "none"

[[nef.connection]]
pre = "B"
post = "out"
synapse = "none"

[[nef.probe]]
name = "B"
target = "B"
synapse = 10.0

[[nef.probe]]
name = "out"
target = "out"
synapse = 10.0
"#;

fn records(tail: &str) -> Vec<Vec<f64>> {
    let c = ok(&format!("{HEAD}{tail}"));
    let built = c.build().unwrap_or_else(|e| panic!("{e}"));
    let mut sim = brainsim_sim::nef::NefSim::new(&built);
    sim.run(c.steps());
    (0..2).map(|k| sim.record(k).to_vec()).collect()
}

#[test]
fn a_path_through_passthrough_nodes_runs_as_the_direct_connection() {
    let (direct, through) = (records(DIRECT), records(THROUGH));
    let peak = direct[0].iter().fold(0.0f64, |m, x| m.max(x.abs()));
    assert!(peak > 0.5, "B follows the sine: {peak}");
    for k in 0..2 {
        assert_eq!(direct[k].len(), 400);
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&direct[k]), bits(&through[k]), "probe {k}");
    }
}

#[test]
fn bad_passthrough_nodes_are_refused_in_one_line() {
    // Located at the node's table header, the line before its name.
    let through = format!("{HEAD}{THROUGH}");
    let text = through.replacen("dimensions = 1\n", "", 1);
    rejects_at_line(
        &text,
        line_of(&text, "name = \"in\"") - 1,
        "nef.node[1].dimensions",
        &["output \"passthrough\" requires `dimensions`"],
    );
    let text = through.replacen("dimensions = 1\n", "dimensions = 1\nvalue = 2.0\n", 1);
    rejects(
        &text,
        "value = 2.0",
        "nef.node[1].value",
        &["`value` does not apply to output \"passthrough\""],
    );
    let text = through.replace("post = \"in\"", "post = \"stim\"");
    rejects(
        &text,
        "post = \"stim\"",
        "nef.connection[0].post",
        &["`stim` is a node with an output of its own: only passthrough nodes take input"],
    );
    // Two filters in series are not one lowpass (the library's fold).
    let text = through.replacen("synapse = \"none\"\n", "synapse = 2.0\n", 1);
    let e = crate::config::nef::parse(std::path::Path::new("net.toml"), &text)
        .and_then(|c| c.build())
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("net.toml:") && !e.contains('\n'), "{e}");
    assert!(e.contains("synapse"), "{e}");
}
