//! `brainsim status OUT`: one screen about a run, submitted or started by
//! hand — its Slurm job (from `OUT/job.json`, else the job named in the
//! run's lock; state from `scontrol`/`squeue` when they are here), the run's
//! status and process, biological time done of the total, the real-time
//! factor over the last interval and the ETA (from rank 0's
//! `OUT/progress.json`), the segments so far and the checkpoints on disk
//! (from `metadata.json` and `OUT/checkpoints/`), and whether the outputs
//! are finished. `--format json` gives the same as one JSON object. Nothing
//! is written; a directory without any of these files is bad input (exit 2).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use brainsim_io::checkpoint::parse_file_name;
use brainsim_io::job_record::JobRecord;
use brainsim_io::metadata::RunMetadata;
use brainsim_io::outdir::{LockInfo, OutputDir};
use brainsim_io::progress_record::ProgressRecord;
use serde_json::{json, Value};

use crate::slurm::{self, JobInfo, JobQuery};

/// How `status` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Lines for people.
    Table,
    /// One JSON object.
    Json,
}

#[derive(clap::Args)]
pub struct Args {
    /// The run's output directory.
    pub out: PathBuf,
    /// table (default) or json.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
}

/// What is known about the run in a directory.
struct Status {
    out: PathBuf,
    job: Option<JobRecord>,
    /// The job id, from job.json or the run's lock.
    job_id: Option<String>,
    slurm: Option<JobQuery>,
    meta: Option<RunMetadata>,
    progress: Option<ProgressRecord>,
    lock: Option<LockInfo>,
    checkpoints: Vec<(u64, String)>,
}

pub fn main(args: &Args) -> ExitCode {
    match gather(&args.out) {
        Ok(s) => {
            let text = match args.format {
                Format::Table => table(&s),
                Format::Json => to_json(&s).to_string() + "\n",
            };
            let _ = std::io::Write::write_all(&mut std::io::stdout(), text.as_bytes());
            ExitCode::SUCCESS
        }
        Err(m) => {
            eprintln!("{m}");
            ExitCode::from(2)
        }
    }
}

/// The checkpoints in `out/checkpoints` as (step, file name), oldest first.
pub fn checkpoints(out: &Path) -> Vec<(u64, String)> {
    let mut found: Vec<(u64, String)> = std::fs::read_dir(out.join("checkpoints"))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_str()?.to_string();
            Some((parse_file_name(&name)?, name))
        })
        .collect();
    found.sort();
    found
}

/// Whether a Slurm job state means the job may still run.
pub fn is_active(state: &str) -> bool {
    const ENDED: [&str; 10] = [
        "COMPLETED",
        "CANCELLED",
        "FAILED",
        "TIMEOUT",
        "NODE_FAIL",
        "PREEMPTED",
        "BOOT_FAIL",
        "DEADLINE",
        "OUT_OF_MEMORY",
        "REVOKED",
    ];
    let first = state.split_whitespace().next().unwrap_or("");
    !ENDED.contains(&first)
}

fn gather(out: &Path) -> Result<Status, String> {
    if !out.is_dir() {
        return Err(format!("brainsim: {}: no such directory", out.display()));
    }
    let job = JobRecord::read(out)?;
    let progress = ProgressRecord::read(out)?;
    let meta = match RunMetadata::read(out) {
        Ok(m) => Some(m),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(format!("brainsim: {}/metadata.json: {e}", out.display())),
    };
    if job.is_none() && progress.is_none() && meta.is_none() {
        return Err(format!(
            "brainsim: {}: no run here (no metadata.json, progress.json or job.json)",
            out.display()
        ));
    }
    let lock = OutputDir::new(out).lock_info();
    let job_id = job.as_ref().map(|j| j.job_id.clone()).or_else(|| {
        lock.as_ref()
            .map(|l| l.job.clone())
            .filter(|j| !j.is_empty())
    });
    let slurm = job_id.as_ref().map(|id| {
        let conf = job.as_ref().and_then(|j| j.slurm_conf.as_deref());
        slurm::query_job(id, conf)
    });
    Ok(Status {
        out: std::path::absolute(out).unwrap_or_else(|_| out.to_path_buf()),
        job,
        job_id,
        slurm,
        meta,
        progress,
        lock,
        checkpoints: checkpoints(out),
    })
}

fn unix_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

impl Status {
    /// The run's status word, if it started.
    fn run_status(&self) -> Option<&str> {
        self.meta.as_ref().map(|m| m.status.as_str())
    }

