//! Where a run's results go: the epoch loop hands each epoch's output to a
//! list of sinks and knows nothing of files or formats. Spikes and state
//! reports are sinks today; weight recordings and checkpoints will be too.
//!
//! Life of a sink, on every rank: `record` once per epoch (in epoch order),
//! `flush` whenever the driver wants what was recorded so far to survive a
//! crash, `close` once after the last epoch (this rank's files complete),
//! then — after a collective that every rank passes only once every rank has
//! closed — `finalize` (combine the ranks' parts, on rank 0).
//!
//! Invariant: a sink whose `record` or `finalize` calls collectives does so
//! on every rank for every call, so all ranks stay in step.

mod reports;
mod spikes;

pub use reports::ReportSink;
pub use spikes::{recorded_populations, SpikeSink};

use brainsim_sim::comm::Comm;
use brainsim_sim::EpochOutput;

/// A destination for a run's results.
pub trait Sink {
    /// Records one epoch of this rank's output.
    fn record(&mut self, out: &EpochOutput, comm: &dyn Comm) -> Result<(), String>;
    /// Makes everything recorded so far readable after a crash.
    fn flush(&mut self) -> Result<(), String>;
    /// Completes this rank's files; nothing is recorded after it.
    fn close(&mut self) -> Result<(), String>;
    /// After every rank has closed: combines the ranks' parts (rank 0).
    fn finalize(&mut self, comm: &dyn Comm) -> Result<(), String>;
    /// The files (names in the output directory) the run ends with.
    fn outputs(&self) -> Vec<String>;
    /// Spikes this rank has written so far per population (name, count),
    /// for a checkpoint; empty for sinks of anything else.
    fn written(&self) -> Vec<(String, u64)> {
        Vec::new()
    }
}
