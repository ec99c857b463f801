//! brainsim's cluster layer: the driver that builds a rank's shard, runs the
//! epoch loop and writes the outputs. In this version there is one rank (the
//! in-process `Exchange`); the MPI context and exchange will live here too —
//! this is the only crate that may touch MPI.

pub mod driver;
pub mod memory;

pub use driver::{run, Progress, RunError, RunRequest};