    /// Is a process working on the run now (its lock held by a live
    /// process, or by one on another host)?
    fn live(&self) -> bool {
        self.lock.as_ref().is_some_and(|l| l.alive != Some(false))
    }

    /// Biological time done and of the whole run (ms).
    fn times(&self) -> (Option<f64>, Option<f64>) {
        let done = match (&self.progress, &self.meta) {
            (Some(p), Some(m)) => Some(p.t_ms().max(m.t_valid_ms)),
            (Some(p), None) => Some(p.t_ms()),
            (None, m) => m.as_ref().map(|m| m.t_valid_ms),
        };
        let total = self
            .meta
            .as_ref()
            .map(|m| m.t_stop_ms)
            .or_else(|| self.progress.as_ref().map(ProgressRecord::t_stop_ms));
        (done, total)
    }

    /// Real-time factor of the last interval and the ETA, while running.
    fn speed(&self) -> (Option<f64>, Option<f64>) {
        let running = self.live() && self.run_status().is_none_or(|s| s == "running");
        match (&self.progress, running) {
            (Some(p), true) => (p.real_time_factor, p.eta_seconds()),
            _ => (None, None),
        }
    }

    fn finished(&self) -> bool {
        self.meta.as_ref().is_some_and(RunMetadata::is_finished)
    }

    /// The job line's text.
    fn job_text(&self) -> String {
        let Some(id) = &self.job_id else {
            return "none (started by hand, not through brainsim submit)".into();
        };
        let from_lock = if self.job.is_none() {
            " (named by the run's lock)"
        } else {
            ""
        };
        let submitted = self
            .job
            .as_ref()
            .map(|j| {
                let ago = (unix_now() - j.submitted_unix_s as f64).max(0.0);
                format!(", submitted {} ago", duration(ago))
            })
            .unwrap_or_default();
        let state = match &self.slurm {
            Some(JobQuery::Known(info)) => job_state_text(info),
            Some(JobQuery::NoSlurm) | None => "no Slurm here (no scontrol or squeue)".into(),
            Some(JobQuery::Unknown) => "no longer known to Slurm".into(),
            Some(JobQuery::Failed(m)) => format!("Slurm did not answer: {m}"),
        };
        format!("{id}{from_lock}: {state}{submitted}")
    }

    /// The run line's text.
    fn run_text(&self) -> String {
        let process = match &self.lock {
            Some(l) if l.alive == Some(true) => format!(" (pid {} on {})", l.pid, l.host),
            Some(l) if l.alive.is_none() => format!(" (pid {} on host {})", l.pid, l.host),
            _ => String::new(),
        };
        match self.run_status() {
            None if self.live() => format!("starting{process}"),
            None => "not started yet".into(),
            Some("running") if !self.live() => {
                "running per metadata.json, but no process holds the directory (killed?)".into()
            }
            Some("failed") => format!(
                "failed: {}",
                self.meta
                    .as_ref()
                    .and_then(|m| m.error.clone())
                    .unwrap_or_default()
            ),
            Some(s) => format!("{s}{process}"),
        }
    }
}

fn job_state_text(info: &JobInfo) -> String {
    let mut t = info.state.clone();
    if let Some(r) = &info.reason {
        t += &format!(" ({r})");
    }
    if let (Some(run), Some(limit)) = (&info.run_time, &info.time_limit) {
        t += &format!(", ran {run} of {limit}");
    }
    if let Some(n) = info.restarts.filter(|&n| n > 0) {
        t += &format!(", requeued {n} time(s)");
    }
    if let Some(code) = info.exit_code.as_ref().filter(|c| *c != "0:0") {
        t += &format!(", exit code {code}");
    }
    t
}

/// Seconds as `2 h 05 min`, `3 min 12 s` or `42.0 s`.
fn duration(s: f64) -> String {
    let whole = s.round() as u64;
    match whole {
        _ if s < 60.0 => format!("{s:.1} s"),
        0..3600 => format!("{} min {:02} s", whole / 60, whole % 60),
        _ => format!("{} h {:02} min", whole / 3600, whole / 60 % 60),
    }
}

