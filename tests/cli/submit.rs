//! `brainsim submit` without a cluster (the script of `--dry-run`, bad
//! arguments at the extremes, `sbatch` missing) and `brainsim status` on
//! runs started by hand. The jobs through a real Slurm are in `slurm.rs`.

use super::*;
use brainsim_io::metadata::RunMetadata;
use serde_json::Value;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// A small network: 300 neurons, both populations driven, 100 ms.
pub(super) const TINY: &str = r#"[simulation]
dt = 0.1
t_stop = 100.0
seed = 7

[[population]]
name = "E"
size = 240
model = "iaf_psc_exp"

[[population]]
name = "I"
size = 60
model = "iaf_psc_exp"

[[projection]]
source = "E"
target = "I"
rule = "fixed_indegree"
indegree = 20
weight = 40.0
delay = 1.5

[[projection]]
source = "I"
target = "E"
rule = "fixed_indegree"
indegree = 10
weight = -100.0
delay = 1.0

[[stimulus]]
type = "poisson_generator"
target = "E"
rate = 12000.0
weight = 50.0
delay = 1.0

[[stimulus]]
type = "poisson_generator"
target = "I"
rate = 12000.0
weight = 50.0
delay = 1.0
"#;

/// `TINY` written to `dir/tiny.toml`.
pub(super) fn tiny_config(dir: &Path) -> PathBuf {
    let cfg = dir.join("tiny.toml");
    std::fs::write(&cfg, TINY).unwrap();
    cfg
}

