//! Run metadata: the `RunMetadata` record stored as `OUT/metadata.json`
//! (version, layout, timers, counts, status), its write and its read. The
//! run driver fills it and decides when to write it (with `status =
//! "running"` when the run starts, `"finished"` at the end) and copies the
//! config beside it; this module writes only `metadata.json`.
//!
//! Each write goes to a temporary file, synced, then renamed into place, so a
//! reader never sees a half-written file.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// One population's spikes over the whole run.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct PopulationSummary {
    /// Population name, as in the config.
    pub name: String,
    /// Neurons (after `simulation.scale`).
    pub size: u64,
    /// Spikes emitted, recorded or not.
    pub spikes: u64,
    /// Mean rate per neuron: spikes / (size x t_stop), in Hz.
    pub rate_hz: f64,
}

/// One timer over the ranks of a run (seconds).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct TimerStats {
    /// The fastest rank's value.
    pub min: f64,
    /// The mean over the ranks.
    pub mean: f64,
    /// The slowest rank's value.
    pub max: f64,
}

/// One segment of a run: the fresh start or one `brainsim resume`, each
/// with its own layout.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Segment {
    /// First step simulated by this segment (0 for the fresh start, the
    /// checkpoint's step for a resume).
    pub start_step: u64,
    /// The step this segment got to (its last epoch's end).
    pub end_step: u64,
    /// The checkpoint it resumed from (path relative to the output
    /// directory), none for the fresh start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<String>,
    /// MPI ranks.
    pub ranks: usize,
    /// Threads per rank.
    pub threads: usize,
    /// Chunk placement.
    pub partitioner: String,
    /// Wall seconds from the start of the segment's build to its end.
    pub wall_seconds: f64,
    /// How the segment ended: the run's status when it did (`running`
    /// while it goes on).
    pub status: String,
    /// Wall seconds of the decomposition and build (the slowest rank's).
    #[serde(default)]
    pub build_seconds: f64,
    /// Wall seconds to read the checkpoint and restore it (a resume; the
    /// slowest rank's).
    #[serde(default)]
    pub checkpoint_load_seconds: f64,
    /// Checkpoints this segment wrote.
    #[serde(default)]
    pub checkpoints_written: u64,
    /// Wall seconds the simulation waited for those checkpoints, all of
    /// them (capture, gather, a previous write still under way), as rank 0
    /// measured them.
    #[serde(default)]
    pub checkpoint_write_seconds: f64,
    /// Wall seconds of writing their files (HDF5, fsync, prune) in the
    /// background while the simulation went on, all of them (rank 0).
    #[serde(default)]
    pub checkpoint_file_seconds: f64,
    /// Bytes of network state in the last checkpoint written (the state
    /// variables, rings and counters: what must be saved).
    #[serde(default)]
    pub checkpoint_state_bytes: u64,
}

/// The content of `metadata.json`: what was run, how, what it cost and what it
/// wrote. The fields marked `serde(default)` were added later and may be
/// missing from older files; every other field is required when reading.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct RunMetadata {
    /// `running` while the run goes on, then `finished` (everything written),
    /// `interrupted` (stopped by a signal) or `failed` (see `error`).
    pub status: String,
    /// Why the run failed (with `status` = `failed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Biological time completed and flushed to the output files (ms): updated at
    /// each flush while running, the time simulated when the run ended
    /// (`t_stop_ms` when finished). 0 in files written
    /// before the field existed.
    #[serde(default)]
    pub t_valid_ms: f64,
    /// Version of the brainsim that ran.
    pub brainsim_version: String,
    /// The config file, as given on the command line.
    pub config_file: String,
    /// MPI ranks.
    pub ranks: usize,
    /// Threads per rank.
    pub threads: usize,
    /// `simulation.seed`.
    pub seed: u32,
    /// Time step (ms).
    pub dt_ms: f64,
    /// Simulated time (ms).
    pub t_stop_ms: f64,
    /// Neurons in the network.
    pub neurons: u64,
    /// Synapses built, all ranks.
    pub synapses: u64,
    /// Synapses held by each rank.
    pub synapses_per_rank: Vec<u64>,
    /// Expected synapses of the procedural projections, regenerated from
    /// each spike and never stored (not in `synapses`).
    #[serde(default)]
    pub procedural_synapses: f64,
    /// Synapse store memory per synapse (bytes), all ranks.
    pub bytes_per_synapse: f64,
    /// Smallest synaptic delay in the network (steps).
    pub min_delay_steps: u64,
    /// Largest synaptic delay in the network (steps).
    pub max_delay_steps: u64,
    /// Steps between two spike exchanges between ranks.
    pub epoch_steps: u64,
    /// Spikes emitted, all populations, recorded or not.
    pub spikes: u64,
    /// Synaptic events delivered (a spike reaching one synapse), all ranks.
    pub synaptic_events: u64,
    /// Wall time of the network build (s; the slowest rank's).
    pub build_seconds: f64,
    /// Wall time of the simulation loop (s; the slowest rank's).
    pub simulate_seconds: f64,
    /// `simulate_seconds` per simulated second.
    pub real_time_factor: f64,
    /// Largest peak resident set size of any rank (bytes).
    pub peak_rss_bytes: u64,
    /// Peak resident set size of each rank (bytes).
    #[serde(default)]
    pub peak_rss_bytes_per_rank: Vec<u64>,
    /// The memory check's estimate of each rank's peak (bytes).
    #[serde(default)]
    pub memory_estimate_bytes_per_rank: Vec<u64>,
    /// NEST-named timers (seconds; with several ranks, the slowest rank's).
    pub timers: BTreeMap<String, f64>,
    /// Chunk placement (`metis`, `round_robin` or `block`).
    #[serde(default)]
    pub partitioner: String,
    /// Each NEST-named timer over the ranks: min, mean, max.
    #[serde(default)]
    pub timers_per_rank: BTreeMap<String, TimerStats>,
    /// Spikes each rank sent to other ranks (one per destination rank).
    #[serde(default)]
    pub spikes_sent_per_rank: Vec<u64>,
    /// Bytes of spike packets each rank sent to other ranks.
    #[serde(default)]
    pub bytes_sent_per_rank: Vec<u64>,
    /// One entry per population, in config order.
    pub populations: Vec<PopulationSummary>,
    /// Files of the run, relative to the output directory.
    pub outputs: Vec<String>,
    /// The run's segments in order: the fresh start, then each resume.
    #[serde(default)]
    pub segments: Vec<Segment>,
    /// Checkpoints written so far by the run (`checkpoints/t<step>.h5`
    /// names still on disk, oldest first).
    #[serde(default)]
    pub checkpoints: Vec<String>,
}

