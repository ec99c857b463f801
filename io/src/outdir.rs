//! The output directory of a run: the names of the files a run writes there
//! and the policy for what an earlier run left behind.
//!
//! One place for the names, so the driver, the merge and `analyze` agree:
//! `metadata.json`, `config.toml`, `spikes.h5`, per-rank `spikes.rank<R>.h5`
//! (multi-rank runs, merged into `spikes.h5` at the end), `rank<R>.pid`
//! (while a rank runs) and one `<record>_<variable>.h5` per state report.
//!
//! Policy: one run per directory, and no silent overwrite.
//! - A run holds `.brainsim.lock` (host, pid, job id, start time, a nonce)
//!   for its whole life, created with O_EXCL; a lock whose process is gone
//!   (same host, pid not alive) is stale and taken over; a live one refuses
//!   the second run at once (`lock`).
//! - A directory whose `metadata.json` says an earlier run happened here
//!   (finished, interrupted, failed or crashed while running) is refused
//!   unless the caller passes `--overwrite`, which removes what that run
//!   wrote (`clear_previous_run`: its metadata, configs, listed outputs, part
//!   and pid files, its progress record, the raster plot and read-out
//!   `analyze` made from its spikes) and nothing else — not the batch job's
//!   `job.sbatch`, `job.json` and Slurm logs.
//! - No output is written through a symbolic link that is already there
//!   (`refuse_symlinks`); small files are written to a temporary name and
//!   renamed, which replaces a link instead of following it.
//!
//! Callers keep the order: rank 0 locks, checks and clears, a barrier, then
//! every rank writes.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::metadata::RunMetadata;

