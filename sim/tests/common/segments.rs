//! A run in segments, as checkpoints make it: a segment builds the network
//! on some layout (threads, in-process ranks, placement of the chunks on
//! the ranks), takes back a checkpoint if given one, runs up to a step and
//! captures the state there (the union of the ranks' captures).
#![allow(dead_code)]

use brainsim_sim::chunk::Sample;
use brainsim_sim::comm::local::run_ranks;
use brainsim_sim::comm::SpikeExchange;
use brainsim_sim::layout::{self, ChunkInfo};
use brainsim_sim::spec::NetworkSpec;
use brainsim_sim::{ChunkStates, Comm, EpochOutput, Exchange, Network, Spike};

/// Where a segment runs.
#[derive(Clone, Copy, Debug)]
pub struct Layout {
    /// Threads per rank.
    pub threads: usize,
    /// In-process ranks.
    pub ranks: usize,
    /// The rank of a chunk, given the number of ranks.
    pub place: fn(&ChunkInfo, usize) -> usize,
    /// Exchange every local interval (as `common::run` does) instead of
    /// every agreed epoch (the shortest delay crossing ranks, capped).
    pub short_epochs: bool,
}

/// Chunk i on rank i % P.
pub fn round_robin(c: &ChunkInfo, p: usize) -> usize {
    c.index % p
}

/// Population j's chunks on rank j % P.
pub fn by_population(c: &ChunkInfo, p: usize) -> usize {
    c.population % p
}

impl Layout {
    /// `ranks` ranks of `threads` threads, chunks dealt round robin,
    /// exchanging every agreed epoch.
    pub fn new(ranks: usize, threads: usize) -> Self {
        Layout {
            threads,
            ranks,
            place: round_robin,
            short_epochs: false,
        }
    }
}

/// What a segment produced.
pub struct Segment {
    /// The spikes of all ranks, sorted.
    pub spikes: Vec<Spike>,
    /// The samples of all ranks, sorted by (record, step, column).
    pub samples: Vec<Sample>,
    /// The union of the ranks' captures at the segment's last step.
    pub states: ChunkStates,
    /// Each rank's epoch (steps).
    pub epoch_steps: Vec<u64>,
}

/// Runs `spec` on `layout` from `from` (or step 0) up to step `until` (an
/// epoch boundary of the layout) and captures the state there.
pub fn segment(
    spec: &NetworkSpec,
    layout: Layout,
    from: Option<&ChunkStates>,
    until: u64,
) -> Segment {
    let runs = run_ranks(layout.ranks, |comm| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(layout.threads)
            .build()
            .unwrap();
        pool.install(|| rank_segment(spec, layout, comm, from, until))
    });
    let mut spikes: Vec<Spike> = runs.iter().flat_map(|r| r.0.clone()).collect();
    spikes.sort_unstable();
    let mut samples: Vec<Sample> = runs.iter().flat_map(|r| r.1.clone()).collect();
    samples.sort_by_key(|s| (s.record, s.step, s.column));
    let epoch_steps = runs.iter().map(|r| r.3).collect();
    let states = ChunkStates::merge(runs.into_iter().map(|r| r.2)).unwrap();
    assert!(states.missing().is_empty(), "every chunk captured");
    Segment {
        spikes,
        samples,
        states,
        epoch_steps,
    }
}

type RankSegment = (Vec<Spike>, Vec<Sample>, ChunkStates, u64);

/// One rank's part of `segment`: build, set up the exchange, restore, run.
fn rank_segment(
    spec: &NetworkSpec,
    layout: Layout,
    comm: &dyn Comm,
    from: Option<&ChunkStates>,
    until: u64,
) -> RankSegment {
    let (me, p) = (comm.rank(), comm.size());
    let chunks = layout::chunks(spec);
    let owner = |c: &ChunkInfo| (layout.place)(c, p);
    let rank_of_gid = |g: u32| {
        let i = chunks.partition_point(|c| c.first_gid + c.len <= g);
        owner(&chunks[i])
    };
    let mut ex = SpikeExchange::new(comm);
    let mut net = Network::build(spec, &|c| owner(c) == me, &mut ex);
    if !layout.short_epochs {
        let cross = net.min_delay_from(&|g| rank_of_gid(g) != me);
        let agreed = ex.all_min(cross);
        net.set_epoch_steps(agreed);
    }
    let n = spec.n_neurons() as usize;
    ex.setup(&net.needed_sources(), &rank_of_gid, n, net.epoch_steps());
    if let Some(states) = from {
        net.restore(states).expect("the checkpoint fits");
    }
    let mut out = EpochOutput::default();
    let (mut spikes, mut samples) = (Vec::new(), Vec::new());
    while net.step < until && net.run_epoch(&mut ex, &mut out) {
        spikes.extend_from_slice(&out.spikes);
        samples.extend_from_slice(&out.samples);
    }
    assert_eq!(net.step, until, "stop at an epoch boundary");
    (spikes, samples, net.capture(), net.epoch_steps())
}

/// The spikes of `seg` at or after step `t1`.
pub fn spikes_from(seg: &Segment, t1: u64) -> Vec<Spike> {
    seg.spikes
        .iter()
        .copied()
        .filter(|s| s.step >= t1)
        .collect()
}

/// `spec` run to its end on `reference`, and a copy of it that finished at
/// step `t1` (its t_stop) on `first`, extended to the end on `second` from
/// its last state: (the reference, the extension).
pub fn extended(
    spec: &NetworkSpec,
    t1: u64,
    reference: Layout,
    first: Layout,
    second: Layout,
) -> (Segment, Segment) {
    let n_steps = spec.simulation.n_steps();
    let whole = segment(spec, reference, None, n_steps);
    let mut short = spec.clone();
    short.simulation.t_stop = t1 as f64 * spec.simulation.dt;
    let stopped = segment(&short, first, None, t1);
    (whole, segment(spec, second, Some(&stopped.states), n_steps))
}
