//! Jobs through a real Slurm: each test starts its own single-node cluster
//! (`scripts/slurm_local.sh`: munged, slurmctld and slurmd under a scratch
//! directory, their own ports, stopped by PID when the test ends), submits
//! with `brainsim submit` and follows the job with `scontrol` and `brainsim
//! status`. Skipped, with the reason printed, only when the Slurm or munge
//! binaries are not installed (`scripts/setup.sh` installs them). The
//! time-limit signal sent by Slurm itself, with a real requeue and resume:
//! `slurm_limit.rs`.

use super::submit::{tiny_config, wait_for_progress};
use super::*;
use brainsim_io::job_record::JobRecord;
use brainsim_io::metadata::RunMetadata;
use serde_json::Value;
use std::time::{Duration, Instant};

/// The programs a private cluster needs.
const NEEDED: [&str; 8] = [
    "munged",
    "mungekey",
    "slurmctld",
    "slurmd",
    "sbatch",
    "scontrol",
    "scancel",
    "sinfo",
];

/// A private single-node Slurm, stopped when dropped.
pub(super) struct LocalSlurm {
    dir: PathBuf,
    conf: PathBuf,
}

fn installed(program: &str) -> bool {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin".into(), "/sbin".into()])
        .any(|d| d.join(program).is_file())
}

impl LocalSlurm {
    /// Starts one, or says why it cannot (None) when Slurm is not installed.
    pub(super) fn start(name: &str) -> Option<LocalSlurm> {
        if let Some(missing) = NEEDED.iter().find(|p| !installed(p)) {
            eprintln!("skipping the Slurm test {name}: `{missing}` is not installed (scripts/setup.sh installs slurm-wlm and munge)");
            return None;
        }
        let dir = scratch(&format!("slurm-{name}"));
        let res = Command::new(repo("scripts/slurm_local.sh"))
            .arg("start")
            .arg(&dir)
            .env("PATH", path_with_sbin())
            .output()
            .unwrap();
        let cluster = LocalSlurm {
            conf: dir.join("slurm.conf"),
            dir,
        };
        assert!(
            res.status.success(),
            "the private Slurm did not start: {}{}",
            String::from_utf8_lossy(&res.stderr),
            cluster.logs()
        );
        Some(cluster)
    }

    /// `program` talking to this cluster.
    pub(super) fn cmd(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.env("SLURM_CONF", &self.conf)
            .env("PATH", path_with_sbin());
        c
    }

    /// `brainsim ARGS` talking to this cluster.
    pub(super) fn brainsim(&self) -> Command {
        let mut c = bin();
        c.env("SLURM_CONF", &self.conf)
            .env("PATH", path_with_sbin());
        c
    }

    /// `JobState` of job `id` (scontrol).
    pub(super) fn state(&self, id: &str) -> String {
        let out = self
            .cmd("scontrol")
            .args(["show", "job", "-o", id])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .find_map(|t| t.strip_prefix("JobState="))
            .unwrap_or("")
            .to_string()
    }

