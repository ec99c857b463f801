//! The progress record of a live run, `OUT/progress.json`: where the
//! simulation is (step of n_steps, dt), how long this segment has run and the
//! real-time factor over the last interval, rewritten about once per wall
//! second by rank 0, so `brainsim status` (or a user's script) can follow a
//! run from another shell or another node of a shared filesystem.
//!
//! Each write goes to a temporary name and is renamed into place, so a
//! reader sees the old record or the new one, never a mixture. The record is
//! not synced: it is a display, rewritten every second, and losing the last
//! one in a crash costs nothing (`metadata.json` holds the durable state).
//! `ProgressRecorder` decides when to write (throttled on the run's own wall
//! clock) and computes the real-time factor of each interval.

use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Name of the progress record in the output directory.
pub const PROGRESS_FILE: &str = "progress.json";

/// Wall seconds between two writes (the last step is always written).
pub const WRITE_EVERY_SECONDS: f64 = 1.0;

/// One snapshot of a running simulation.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct ProgressRecord {
    /// Steps done (from the start of the run, not of this segment).
    pub step: u64,
    /// Steps of the whole run.
    pub n_steps: u64,
    /// The time step (ms).
    pub dt_ms: f64,
    /// Wall seconds since this segment's simulation loop started.
    pub wall_seconds: f64,
    /// Wall seconds per simulated second over the interval since the
    /// previous record (none in the first record of a segment).
    pub real_time_factor: Option<f64>,
    /// When the record was written (seconds since the Unix epoch).
    pub written_unix_s: f64,
}

impl ProgressRecord {
    /// Biological time done (ms).
    pub fn t_ms(&self) -> f64 {
        self.step as f64 * self.dt_ms
    }

    /// Biological time of the whole run (ms).
    pub fn t_stop_ms(&self) -> f64 {
        self.n_steps as f64 * self.dt_ms
    }

    /// Wall seconds left at the current real-time factor (none without one).
    pub fn eta_seconds(&self) -> Option<f64> {
        let left_ms = self.t_stop_ms() - self.t_ms();
        self.real_time_factor
            .filter(|r| r.is_finite() && *r >= 0.0)
            .map(|r| (left_ms / 1000.0).max(0.0) * r)
    }

    /// Writes `dir/progress.json` (temporary file + rename).
    pub fn write(&self, dir: &Path) -> io::Result<()> {
        crate::json_file::write(self, dir, PROGRESS_FILE)
    }

    /// Reads `dir/progress.json`: `Ok(None)` when there is none, an error naming
    /// the file when it cannot be read or parsed.
    pub fn read(dir: &Path) -> Result<Option<Self>, String> {
        crate::json_file::read(dir, PROGRESS_FILE)
    }
}

/// Seconds since the Unix epoch, now.
fn unix_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// Writes a run's progress record about once per wall second.
#[derive(Debug)]
pub struct ProgressRecorder {
    dir: PathBuf,
    /// (step, wall seconds) of the previous record written.
    last: Option<(u64, f64)>,
}

impl ProgressRecorder {
    /// A recorder writing into the output directory `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        ProgressRecorder {
            dir: dir.into(),
            last: None,
        }
    }

    /// Called after every epoch with the run's position and the wall
    /// seconds since the segment's loop started; writes a record when it is
    /// the first, the last step, or at least `WRITE_EVERY_SECONDS` after the
    /// previous one. A failed write is ignored (the record is a display; the
    /// run's outputs report their own write errors). Returns whether it wrote.
    pub fn update(&mut self, step: u64, n_steps: u64, dt_ms: f64, wall_seconds: f64) -> bool {
        let due = match self.last {
            None => true,
            Some((_, w)) => wall_seconds - w >= WRITE_EVERY_SECONDS || step >= n_steps,
        };
        if !due {
            return false;
        }
        let real_time_factor = self.last.and_then(|(s, w)| {
            let bio_s = step.saturating_sub(s) as f64 * dt_ms / 1000.0;
            (bio_s > 0.0).then(|| (wall_seconds - w).max(0.0) / bio_s)
        });
        let record = ProgressRecord {
            step,
            n_steps,
            dt_ms,
            wall_seconds,
            real_time_factor,
            written_unix_s: unix_now(),
        };
        self.last = Some((step, wall_seconds));
        record.write(&self.dir).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("brainsim-progress-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_record_round_trips_and_replaces_the_old_one() {
        let dir = scratch("round-trip");
        assert_eq!(ProgressRecord::read(&dir).unwrap(), None);
        let mut r = ProgressRecord {
            step: 500,
            n_steps: 2000,
            dt_ms: 0.1,
            wall_seconds: 3.0,
            real_time_factor: Some(4.0),
            written_unix_s: 1.0e9,
        };
        r.write(&dir).unwrap();
        assert_eq!(ProgressRecord::read(&dir).unwrap(), Some(r.clone()));
        r.step = 1000;
        r.write(&dir).unwrap();
        assert_eq!(ProgressRecord::read(&dir).unwrap().unwrap().step, 1000);
        assert!(!dir.join(".progress.json.tmp").exists());
        assert_eq!((r.t_ms(), r.t_stop_ms()), (100.0, 200.0));
        // 100 ms left at 4 s of wall per simulated second.
        assert!((r.eta_seconds().unwrap() - 0.4).abs() < 1e-12);
        r.real_time_factor = None;
        assert_eq!(r.eta_seconds(), None);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_corrupt_record_is_an_error_naming_the_file() {
        let dir = scratch("corrupt");
        fs::write(dir.join(PROGRESS_FILE), "{\"step\": ").unwrap();
        let e = ProgressRecord::read(&dir).unwrap_err();
        assert!(e.contains("progress.json"), "{e}");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_recorder_writes_about_once_per_second_with_the_interval_rate() {
        let dir = scratch("recorder");
        let mut rec = ProgressRecorder::new(&dir);
        // The first epoch is written at once, without a rate.
        assert!(rec.update(10, 1000, 0.1, 0.05));
        let first = ProgressRecord::read(&dir).unwrap().unwrap();
        assert_eq!((first.step, first.real_time_factor), (10, None));
        // Within the second: nothing written.
        assert!(!rec.update(20, 1000, 0.1, 0.5));
        assert_eq!(ProgressRecord::read(&dir).unwrap().unwrap().step, 10);
        // 1.05 s later, 40 steps (4 ms) more: 1.0 s of wall for 4 ms.
        assert!(rec.update(50, 1000, 0.1, 1.05));
        let r = ProgressRecord::read(&dir).unwrap().unwrap();
        assert_eq!(r.step, 50);
        assert!((r.real_time_factor.unwrap() - 250.0).abs() < 1e-9);
        // The last step is always written, even within the second.
        assert!(rec.update(1000, 1000, 0.1, 1.2));
        assert_eq!(ProgressRecord::read(&dir).unwrap().unwrap().step, 1000);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_missing_directory_does_not_stop_the_recorder() {
        let dir = scratch("gone").join("not-there");
        let mut rec = ProgressRecorder::new(&dir);
        assert!(!rec.update(1, 10, 0.1, 0.0));
        assert!(!rec.update(10, 10, 0.1, 0.1));
    }
}
