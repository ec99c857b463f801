//! brainsim's cluster layer: the run driver and the only crate that touches
//! MPI. The driver (`driver.rs`) runs a rank's shard (`shard.rs`) over any
//! `Comm` backend and hands each epoch to the sinks (`sink/`); `world.rs`
//! chooses the backend at start (MPI under a launcher with the cargo feature
//! `mpi`, else one in-process rank); `agree.rs` makes ranks agree on bad
//! input; `merge.rs` merges the per-rank spike files; `stats.rs` gathers the
//! ranks' figures into the metadata; `estimate.rs` estimates every rank's
//! memory and `memory.rs` checks it; `weights.rs` saves, loads (checks)
//! and `weight_record.rs` records plastic weights; `nef_run.rs` runs a
//! built NEF model into an output directory.

#![warn(missing_docs)]

pub mod agree;
pub mod checkpointing;
pub mod driver;
pub mod estimate;
pub mod memory;
pub mod merge;
#[cfg(feature = "mpi")]
pub mod mpi_comm;
pub mod nef_run;
pub mod output;
pub mod resume;
pub mod shard;
pub mod signals;
pub mod sink;
pub mod stats;
pub mod weight_record;
pub mod weights;
pub mod world;

pub use agree::{agree, Refused};
pub use driver::{run, Progress, RunError, RunRequest};
pub use memory::MemoryLimit;
pub use resume::ResumePoint;
pub use world::World;