    /// The whole `scontrol show job` line of job `id`.
    pub(super) fn show(&self, id: &str) -> String {
        let out = self
            .cmd("scontrol")
            .args(["show", "job", "-o", id])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Polls until job `id` is in a state that `done` accepts (at most
    /// `limit`); fails with the job's log and the daemons' logs otherwise.
    pub(super) fn wait_until(
        &self,
        id: &str,
        out: &Path,
        limit: Duration,
        done: fn(&str) -> bool,
    ) -> String {
        let start = Instant::now();
        loop {
            let s = self.state(id);
            if done(&s) {
                return s;
            }
            if start.elapsed() > limit {
                let log = std::fs::read_to_string(out.join(format!("slurm-{id}.out")))
                    .unwrap_or_default();
                panic!(
                    "job {id} still `{s}` after {limit:?}\n--- job log ---\n{log}{}",
                    self.logs()
                );
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// The directory of its state and logs (`slurmctld.log`, ...).
    pub(super) fn dir(&self) -> &Path {
        &self.dir
    }

    /// The tails of the daemons' logs, for failure messages.
    pub(super) fn logs(&self) -> String {
        let mut s = String::new();
        for f in ["slurmctld.log", "slurmd.log", "munged.log"] {
            let text = std::fs::read_to_string(self.dir.join(f)).unwrap_or_default();
            let tail: Vec<&str> = text.lines().rev().take(15).collect();
            s += &format!("\n--- {f} ---\n");
            for l in tail.iter().rev() {
                s += l;
                s.push('\n');
            }
        }
        s
    }
}

impl Drop for LocalSlurm {
    fn drop(&mut self) {
        let _ = Command::new(repo("scripts/slurm_local.sh"))
            .arg("stop")
            .arg(&self.dir)
            .env("PATH", path_with_sbin())
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// PATH with the system directories the daemons live in.
fn path_with_sbin() -> String {
    let path = std::env::var("PATH").unwrap_or_default();
    format!("{path}:/usr/sbin:/sbin")
}

/// `brainsim submit` on `cluster`: the job id it printed.
fn submit(cluster: &LocalSlurm, cfg: &Path, out: &Path, launcher: &str) -> String {
    let res = cluster
        .brainsim()
        .args([
            "submit",
            cfg.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .args(["--nodes", "1", "--ranks-per-node", "2", "--threads", "1"])
        .args(["--time", "00:05:00", "--launcher", launcher])
        .output()
        .unwrap();
    assert!(
        res.status.success(),
        "submit failed: {}",
        String::from_utf8_lossy(&res.stderr)
    );
    let id = String::from_utf8(res.stdout).unwrap().trim().to_string();
    assert!(
        !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()),
        "job id `{id}`"
    );
    id
}

fn status_json(cluster: &LocalSlurm, out: &Path) -> Value {
    let res = cluster
        .brainsim()
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

/// configs/brunel.toml with `t_stop` (ms) in `dir`.
pub(super) fn brunel_until(dir: &Path, t_stop: &str) -> PathBuf {
    let text = std::fs::read_to_string(repo("configs/brunel.toml")).unwrap();
    let cfg = dir.join("brunel.toml");
    std::fs::write(&cfg, set_key(&text, "t_stop", t_stop)).unwrap();
    cfg
}

pub(super) fn ended(state: &str) -> bool {
    !matches!(
        state,
        "PENDING" | "CONFIGURING" | "RUNNING" | "COMPLETING" | ""
    )
}

#[test]
fn a_submitted_two_rank_job_completes_with_the_spikes_of_a_direct_mpirun_run() {
    let Some(cluster) = LocalSlurm::start("complete") else {
        return;
    };
    let dir = scratch("slurm-complete-run");
    let cfg = tiny_config(&dir);
    let out = dir.join("out");
    let id = submit(&cluster, &cfg, &out, "mpirun");
    // Right after submission (pending, running or done): status knows the job.
    let early = status_json(&cluster, &out);
    assert_eq!(early["job_id"], id.as_str());
    assert!(early["job_state"].is_string(), "{early}");
    let job = JobRecord::read(&out).unwrap().unwrap();
    assert_eq!(
        (job.job_id.as_str(), job.launcher.as_str()),
        (id.as_str(), "mpirun")
    );
    assert!(out.join("job.sbatch").exists());
    let state = cluster.wait_until(&id, &out, Duration::from_secs(120), ended);
    let log = std::fs::read_to_string(out.join(format!("slurm-{id}.out"))).unwrap_or_default();
    assert_eq!(state, "COMPLETED", "{}\n{log}", cluster.show(&id));
    assert!(log.contains("brainsim job: the run finished"), "{log}");
    let meta = RunMetadata::read(&out).unwrap();
    assert!(meta.is_finished());
    assert_eq!(meta.ranks, 2);
    // The same run under mpirun directly.
    let direct = dir.join("direct");
    let res = super::mpi::mpirun(2, &super::mpi::args(&cfg, &direct, 1, &[]))
        .output()
        .unwrap();
    assert!(
        res.status.success(),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    let spikes = read_spikes(&out);
    assert!(spikes.len() > 100, "{} spikes", spikes.len());
    assert!(
        spikes == read_spikes(&direct),
        "the job's spikes differ from mpirun's"
    );
    let v = status_json(&cluster, &out);
    assert_eq!(v["job_id"], id.as_str());
    assert_eq!(v["job_state"], "COMPLETED");
    assert_eq!(
        (v["status"].as_str(), v["finished"].as_bool()),
        (Some("finished"), Some(true))
    );
    assert_eq!(v["t_done_ms"].as_f64(), Some(100.0));
    let table = cluster
        .brainsim()
        .args(["status", out.to_str().unwrap()])
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&table.stdout);
    for w in [format!("{id}: COMPLETED"), "finished (complete)".into()] {
        assert!(table.contains(&w), "`{w}` missing from:\n{table}");
    }
    // A job sbatch refuses: its reason in one line, exit 1, no job.json.
    let refused = dir.join("refused");
    let res = cluster
        .brainsim()
        .args([
            "submit",
            cfg.to_str().unwrap(),
            "--out",
            refused.to_str().unwrap(),
        ])
        .args(["--nodes", "1", "--ranks-per-node", "1", "--threads", "1"])
        .args(["--time", "00:05:00", "--partition", "nosuch"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&res.stderr);
    assert_eq!(res.status.code(), Some(1), "{err}");
    assert!(
        err.starts_with("brainsim: sbatch refused the job:") && err.contains("partition"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(!refused.join("job.json").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

/// TERM to the batch shell (what `--signal=B:TERM@margin` sends before the
/// time limit): the script forwards it to the ranks through the launcher,
/// the run stops at an agreed epoch with its outputs closed and marked
/// interrupted, and the job ends with the run's exit code 3.
#[test]
fn term_to_the_batch_shell_stops_the_run_through_srun_and_through_mpirun() {
    let Some(cluster) = LocalSlurm::start("signal") else {
        return;
    };
    let dir = scratch("slurm-signal-run");
    let cfg = brunel_until(&dir, "100000.0");
    for launcher in ["srun", "mpirun"] {
        let out = dir.join(launcher);
        let id = submit(&cluster, &cfg, &out, launcher);
        let first = wait_for_progress(&out, Duration::from_secs(120));
        assert_eq!(first["job_state"], "RUNNING", "{first}");
        // Progress advances while the job runs.
        let start = Instant::now();
        while status_json(&cluster, &out)["progress"]["step"].as_u64()
            <= first["progress"]["step"].as_u64()
        {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "{launcher}: no advance"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        let sent = cluster
            .cmd("scancel")
            .args(["--signal=TERM", "--batch", &id])
            .status()
            .unwrap();
        assert!(sent.success());
        let state = cluster.wait_until(&id, &out, Duration::from_secs(90), ended);
        let show = cluster.show(&id);
        let log = std::fs::read_to_string(out.join(format!("slurm-{id}.out"))).unwrap_or_default();
        assert!(
            show.contains("ExitCode=3:0"),
            "{launcher}: {state}\n{show}\n{log}"
        );
        assert!(log.contains("asking the ranks to stop (USR1)"), "{log}");
        let meta = RunMetadata::read(&out).unwrap();
        assert_eq!(meta.status, "interrupted", "{launcher}\n{log}");
        assert!(meta.t_valid_ms > 0.0 && meta.t_valid_ms < 100000.0);
        assert_eq!(
            read_spikes(&out).len() as u64,
            meta.spikes,
            "merged, every spike once"
        );
        let v = status_json(&cluster, &out);
        assert_eq!(
            (v["status"].as_str(), v["finished"].as_bool()),
            (Some("interrupted"), Some(false))
        );
        assert_eq!(v["job_exit_code"], "3:0");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A stand-in for `brainsim run` and `resume` (until checkpoints land, issue
/// 12): each rank of `run` waits; on USR1 it writes `checkpoints/t100.h5`
/// and exits 3 (stopped at a checkpoint); `resume` exits 0. Every call is
/// appended to OUT/calls.
const FAKE_BRAINSIM: &str = r#"#!/bin/bash
cmd=$1; shift
if [ "$cmd" = run ]; then out=$3; else out=$1; fi
echo "$cmd $*" >>"$out/calls"
if [ "$cmd" = resume ]; then exit 0; fi
trap 'mkdir -p "$out/checkpoints"; touch "$out/checkpoints/t100.h5"; exit 3' USR1
touch "$out/started.$SLURM_PROCID"
while :; do sleep 0.1; done
"#;

/// With checkpoints, a job stopped at a checkpoint before its time limit
/// requeues itself, and its next start resumes from the checkpoint.
#[test]
fn a_job_stopped_at_a_checkpoint_requeues_itself_and_resumes() {
    let Some(cluster) = LocalSlurm::start("requeue") else {
        return;
    };
    let dir = scratch("slurm-requeue-run");
    let cfg = tiny_config(&dir);
    let out = dir.join("out");
    let fake = dir.join("fake-brainsim");
    std::fs::write(&fake, FAKE_BRAINSIM).unwrap();
    Command::new("chmod").arg("+x").arg(&fake).status().unwrap();
    let res = cluster
        .brainsim()
        .args([
            "submit",
            cfg.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .args(["--nodes", "1", "--ranks-per-node", "2", "--threads", "1"])
        .args([
            "--time",
            "00:05:00",
            "--launcher",
            "srun",
            "--checkpoint-every",
            "10",
            "--dry-run",
        ])
        .output()
        .unwrap();
    assert!(
        res.status.success(),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    let script: String = String::from_utf8(res.stdout)
        .unwrap()
        .lines()
        .map(|l| match l.starts_with("BRAINSIM=") {
            true => format!("BRAINSIM='{}'\n", fake.display()),
            false => format!("{l}\n"),
        })
        .collect();
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("job.sbatch"), script).unwrap();
    let sub = cluster
        .cmd("sbatch")
        .arg("--parsable")
        .arg(out.join("job.sbatch"))
        .output()
        .unwrap();
    let id = String::from_utf8(sub.stdout).unwrap().trim().to_string();
    let start = Instant::now();
    while !(out.join("started.0").exists() && out.join("started.1").exists()) {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the ranks never started"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let sent = cluster
        .cmd("scancel")
        .args(["--signal=TERM", "--batch", &id])
        .status();
    assert!(sent.unwrap().success());
    // Requeued: pending again, until Slurm starts it by itself once the
    // credential of its first start has expired (`cred_expire`, 10 s in
    // scripts/slurm_local.sh; starting it earlier fails the job).
    cluster.wait_until(&id, &out, Duration::from_secs(60), |s| s == "PENDING");
    let show = cluster.show(&id);
    assert!(show.contains("Restarts=1"), "{show}");
    let state = cluster.wait_until(&id, &out, Duration::from_secs(60), ended);
    let log = std::fs::read_to_string(out.join(format!("slurm-{id}.out"))).unwrap_or_default();
    assert_eq!(state, "COMPLETED", "{}\n{log}", cluster.show(&id));
    let calls = std::fs::read_to_string(out.join("calls")).unwrap();
    let calls: Vec<&str> = calls.lines().collect();
    let o = out.display();
    assert_eq!(calls.len(), 4, "{calls:?}");
    assert!(calls[..2]
        .iter()
        .all(|c| c.starts_with("run ") && c.contains("--checkpoint-every 10")));
    assert!(
        calls[2..]
            .iter()
            .all(|c| *c == format!("resume {o} --threads 1 --partitioner metis")),
        "{calls:?}"
    );
    for w in [
        "requeueing job",
        "resuming from checkpoints/t100.h5",
        "the run finished",
    ] {
        assert!(log.contains(w), "`{w}` missing from the log:\n{log}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