fn table(s: &Status) -> String {
    let mut o = format!("brainsim status — {}\n", s.out.display());
    let mut line = |k: &str, v: String| o.push_str(&format!("  {k:<12} {v}\n"));
    line("job", s.job_text());
    line("run", s.run_text());
    let (done, total) = s.times();
    line(
        "time",
        match (done, total) {
            (Some(d), Some(t)) if t > 0.0 => {
                format!("{d:.1} of {t:.1} ms ({:.1} %)", 100.0 * d / t)
            }
            _ => "nothing simulated yet".into(),
        },
    );
    match s.speed() {
        (Some(rtf), eta) => line(
            "speed",
            format!(
                "real-time factor {rtf:.2} (last interval), ETA {}",
                eta.map_or("unknown".into(), duration)
            ),
        ),
        (None, _) if s.live() => line("speed", "not measured yet".into()),
        _ => {}
    }
    if let Some(p) = &s.progress {
        line(
            "progress",
            format!(
                "recorded {} ago",
                duration((unix_now() - p.written_unix_s).max(0.0))
            ),
        );
    }
    line("segments", segments_text(s));
    line("checkpoints", checkpoints_text(s));
    line(
        "outputs",
        if s.finished() {
            "finished (complete)".into()
        } else {
            "not finished".into()
        },
    );
    o
}

fn segments_text(s: &Status) -> String {
    let segs = s
        .meta
        .as_ref()
        .map(|m| m.segments.as_slice())
        .unwrap_or(&[]);
    if segs.is_empty() {
        return "none recorded".into();
    }
    let dt = s.meta.as_ref().map_or(0.0, |m| m.dt_ms);
    let parts: Vec<String> = segs
        .iter()
        .map(|g| {
            format!(
                "{:.1}-{:.1} ms on {}x{} ({}, {:.1} s, {})",
                g.start_step as f64 * dt,
                g.end_step as f64 * dt,
                g.ranks,
                g.threads,
                g.partitioner,
                g.wall_seconds,
                g.status
            )
        })
        .collect();
    format!("{}: {}", segs.len(), parts.join("; "))
}

fn checkpoints_text(s: &Status) -> String {
    let dt = s
        .meta
        .as_ref()
        .map(|m| m.dt_ms)
        .or_else(|| s.progress.as_ref().map(|p| p.dt_ms));
    match s.checkpoints.as_slice() {
        [] => "none on disk".into(),
        cps => {
            let (step, name) = &cps[cps.len() - 1];
            let at = dt.map_or(String::new(), |dt| {
                format!(" at {:.1} ms", *step as f64 * dt)
            });
            format!("{} on disk, newest {name}{at}", cps.len())
        }
    }
}

fn to_json(s: &Status) -> Value {
    let (done, total) = s.times();
    let (rtf, eta) = s.speed();
    let slurm = match &s.slurm {
        None => json!("no job"),
        Some(JobQuery::NoSlurm) => json!("no slurm"),
        Some(JobQuery::Unknown) => json!("unknown job"),
        Some(JobQuery::Failed(m)) => json!(format!("error: {m}")),
        Some(JobQuery::Known(_)) => json!("ok"),
    };
    let info = match &s.slurm {
        Some(JobQuery::Known(i)) => Some(i),
        _ => None,
    };
    json!({
        "out": s.out.to_string_lossy(),
        "job_id": s.job_id,
        "submitted_unix_s": s.job.as_ref().map(|j| j.submitted_unix_s),
        "slurm": slurm,
        "job_state": info.map(|i| i.state.clone()),
        "job_reason": info.and_then(|i| i.reason.clone()),
        "job_restarts": info.and_then(|i| i.restarts),
        "job_exit_code": info.and_then(|i| i.exit_code.clone()),
        "status": s.run_status(),
        "error": s.meta.as_ref().and_then(|m| m.error.clone()),
        "process": s.lock.as_ref().map(|l| json!({"host": l.host, "pid": l.pid, "alive": l.alive})),
        "t_done_ms": done,
        "t_stop_ms": total,
        "real_time_factor": rtf,
        "eta_seconds": eta,
        "progress": s.progress.as_ref().map(|p| json!({"step": p.step, "n_steps": p.n_steps, "written_unix_s": p.written_unix_s})),
        "segments": s.meta.as_ref().map(|m| serde_json::to_value(&m.segments).unwrap_or(Value::Null)),
        "checkpoints": s.checkpoints.iter().map(|(_, n)| n.clone()).collect::<Vec<_>>(),
        "finished": s.finished(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration(4.25), "4.2 s");
        assert_eq!(duration(192.0), "3 min 12 s");
        assert_eq!(duration(7500.0), "2 h 05 min");
    }

    #[test]
    fn ended_job_states_are_not_active() {
        assert!(is_active("PENDING") && is_active("RUNNING") && is_active("REQUEUED"));
        assert!(is_active("COMPLETING"));
        assert!(!is_active("COMPLETED") && !is_active("CANCELLED by 0") && !is_active("TIMEOUT"));
    }
}
