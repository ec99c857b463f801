//! `brainsim analyze` checks before it counts: corrupt or unreadable spike files
//! are refused (exit 2, one line, nothing written), an unfinished run is analysed
//! over its valid duration with a warning, the last step's spikes count, the
//! three output formats agree, and a live run's files can be read.

use super::*;
use brainsim_io::metadata::RunMetadata;
use brainsim_io::sonata_spikes::SpikeWriter;
use serde_json::Value;
use std::time::{Duration, Instant};

/// A run directory: `spikes.h5` with populations a (0..4) and b (4..7) and
/// `metadata.json` with `status` and t_stop = 100 ms, t_valid_ms = `t_valid`.
/// Spikes at step ends (dt = 0.1), the last at exactly t_stop.
fn fake_run(name: &str, status: &str, t_valid: f64) -> PathBuf {
    let dir = scratch(name);
    let pops = vec![("a".to_string(), 0, 4), ("b".to_string(), 4, 3)];
    let mut w = SpikeWriter::create(&dir.join("spikes.h5"), &pops).unwrap();
    let step = |s: u32| f64::from(s + 1) * 0.1;
    let spikes = [(step(0), 0), (step(9), 0), (step(99), 0), (step(149), 5)];
    w.append(&spikes).unwrap();
    w.append(&[
        (step(299), 1),
        (step(300), 6),
        (step(999), 0),
        (step(999), 4),
    ])
    .unwrap();
    // As the run's spike sink does: the end of the last epoch written.
    w.set_valid_until(t_valid);
    w.finish().unwrap();
    RunMetadata {
        status: status.into(),
        dt_ms: 0.1,
        t_stop_ms: 100.0,
        t_valid_ms: t_valid,
        ..Default::default()
    }
    .write(&dir)
    .unwrap();
    dir
}

