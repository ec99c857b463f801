//! Rate and temporal coding end to end: encoders drive a population of
//! relay neurons (one output spike one step after each input spike: a
//! 1e6 pA event with tau_syn 0.01 ms lifts V_m ~40 mV in one step, and the
//! 0.1 ms refractory period lets the next input through), `brainsim
//! analyze --decode` recovers the encoded vectors, and a spike_generator
//! replays the spikes.h5 of an earlier run.

use super::*;
use serde_json::Value;

/// `[simulation]` and a relay population "R" of `n` neurons.
fn relay(t_stop: f64, n: u32) -> String {
    format!(
        "[simulation]\ndt = 0.1\nt_stop = {t_stop}\nseed = 3\n\n[[population]]\nname = \"R\"\n\
         size = {n}\nmodel = \"iaf_psc_exp\"\n\
         params = {{ tau_syn_ex = 0.01, tau_syn_in = 0.01, t_ref = 0.1 }}\n"
    )
}

/// Runs `config` (text) in a fresh scratch dir; returns the run directory.
fn run_config(name: &str, config: &str) -> PathBuf {
    let dir = scratch(name);
    let cfg = dir.join("net.toml");
    std::fs::write(&cfg, config).unwrap();
    let out = dir.join("out");
    run_ok(&[
        "run",
        cfg.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    out
}

fn decode_json(out: &Path, method: &str) -> Value {
    let dir = out.to_str().unwrap();
    let o = run_ok(&[
        "analyze", dir, "--decode", method, "--format", "json", "--no-png",
    ]);
    let v: Value = serde_json::from_slice(&o.stdout).expect("JSON on stdout");
    v[0].clone()
}

#[test]
fn analyze_decodes_the_rate_encoded_vectors() {
    let config = relay(1000.0, 400)
        + "
[[stimulus]]
type = \"rate_encoder\"
target = \"R\"
times = [0.0, 200.0, 400.0, 600.0, 800.0]
values = [[0.5, 1.0, 2.0, 4.0], [4.0, 3.0, 0.2, 1.0], [2.0, 2.5, 3.0, 0.0],
          [1.0, 4.5, 0.7, 2.2], [3.3, 0.1, 1.9, 3.9]]
gain = 20.0
weight = 1e6
delay = 1.0
";
    let out = run_config("coding-rate", &config);
    let d = decode_json(&out, "rate");
    let r = d["correlation"].as_f64().unwrap();
    println!("rate decoding: correlation {r}");
    assert!(r > 0.95, "correlation {r}");
    let windows = d["windows"].as_array().unwrap();
    assert_eq!(windows.len(), 5);
    for (j, w) in windows.iter().enumerate() {
        assert_eq!(w["vector"], j);
        assert_eq!(
            w["t_start_ms"],
            200.0 * j as f64 + 1.0,
            "shifted by the delay"
        );
        assert!(w["correlation"].as_f64().unwrap() > 0.95, "{w}");
    }
    // The per-neuron read-out: one row per neuron and window.
    let csv = std::fs::read_to_string(out.join("readout.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 400 * 5);
    // The table names the encoder and the verdict.
    let o = run_ok(&[
        "analyze",
        out.to_str().unwrap(),
        "--decode",
        "rate",
        "--no-png",
    ]);
    let table = String::from_utf8_lossy(&o.stdout);
    assert!(
        table.starts_with("decode rate: stimulus[0] (rate_encoder"),
        "{table}"
    );
    assert!(
        table.contains("R: correlation of the decoded rates"),
        "{table}"
    );
    let _ = std::fs::remove_dir_all(out.parent().unwrap());
}

#[test]
fn analyze_decodes_the_latency_order_exactly() {
    let config = relay(300.0, 60)
        + "
[[stimulus]]
type = \"latency_encoder\"
target = \"R\"
times = [0.0, 100.0, 200.0]
values = [[1.5, 3.0, 1.1, 6.0, 0.5, 2.2], [5.0, 1.3, 2.0, 0.9, 8.0, 1.6],
          [2.4, 2.6, 9.0, 1.2, 1.4, 0.0]]
tau = 10.0
threshold = 1.0
weight = 1e6
delay = 1.0
";
    let out = run_config("coding-latency", &config);
    let d = decode_json(&out, "latency");
    assert_eq!(
        (&d["matched"], &d["compared"]),
        (&Value::from(3), &Value::from(3))
    );
    let w0 = &d["windows"][0];
    assert_eq!(w0["order"], serde_json::json!([3, 1, 5, 0, 2]), "{w0}");
    // Latency of component 0 (x = 1.5): the formula's 10 ln 3 = 10.99 ms,
    // on the grid 11.0 ms, plus the relay's step: 11.1 ms after the window
    // start (t_0 + delay).
    let l0 = w0["values"][0].as_f64().unwrap();
    assert!((l0 - 11.1).abs() < 1e-9, "{l0}");
    assert!(w0["values"][4].is_null(), "x = 0.5 <= threshold: no spike");
    let _ = std::fs::remove_dir_all(out.parent().unwrap());
}

/// Every spike of population `pop` of a run as (node id, step), sorted.
fn steps_of(out: &Path, pop: &str) -> Vec<(u64, u64)> {
    let mut v: Vec<(u64, u64)> = read_spikes(out)
        .into_iter()
        .filter(|(p, _, _)| p == pop)
        .map(|(_, id, t)| (id, (f64::from_bits(t) / 0.1).round() as u64))
        .collect();
    v.sort_unstable();
    v
}

#[test]
fn spike_generator_replays_an_earlier_run() {
    let source = "[simulation]\ndt = 0.1\nt_stop = 200.0\nseed = 5\n
[[population]]
name = \"E\"
size = 200
model = \"iaf_psc_exp\"
params = { E_L = 0.0, V_th = 20.0, V_reset = 10.0 }
initial = { V_m = { distribution = \"uniform\", low = 0.0, high = 20.0 } }

[[projection]]
source = \"E\"
target = \"E\"
rule = \"fixed_indegree\"
indegree = 20
weight = 20.0
delay = 1.5

[[stimulus]]
type = \"poisson_generator\"
target = \"E\"
rate = 9000.0
weight = 40.0
";
    let first = run_config("coding-replay-source", source);
    let original = steps_of(&first, "E");
    assert!(original.len() > 2000, "{}", original.len());
    // Replay into relays, the file named relative to the config.
    let dir = first.parent().unwrap();
    let replay = relay(210.0, 200)
        + "
[[stimulus]]
type = \"spike_generator\"
target = \"R\"
spikes_file = \"out/spikes.h5\"
weight = 1e6
delay = 2.0
";
    let cfg = dir.join("replay.toml");
    std::fs::write(&cfg, replay).unwrap();
    let second = dir.join("replayed");
    run_ok(&[
        "run",
        cfg.to_str().unwrap(),
        "--out",
        second.to_str().unwrap(),
        "--quiet",
    ]);
    // Each spike stamped at T arrives at T + 2 ms; its relay fires one step
    // later: every spike, shifted by the delay and one step.
    let shifted: Vec<(u64, u64)> = original.iter().map(|&(n, s)| (n, s + 21)).collect();
    assert_eq!(steps_of(&second, "R"), shifted);
    // The run's effective config names the file absolutely.
    let effective = std::fs::read_to_string(second.join("config.effective.toml")).unwrap();
    let abs = first.join("spikes.h5").display().to_string();
    assert!(effective.contains(&abs), "{effective}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn analyze_refuses_a_decoding_without_an_encoder_and_bad_windows() {
    let config = relay(50.0, 10)
        + "
[[stimulus]]
type = \"poisson_generator\"
target = \"R\"
rate = 100.0
weight = 1e6
";
    let out = run_config("coding-no-encoder", &config);
    let dir = out.to_str().unwrap();
    for (args, words) in [
        (
            vec!["--decode", "rate"],
            "has no rate_encoder or latency_encoder",
        ),
        (vec!["--window-ms", "0"], "--window-ms 0 must be > 0"),
        (vec!["--windows", "encoder"], "config.effective.toml"),
        (vec!["--readout", "x.csv"], "--readout needs windows"),
    ] {
        let o = bin()
            .args(["analyze", dir, "--no-png"])
            .args(&args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
        assert!(stderr.contains(words), "{args:?}: {stderr}");
        assert!(o.stdout.is_empty());
    }
    assert!(!out.join("readout.csv").exists());
    let _ = std::fs::remove_dir_all(out.parent().unwrap());
}
