//! Bad input, one test per class: exit code 2, one line on stderr naming the
//! file, the line and the field, and no output directory left behind.

use super::*;

const GOOD: &str = r#"[simulation]
dt = 0.1
t_stop = 50.0

[[population]]
name = "E"
size = 100
model = "iaf_psc_exp"
params = { tau_m = 20.0, C_m = 250.0, V_th = -55.0, V_reset = -70.0 }

[[population]]
name = "I"
size = 25
model = "iaf_psc_exp"

[[projection]]
source = "E"
target = "I"
rule = "fixed_indegree"
indegree = 10
allow_multapses = false
weight = 50.0
delay = 1.5
"#;

/// Runs `brainsim run` on `text`; asserts the exit code 2, a single stderr
/// line starting with `file:line: field` and containing every `words`, and
/// that no output directory was created.
fn refused(name: &str, text: &str, line: usize, field: &str, words: &[&str]) {
    let dir = scratch(&format!("bad-{name}"));
    let cfg = dir.join("net.toml");
    std::fs::write(&cfg, text).unwrap();
    let out_dir = dir.join("out");
    let out = bin()
        .args([
            "run",
            cfg.to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{name}: exit code {:?}, stderr {stderr}",
        out.status.code()
    );
    assert_eq!(
        stderr.trim_end().lines().count(),
        1,
        "{name}: not one line: {stderr}"
    );
    let prefix = format!("{}:{line}: {field}", cfg.display());
    assert!(
        stderr.starts_with(&prefix),
        "{name}: expected `{prefix}`, got: {stderr}"
    );
    for w in words {
        assert!(stderr.contains(w), "{name}: `{w}` missing from: {stderr}");
    }
    assert!(!out_dir.exists(), "{name}: an output directory was created");
    let _ = std::fs::remove_dir_all(&dir);
}

fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .expect("needle in text")
        + 1
}

