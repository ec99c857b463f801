//! The batch job of an output directory, `OUT/job.json`: written by
//! `brainsim submit` once `sbatch` has accepted `OUT/job.sbatch`, read by
//! `brainsim status` to ask Slurm about the job. It records what was asked
//! for (layout, time limit, launcher, checkpoint interval), when, and the
//! `SLURM_CONF` of the cluster it went to, if one was set. A run started by
//! hand has none.
//!
//! Written atomically (temporary name, rename); `brainsim run --overwrite`
//! leaves it alone (it is the job's, not the run's).

use std::io;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// Name of the job record in the output directory.
pub const JOB_FILE: &str = "job.json";

/// Name of the batch script `brainsim submit` writes beside it.
pub const SCRIPT_FILE: &str = "job.sbatch";

/// A submitted batch job.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct JobRecord {
    /// Slurm's job id (as `sbatch --parsable` printed it, without a cluster).
    pub job_id: String,
    /// Submission time (seconds since the Unix epoch).
    pub submitted_unix_s: u64,
    /// The batch script, relative to the output directory.
    pub script: String,
    /// The config file (absolute path).
    pub config: String,
    /// Nodes asked for.
    pub nodes: u64,
    /// MPI ranks per node.
    pub ranks_per_node: u64,
    /// Threads per rank (= CPUs per task).
    pub threads: u64,
    /// The time limit as given to Slurm (`[D-]HH:MM:SS`).
    pub time_limit: String,
    /// `srun` (with its `--mpi` plugin) or `mpirun`.
    pub launcher: String,
    /// Memory per node asked for, as given to Slurm (`--mem`).
    pub mem: String,
    /// Checkpoint interval (ms); none when the job does not checkpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint_every_ms: Option<f64>,
    /// `SLURM_CONF` at submission, when set (a cluster other than the
    /// default one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slurm_conf: Option<String>,
}

impl JobRecord {
    /// Writes `dir/job.json` (temporary file + rename).
    pub fn write(&self, dir: &Path) -> io::Result<()> {
        crate::json_file::write(self, dir, JOB_FILE)
    }

    /// Reads `dir/job.json`: `Ok(None)` when there is none, an error naming
    /// the file when it cannot be read or parsed.
    pub fn read(dir: &Path) -> Result<Option<Self>, String> {
        crate::json_file::read(dir, JOB_FILE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn a_job_record_round_trips() {
        let dir = std::env::temp_dir().join(format!("brainsim-job-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        assert_eq!(JobRecord::read(&dir).unwrap(), None);
        let mut job = JobRecord {
            job_id: "4711".into(),
            submitted_unix_s: 1_800_000_000,
            script: SCRIPT_FILE.into(),
            config: "/c/brunel.toml".into(),
            nodes: 2,
            ranks_per_node: 4,
            threads: 8,
            time_limit: "01:00:00".into(),
            launcher: "srun --mpi=pmix".into(),
            mem: "2048M".into(),
            checkpoint_every_ms: None,
            slurm_conf: None,
        };
        job.write(&dir).unwrap();
        assert_eq!(JobRecord::read(&dir).unwrap(), Some(job.clone()));
        let text = fs::read_to_string(dir.join(JOB_FILE)).unwrap();
        assert!(!text.contains("slurm_conf") && !text.contains("checkpoint_every_ms"));
        job.checkpoint_every_ms = Some(500.0);
        job.slurm_conf = Some("/x/slurm.conf".into());
        job.write(&dir).unwrap();
        assert_eq!(JobRecord::read(&dir).unwrap(), Some(job));
        fs::write(dir.join(JOB_FILE), "[]").unwrap();
        assert!(JobRecord::read(&dir).unwrap_err().contains("job.json"));
        fs::remove_dir_all(&dir).unwrap();
    }
}
