//! Stopping with a checkpoint: SIGTERM to a one-rank run and to every rank
//! of a two-rank job writes a checkpoint of the step the ranks agree on,
//! marks the outputs interrupted and exits 3, and resuming gives the
//! outputs of a run never stopped; a run SIGKILLed while a checkpoint's
//! temporary file exists resumes from the previous checkpoint, identically.

use super::checkpoint::{outputs, with_report};
use super::mpi::{mpirun, wait_with_timeout};
use super::*;
use brainsim_io::metadata::RunMetadata;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// Brunel at a fifth of its size with a state report, in `dir`.
fn small_brunel(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(repo("configs/brunel.toml")).unwrap();
    let text = set_key(&text, "chunk_size", "250")
        .replace("[simulation]\n", "[simulation]\nscale = 0.2\n");
    let path = dir.join("brunel.toml");
    std::fs::write(&path, with_report(&text, "E")).unwrap();
    path
}

/// Waits until the run in `out` has flushed something.
fn wait_for_flush(out: &Path) {
    let start = Instant::now();
    while !RunMetadata::read(out).is_ok_and(|m| m.t_valid_ms > 0.0) {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "no flush within 120 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn kill(signal: &str, pid: &str) {
    let ok = Command::new("kill")
        .args([signal, pid.trim()])
        .status()
        .unwrap();
    assert!(ok.success());
}

/// After a stop: exit 3, `interrupted`, the last checkpoint at the step the
/// run stopped at; then the resumed run to 50 ms later equals a straight one.
fn check_stopped_and_resume(cfg: &Path, out: &Path, code: Option<i32>) {
    assert_eq!(code, Some(3), "exit code of a run stopped by SIGTERM");
    let meta = RunMetadata::read(out).unwrap();
    assert_eq!(meta.status, "interrupted");
    let stop = meta.segments[0].end_step;
    assert_eq!(meta.t_valid_ms, stop as f64 * 0.1);
    assert_eq!(
        meta.checkpoints.last().unwrap(),
        &format!("checkpoints/t{stop}.h5")
    );
    resume_equals_straight(cfg, out, meta.t_valid_ms + 50.0);
    assert!(RunMetadata::read(out).unwrap().is_finished());
}

/// `brainsim resume OUT --t-stop T` succeeds and gives the outputs of a
/// run of `cfg` straight to T.
fn resume_equals_straight(cfg: &Path, out: &Path, t: f64) {
    let t_stop = format!("{t}");
    let resumed = bin()
        .arg("resume")
        .arg(out)
        .args(["--t-stop", &t_stop, "--quiet"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&resumed.stderr);
    assert!(resumed.status.success(), "{err}");
    let straight = out.with_file_name("straight");
    let cfg = cfg.to_str().unwrap();
    let args = [
        "run",
        cfg,
        "--out",
        straight.to_str().unwrap(),
        "--t-stop",
        &t_stop,
        "--quiet",
    ];
    run_ok(&args);
    assert!(
        outputs(&straight, "E") == outputs(out, "E"),
        "resumed run differs"
    );
}

#[test]
fn sigterm_to_one_rank_checkpoints_exits_3_and_resumes_identically() {
    let dir = scratch("ckpt-sigterm-1");
    let (cfg, out) = (small_brunel(&dir), dir.join("out"));
    let mut run: Child = bin()
        .args(["run", cfg.to_str().unwrap(), "--out", out.to_str().unwrap()])
        .args([
            "--t-stop",
            "1000000",
            "--checkpoint-every",
            "1000",
            "--threads",
            "1",
            "--quiet",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_flush(&out);
    kill("-TERM", &run.id().to_string());
    let status = wait_with_timeout(&mut run, Duration::from_secs(60)).expect("the run ends");
    check_stopped_and_resume(&cfg, &out, status.code());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sigterm_to_every_rank_of_a_job_checkpoints_exits_3_and_resumes_identically() {
    let dir = scratch("ckpt-sigterm-2");
    let (cfg, out) = (small_brunel(&dir), dir.join("out"));
    let args: Vec<String> = [cfg.to_str().unwrap(), "--out", out.to_str().unwrap()]
        .iter()
        .chain(&[
            "--t-stop",
            "1000000",
            "--checkpoint-every",
            "1000",
            "--threads",
            "1",
            "--quiet",
        ])
        .map(|s| s.to_string())
        .collect();
    let mut job = mpirun(2, &args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_flush(&out);
    // Both pids first: the ranks stop within an epoch of the first signal.
    let pids: Vec<String> = (0..2)
        .map(|r| std::fs::read_to_string(out.join(format!("rank{r}.pid"))).unwrap())
        .collect();
    for pid in &pids {
        kill("-TERM", pid);
    }
    let status = wait_with_timeout(&mut job, Duration::from_secs(60)).expect("the job ends");
    check_stopped_and_resume(&cfg, &out, status.code());
    let _ = std::fs::remove_dir_all(&dir);
}

/// One population of 20,000 neurons with delays up to 100 ms: the ring
/// (1,000 slots; its bitmap alone is 2.5 MB) makes each checkpoint about
/// 6 MB, long enough to write that a kill lands while its temporary file
/// exists.
const LONG_DELAYS: &str = r#"
[simulation]
dt = 0.1
t_stop = 100000.0
seed = 3
chunk_size = 2000

[[population]]
name = "E"
size = 20000
model = "iaf_psc_exp"
params = { E_L = 0.0, V_th = 20.0, V_reset = 10.0, tau_m = 20.0, tau_syn_ex = 0.5, tau_syn_in = 0.5 }
initial = { V_m = { distribution = "uniform", low = 0.0, high = 20.0 } }

[[projection]]
source = "E"
target = "E"
rule = "fixed_indegree"
indegree = 10
weight = 40.0
delay = { distribution = "uniform", low = 1.0, high = 100.0 }

[[stimulus]]
type = "poisson_generator"
target = "E"
rate = 16000.0
weight = 50.0

[[record]]
type = "spikes"
populations = ["E"]
"#;

#[test]
fn a_kill_while_a_checkpoint_is_written_resumes_from_the_previous_one() {
    let dir = scratch("ckpt-kill");
    let (cfg, out) = (dir.join("long.toml"), dir.join("out"));
    std::fs::write(&cfg, with_report(LONG_DELAYS, "E")).unwrap();
    let mut run = bin()
        .args(["run", cfg.to_str().unwrap(), "--out", out.to_str().unwrap()])
        .args([
            "--checkpoint-every",
            "5",
            "--checkpoint-keep",
            "3",
            "--threads",
            "1",
            "--quiet",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let ckpts = out.join("checkpoints");
    let start = Instant::now();
    // Kill while a temporary file exists and at least one checkpoint is done.
    loop {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "never caught a checkpoint being written"
        );
        let names: Vec<String> = std::fs::read_dir(&ckpts)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        let writing = names.iter().any(|n| n.ends_with(".h5.tmp"));
        if writing && names.iter().any(|n| n.starts_with('t')) {
            kill("-KILL", &run.id().to_string());
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    let _ = run.wait();
    assert!(std::fs::read_dir(&ckpts)
        .unwrap()
        .flatten()
        .any(|e| e.file_name().to_string_lossy().ends_with(".tmp")));
    assert_eq!(
        RunMetadata::read(&out).unwrap().status,
        "running",
        "killed: no chance to say more"
    );
    let latest = brainsim_io::checkpoint::latest_valid(&ckpts)
        .unwrap()
        .unwrap()
        .1;
    resume_equals_straight(&cfg, &out, latest as f64 * 0.1 + 10.0);
    let meta = RunMetadata::read(&out).unwrap();
    assert_eq!(meta.segments[1].start_step, latest);
    let _ = std::fs::remove_dir_all(&dir);
}
