//! The output directory of a run: the names of the files a run writes there
//! and the policy for what an earlier run left behind.
//!
//! One place for the names, so the driver, the merge and `analyze` agree:
//! `metadata.json`, `config.toml`, `spikes.h5`, per-rank `spikes.rank<R>.h5`
//! (multi-rank runs, merged into `spikes.h5` at the end), `rank<R>.pid`
//! (while a rank runs) and one `<record>_<variable>.h5` per state report.
//!
//! Policy (today): rank 0 removes an earlier run's results — metadata, spikes,
//! part and pid files — before any file of the new run is created, so nothing
//! of the old run can be mistaken for the new one's. Callers must keep the
//! order: `clear_previous_run` on rank 0, a barrier, then every rank writes.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// A run's output directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputDir {
    path: PathBuf,
}

impl OutputDir {
    /// The directory at `path` (nothing is created yet).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        OutputDir { path: path.into() }
    }

    /// The directory itself.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Creates the directory (and its parents) if missing; the error names it.
    pub fn create(&self) -> Result<(), String> {
        fs::create_dir_all(&self.path).map_err(|e| {
            format!(
                "{}: cannot create output directory: {e}",
                self.path.display()
            )
        })
    }

    /// Removes what an earlier run left that could pass for this run's
    /// results. Missing files are not an error; nothing else is touched.
    pub fn clear_previous_run(&self) {
        let _ = fs::remove_file(self.metadata());
        let _ = fs::remove_file(self.spikes());
        if let Ok(entries) = fs::read_dir(&self.path) {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if is_part_or_pid(&name) {
                    let _ = fs::remove_file(e.path());
                }
            }
        }
    }

    /// Writes the configuration as run (`config.toml`).
    pub fn write_config(&self, text: &str) -> io::Result<()> {
        fs::write(self.path.join("config.toml"), text)
    }

    /// `metadata.json`.
    pub fn metadata(&self) -> PathBuf {
        self.path.join("metadata.json")
    }

    /// The run's spike file, `spikes.h5`.
    pub fn spikes(&self) -> PathBuf {
        self.path.join("spikes.h5")
    }

    /// The spike file of `rank` in a multi-rank run, `spikes.rank<R>.h5`.
    pub fn spike_part(&self, rank: usize) -> PathBuf {
        self.path.join(format!("spikes.rank{rank}.h5"))
    }

    /// `rank<R>.pid`: the process id of a running rank.
    pub fn pid_file(&self, rank: usize) -> PathBuf {
        self.path.join(format!("rank{rank}.pid"))
    }

    /// The file name of a state report of `variable` under record `name`.
    pub fn report_name(name: &str, variable: &str) -> String {
        format!("{name}_{variable}.h5")
    }
}

/// Is `name` a per-rank spike part or a pid file?
fn is_part_or_pid(name: &str) -> bool {
    name.starts_with("spikes.rank") || name.starts_with("rank") && name.ends_with(".pid")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clearing_removes_an_earlier_runs_results_and_nothing_else() {
        let dir = std::env::temp_dir().join(format!("brainsim-outdir-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let out = OutputDir::new(&dir);
        out.create().unwrap();
        let old = ["metadata.json", "spikes.h5", "spikes.rank1.h5", "rank0.pid"];
        let kept = ["notes.txt", "rank.txt", "cells_V_m.h5"];
        for f in old.iter().chain(&kept) {
            fs::write(dir.join(f), "x").unwrap();
        }
        out.clear_previous_run();
        for f in old {
            assert!(!dir.join(f).exists(), "{f} removed");
        }
        for f in kept {
            assert!(dir.join(f).exists(), "{f} kept");
        }
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn names_follow_the_documented_scheme() {
        let out = OutputDir::new("/o");
        assert_eq!(out.spike_part(3), Path::new("/o/spikes.rank3.h5"));
        assert_eq!(out.pid_file(0), Path::new("/o/rank0.pid"));
        assert_eq!(OutputDir::report_name("cells", "V_m"), "cells_V_m.h5");
    }
}
