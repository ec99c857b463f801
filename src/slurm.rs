//! Talking to Slurm through its commands (`sbatch`, `srun`, `sinfo`,
//! `scontrol`, `squeue`), for `brainsim submit` and `brainsim status`.
//! Nothing here links to Slurm: a machine without it gets "not found"
//! answers, never a failure of brainsim itself.
//!
//! `SLURM_CONF` (which cluster) comes from the environment, except where a
//! job's record names the cluster it was submitted to (`status`).

use std::path::{Path, PathBuf};
use std::process::Command;

/// `name` found as an executable file in a directory of `PATH`.
pub fn find_in_path(name: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| {
            p.metadata()
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

/// The MPI plugin `srun` should use, from `srun --mpi=list`: `pmix` when
/// offered (Open MPI and recent MPICH speak it), else `pmi2`, else none
/// (then brainsim's jobs use `mpirun`). None also without `srun`.
pub fn srun_mpi_plugin() -> Option<&'static str> {
    let out = Command::new("srun").arg("--mpi=list").output().ok()?;
    // Slurm prints the list on stdout or stderr depending on the version.
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    pick_mpi_plugin(&text)
}

/// The preferred plugin among the lines of `srun --mpi=list`.
fn pick_mpi_plugin(list: &str) -> Option<&'static str> {
    let offered = |name: &str| list.lines().any(|l| l.trim() == name);
    if offered("pmix") {
        Some("pmix")
    } else if offered("pmi2") {
        Some("pmi2")
    } else {
        None
    }
}

/// The smallest memory (MiB) of the nodes of `partition` (default: all
/// partitions), from `sinfo`; None when sinfo is missing or says nothing.
/// Slurm reports 1 for a node whose `RealMemory` is not configured (the
/// cluster does not track memory).
pub fn node_memory_mib(partition: Option<&str>) -> Option<u64> {
    let mut cmd = Command::new("sinfo");
    cmd.args(["-h", "-o", "%m"]);
    if let Some(p) = partition {
        cmd.args(["-p", p]);
    }
    let out = cmd.output().ok().filter(|o| o.status.success())?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.trim().trim_end_matches('+').parse::<u64>().ok())
        .min()
}

/// Submits `script` with `sbatch --parsable`: the job id, or the one-line
/// reason sbatch gave.
pub fn sbatch(script: &Path) -> Result<String, String> {
    let out = Command::new("sbatch")
        .arg("--parsable")
        .arg(script)
        .output()
        .map_err(|e| format!("brainsim: sbatch: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // `--parsable` prints "id" or "id;cluster".
    let id = stdout.trim().split(';').next().unwrap_or("").to_string();
    if out.status.success() && !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(id);
    }
    Err(format!(
        "brainsim: sbatch refused the job: {}",
        last_line(&stderr)
    ))
}

/// The last non-empty line of a command's stderr (its conclusion).
fn last_line(text: &str) -> &str {
    text.lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty())
        .unwrap_or("no message")
}

/// What Slurm says about a job.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct JobInfo {
    /// `PENDING`, `RUNNING`, `COMPLETED`, `FAILED`, `TIMEOUT`, ...
    pub state: String,
    /// Why it is in that state (`scontrol` only; `None` is dropped).
    pub reason: Option<String>,
    /// Time run so far (`scontrol` only).
    pub run_time: Option<String>,
    /// Its time limit (`scontrol` only).
    pub time_limit: Option<String>,
    /// How often it was requeued (`scontrol` only).
    pub restarts: Option<u64>,
    /// Exit code of the batch script, `code:signal` (`scontrol` only).
    pub exit_code: Option<String>,
}

/// The answer to "where is job ID?".
#[derive(Clone, Debug, PartialEq)]
pub enum JobQuery {
    /// Neither scontrol nor squeue is installed here.
    NoSlurm,
    /// Slurm does not know the job (any more: finished jobs are forgotten
    /// after `MinJobAge`, 300 s by default).
    Unknown,
    /// Slurm's answer.
    Known(JobInfo),
    /// The commands failed otherwise (the controller is down, ...).
    Failed(String),
}

