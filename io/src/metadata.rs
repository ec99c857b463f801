//! Run metadata: `OUT/metadata.json` (version, layout, timers, counts, status)
//! and `OUT/config.toml` (a copy of the configuration as run).
//!
//! The metadata is written when the run starts with `status = "running"` and
//! rewritten at the end with `status = "finished"`; each write goes to a
//! temporary file renamed into place, so the file is never half-written.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct PopulationSummary {
    pub name: String,
    pub size: u64,
    pub spikes: u64,
    pub rate_hz: f64,
}

/// One timer over the ranks of a run (seconds).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct TimerStats {
    pub min: f64,
    pub mean: f64,
    pub max: f64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct RunMetadata {
    pub status: String,
    pub brainsim_version: String,
    pub config_file: String,
    pub ranks: usize,
    pub threads: usize,
    pub seed: u32,
    pub dt_ms: f64,
    pub t_stop_ms: f64,
    pub neurons: u64,
    pub synapses: u64,
    /// Synapses held by each rank.
    pub synapses_per_rank: Vec<u64>,
    pub bytes_per_synapse: f64,
    pub min_delay_steps: u64,
    pub max_delay_steps: u64,
    pub epoch_steps: u64,
    pub spikes: u64,
    pub synaptic_events: u64,
    pub build_seconds: f64,
    pub simulate_seconds: f64,
    pub real_time_factor: f64,
    pub peak_rss_bytes: u64,
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
    pub populations: Vec<PopulationSummary>,
    /// Files of the run, relative to the output directory.
    pub outputs: Vec<String>,
}

pub const METADATA_FILE: &str = "metadata.json";

impl RunMetadata {
    /// Writes `dir/metadata.json` atomically (temporary file + rename).
    pub fn write(&self, dir: &Path) -> std::io::Result<()> {
        let tmp = dir.join(".metadata.json.tmp");
        {
            let mut f = fs::File::create(&tmp)?;
            f.write_all(
                serde_json::to_string_pretty(self)
                    .map_err(std::io::Error::other)?
                    .as_bytes(),
            )?;
            f.write_all(b"\n")?;
            f.sync_all()?;
        }
        fs::rename(&tmp, dir.join(METADATA_FILE))
    }

    pub fn read(dir: &Path) -> std::io::Result<Self> {
        let text = fs::read_to_string(dir.join(METADATA_FILE))?;
        serde_json::from_str(&text).map_err(std::io::Error::other)
    }

    pub fn is_finished(&self) -> bool {
        self.status == "finished"
    }
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
}
