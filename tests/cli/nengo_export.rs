//! `scripts/nengo_export.py` from the command line, on passthrough nodes:
//! a node with inputs and an output function is refused by the exporter;
//! a path with two filters in series exports (Nengo runs it) and is
//! refused by `brainsim run`. Both: one line naming the fault, exit 2,
//! nothing written.

use super::*;

fn python() -> String {
    std::env::var("BRAINSIM_PYTHON")
        .unwrap_or_else(|_| repo(".venv/bin/python").to_string_lossy().into_owned())
}

/// Runs the exporter on `model` (the body of a `with nengo.Network() as
/// model:` block) into `dir/model.h5`; its output.
fn export(dir: &Path, model: &str) -> Output {
    let py = dir.join("model.py");
    std::fs::write(
        &py,
        format!("import nengo\nwith nengo.Network(seed=1) as model:\n{model}"),
    )
    .unwrap();
    Command::new(python())
        .arg(repo("scripts/nengo_export.py"))
        .args([
            py.to_str().unwrap(),
            dir.join("model.h5").to_str().unwrap(),
            "0.05",
        ])
        .output()
        .expect("python runs")
}

fn one_line_exit_2(out: &Output, words: &[&str]) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(words.iter().all(|w| stderr.contains(w)), "{stderr}");
}

#[test]
fn a_node_with_inputs_and_a_function_is_refused_by_the_exporter() {
    let dir = scratch("nengo-export-function-node");
    let out = export(
        &dir,
        "    n = nengo.Node(lambda t, x: 2 * x, size_in=1, label='doubler')\n\
         \x20   a = nengo.Ensemble(10, 1)\n\
         \x20   nengo.Connection(a, n)\n",
    );
    one_line_exit_2(&out, &["doubler", "size_in 1", "output function"]);
    assert!(!dir.join("model.h5").exists() && !dir.join("model.h5.tmp").exists());
}

#[test]
fn two_filters_in_series_through_a_passthrough_node_are_refused_when_run() {
    let dir = scratch("nengo-export-series");
    let out = export(
        &dir,
        "    u = nengo.Node([0.5])\n\
         \x20   p = nengo.Node(size_in=1, label='P')\n\
         \x20   a = nengo.Ensemble(10, 1)\n\
         \x20   nengo.Connection(u, p, synapse=0.005)\n\
         \x20   nengo.Connection(p, a, synapse=0.005)\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let file = dir.join("model.h5");
    let run_dir = dir.join("out");
    let run = bin()
        .args([
            "run",
            file.to_str().unwrap(),
            "--out",
            run_dir.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    one_line_exit_2(
        &run,
        &[
            file.to_str().unwrap(),
            "connections 0 and 1",
            "two lowpass filters in series",
            "`P`",
        ],
    );
    assert!(!run_dir.exists());
}
