//! The `Exchange` trait: how a rank hands its spikes of an epoch to the others
//! and receives theirs — what `Network::build` and `Network::run_epoch` call.
//! The trivial one-rank implementation (`InProcess`, used by sim's tests) is
//! here; runs use `comm::SpikeExchange`, written once over the `Comm`
//! collectives (in-process or, in `cluster/`, MPI), for any number of ranks.

/// A spike: the step in which the neuron crossed threshold (its timestamp is
/// `(step + 1) * dt`, the end of that step) and the neuron's gid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Spike {
    /// The step in which the neuron crossed threshold.
    pub step: u64,
    /// The neuron.
    pub gid: u32,
}

/// Spike exchange and delay reductions between the ranks of a run.
pub trait Exchange {
    /// Sends this rank's spikes of the epoch starting at step `first_step`
    /// (sorted by (step, gid), all in [first_step, first_step + D)) and fills
    /// `received` with every spike of the *other* ranks that has targets on
    /// this rank, sorted by (step, gid). Every rank calls it once per epoch
    /// with the same `first_step`. The network delivers its own spikes
    /// itself (every local interval, see `Network::run_epoch`).
    fn exchange(&mut self, first_step: u64, local: &[Spike], received: &mut Vec<Spike>);
    /// The minimum of `value` over all ranks.
    fn all_min(&mut self, value: u64) -> u64;
    /// The maximum of `value` over all ranks.
    fn all_max(&mut self, value: u64) -> u64;
    /// This rank and the number of ranks.
    fn rank(&self) -> (usize, usize);
}

/// One rank: there are no other ranks, nothing is received.
#[derive(Debug, Default)]
pub struct InProcess;

impl Exchange for InProcess {
    fn exchange(&mut self, _first_step: u64, _local: &[Spike], received: &mut Vec<Spike>) {
        received.clear();
    }
    fn all_min(&mut self, value: u64) -> u64 {
        value
    }
    fn all_max(&mut self, value: u64) -> u64 {
        value
    }
    fn rank(&self) -> (usize, usize) {
        (0, 1)
    }
}