/// `status` of a run that got to the end and wrote everything.
pub const STATUS_FINISHED: &str = "finished";
/// `status` of a run still going on (or killed without a chance to say so).
pub const STATUS_RUNNING: &str = "running";

/// Name of the metadata file in the output directory.
pub const METADATA_FILE: &str = "metadata.json";

impl RunMetadata {
    /// Writes `dir/metadata.json` atomically (temporary file + rename),
    /// synced to disk before the rename.
    pub fn write(&self, dir: &Path) -> std::io::Result<()> {
        self.write_with(dir, true)
    }

    /// `write` without the fsync, for the updates of a running run: still
    /// atomic for readers and after a crash of the process (the rename is),
    /// only a power loss may take the latest update back.
    pub fn write_unsynced(&self, dir: &Path) -> std::io::Result<()> {
        self.write_with(dir, false)
    }

    fn write_with(&self, dir: &Path, sync: bool) -> std::io::Result<()> {
        let mut text = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        text.push('\n');
        let tmp = dir.join(".metadata.json.tmp");
        let atomic = (|| {
            let mut f = fs::File::create(&tmp)?;
            f.write_all(text.as_bytes())?;
            if sync {
                f.sync_all()?;
            }
            fs::rename(&tmp, dir.join(METADATA_FILE))
        })();
        match atomic {
            Ok(()) => Ok(()),
            Err(e) => {
                let _ = fs::remove_file(&tmp);
                // A full disk has no block for a new file, but the old
                // file's blocks can be rewritten: the status of a run that
                // failed on a full disk must still say so. (Not atomic: used
                // only when the atomic write is impossible.)
                rewrite_in_place(&dir.join(METADATA_FILE), text.as_bytes()).map_err(|_| e)
            }
        }
    }

    /// Reads `dir/metadata.json`.
    pub fn read(dir: &Path) -> std::io::Result<Self> {
        let text = fs::read_to_string(dir.join(METADATA_FILE))?;
        serde_json::from_str(&text).map_err(std::io::Error::other)
    }

    /// Whether the run got to the end (`status` = "finished").
    pub fn is_finished(&self) -> bool {
        self.status == STATUS_FINISHED
    }
}

/// Overwrites the existing file at `path` with `bytes` without truncating
/// it first (which would give its blocks back), then cuts it to length.
fn rewrite_in_place(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = fs::OpenOptions::new().write(true).open(path)?;
    f.write_all(bytes)?;
    f.set_len(bytes.len() as u64)?;
    f.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_round_trips_and_replaces_atomically() {
        let dir = std::env::temp_dir().join(format!("brainsim-meta-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let mut m = RunMetadata {
            status: "running".into(),
            neurons: 7,
            ..Default::default()
        };
        m.timers.insert("time_simulate".into(), 1.5);
        m.write(&dir).unwrap();
        assert!(!RunMetadata::read(&dir).unwrap().is_finished());
        m.status = "finished".into();
        m.write(&dir).unwrap();
        let back = RunMetadata::read(&dir).unwrap();
        assert_eq!(back, m);
        assert!(back.is_finished());
        assert!(!dir.join(".metadata.json.tmp").exists());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn files_without_the_newer_fields_still_read() {
        let mut m = RunMetadata {
            status: "failed".into(),
            error: Some("disk full".into()),
            t_valid_ms: 12.5,
            ..Default::default()
        };
        let text = serde_json::to_string(&m).unwrap();
        assert_eq!(serde_json::from_str::<RunMetadata>(&text).unwrap(), m);
        // An old file: neither `error` nor `t_valid_ms`.
        let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let obj = v.as_object_mut().unwrap();
        obj.remove("error");
        obj.remove("t_valid_ms");
        let old: RunMetadata = serde_json::from_value(v).unwrap();
        (m.error, m.t_valid_ms) = (None, 0.0);
        assert_eq!(old, m);
        // `error` is left out when there is none.
        assert!(!serde_json::to_string(&old).unwrap().contains("\"error\""));
    }
}
