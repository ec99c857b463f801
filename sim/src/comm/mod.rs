//! Collectives between ranks, behind one small trait (`Comm`), and the spike
//! exchange written once on top of it.
//!
//! Like Arbor's distributed contexts: the simulator never calls MPI itself.
//! `Comm` offers the few collectives a run needs (an all-to-all-v of u32
//! words, an all-reduce, a gather to rank 0, an all-gather of f64 with
//! counts known to all, a barrier); `cluster/` implements
//! it with MPI, `local.rs` with P ranks as threads of one process, so the
//! exchange, the merge of per-rank outputs, the agreement on bad input and the
//! delay-aware epoch are tested in plain `cargo test`, and a one-rank run
//! needs no MPI at all. What travels is decided here, not in a backend:
//! routing tables (`routes.rs`), packet encoding (`packet.rs`), the epoch
//! protocol (`spike_exchange.rs`).
//!
//! Invariant (every backend): collectives are called by every rank in the
//! same order with matching arguments (same `op`, counts consistent), and
//! only from the thread that owns the `Comm` handle.

pub mod graded;
pub mod local;
pub mod packet;
pub mod routes;
pub mod spike_exchange;

pub use graded::GradedExchange;
pub use local::LocalComm;
pub use routes::Routes;
pub use spike_exchange::SpikeExchange;

/// The reduction of an all-reduce.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reduce {
    /// The smallest value.
    Min,
    /// The largest value.
    Max,
    /// The sum (wrapping is a caller's bug: sums must fit u64).
    Sum,
}

impl Reduce {
    /// Applies the reduction to two values.
    pub fn apply(self, a: u64, b: u64) -> u64 {
        match self {
            Reduce::Min => a.min(b),
            Reduce::Max => a.max(b),
            Reduce::Sum => a + b,
        }
    }
}

/// The collectives a distributed run needs. Every call is collective: all
/// ranks make it, in the same order.
pub trait Comm {
    /// This rank, in `0..size()`.
    fn rank(&self) -> usize;
    /// The number of ranks.
    fn size(&self) -> usize;
    /// Waits until every rank has called it.
    fn barrier(&self);
    /// All-to-all-v of u32 words. `send` holds the words for rank 0, then for
    /// rank 1, ... with `send_counts[r]` words for rank r (`size()` entries).
    /// On return `recv` holds the words received, grouped by source rank in
    /// rank order, and `recv_counts[r]` how many came from rank r.
    fn all_to_all_v(
        &self,
        send: &[u32],
        send_counts: &[usize],
        recv: &mut Vec<u32>,
        recv_counts: &mut [usize],
    );
    /// `op` over every rank's `value`; every rank gets the result.
    fn all_reduce(&self, value: u64, op: Reduce) -> u64;
    /// Rank 0 receives every rank's `values` (any lengths) concatenated in
    /// rank order; the other ranks receive an empty vector.
    fn gather_f64(&self, values: &[f64]) -> Vec<f64>;
    /// Every rank receives every rank's `values` concatenated in rank order
    /// into `out`; `counts[r]` is how many values rank r sends (the same
    /// `counts` on every rank, known to all of them beforehand: graded
    /// coupling, `graded.rs`).
    fn all_gather_f64(&self, values: &[f64], counts: &[usize], out: &mut Vec<f64>);
}