#[test]
fn the_good_config_runs() {
    let dir = scratch("good");
    let cfg = dir.join("net.toml");
    std::fs::write(&cfg, GOOD).unwrap();
    run_ok(&[
        "run",
        cfg.to_str().unwrap(),
        "--out",
        dir.join("out").to_str().unwrap(),
    ]);
    assert!(dir.join("out/metadata.json").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn unknown_key() {
    let t = GOOD.replace("t_stop = 50.0", "t_stop = 50.0\nthread = 2");
    refused(
        "unknown-key",
        &t,
        line_of(&t, "thread = 2"),
        "simulation.thread",
        &["unknown key"],
    );
}

#[test]
fn unknown_model() {
    let t = GOOD.replacen("model = \"iaf_psc_exp\"", "model = \"iaf_cond_foo\"", 1);
    refused(
        "unknown-model",
        &t,
        line_of(&t, "iaf_cond_foo"),
        "population[0].model",
        &["iaf_cond_foo", "iaf_psc_exp"],
    );
}

#[test]
fn missing_population() {
    let t = GOOD.replace("target = \"I\"", "target = \"L5\"");
    refused(
        "missing-pop",
        &t,
        line_of(&t, "\"L5\""),
        "projection[0].target",
        &["L5"],
    );
}

#[test]
fn non_positive_tau_m_c_m_and_dt() {
    let t = GOOD.replace("tau_m = 20.0", "tau_m = -20.0");
    refused(
        "tau-m",
        &t,
        line_of(&t, "tau_m"),
        "population[0].params.tau_m",
        &["> 0"],
    );
    let t = GOOD.replace("C_m = 250.0", "C_m = 0.0");
    refused(
        "c-m",
        &t,
        line_of(&t, "C_m"),
        "population[0].params.C_m",
        &["> 0"],
    );
    let t = GOOD.replace("dt = 0.1", "dt = 0.0");
    refused("dt", &t, 2, "simulation.dt", &["> 0"]);
}

#[test]
fn v_reset_not_below_v_th() {
    let t = GOOD.replace("V_reset = -70.0", "V_reset = -50.0");
    refused(
        "v-reset",
        &t,
        line_of(&t, "V_reset"),
        "population[0].params.V_reset",
        &["V_th"],
    );
}

#[test]
fn delay_shorter_than_dt() {
    let t = GOOD.replace("delay = 1.5", "delay = 0.05");
    refused(
        "delay",
        &t,
        line_of(&t, "delay = 0.05"),
        "projection[0].delay",
        &["dt"],
    );
}

#[test]
fn nan_and_inf() {
    let t = GOOD.replace("weight = 50.0", "weight = nan");
    refused(
        "nan",
        &t,
        line_of(&t, "weight = nan"),
        "projection[0].weight",
        &["finite", "NaN"],
    );
    let t = GOOD.replace("t_stop = 50.0", "t_stop = inf");
    refused("inf", &t, 3, "simulation.t_stop", &["finite"]);
}

#[test]
fn indegree_larger_than_source_without_multapses() {
    let t = GOOD.replace("indegree = 10", "indegree = 500");
    refused(
        "indegree",
        &t,
        line_of(&t, "indegree = 500"),
        "projection[0].indegree",
        &["500", "100"],
    );
}

#[test]
fn network_too_large_for_memory() {
    // 10^7 x 10^7 all-to-all: 10^14 synapses, far beyond any machine.
    let t = GOOD
        .replace("size = 100", "size = 10000000")
        .replace("size = 25", "size = 10000000")
        .replace(
            "rule = \"fixed_indegree\"\nindegree = 10\nallow_multapses = false",
            "rule = \"all_to_all\"",
        );
    refused(
        "memory",
        &t,
        line_of(&t, "[[projection]]"),
        "projection[0]",
        &["GiB", "available"],
    );
}

#[test]
fn unreadable_and_malformed_files() {
    let dir = scratch("bad-missing");
    let missing = dir.join("nope.toml");
    let out = bin()
        .args([
            "run",
            missing.to_str().unwrap(),
            "--out",
            dir.join("out").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with(missing.to_str().unwrap()) && stderr.trim_end().lines().count() == 1,
        "{stderr}"
    );
    assert!(!dir.join("out").exists());
    let t = GOOD.replace("size = 25", "size = = 25");
    refused(
        "syntax",
        &t,
        line_of(&t, "size = = 25"),
        "",
        &["invalid TOML"],
    );
}

/// The devices of rate and temporal coding: one case per class of field
/// (change times, values, tables, mappings, parameters, spike files).
#[test]
fn coding_device_fields() {
    let files = scratch("bad-coding-files");
    let spikes = files.join("in.h5");
    let pops = [("src".to_string(), 0, 40)];
    let mut w = brainsim_io::sonata_spikes::SpikeWriter::create(&spikes, &pops).unwrap();
    w.append(&[(1.0, 3), (2.0, 30)]).unwrap();
    w.finish().unwrap();
    let ipg = "type = \"inhomogeneous_poisson_generator\"\ntarget = \"I\"\nweight = 1.0\n";
    let scg = "type = \"step_current_generator\"\ntarget = \"I\"\n";
    let enc = "type = \"rate_encoder\"\ntarget = \"I\"\nweight = 1.0\ngain = 5.0\n";
    let lat = "type = \"latency_encoder\"\ntarget = \"I\"\nweight = 1.0\ntimes = [0.0]\nvalues = [[2.0]]\n";
    let sg = "type = \"spike_generator\"\ntarget = \"I\"\nweight = 1.0\n";
    let cases: Vec<(&str, String, &str, &str, &[&str])> = vec![
        (
            "rate-times",
            format!("{ipg}rate_times = [5.0, 2.0]\nrate_values = [1.0, 2.0]\n"),
            "rate_times",
            "stimulus[0].rate_times[1]",
            &["strictly increasing"],
        ),
        (
            "rate-values",
            format!("{ipg}rate_times = [5.0]\nrate_values = [-2.0]\n"),
            "rate_values",
            "stimulus[0].rate_values[0]",
            &[">= 0"],
        ),
        (
            "amp-times",
            format!("{scg}amplitude_times = [1.01, 1.05]\namplitude_values = [1.0, 2.0]\n"),
            "amplitude_times",
            "stimulus[0].amplitude_times[1]",
            &["rounded up"],
        ),
        (
            "amp-values",
            format!("{scg}amplitude_times = [1.0, 2.0]\namplitude_values = [1.0]\n"),
            "amplitude_values",
            "stimulus[0].amplitude_values",
            &["1 entries", "2 times"],
        ),
        (
            "enc-values",
            format!("{enc}times = [0.0, 1.0]\nvalues = [[1.0, 2.0], [1.0]]\n"),
            "values",
            "stimulus[0].values[1]",
            &["1 components"],
        ),
        (
            "enc-dimension",
            format!("{enc}times = [0.0]\nvalues = [[1.0, 2.0]]\ndimension = [0, 1, 1, 0, 7]\n"),
            "dimension",
            "stimulus[0].dimension[4]",
            &["component 7 is out of range"],
        ),
        (
            "enc-targets",
            format!("{enc}times = [0.0]\nvalues = [[1.0, 2.0]]\ndimension = [0, 1]\n"),
            "dimension",
            "stimulus[0].dimension",
            &["2 entries", "25 targets"],
        ),
        (
            "lat-tau",
            format!("{lat}tau = -1.0\nthreshold = 1.0\n"),
            "tau = ",
            "stimulus[0].tau",
            &["> 0"],
        ),
        (
            "lat-threshold",
            format!("{lat}tau = 1.0\nthreshold = -1.0\n"),
            "threshold",
            "stimulus[0].threshold",
            &[">= 0"],
        ),
        (
            "sg-missing",
            format!("{sg}spikes_file = {:?}\n", files.join("nope.h5")),
            "spikes_file",
            "stimulus[0].spikes_file",
            &["nope.h5: no such file"],
        ),
        (
            "sg-node",
            format!("{sg}spikes_file = {spikes:?}\n"),
            "spikes_file",
            "stimulus[0].spikes_file",
            &["node id 30 is outside", "\"I\" (25 neurons"],
        ),
        (
            "sg-population",
            format!("{sg}spikes_file = {spikes:?}\npopulation = \"E\"\n"),
            "population = ",
            "stimulus[0].population",
            &["no population \"E\"", "src"],
        ),
    ];
    for (name, body, at, field, words) in cases {
        let t = format!("{GOOD}\n[[stimulus]]\n{body}");
        refused(name, &t, line_of(&t, at), field, words);
    }
    let _ = std::fs::remove_dir_all(&files);
}
