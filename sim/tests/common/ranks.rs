//! In-process ranks for the tests: one rank's run of a spec with its chunks
//! placed by a function, and the union of the ranks' spikes.
#![allow(dead_code)]

use brainsim_sim::comm::local::run_ranks;
use brainsim_sim::comm::SpikeExchange;
use brainsim_sim::layout::{self, ChunkInfo};
use brainsim_sim::spec::NetworkSpec;
use brainsim_sim::{Comm, EpochOutput, Exchange, Network, Spike};

/// What one rank saw: its spikes, the agreed epoch and the spikes it sent.
pub struct RankRun {
    /// The rank's spikes.
    pub spikes: Vec<Spike>,
    /// The agreed epoch (steps).
    pub epoch_steps: u64,
    /// Spikes the rank sent.
    pub sent: u64,
    /// The rank's plastic synapses at the end: (projection, source gid,
    /// target gid, delay steps, weight bits).
    pub weights: Vec<(usize, u32, u32, u32, u64)>,
    /// The synaptic events delivered into the rank's chunks.
    pub events: u64,
}

/// Runs `spec` on this rank, chunk c placed on rank `owner(c)`.
pub fn run_rank(
    spec: &NetworkSpec,
    comm: &dyn Comm,
    owner: &(dyn Fn(&ChunkInfo) -> usize + Sync),
) -> RankRun {
    let me = comm.rank();
    let chunks = layout::chunks(spec);
    let rank_of_gid = |g: u32| owner(chunks.iter().find(|c| c.gids().contains(&g)).unwrap());
    let mut ex = SpikeExchange::new(comm);
    let mut net = Network::build(spec, &|c| owner(c) == me, &mut ex);
    let cross = net.min_delay_from(&|g| rank_of_gid(g) != me);
    let agreed = ex.all_min(cross);
    net.set_epoch_steps(agreed);
    let n = spec.n_neurons() as usize;
    ex.setup(&net.needed_sources(), &rank_of_gid, n, net.epoch_steps());
    let mut out = EpochOutput::default();
    let mut spikes = Vec::new();
    while net.run_epoch(&mut ex, &mut out) {
        spikes.extend_from_slice(&out.spikes);
    }
    RankRun {
        spikes,
        epoch_steps: net.epoch_steps(),
        sent: ex.spikes_sent,
        weights: plastic_weights(spec, &net),
        events: net.events(),
    }
}

/// Every plastic synapse of `net`: (projection, source, target, delay,
/// weight bits), sorted.
pub fn plastic_weights(spec: &NetworkSpec, net: &Network) -> Vec<(usize, u32, u32, u32, u64)> {
    let mut all: Vec<_> = (0..spec.projections.len())
        .filter(|&p| spec.projections[p].plastic.is_some())
        .flat_map(|p| {
            net.plastic_weights(p)
                .into_iter()
                .map(move |(s, t, d, w)| (p, s, t, d, w.to_bits()))
        })
        .collect();
    all.sort_unstable();
    all
}

pub fn union(runs: &[RankRun]) -> Vec<Spike> {
    let mut all: Vec<Spike> = runs.iter().flat_map(|r| r.spikes.clone()).collect();
    all.sort_unstable();
    all
}

/// The sorted spikes of `spec` run on `p` in-process ranks, chunks dealt
/// round robin.
pub fn spikes_on_ranks(spec: &NetworkSpec, p: usize) -> Vec<Spike> {
    union(&run_ranks(p, |comm| run_rank(spec, comm, &|c| c.index % p)))
}
