//! A rank's shard: its chunks of the decomposition, built, with the spike
//! exchange set up for them.
//!
//! Invariant: every rank computes the same decomposition from the spec and
//! the rank count alone (checked: the placement hash's all-min and all-max
//! must agree), and makes the same collectives in the same order (that
//! check, the build's delay reductions, the epoch agreement, the routes).

use std::time::Instant;

use brainsim_partition::{decompose, Decomposition, Partitioner};
use brainsim_sim::comm::{Comm, Reduce, SpikeExchange};
use brainsim_sim::spec::NetworkSpec;
use brainsim_sim::{layout, Network};

/// This rank's part of the network, ready to run.
pub struct Shard<'c> {
    /// The rank's chunks and epoch loop.
    pub net: Network,
    /// The spike exchange with the other ranks.
    pub exchange: SpikeExchange<'c>,
    /// Which rank holds which chunk.
    pub decomposition: Decomposition,
    /// Wall seconds of decomposition and build.
    pub build_seconds: f64,
}

/// Collective: places the chunks, builds this rank's, agrees on the exchange
/// epoch and sets up the routes.
pub fn build<'c>(
    spec: &NetworkSpec,
    comm: &'c dyn Comm,
    partitioner: Partitioner,
) -> Result<Shard<'c>, String> {
    let chunks = layout::chunks(spec);
    let decomposition = decompose(spec, &chunks, comm.size(), partitioner)?;
    build_placed(spec, comm, partitioner, decomposition)
}

/// `build` with the placement already computed (by the memory check) by
/// `partitioner`.
pub fn build_placed<'c>(
    spec: &NetworkSpec,
    comm: &'c dyn Comm,
    partitioner: Partitioner,
    decomposition: Decomposition,
) -> Result<Shard<'c>, String> {
    let rank = comm.rank();
    let n_chunks = decomposition.owner.len();
    // Cheap insurance for the invariant above (a rank with another METIS
    // build, say): two ranks that disagree would both build a chunk.
    let h = placement_hash(&decomposition, n_chunks);
    if comm.all_reduce(h, Reduce::Min) != comm.all_reduce(h, Reduce::Max) {
        return Err(format!(
            "the ranks computed different placements with {}; every rank must run the same brainsim build",
            partitioner.name()
        ));
    }
    let mut exchange = SpikeExchange::new(comm);
    let start = Instant::now();
    let mut net = Network::build(
        spec,
        &|c| decomposition.rank_of_chunk(c.index) == rank,
        &mut exchange,
    );
    // Delay-aware exchange: the epoch is the minimum delay over the synapses
    // that cross ranks (local spikes are delivered every `min_delay`).
    let cross = net.min_delay_from(&|g| decomposition.rank_of_gid(g) != rank);
    net.set_epoch_steps(comm.all_reduce(cross, Reduce::Min));
    exchange.setup(
        &net.needed_sources(),
        &|g| decomposition.rank_of_gid(g),
        spec.n_neurons() as usize,
        net.epoch_steps(),
    );
    Ok(Shard {
        net,
        exchange,
        decomposition,
        build_seconds: start.elapsed().as_secs_f64(),
    })
}

/// FNV-1a over the rank of every chunk.
fn placement_hash(d: &Decomposition, n_chunks: usize) -> u64 {
    (0..n_chunks).fold(0xcbf2_9ce4_8422_2325, |h, c| {
        (h ^ d.rank_of_chunk(c) as u64).wrapping_mul(0x0100_0000_01b3)
    })
}
