//! A job's time limit, signalled by Slurm itself: a two-rank job with
//! checkpoints has its limit cut once it runs, Slurm sends the batch shell
//! the `--signal=B:TERM@margin` warning before the new limit, the run stops
//! at a checkpoint, the job requeues itself, resumes on its next start and
//! ends with the spikes of a run never stopped.
//!
//! When Slurm sends the warning (22.05, `send_job_warn_signal` in
//! slurmctld's job_mgr.c): at the first of its time-limit checks — every
//! PERIODIC_TIMEOUT = 30 s, built in, no setting changes it — at which
//! now + margin + 30 s >= the job's end time. A time limit is whole
//! minutes, and `scontrol update TimeLimit` moves the end time of a running
//! job to its start + the new limit. So with the default margin of 120 s
//! (`--time 00:05:00`), cutting the limit to 2 minutes makes the warning due
//! at once: it arrives within about 30 s, while the end time (the start +
//! 120 s, when Slurm would time the job out instead) is still well ahead.
//! The limit is cut only once the run reports progress, so its signal
//! handlers are in place; the run is made long enough (calibrated on this
//! machine, and slowed down by the straight run it shares the cores with)
//! that the warning lands mid-run (if the job still ends before any
//! warning, because the calibration ran under the load of other tests, it
//! is tried again twice, each time twice as long); before the requeued job starts again, its
//! limit is set back to 5 minutes, or its next start would be warned at once;
//! Slurm starts it by itself once its first credential expires (10 s,
//! `cred_expire` in scripts/slurm_local.sh).

use super::mpi::{args, mpirun};
use super::slurm::{brunel_until, ended, LocalSlurm};
use super::submit::wait_for_progress;
use super::*;
use brainsim_io::metadata::RunMetadata;
use std::process::Stdio;
use std::time::Duration;

/// Seconds of simulation the job's run is sized for (on 2 ranks, alone on
/// the machine): about the longest Slurm can take to send the warning
/// (30 s) and then some, since the straight run at its side slows it down.
const SIMULATE_SECONDS: f64 = 35.0;