/// The lock file's name.
const LOCK: &str = ".brainsim.lock";

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

    /// Removes what an earlier run wrote (see the module doc). Missing
    /// files are not an error; nothing else is touched.
    pub fn clear_previous_run(&self) {
        if let Ok(old) = RunMetadata::read(&self.path) {
            for name in old.outputs.iter().filter(|n| is_plain_name(n)) {
                let _ = fs::remove_file(self.path.join(name));
            }
        }
        for name in [
            "config.toml",
            "config.effective.toml",
            "raster.png",
            "readout.csv",
            crate::progress_record::PROGRESS_FILE,
        ] {
            let _ = fs::remove_file(self.path.join(name));
        }
        let _ = fs::remove_file(self.metadata());
        let _ = fs::remove_file(self.spikes());
        self.clear_checkpoints();
        if let Ok(entries) = fs::read_dir(&self.path) {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if is_part_or_pid(&name) {
                    let _ = fs::remove_file(e.path());
                }
            }
        }
    }

    /// Removes the earlier run's checkpoints (`checkpoints/t<step>.h5` and
    /// leftover temporary files), and the directory when that empties it.
    fn clear_checkpoints(&self) {
        let dir = self.path.join("checkpoints");
        if let Ok(entries) = fs::read_dir(&dir) {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                let tmp = name.starts_with(".t") && name.ends_with(".h5.tmp");
                if crate::checkpoint::parse_file_name(&name).is_some() || tmp {
                    let _ = fs::remove_file(e.path());
                }
            }
        }
        let _ = fs::remove_dir(&dir);
    }

    /// Writes the configuration as given (`config.toml`) and as run, with
    /// the command-line overrides applied (`config.effective.toml`).
    pub fn write_configs(&self, given: &str, effective: &str) -> io::Result<()> {
        write_replacing(&self.path.join("config.toml"), given)?;
        write_replacing(&self.path.join("config.effective.toml"), effective)
    }

    /// Rewrites only `config.effective.toml` (a resumed run: the given
    /// config stays as the first segment saved it).
    pub fn write_effective_config(&self, effective: &str) -> io::Result<()> {
        write_replacing(&self.path.join("config.effective.toml"), effective)
    }

    /// Refuses (the one-line message) when an earlier run's `metadata.json`
    /// is here and `overwrite` is not given.
    pub fn refuse_previous_run(&self, overwrite: bool) -> Result<(), String> {
        let Ok(old) = RunMetadata::read(&self.path) else {
            return Ok(());
        };
        if overwrite {
            return Ok(());
        }
        let what = match old.status.as_str() {
            "running" => "an unfinished run (status running; its process is gone)".to_string(),
            s => format!("a {s} run"),
        };
        Err(format!(
            "brainsim: {}: holds {what} (metadata.json); pass --overwrite to replace it, `brainsim resume` to continue it from a checkpoint, or choose another --out",
            self.path.display()
        ))
    }

    /// Refuses when any of `names` (files this run will write) is a
    /// symbolic link.
    pub fn refuse_symlinks<'n>(
        &self,
        names: impl IntoIterator<Item = &'n str>,
    ) -> Result<(), String> {
        for name in names {
            let p = self.path.join(name);
            if fs::symlink_metadata(&p).is_ok_and(|m| m.file_type().is_symlink()) {
                return Err(format!(
                    "brainsim: {}: is a symbolic link; brainsim does not write through links (remove it)",
                    p.display()
                ));
            }
        }
        Ok(())
    }

    /// Takes the directory's lock for this run (see the module doc), or
    /// says who holds it.
    pub fn lock(&self) -> Result<RunLock, String> {
        let path = self.path.join(LOCK);
        let holder = LockHolder::me();
        for _ in 0..2 {
            match fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(mut f) => {
                    f.write_all(holder.to_text().as_bytes())
                        .and_then(|_| f.sync_all())
                        .map_err(|e| format!("brainsim: {}: {e}", path.display()))?;
                    return Ok(RunLock {
                        path,
                        nonce: holder.nonce,
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    let other = fs::read_to_string(&path)
                        .ok()
                        .and_then(|t| LockHolder::parse(&t));
                    match other {
                        Some(o) if o.is_stale() => {
                            let _ = fs::remove_file(&path);
                        }
                        Some(o) => return Err(o.refusal(&self.path)),
                        None => {
                            return Err(format!(
                                "brainsim: {}: locked by a run whose lock file cannot be read; remove it if no run uses this directory",
                                path.display()
                            ))
                        }
                    }
                }
                Err(e) => return Err(format!("brainsim: {}: {e}", path.display())),
            }
        }
        Err(format!(
            "brainsim: {}: another run took the lock first",
            path.display()
        ))
    }

    /// Who holds the directory's lock, if anyone (for `brainsim status`).
    pub fn lock_info(&self) -> Option<LockInfo> {
        let text = fs::read_to_string(self.path.join(LOCK)).ok()?;
        let h = LockHolder::parse(&text)?;
        let alive = (h.host == hostname()).then(|| process_alive(h.pid));
        Some(LockInfo {
            host: h.host,
            pid: h.pid,
            job: h.job,
            started_unix_s: h.started,
            alive,
        })
    }

    /// The nonce of the lock file as this process sees it (None: no
    /// readable lock): equal on every rank exactly when they share the
    /// directory.
    pub fn lock_nonce(&self) -> Option<u64> {
        let text = fs::read_to_string(self.path.join(LOCK)).ok()?;
        LockHolder::parse(&text).map(|h| h.nonce)
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

/// The directory lock of a running run; removed when dropped.
#[derive(Debug)]
pub struct RunLock {
    path: PathBuf,
    nonce: u64,
}

impl Drop for RunLock {
    fn drop(&mut self) {
        // Only our own lock: never one a later run took over.
        let ours = fs::read_to_string(&self.path)
            .ok()
            .and_then(|t| LockHolder::parse(&t))
            .is_some_and(|h| h.nonce == self.nonce);
        if ours {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// The holder of a directory's lock, as `brainsim status` shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockInfo {
    /// Host of the run's rank 0.
    pub host: String,
    /// Its process id.
    pub pid: u32,
    /// `SLURM_JOB_ID` of the run (empty outside Slurm).
    pub job: String,
    /// When the run took the lock (seconds since the Unix epoch).
    pub started_unix_s: u64,
    /// Whether that process is alive (none when it runs on another host).
    pub alive: Option<bool>,
}

/// Who holds a lock.
struct LockHolder {
    host: String,
    pid: u32,
    job: String,
    started: u64,
    nonce: u64,
}

impl LockHolder {
    fn me() -> LockHolder {
        let started = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let pid = std::process::id();
        LockHolder {
            host: hostname(),
            pid,
            job: std::env::var("SLURM_JOB_ID").unwrap_or_default(),
            started,
            // Unique enough to tell two lock files apart; never u64::MAX.
            nonce: (started << 32 ^ u64::from(nanos) << 8 ^ u64::from(pid)) % u64::MAX,
        }
    }

    fn to_text(&self) -> String {
        format!(
            "host={}\npid={}\njob={}\nstarted={}\nnonce={}\n",
            self.host, self.pid, self.job, self.started, self.nonce
        )
    }

    fn parse(text: &str) -> Option<LockHolder> {
        let get = |k: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(k)?.strip_prefix('='))
                .map(str::to_string)
        };
        Some(LockHolder {
            host: get("host")?,
            pid: get("pid")?.parse().ok()?,
            job: get("job").unwrap_or_default(),
            started: get("started")?.parse().ok()?,
            nonce: get("nonce")?.parse().ok()?,
        })
    }

    /// Held by a process of this host that is gone.
    fn is_stale(&self) -> bool {
        self.host == hostname() && !process_alive(self.pid)
    }

    fn refusal(&self, dir: &Path) -> String {
        let job = if self.job.is_empty() {
            String::new()
        } else {
            format!(", job {}", self.job)
        };
        format!(
            "brainsim: {}: in use by another run (host {}, pid {}{job}, started at unix time {}); wait for it or choose another --out",
            dir.display(),
            self.host,
            self.pid,
            self.started
        )
    }
}

/// This host's name.
fn hostname() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: `buf` is writable for its whole length, which is passed.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return "unknown".into();
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..end]).into_owned()
}

/// Is process `pid` alive (signal 0 reaches it, or it exists but is not ours)?
fn process_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: kill with signal 0 sends nothing; it only checks the pid.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// Writes `text` to a temporary name beside `path`, then renames it over
/// `path`: a symbolic link at `path` is replaced, never followed.
fn write_replacing(path: &Path, text: &str) -> io::Result<()> {
    let tmp = path.with_extension("tmp~");
    fs::write(&tmp, text)?;
    fs::rename(&tmp, path)
}

/// A file name without directories (an output listed in old metadata).
fn is_plain_name(name: &str) -> bool {
    !name.is_empty() && !name.contains('/') && name != "." && name != ".."
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
        let old = [
            "metadata.json",
            "spikes.h5",
            "spikes.rank1.h5",
            "rank0.pid",
            "progress.json",
        ];
        let kept = ["notes.txt", "rank.txt", "cells_V_m.h5", "job.json"];
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
    fn lock_info_names_this_process_while_it_holds_the_lock() {
        let dir = std::env::temp_dir().join(format!("brainsim-outdir-lock-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let out = OutputDir::new(&dir);
        out.create().unwrap();
        assert_eq!(out.lock_info(), None);
        let lock = out.lock().unwrap();
        let info = out.lock_info().unwrap();
        assert_eq!((info.pid, info.alive), (std::process::id(), Some(true)));
        assert_eq!(info.host, hostname());
        drop(lock);
        assert_eq!(out.lock_info(), None);
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
