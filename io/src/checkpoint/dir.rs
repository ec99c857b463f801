//! A directory of checkpoints: the file names (`t<step>.h5`, and
//! `.t<step>.h5.tmp` while one is written), finding the newest valid one
//! (`scan`, `latest_valid`) and keeping the newest K (`prune`).
//!
//! Relies on `write`'s invariant: a file named `t<step>.h5` is complete
//! (made by a rename after fsync), so a `.tmp` file is never a checkpoint,
//! and names alone order the checkpoints. Nothing else in the directory is
//! read or removed.
//!
//! A corrupt newest checkpoint (decided): `scan` falls back to the newest
//! one that reads (`read`: every checksum, the structure) and reports the
//! ones it skipped; `latest_valid` prints each as a warning on stderr. Resume
//! is deterministic, so starting from an older checkpoint gives the same
//! outputs and costs only the steps in between, whereas refusing would stop
//! a requeued job for a file the user can do nothing with. When no
//! checkpoint reads, the newest one's error is returned.

use std::fs;
use std::path::{Path, PathBuf};

use brainsim_sim::checkpoint::ChunkStates;

use super::error::{CheckpointFileError, ErrorKind};
use super::{read, CheckpointMeta};
use crate::sonata_spikes::IoError;

/// The file name of the checkpoint of `step`: `t<step>.h5`.
pub fn file_name(step: u64) -> String {
    format!("t{step}.h5")
}

/// The temporary name the checkpoint of `step` is written under.
pub(super) fn tmp_name(step: u64) -> String {
    format!(".t{step}.h5.tmp")
}

/// The step of a checkpoint file name (`t<step>.h5`, the step in decimal
/// without leading zeros), or `None` for any other name.
pub fn parse_file_name(name: &str) -> Option<u64> {
    decimal(name.strip_prefix('t')?.strip_suffix(".h5")?)
}

/// Whether `name` is a temporary checkpoint file (`.t<step>.h5.tmp`).
fn is_tmp_name(name: &str) -> bool {
    name.strip_prefix(".t")
        .and_then(|r| r.strip_suffix(".h5.tmp"))
        .and_then(decimal)
        .is_some()
}

/// `digits` as written by `{}` of a u64.
fn decimal(digits: &str) -> Option<u64> {
    let canonical = digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.is_empty()
        && (digits == "0" || !digits.starts_with('0'));
    canonical.then(|| digits.parse().ok()).flatten()
}

/// The files of a checkpoint directory that `list` reports.
struct Listing {
    /// The checkpoints, with their steps, newest first.
    checkpoints: Vec<(u64, PathBuf)>,
    /// The temporary files.
    tmp: Vec<PathBuf>,
}

/// The checkpoints and temporary files of `dir`.
fn list(dir: &Path) -> std::io::Result<Listing> {
    let (mut checkpoints, mut tmp) = (Vec::new(), Vec::new());
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        if let Some(step) = parse_file_name(&name) {
            checkpoints.push((step, entry.path()));
        } else if is_tmp_name(&name) {
            tmp.push(entry.path());
        }
    }
    checkpoints.sort_by_key(|c| std::cmp::Reverse(c.0));
    Ok(Listing { checkpoints, tmp })
}

/// The newest checkpoint of a directory that reads, read.
#[derive(Debug)]
pub struct Latest {
    /// Its file.
    pub path: PathBuf,
    /// Its chunks' state.
    pub states: ChunkStates,
    /// Its meta.
    pub meta: CheckpointMeta,
}

/// What `scan` found.
#[derive(Debug)]
pub struct Scan {
    /// The newest checkpoint that reads, if any.
    pub latest: Option<Latest>,
    /// The newer checkpoints that do not read, newest first, and why.
    pub skipped: Vec<CheckpointFileError>,
}

/// Reads the checkpoints of `dir`, newest first, until one reads without
/// error and holds the step its name says. Errors only when `dir` cannot be
/// listed (`Missing` if it does not exist).
pub fn scan(dir: &Path) -> Result<Scan, CheckpointFileError> {
    let Listing { checkpoints, .. } = list(dir)
        .map_err(|e| CheckpointFileError::fs(dir, "listing the checkpoint directory", &e))?;
    let mut skipped = Vec::new();
    for (step, path) in checkpoints {
        match read(&path) {
            Ok((states, _)) if states.step != step => skipped.push(CheckpointFileError::new(
                &path,
                ErrorKind::Inconsistent,
                format!("holds step {}, not the step of its name", states.step),
            )),
            Ok((states, meta)) => {
                let latest = Some(Latest { path, states, meta });
                return Ok(Scan { latest, skipped });
            }
            Err(e) => skipped.push(e),
        }
    }
    Ok(Scan {
        latest: None,
        skipped,
    })
}

/// The newest valid checkpoint of `dir` and its step; `None` when `dir`
/// has no checkpoint. Newer ones that do not read are skipped with a
/// warning on stderr each; when none reads, the newest one's error.
pub fn latest_valid(dir: &Path) -> Result<Option<(PathBuf, u64)>, CheckpointFileError> {
    let Scan {
        latest,
        mut skipped,
    } = scan(dir)?;
    match latest {
        Some(l) => {
            for e in &skipped {
                eprintln!(
                    "brainsim: warning: {e}; using the previous checkpoint, {}",
                    l.path.display()
                );
            }
            Ok(Some((l.path, l.states.step)))
        }
        None if skipped.is_empty() => Ok(None),
        None => Err(skipped.swap_remove(0)),
    }
}

/// Keeps the `keep` newest checkpoints of `dir` (at least the newest one,
/// whatever `keep`), removes the older ones and every temporary file, and
/// returns what it removed. Call it after `write` returned, with no other
/// writer in `dir` (the run lock): any temporary file is then a crash's.
pub fn prune(dir: &Path, keep: usize) -> Result<Vec<PathBuf>, IoError> {
    let fs_err = |path: &Path, what: &str| {
        let (path, what) = (path.to_path_buf(), what.to_string());
        move |source| IoError::Fs { path, what, source }
    };
    let Listing { checkpoints, tmp } =
        list(dir).map_err(fs_err(dir, "listing the checkpoint directory"))?;
    let old = checkpoints.into_iter().skip(keep.max(1)).map(|(_, p)| p);
    let removed: Vec<PathBuf> = tmp.into_iter().chain(old).collect();
    for path in &removed {
        fs::remove_file(path).map_err(fs_err(path, "removing an old checkpoint"))?;
    }
    Ok(removed)
}
