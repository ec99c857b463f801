//! Checkpoint files: a network's dynamic state (`sim::checkpoint::ChunkStates`)
//! and what a resumed run needs besides it (`CheckpointMeta`: the config, the
//! spike-output position per population, the names and units of the state
//! variables) in one HDF5 file per checkpoint, `DIR/t<step>.h5`.
//!
//! `write` makes the file atomically (a temporary name, fsync, rename, fsync
//! of the directory), every dataset with HDF5's Fletcher32 checksum and the
//! metadata in HDF5's checksummed (1.10) format; `read` verifies every
//! checksum, the format version and the structure and refuses with one line
//! naming the file and what is wrong (`CheckpointFileError`);
//! `latest_valid` finds the newest readable checkpoint of a directory,
//! falling back past corrupt ones with a warning; `prune` keeps the newest K
//! and removes stale temporary files. Layout and decisions: DESIGN.md,
//! "Checkpoint files".

mod digest;
mod dir;
mod error;
mod layout;
mod mask;
mod plastic;
mod read;
mod write;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

pub use digest::config_hash;
pub use dir::{file_name, latest_valid, parse_file_name, prune, scan, Latest, Scan};
pub use error::{CheckpointFileError, ErrorKind};
pub use layout::FORMAT_VERSION;
pub use read::read;
pub use write::write;

/// One state variable as a user reads it: the model's name and unit, and
/// the parameter it is stored relative to (`sim::model::StateVar`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VarLabel {
    /// NEST's name (`V_m`, `I_syn_ex`, ...), unique within its chunk.
    pub name: String,
    /// SONATA unit string ("mV", "pA"; empty for counters).
    pub unit: String,
    /// The parameter the stored value is relative to (`E_L` for `V_m` of
    /// most models: the file holds V_m - E_L), if any.
    pub relative_to: Option<String>,
}

/// What the file says about one chunk besides its numbers: its population
/// and the labels of its state variables, in the model's storage order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChunkLabels {
    /// The population the chunk belongs to.
    pub population: String,
    /// One per state variable (`ChunkState::n_vars` of them).
    pub variables: Vec<VarLabel>,
}

/// A checkpoint's content besides the chunks' state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckpointMeta {
    /// Version of the brainsim that wrote the file (`new` sets this one's).
    pub brainsim_version: String,
    /// The run's config (`config.effective.toml`), as text.
    pub config_text: String,
    /// `config_hash(config_text)` (`new` computes it): resume compares it
    /// with its own config's.
    pub config_hash: u64,
    /// Spikes written so far to the spike output, per population name: what
    /// resume truncates the outputs back to.
    pub spikes_written: BTreeMap<String, u64>,
    /// One per chunk of the `ChunkStates`, in the same (index) order.
    pub chunks: Vec<ChunkLabels>,
}

impl CheckpointMeta {
    /// The meta of a checkpoint written by this brainsim.
    pub fn new(
        config_text: String,
        spikes_written: BTreeMap<String, u64>,
        chunks: Vec<ChunkLabels>,
    ) -> Self {
        Self {
            brainsim_version: env!("CARGO_PKG_VERSION").to_string(),
            config_hash: config_hash(&config_text),
            config_text,
            spikes_written,
            chunks,
        }
    }
}