/// Asks `scontrol show job` (else `squeue`) about job `id`, on the cluster
/// of `slurm_conf` when given.
pub fn query_job(id: &str, slurm_conf: Option<&str>) -> JobQuery {
    let command = |name: &str| {
        let mut c = Command::new(name);
        if let Some(conf) = slurm_conf {
            c.env("SLURM_CONF", conf);
        }
        c
    };
    let scontrol = command("scontrol").args(["show", "job", "-o", id]).output();
    match scontrol {
        Ok(out) if out.status.success() => {
            let text = String::from_utf8_lossy(&out.stdout);
            return parse_scontrol(&text).map_or_else(
                || JobQuery::Failed("scontrol: no JobState in its answer".into()),
                JobQuery::Known,
            );
        }
        Ok(out) => {
            let err = String::from_utf8_lossy(&out.stderr);
            if err.contains("Invalid job id") {
                return JobQuery::Unknown;
            }
            return JobQuery::Failed(format!("scontrol: {}", last_line(&err)));
        }
        Err(_) => {}
    }
    let squeue = command("squeue")
        .args(["-h", "-t", "all", "-o", "%T", "-j", id])
        .output();
    match squeue {
        Ok(out) if out.status.success() => match String::from_utf8_lossy(&out.stdout).trim() {
            "" => JobQuery::Unknown,
            state => JobQuery::Known(JobInfo {
                state: state.to_string(),
                ..JobInfo::default()
            }),
        },
        Ok(out) if String::from_utf8_lossy(&out.stderr).contains("Invalid job id") => {
            JobQuery::Unknown
        }
        Ok(out) => JobQuery::Failed(format!(
            "squeue: {}",
            last_line(&String::from_utf8_lossy(&out.stderr))
        )),
        Err(_) => JobQuery::NoSlurm,
    }
}

/// The fields of one `scontrol show job -o` line (None without JobState).
fn parse_scontrol(line: &str) -> Option<JobInfo> {
    let get = |key: &str| {
        line.split_whitespace()
            .find_map(|t| t.strip_prefix(key)?.strip_prefix('='))
            .map(str::to_string)
    };
    Some(JobInfo {
        state: get("JobState")?,
        reason: get("Reason").filter(|r| r != "None"),
        run_time: get("RunTime"),
        time_limit: get("TimeLimit"),
        restarts: get("Restarts").and_then(|r| r.parse().ok()),
        exit_code: get("ExitCode"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pmix_is_preferred_then_pmi2() {
        let slurm22 = "MPI plugin types are...\n\tpmix\n\tnone\n\tcray_shasta\n\tpmi2\nspecific pmix plugin versions available: pmix_v4\n";
        assert_eq!(pick_mpi_plugin(slurm22), Some("pmix"));
        assert_eq!(
            pick_mpi_plugin("srun: MPI types are...\nsrun: none\n\tpmi2\n"),
            Some("pmi2")
        );
        assert_eq!(pick_mpi_plugin("MPI plugin types are...\n\tnone\n"), None);
    }

    #[test]
    fn scontrol_lines_are_read_by_key() {
        let line = "JobId=7 JobName=x JobState=RUNNING Reason=None Dependency=(null) Requeue=1 Restarts=2 BatchFlag=1 ExitCode=0:0 RunTime=00:01:02 TimeLimit=01:00:00 TimeMin=N/A";
        let info = parse_scontrol(line).unwrap();
        assert_eq!(info.state, "RUNNING");
        assert_eq!(info.reason, None);
        assert_eq!(info.restarts, Some(2));
        assert_eq!(info.run_time.as_deref(), Some("00:01:02"));
        assert_eq!(info.time_limit.as_deref(), Some("01:00:00"));
        assert_eq!(info.exit_code.as_deref(), Some("0:0"));
        let pending = parse_scontrol("JobId=8 JobState=PENDING Reason=BeginTime").unwrap();
        assert_eq!(pending.reason.as_deref(), Some("BeginTime"));
        assert_eq!(parse_scontrol("slurm_load_jobs error"), None);
    }
}