fn submit_dry(cfg: &Path, out: &Path, extra: &[&str]) -> String {
    let res = bin()
        .args([
            "submit",
            cfg.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .args(["--nodes", "2", "--ranks-per-node", "2", "--threads", "3"])
        .args(["--time", "01:30:00", "--dry-run"])
        .args(extra)
        .output()
        .unwrap();
    assert!(
        res.status.success(),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    String::from_utf8(res.stdout).unwrap()
}

fn has_line(script: &str, line: &str) {
    assert!(
        script.lines().any(|l| l.trim() == line),
        "no line `{line}` in:\n{script}"
    );
}

/// `bash -n`: the script parses.
fn parses(script: &str, dir: &Path) {
    let path = dir.join("check.sbatch");
    std::fs::write(&path, script).unwrap();
    let res = Command::new("bash").arg("-n").arg(&path).output().unwrap();
    assert!(
        res.status.success(),
        "bash -n: {}",
        String::from_utf8_lossy(&res.stderr)
    );
}

#[test]
fn the_dry_run_prints_a_readable_script_and_writes_nothing() {
    let dir = scratch("submit-dry");
    let cfg = tiny_config(&dir);
    let out = dir.join("out");
    let o = out.to_str().unwrap();
    let s = submit_dry(&cfg, &out, &["--launcher", "srun", "--partition", "batch"]);
    for line in [
        "#!/bin/bash",
        "#SBATCH --job-name=brainsim-tiny",
        "#SBATCH --nodes=2",
        "#SBATCH --ntasks-per-node=2",
        "#SBATCH --cpus-per-task=3",
        "#SBATCH --time=01:30:00",
        "#SBATCH --partition=batch",
        &format!("#SBATCH --output={o}/slurm-%j.out"),
        "#SBATCH --signal=B:TERM@120",
        "#SBATCH --no-requeue",
        "export RAYON_NUM_THREADS=3",
        "export SRUN_CPUS_PER_TASK=$SLURM_CPUS_PER_TASK",
        "trap on_signal TERM INT USR1",
        &format!("OUT='{o}'"),
        "step \"$BRAINSIM\" run \"$CONFIG\" --out \"$OUT\" --threads 3 --partitioner metis",
    ] {
        has_line(&s, line);
    }
    assert!(
        s.lines()
            .any(|l| l.starts_with("LAUNCH=(srun") && l.ends_with(" --cpus-per-task=3)")),
        "{s}"
    );
    assert!(s
        .lines()
        .any(|l| l.starts_with("#SBATCH --mem=") && l.ends_with('M')));
    assert!(!s.contains("resume") && !s.contains("scontrol requeue"));
    // Every #SBATCH line has a comment above it.
    let lines: Vec<&str> = s.lines().collect();
    for (i, l) in lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.starts_with("#SBATCH"))
    {
        assert!(lines[i - 1].starts_with("# "), "no comment above `{l}`");
    }
    parses(&s, &dir);
    assert!(!out.exists(), "a dry run wrote {}", out.display());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn with_checkpoints_the_script_resumes_and_requeues_itself() {
    let dir = scratch("submit-dry-ckpt");
    let cfg = tiny_config(&dir);
    let out = dir.join("out");
    let s = submit_dry(
        &cfg,
        &out,
        &[
            "--launcher",
            "mpirun",
            "--checkpoint-every",
            "50",
            "--signal-margin",
            "300",
            "--mem",
            "8G",
            "--sbatch-arg=--qos=long",
            "--account",
            "proj7",
        ],
    );
    for line in [
        "#SBATCH --requeue",
        "#SBATCH --open-mode=append",
        "#SBATCH --signal=B:TERM@300",
        "#SBATCH --mem=8G",
        "#SBATCH --account=proj7",
        "#SBATCH --qos=long",
        "LAUNCH=(mpirun -np \"$SLURM_NTASKS\" --map-by ppr:2:node --bind-to none)",
        "step \"$BRAINSIM\" resume \"$OUT\" --threads 3 --partitioner metis",
        "step \"$BRAINSIM\" run \"$CONFIG\" --out \"$OUT\" --threads 3 --partitioner metis --checkpoint-every 50 $fresh",
        "scontrol requeue Incomplete \"$SLURM_JOB_ID\" && exit 0",
    ] {
        has_line(&s, line);
    }
    assert!(!s.contains("--no-requeue"));
    // The user's option comes after brainsim's, so it wins in sbatch.
    let pos = |l: &str| s.find(l).unwrap();
    assert!(pos("#SBATCH --qos=long") > pos("#SBATCH --requeue"));
    parses(&s, &dir);
    assert!(!out.exists());
    let _ = std::fs::remove_dir_all(&dir);
}

/// One refused `brainsim submit`: exit 2, no panic, one line when brainsim
/// (not clap) wrote it, containing `words`, and nothing written.
fn refused(args: &[&str], path: Option<&str>, words: &[&str]) {
    let dir = scratch("submit-bad");
    let cfg = tiny_config(&dir);
    let out = dir.join("out");
    let mut cmd = bin();
    cmd.args([
        "submit",
        cfg.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let mut layout = vec!["--nodes", "1", "--ranks-per-node", "2", "--threads", "1"];
    layout.extend(["--time", "00:10:00", "--launcher", "mpirun"]);
    // Later occurrences of an option are refused by clap: put the case first.
    let given: Vec<&str> = args
        .iter()
        .filter(|a| a.starts_with("--"))
        .copied()
        .collect();
    let mut i = 0;
    while i < layout.len() {
        if !given.contains(&layout[i]) {
            cmd.args([layout[i], layout[i + 1]]);
        }
        i += 2;
    }
    cmd.args(args);
    if let Some(p) = path {
        cmd.env("PATH", p);
    }
    let start = Instant::now();
    let res = cmd.output().unwrap();
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "{args:?} took too long"
    );
    let err = String::from_utf8_lossy(&res.stderr);
    assert_eq!(res.status.code(), Some(2), "{args:?}: {err}");
    assert!(!err.contains("panicked"), "{args:?}: {err}");
    if err.starts_with("brainsim:") {
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
    }
    for w in words {
        assert!(err.contains(w), "{args:?}: `{w}` missing from {err}");
    }
    assert!(!out.exists(), "{args:?} created {}", out.display());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_submit_arguments_are_refused_in_one_line_and_write_nothing() {
    let max = "18446744073709551615";
    refused(&["--nodes", "0"], None, &["--nodes", "1..="]);
    refused(&["--nodes", max], None, &["--nodes"]);
    refused(&["--nodes", "-1"], None, &[]);
    refused(&["--ranks-per-node", "0"], None, &["--ranks-per-node"]);
    refused(
        &["--nodes", "2048", "--ranks-per-node", "1024"],
        None,
        &["ranks"],
    );
    refused(&["--threads", "0"], None, &["--threads"]);
    refused(&["--threads", max], None, &["--threads"]);
    for t in [
        "1:00",
        "25:61:00",
        "99999999999:00:00",
        "00:00:00",
        "x",
        "400-00:00:00",
    ] {
        refused(&["--time", t], None, &["--time"]);
    }
    for m in ["0", "65536", max, "600"] {
        refused(&["--signal-margin", m], None, &["--signal-margin"]);
    }
    for m in ["-1", "1.5G", "99999999999999T", "lots"] {
        refused(&[&format!("--mem={m}")], None, &["--mem"]);
    }
    refused(&["--mem", "1M"], None, &["--mem 1M", "GiB per node"]);
    for c in ["NaN", "-1", "0", "inf", "-inf", "1e-300", "1e400"] {
        refused(
            &[&format!("--checkpoint-every={c}")],
            None,
            &["--checkpoint-every"],
        );
    }
    refused(&["--partition", "a b"], None, &["--partition"]);
    refused(&["--sbatch-arg", "--x\nrm -rf /"], None, &["--sbatch-arg"]);
    refused(&["--sbatch-arg=qos"], None, &["--sbatch-arg"]);
    refused(&["--launcher", "aprun"], None, &[]);
    let empty = scratch("submit-empty-path");
    refused(&[], Some(empty.to_str().unwrap()), &["sbatch: not found"]);
    let _ = std::fs::remove_dir_all(&empty);
}

#[test]
fn a_bad_config_or_output_directory_is_refused_before_anything_is_written() {
    let dir = scratch("submit-bad-config");
    let cfg = dir.join("bad.toml");
    std::fs::write(&cfg, TINY.replace("size = 60", "size = -60")).unwrap();
    let out = dir.join("out");
    let base = |cfg: &Path, out: &Path| {
        let mut c = bin();
        c.args([
            "submit",
            cfg.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .args(["--nodes", "1", "--ranks-per-node", "1", "--threads", "1"])
        .args(["--time", "00:10:00", "--launcher", "mpirun", "--dry-run"]);
        c
    };
    let res = base(&cfg, &out).output().unwrap();
    let err = String::from_utf8_lossy(&res.stderr);
    assert_eq!(res.status.code(), Some(2), "{err}");
    let line = TINY.lines().position(|l| l == "size = 60").unwrap() + 1;
    assert!(
        err.starts_with(&format!("{}:{line}: population[1].size", cfg.display())),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1);
    assert!(!out.exists());
    // An output directory holding a finished run: refused without --overwrite.
    let good = tiny_config(&dir);
    run_ok(&[
        "run",
        good.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    let res = base(&good, &out).output().unwrap();
    let err = String::from_utf8_lossy(&res.stderr);
    assert_eq!(res.status.code(), Some(2), "{err}");
    assert!(
        err.contains("holds a finished run") && err.contains("--overwrite"),
        "{err}"
    );
    let res = base(&good, &out).arg("--overwrite").output().unwrap();
    assert!(res.status.success());
    assert!(String::from_utf8_lossy(&res.stdout).contains("--partitioner metis --overwrite"));
    let _ = std::fs::remove_dir_all(&dir);
}

fn status_json(out: &Path) -> Value {
    let res = bin()
        .args(["status", out.to_str().unwrap(), "--format", "json"])
        .output()
        .unwrap();
    assert!(
        res.status.success(),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    serde_json::from_slice(&res.stdout).unwrap()
}

fn status_table(out: &Path) -> String {
    let res = bin()
        .args(["status", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        res.status.success(),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    String::from_utf8(res.stdout).unwrap()
}

/// Waits until the run in `out` has a progress record with step > 0.
pub(super) fn wait_for_progress(out: &Path, limit: Duration) -> Value {
    let start = Instant::now();
    loop {
        if out.join("progress.json").exists() {
            let v = status_json(out);
            if v["progress"]["step"].as_u64().is_some_and(|s| s > 0) {
                return v;
            }
        }
        assert!(start.elapsed() < limit, "no progress in {}", out.display());
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Polls `brainsim status --json` of `out` until it reports a real-time
/// factor (at most `limit`): the status then.
fn wait_for_speed(out: &Path, limit: Duration) -> Value {
    let start = Instant::now();
    loop {
        let v = status_json(out);
        if v["real_time_factor"].as_f64().is_some() {
            return v;
        }
        assert!(start.elapsed() < limit, "no speed in {limit:?}: {v}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn status_follows_a_run_started_by_hand() {
    let dir = scratch("status-hand");
    let out = dir.join("out");
    let mut child = bin()
        .args(["run", repo("configs/brunel.toml").to_str().unwrap()])
        .args(["--t-stop", "100000", "--threads", "1", "--quiet", "--out"])
        .arg(&out)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let first = wait_for_progress(&out, Duration::from_secs(120));
    assert_eq!(first["job_id"], Value::Null);
    assert_eq!(first["status"], "running");
    assert_eq!(first["t_stop_ms"], 100000.0);
    // The speed needs two progress records; under load the second may be
    // late, so poll for it instead of sleeping a fixed time.
    let later = wait_for_speed(&out, Duration::from_secs(60));
    let table = status_table(&out);
    assert!(
        later["progress"]["step"].as_u64() > first["progress"]["step"].as_u64(),
        "no advance: {first} then {later}"
    );
    assert!(
        later["real_time_factor"].as_f64().is_some_and(|r| r > 0.0),
        "{later}"
    );
    assert!(
        later["eta_seconds"].as_f64().is_some_and(|e| e > 0.0),
        "{later}"
    );
    for w in [
        "started by hand",
        "running (pid",
        "of 100000.0 ms",
        "real-time factor",
        "ETA",
        "not finished",
    ] {
        assert!(table.contains(w), "`{w}` missing from:\n{table}");
    }
    let pid = std::fs::read_to_string(out.join("rank0.pid")).unwrap();
    Command::new("kill")
        .args(["-TERM", pid.trim()])
        .status()
        .unwrap();
    let code = super::mpi::wait_with_timeout(&mut child, Duration::from_secs(60)).map(|s| s.code());
    assert_eq!(code, Some(Some(3)));
    let ended = status_json(&out);
    assert_eq!(ended["status"], "interrupted");
    assert_eq!(ended["finished"], false);
    assert_eq!(
        ended["real_time_factor"],
        Value::Null,
        "no speed once stopped"
    );
    let meta = RunMetadata::read(&out).unwrap();
    assert_eq!(ended["t_done_ms"].as_f64(), Some(meta.t_valid_ms));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn status_of_a_finished_run_and_of_no_run() {
    let dir = scratch("status-finished");
    let cfg = tiny_config(&dir);
    let out = dir.join("out");
    run_ok(&[
        "run",
        cfg.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    let v = status_json(&out);
    assert_eq!(
        (v["status"].as_str(), v["finished"].as_bool()),
        (Some("finished"), Some(true))
    );
    assert_eq!(
        (v["t_done_ms"].as_f64(), v["t_stop_ms"].as_f64()),
        (Some(100.0), Some(100.0))
    );
    assert_eq!(v["progress"]["step"], 1000);
    let table = status_table(&out);
    assert!(
        table.contains("finished (complete)") && table.contains("100.0 of 100.0 ms"),
        "{table}"
    );
    for missing in [dir.join("empty"), dir.join("nowhere")] {
        if missing.ends_with("empty") {
            std::fs::create_dir_all(&missing).unwrap();
        }
        let res = bin()
            .args(["status", missing.to_str().unwrap()])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&res.stderr);
        assert_eq!(res.status.code(), Some(2), "{err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
