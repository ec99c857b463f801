//! brainsim's cluster layer, the only crate that touches MPI: the MPI context
//! (one per process, funneled threading), the MPI implementation of sim's
//! `Exchange`, and the distributed driver that builds a rank's shard, runs the
//! epoch loop and writes the outputs (per-rank spike files merged by rank 0).

pub mod driver;
pub mod exchange;
pub mod memory;
pub mod merge;
pub mod mpi_context;
pub mod stats;

pub use driver::{run, Progress, RunError, RunRequest};
pub use mpi_context::{install_panic_hook, MpiContext};