fn analyze(dir: &Path, extra: &[&str]) -> Output {
    bin()
        .arg("analyze")
        .arg(dir)
        .args(extra)
        .output()
        .expect("brainsim runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn json_of(out: &Output) -> Vec<Value> {
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    v.as_array().unwrap().clone()
}

#[test]
fn finished_run_counts_the_last_step_and_formats_agree() {
    let dir = fake_run("analyze-formats", "finished", 100.0);
    // Table (and the PNG).
    let out = analyze(&dir, &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    assert!(table.starts_with("window (0, 100] ms"), "{table}");
    assert!(dir.join("raster.png").metadata().unwrap().len() > 1000);
    // a: 5 spikes (one at t = 100), 4 neurons, 0.1 s: 12.5 Hz; b: 3 in 3, 10 Hz.
    let rows: Vec<Vec<&str>> = table
        .lines()
        .skip(2)
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(rows[0][..4], ["a", "4", "5", "12.500"], "{table}");
    assert_eq!(rows[1][..4], ["b", "3", "3", "10.000"], "{table}");

    let csv = analyze(&dir, &["--format", "csv", "--no-png"]);
    assert!(csv.status.success(), "{}", text(&csv.stderr));
    let csv = text(&csv.stdout);
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let json = json_of(&analyze(&dir, &["--format", "json", "--no-png"]));
    assert_eq!(json.len(), 2);
    for ((line, row), obj) in lines.zip(&rows).zip(&json) {
        let cells: Vec<&str> = line.split(',').collect();
        assert_eq!(cells.len(), header.len());
        for (key, cell) in header.iter().zip(&cells) {
            let v = &obj[*key];
            match v.as_f64() {
                // (serde_json's default parser may be an ulp off.)
                Some(x) => {
                    let c: f64 = cell.parse().unwrap();
                    assert!((c - x).abs() <= 1e-14 * x.abs(), "{key}: {c} vs {x}");
                }
                None if v.is_null() => assert_eq!(*cell, "", "{key}"),
                None => assert_eq!(v.as_str(), Some(*cell), "{key}"),
            }
        }
        // The table shows the same numbers, rounded.
        assert_eq!((cells[0], cells[1], cells[2]), (row[0], row[1], row[2]));
        let rate: f64 = cells[3].parse().unwrap();
        assert_eq!(format!("{rate:.3}"), row[3]);
        assert_eq!(
            (obj["t_start_ms"].as_f64(), obj["t_stop_ms"].as_f64()),
            (Some(0.0), Some(100.0))
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn unfinished_run_uses_its_valid_duration_with_a_warning() {
    // Killed at a third of t_stop = 300 (the metadata says so; the file predates
    // valid_until_ms or agrees): rates over 100 ms, not 300.
    let dir = fake_run("analyze-unfinished", "interrupted", 100.0);
    let mut meta = RunMetadata::read(&dir).unwrap();
    meta.t_stop_ms = 300.0;
    meta.write(&dir).unwrap();
    let out = analyze(&dir, &["--format", "json", "--no-png"]);
    let err = text(&out.stderr);
    assert!(
        err.contains("warning") && err.contains("interrupted") && err.contains("100 ms"),
        "{err}"
    );
    let json = json_of(&out);
    assert_eq!(json[0]["rate_hz"].as_f64(), Some(12.5));
    assert_eq!(json[0]["t_stop_ms"].as_f64(), Some(100.0));
    assert!(!dir.join("raster.png").exists());
    // Asking for more than the valid time is clamped, with a warning.
    let out = analyze(&dir, &["--format", "json", "--no-png", "--t-stop", "300"]);
    assert!(
        text(&out.stderr).contains("beyond the valid"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(json_of(&out)[0]["t_stop_ms"].as_f64(), Some(100.0));
    // A failed run names its error.
    meta.status = "failed".into();
    meta.error = Some("disk full".into());
    meta.write(&dir).unwrap();
    let out = analyze(&dir, &["--no-png"]);
    assert!(out.status.success());
    assert!(
        text(&out.stderr).contains("run failed (disk full)"),
        "{}",
        text(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs `analyze` and checks that it refused: exit 2, one line naming `file` on
/// stderr containing `what`, nothing on stdout, no PNG.
fn refuses(dir: &Path, file: &Path, what: &str) {
    for format in ["table", "csv"] {
        let out = analyze(dir, &["--format", format]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        let prefix = format!("brainsim: {}: ", file.display());
        assert!(err.starts_with(&prefix) && err.contains(what), "{err}");
        assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
        assert!(!dir.join("raster.png").exists());
    }
}

/// Changes `dir/spikes.h5` with h5py (`code`, `f` being the open file).
fn h5py(dir: &Path, code: &str) {
    let python = std::env::var("BRAINSIM_PYTHON")
        .unwrap_or_else(|_| repo(".venv/bin/python").to_string_lossy().into_owned());
    let script = format!(
        "import h5py\nwith h5py.File({:?}, 'r+') as f:\n    {code}\n",
        dir.join("spikes.h5")
    );
    let out = std::process::Command::new(python)
        .arg("-c")
        .arg(script)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn corrupt_spike_files_are_refused() {
    let good = fake_run("analyze-good", "finished", 100.0);
    let bytes = std::fs::read(good.join("spikes.h5")).unwrap();
    let case = |name: &str| {
        let dir = scratch(name);
        std::fs::copy(good.join("metadata.json"), dir.join("metadata.json")).unwrap();
        let spikes = dir.join("spikes.h5");
        (dir, spikes)
    };
    // Truncated to half.
    let (dir, spikes) = case("analyze-truncated");
    std::fs::write(&spikes, &bytes[..bytes.len() / 2]).unwrap();
    refuses(&dir, &spikes, "truncated file");
    // Random bytes.
    let (dir, spikes) = case("analyze-random");
    let mut x = 0x2545_F491_4F6C_DD1Du64;
    let noise: Vec<u8> = (0..bytes.len())
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    std::fs::write(&spikes, &noise).unwrap();
    refuses(&dir, &spikes, "opening file");
    // The superblock overwritten.
    let (dir, spikes) = case("analyze-overwritten");
    let mut b = bytes.clone();
    b[8..200].fill(0xAB);
    std::fs::write(&spikes, &b).unwrap();
    refuses(&dir, &spikes, "opening file");
    // A dataset missing, timestamps not sorted, a node id beyond n_nodes.
    for (name, code, what) in [
        (
            "analyze-no-dataset",
            "del f['spikes/a/node_ids']",
            "/spikes/a/node_ids",
        ),
        (
            "analyze-unsorted",
            "f['spikes/a/timestamps'][1] = 50.0",
            "not sorted",
        ),
        (
            "analyze-node-id",
            "f['spikes/b/node_ids'][0] = 3",
            "node id 3 >= n_nodes 3",
        ),
    ] {
        let (dir, spikes) = case(name);
        std::fs::write(&spikes, &bytes).unwrap();
        h5py(&dir, code);
        refuses(&dir, &spikes, what);
        let _ = std::fs::remove_dir_all(&dir);
    }
    // No spikes.h5 at all; an empty directory.
    let (dir, _) = case("analyze-missing");
    let out = analyze(&dir, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("no spikes.h5"),
        "{}",
        text(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&good);
}

#[test]
fn bad_arguments_exit_2_and_other_failures_1() {
    let dir = fake_run("analyze-args", "finished", 100.0);
    for args in [
        &["--t-start", "50", "--t-stop", "10"][..],
        &["--bin", "0"],
        &["--t-start", "200"],
    ] {
        let out = analyze(&dir, args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert_eq!(
            text(&out.stderr).lines().count(),
            1,
            "{}",
            text(&out.stderr)
        );
    }
    // A PNG that cannot be written is not bad input.
    let out = analyze(&dir, &["--png", "/nonexistent-dir/raster.png"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stderr).starts_with("brainsim: /nonexistent-dir/raster.png: "));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_live_run_is_analysed_while_it_writes() {
    let dir = scratch("analyze-live");
    let mut child = bin()
        .args([
            "run",
            repo("configs/brunel.toml").to_str().unwrap(),
            "--out",
            dir.to_str().unwrap(),
        ])
        .args(["--t-stop", "100000", "--threads", "1", "--quiet"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait for a flush with spikes in it (about once per wall second).
    let start = Instant::now();
    let flushed = || {
        SpikeFile::open(&dir.join("spikes.h5"))
            .is_ok_and(|f| f.populations().iter().any(|p| f.n_spikes(p) > 0))
    };
    while !flushed() && start.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(200));
    }
    let out = analyze(&dir, &["--format", "json", "--no-png"]);
    let running = child.try_wait().unwrap().is_none();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(running, "the run ended before analyze read it");
    let err = text(&out.stderr);
    assert!(err.contains("warning") && err.contains("running"), "{err}");
    let json = json_of(&out);
    let t_stop = json[0]["t_stop_ms"].as_f64().unwrap();
    assert!(t_stop > 0.0 && t_stop < 100_000.0, "{t_stop}");
    assert!(
        json.iter().any(|p| p["spikes"].as_u64() > Some(0)),
        "{json:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