/// A `t_stop` (ms, a multiple of 500) for configs/brunel.toml whose
/// simulation takes about `seconds` here and now on 2 ranks x 1 thread,
/// from a 1 s run on that layout.
fn calibrated_t_stop(dir: &Path, seconds: f64) -> u64 {
    let cal = dir.join("calibration");
    std::fs::create_dir_all(&cal).unwrap();
    let cfg = brunel_until(&cal, "1000.0");
    let res = mpirun(2, &args(&cfg, &cal.join("out"), 1, &[]))
        .output()
        .unwrap();
    assert!(
        res.status.success(),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    let per_ms = RunMetadata::read(&cal.join("out"))
        .unwrap()
        .simulate_seconds
        / 1000.0;
    ((seconds / per_ms / 500.0).ceil() as u64 * 500).clamp(3000, 200_000)
}

/// `scontrol update JobId=ID SPECS...` on `cluster`.
fn update(cluster: &LocalSlurm, id: &str, specs: &[&str]) {
    let res = cluster
        .cmd("scontrol")
        .args(["update", &format!("JobId={id}")])
        .args(specs)
        .output()
        .unwrap();
    assert!(
        res.status.success(),
        "scontrol update {specs:?}: {}",
        String::from_utf8_lossy(&res.stderr)
    );
}

/// `brainsim submit` of `cfg` with checkpoints, 2 ranks x 1 thread under
/// mpirun, a 5 minute limit and the default margin: the job id.
fn submit_with_checkpoints(cluster: &LocalSlurm, cfg: &Path, out: &Path) -> String {
    let res = cluster
        .brainsim()
        .args([
            "submit",
            cfg.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .args(["--nodes", "1", "--ranks-per-node", "2", "--threads", "1"])
        .args(["--time", "00:05:00", "--launcher", "mpirun"])
        .args(["--checkpoint-every", "2000"])
        .output()
        .unwrap();
    assert!(
        res.status.success(),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    String::from_utf8(res.stdout).unwrap().trim().to_string()
}

/// A job stopped by Slurm's warning: its id, output directory and `t_stop`,
/// with the straight run still going at its side.
struct Stopped {
    id: String,
    out: PathBuf,
    t_stop: u64,
    straight: PathBuf,
    direct: std::process::Child,
}

/// Submits the job sized to `t_stop` with the straight run at its side,
/// cuts its limit once it runs and waits until it is requeued. `None` if the
/// job ended before Slurm sent any warning: the run was too short for the
/// speed of the machine then (the calibration ran under the load of other
/// tests), and the caller tries again with a longer one.
fn stopped_by_warning(cluster: &LocalSlurm, dir: &Path, t_stop: u64) -> Option<Stopped> {
    let dir = dir.join(format!("t{t_stop}"));
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = brunel_until(&dir, &format!("{t_stop}.0"));
    let out = dir.join("out");
    let id = submit_with_checkpoints(cluster, &cfg, &out);
    let script = std::fs::read_to_string(out.join("job.sbatch")).unwrap();
    assert!(script.contains("#SBATCH --signal=B:TERM@120"), "{script}");
    // The run never stopped, alongside the job.
    let straight = dir.join("straight");
    let mut direct = bin()
        .args(["run", cfg.to_str().unwrap(), "--out"])
        .arg(&straight)
        .args(["--threads", "1", "--quiet"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_progress(&out, Duration::from_secs(120));
    let cut = std::time::Instant::now();
    update(cluster, &id, &["TimeLimit=2"]);
    let state = cluster.wait_until(&id, &out, Duration::from_secs(90), |s| {
        s == "PENDING" || ended(s)
    });
    let ctld = std::fs::read_to_string(cluster.dir().join("slurmctld.log")).unwrap();
    let warned = format!("warning signal 15 to JobId={id}");
    if state != "PENDING" && !ctld.contains(&warned) {
        eprintln!("job {id} `{state}` before any warning: t_stop {t_stop} ms too short");
        let _ = direct.kill();
        let _ = direct.wait();
        return None;
    }
    assert!(
        ctld.contains(&warned) && state == "PENDING",
        "job {id} `{state}`; `{warned}` in the log: {}{}",
        ctld.contains(&warned),
        cluster.logs()
    );
    eprintln!(
        "t_stop {t_stop} ms; the limit cut, the job was requeued {:.0} s later",
        cut.elapsed().as_secs_f64()
    );
    Some(Stopped {
        id,
        out,
        t_stop,
        straight,
        direct,
    })
}

#[test]
fn a_job_signalled_by_slurm_before_its_time_limit_requeues_resumes_and_matches_a_straight_run() {
    let Some(cluster) = LocalSlurm::start("limit") else {
        return;
    };
    let dir = scratch("slurm-limit-run");
    let mut t_stop = calibrated_t_stop(&dir, SIMULATE_SECONDS);
    let mut attempt = None;
    for _ in 0..3 {
        attempt = stopped_by_warning(&cluster, &dir, t_stop);
        if attempt.is_some() {
            break;
        }
        t_stop = (2 * t_stop).min(200_000);
    }
    let Some(Stopped {
        id,
        out,
        t_stop,
        straight,
        mut direct,
    }) = attempt
    else {
        panic!("three runs, up to {t_stop} ms, all ended before Slurm's warning");
    };
    let stopped = RunMetadata::read(&out).unwrap();
    assert_eq!(stopped.status, "interrupted");
    assert!(
        stopped.t_valid_ms > 0.0 && stopped.t_valid_ms < t_stop as f64,
        "stopped at {} ms, mid-run (t_stop {t_stop} ms)",
        stopped.t_valid_ms
    );
    let show = cluster.show(&id);
    assert!(
        show.contains("Restarts=1") && show.contains("TimeLimit=00:02:00"),
        "{show}"
    );
    update(&cluster, &id, &["TimeLimit=5"]);
    let state = cluster.wait_until(&id, &out, Duration::from_secs(180), ended);
    let log = std::fs::read_to_string(out.join(format!("slurm-{id}.out"))).unwrap_or_default();
    assert_eq!(
        state,
        "COMPLETED",
        "{}\n{log}{}",
        cluster.show(&id),
        cluster.logs()
    );
    for w in [
        "asking the ranks to stop (USR1)",
        "requeueing job",
        "resuming from checkpoints/t",
    ] {
        assert!(log.contains(w), "`{w}` missing from the log:\n{log}");
    }
    let meta = RunMetadata::read(&out).unwrap();
    assert!(meta.is_finished(), "{log}");
    assert_eq!(meta.segments.len(), 2, "{:?}", meta.segments);
    assert_eq!(meta.segments[1].start_step, meta.segments[0].end_step);
    let status = super::mpi::wait_with_timeout(&mut direct, Duration::from_secs(300));
    assert!(
        status.is_some_and(|s| s.success()),
        "the straight run failed"
    );
    assert!(
        read_spikes(&straight) == read_spikes(&out),
        "resumed job differs"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
