//! The network of one rank: its chunks (made by `chunk_setup`), how their
//! synapses are built, and the epoch loop (update, gather, exchange, deliver).
//!
//! Two intervals (delay-aware exchange): local spikes are delivered to this
//! rank's chunks every `min_delay` steps (the minimum delay of all synapses);
//! spikes are exchanged with other ranks once per epoch of `epoch_steps`
//! (the minimum delay of the synapses that cross ranks, set by the caller
//! with `set_epoch_steps`; by default `min_delay`). Results do not depend on
//! either: the ring buffers sum in fixed point, so delivery order is free.
//!
//! Between two epochs the network's dynamic state can be captured and
//! restored into a network of any layout (`snapshot.rs`, `checkpoint`).

mod snapshot;
mod wiring;

pub use wiring::UNBOUNDED_GROWTH;
use wiring::{check_loaded_weights, connect_chunks};

use std::time::Instant;

use rayon::prelude::*;

use crate::chunk::{Chunk, Sample};
use crate::chunk_setup::create_chunk;
pub use crate::chunk_setup::{reports, ReportInfo};

use crate::exchange::{Exchange, Spike};
use crate::layout::{self, ChunkInfo};
use crate::ring::RingArena;
use crate::schedule::Schedule;
use crate::spec::NetworkSpec;

/// Longest epoch (steps) when no synapse constrains it (no synapses, or none
/// crossing ranks): bounds the spikes held per epoch and the output latency.
const MAX_EPOCH_STEPS: u64 = 100;

/// Wall-clock seconds per phase, under NEST's timer names.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Timers {
    /// Creating the local chunks: neurons, initial values, devices, probes.
    pub time_construction_create: f64,
    /// Generating and storing the synapses, agreeing on the delays, laying
    /// out the rings.
    pub time_construction_connect: f64,
    /// All of `run_epoch`.
    pub time_simulate: f64,
    /// Neuron updates (the fused regions' wall time, split with delivery in
    /// proportion to their thread time).
    pub time_update: f64,
    /// Collecting and sorting the chunks' spikes and samples.
    pub time_gather_spike_data: f64,
    /// The exchange with the other ranks.
    pub time_communicate_spike_data: f64,
    /// Delivering spikes into the rings (see `time_update`).
    pub time_deliver_spike_data: f64,
}

impl Timers {
    /// The timers as (NEST name, seconds), in declaration order.
    pub fn as_pairs(&self) -> [(&'static str, f64); 7] {
        [
            ("time_construction_create", self.time_construction_create),
            ("time_construction_connect", self.time_construction_connect),
            ("time_simulate", self.time_simulate),
            ("time_update", self.time_update),
            ("time_gather_spike_data", self.time_gather_spike_data),
            (
                "time_communicate_spike_data",
                self.time_communicate_spike_data,
            ),
            ("time_deliver_spike_data", self.time_deliver_spike_data),
        ]
    }
}

/// What one epoch produced on this rank.
#[derive(Debug, Default)]
pub struct EpochOutput {
    /// First and one-past-last step of the epoch.
    pub steps: (u64, u64),
    /// Local spikes, sorted by (step, gid).
    pub spikes: Vec<Spike>,
    /// Local samples, sorted by (record, step, column).
    pub samples: Vec<Sample>,
}

/// The network of one rank: its chunks and the state of the epoch loop.
pub struct Network {
    /// The spec it was built from.
    pub spec: NetworkSpec,
    /// The local chunks, in chunk order.
    pub chunks: Vec<Chunk>,
    /// Every state report of the spec (`chunk_setup::reports`).
    pub reports: Vec<ReportInfo>,
    /// Minimum delay (steps) over the synapses of all ranks; u64::MAX when
    /// there is none.
    pub min_delay: u64,
    /// Maximum delay (steps) over the synapses of all ranks; 0 when none.
    pub max_delay: u64,
    /// Slots per ring: `(max_delay + 1).next_power_of_two()`.
    pub ring_slots: u64,
    /// The chunks' ring buffers, in chunk order.
    rings: RingArena,
    /// The next step to update.
    pub step: u64,
    /// Steps of the run (`SimulationSpec::n_steps`).
    pub n_steps: u64,
    /// Time spent so far, per phase.
    pub timers: Timers,
    /// Exchange interval (steps), >= the local interval.
    epoch: u64,
    /// Spikes waiting to be delivered: received from other ranks in the last
    /// exchange, and this rank's own of the last local interval.
    pending: Vec<Spike>,
    /// Buffer for the spikes received from other ranks.
    received: Vec<Spike>,
    /// Order in which the threads take the chunks.
    schedule: Schedule,
}

impl Network {
    /// Builds the chunks for which `is_local` holds. Collective over `ex`:
    /// every rank calls `all_min` then `all_max` (delays), once each.
    pub fn build(
        spec: &NetworkSpec,
        is_local: &(dyn Fn(&ChunkInfo) -> bool + Sync),
        ex: &mut dyn Exchange,
    ) -> Network {
        let mut timers = Timers::default();
        let all = layout::chunks(spec);
        let reports = reports(spec);
        let t0 = Instant::now();
        let mut chunks = create_chunks(spec, &all, is_local, &reports);
        timers.time_construction_create = t0.elapsed().as_secs_f64();

        let t1 = Instant::now();
        connect_chunks(spec, &all, &mut chunks);
        let (min_delay, max_delay) = agree_on_delays(&chunks, ex);
        let ring_slots = (max_delay + 1).next_power_of_two();
        let rings = lay_out_rings(&mut chunks, ring_slots);
        timers.time_construction_connect = t1.elapsed().as_secs_f64();

        Network {
            epoch: local_interval(min_delay),
            n_steps: spec.simulation.n_steps(),
            spec: spec.clone(),
            chunks,
            reports,
            min_delay,
            max_delay,
            ring_slots,
            rings,
            step: 0,
            timers,
            pending: Vec::new(),
            received: Vec::new(),
            schedule: Schedule::default(),
        }
    }

    /// Checks, without building anything, that the loaded initial weights
    /// (`weights_from`) of every projection match the synapses of the
    /// chunks for which `is_local` holds (`plastic::loaded`); `Err` is one
    /// line naming the file and the first difference. `build` relies on it.
    pub fn check_loaded_weights(
        spec: &NetworkSpec,
        is_local: &(dyn Fn(&ChunkInfo) -> bool + Sync),
    ) -> Result<(), String> {
        check_loaded_weights(spec, &layout::chunks(spec), is_local)
    }

    /// Steps between two exchanges with other ranks (>= `local_steps`).
    pub fn epoch_steps(&self) -> u64 {
        self.epoch
    }

    /// Steps between two deliveries of local spikes: the minimum delay (>= 1).
    pub fn local_steps(&self) -> u64 {
        local_interval(self.min_delay)
    }

    /// Sets the exchange interval to `cross_min_delay`, the minimum delay of
    /// the synapses crossing ranks (u64::MAX: none), capped at
    /// MAX_EPOCH_STEPS and never below the local interval. Must be the same
    /// on every rank and set before the first epoch.
    pub fn set_epoch_steps(&mut self, cross_min_delay: u64) {
        assert_eq!(self.step, 0, "the epoch is fixed once the run started");
        self.epoch = cross_min_delay.min(MAX_EPOCH_STEPS).max(self.local_steps());
    }

    /// The minimum delay (steps) of this rank's synapses whose source is
    /// remote (`is_remote(gid)`); u64::MAX when there are none.
    pub fn min_delay_from(&self, is_remote: &dyn Fn(u32) -> bool) -> u64 {
        self.chunks
            .iter()
            .map(|c| {
                // Synapse offsets are (delay * lanes + lane) * n + target.
                let stride = c.n_lanes() as u32 * c.info.len;
                let plastic = c.plastic.iter().flat_map(|p| {
                    p.synapses()
                        .filter(|s| is_remote(s.0))
                        .map(|s| u64::from(s.2))
                });
                let procedural = c
                    .procedural
                    .iter()
                    .filter(|p| p.sources().any(is_remote))
                    .map(|p| u64::from(p.min_delay));
                c.synapses
                    .sources()
                    .filter(|&g| is_remote(g))
                    .flat_map(|g| c.synapses.row(g).map(|s| u64::from(s.offset / stride)))
                    .chain(plastic)
                    .chain(procedural)
                    .min()
                    .unwrap_or(u64::MAX)
            })
            .min()
            .unwrap_or(u64::MAX)
    }

    /// Synapses stored on this rank.
    pub fn n_synapses(&self) -> u64 {
        let plastic = |c: &Chunk| c.plastic.iter().map(|p| p.len() as u64).sum::<u64>();
        self.chunks
            .iter()
            .map(|c| c.synapses.len() as u64 + plastic(c))
            .sum()
    }

    /// Every source gid with at least one synapse onto a local chunk, sorted:
    /// the spikes this rank must receive.
    pub fn needed_sources(&self) -> Vec<u32> {
        let n = self.spec.n_neurons() as usize;
        let mut needed = vec![false; n];
        for c in &self.chunks {
            for s in c.synapses.sources() {
                needed[s as usize] = true;
            }
            for p in &c.plastic {
                for &s in p.sources() {
                    needed[s as usize] = true;
                }
            }
            for p in &c.procedural {
                needed[p.sources().start as usize..p.sources().end as usize].fill(true);
            }
        }
        (0..n as u32).filter(|&g| needed[g as usize]).collect()
    }

    /// Bytes of the ring arena (all local chunks' rings).
    pub fn ring_bytes(&self) -> usize {
        self.rings.bytes()
    }

    /// Bytes of this rank's synapse stores (synapses and row indexes).
    pub fn synapse_bytes(&self) -> u64 {
        let plastic = |c: &Chunk| c.plastic.iter().map(|p| p.bytes() as u64).sum::<u64>();
        let procedural = |c: &Chunk| c.procedural.iter().map(|p| p.bytes() as u64).sum::<u64>();
        self.chunks
            .iter()
            .map(|c| c.synapses.bytes() as u64 + plastic(c) + procedural(c))
            .sum()
    }

    /// The first plastic projection (index in the spec) of this rank with
    /// a weight that grew beyond the ring's bound (`UNBOUNDED_GROWTH`), and
    /// how many deliveries were skipped: the run must fail.
    pub fn plastic_overflow(&self) -> Option<(usize, u64)> {
        self.chunks
            .iter()
            .flat_map(|c| &c.plastic)
            .find(|p| p.overflows > 0)
            .map(|p| (p.projection, p.overflows))
    }

    /// Every plastic synapse of projection `projection` on this rank:
    /// (source gid, target gid, delay steps, weight), by target chunk then
    /// source.
    pub fn plastic_weights(&self, projection: usize) -> Vec<(u32, u32, u32, f64)> {
        let stores = self.chunks.iter().flat_map(|c| &c.plastic);
        let n = stores
            .filter(|p| p.projection == projection)
            .map(|p| p.len())
            .sum();
        // Exactly sized: it can be the largest thing in memory.
        let mut out = Vec::with_capacity(n);
        for c in &self.chunks {
            for p in c.plastic.iter().filter(|p| p.projection == projection) {
                let first = c.info.first_gid;
                out.extend(p.synapses().map(|(s, t, d, w)| (s, first + t, d, w)));
            }
        }
        out
    }

    /// The weights of the synapses at `indices` of `plastic_weights(projection)`
    /// (any order), without building that list: a weight recording reads a
    /// few of a projection's synapses at each due step.
    pub fn plastic_weights_at(&self, projection: usize, indices: &[usize]) -> Vec<f64> {
        let stores: Vec<&[f64]> = self
            .chunks
            .iter()
            .flat_map(|c| &c.plastic)
            .filter(|p| p.projection == projection)
            .map(|p| p.weights())
            .collect();
        let mut start = Vec::with_capacity(stores.len());
        let mut total = 0;
        for w in &stores {
            start.push(total);
            total += w.len();
        }
        indices
            .iter()
            .map(|&i| {
                let s = start.partition_point(|&a| a <= i) - 1;
                stores[s][i - start[s]]
            })
            .collect()
    }

    /// The first local neuron, in chunk order, with a state variable that
    /// is NaN or infinite: (population, gid, variable name). The run loop
    /// calls it about once per wall second, so a blown-up population ends
    /// the run as failed instead of finishing with garbage.
    pub fn first_non_finite(&self) -> Option<(usize, u32, &'static str)> {
        for c in &self.chunks {
            let pop = c.info.population;
            let vars = crate::model::lookup(&self.spec.populations[pop].model)
                .map_or(&[][..], |m| m.state);
            for (v, name) in vars.iter().map(|s| s.name).enumerate() {
                let bad = (0..c.info.len as usize).find(|&i| !c.model().get(v, i).is_finite());
                if let Some(i) = bad {
                    return Some((pop, c.info.first_gid + i as u32, name));
                }
            }
        }
        None
    }

    /// Synaptic events delivered so far on this rank.
    pub fn events(&self) -> u64 {
        self.chunks.iter().map(|c| c.events).sum()
    }

    /// Spikes of this rank's neurons so far.
    pub fn spikes_total(&self) -> u64 {
        self.chunks.iter().map(|c| c.spikes).sum()
    }

    /// Whether every step of the run has been updated.
    pub fn is_done(&self) -> bool {
        self.step >= self.n_steps
    }

    /// Runs one epoch. Returns false (and does nothing) when the run is over.
    ///
    /// The epoch [s0, s1) is cut into local intervals of `local_steps`. For
    /// each, every chunk first delivers the pending spikes into its own ring
    /// buffer, then updates through the interval (one parallel region per
    /// interval; the ring is hot in cache when it is read); the interval's
    /// spikes become the next pending ones. At the end of the epoch the
    /// epoch's spikes go to the other ranks, theirs join the pending ones.
    /// Invariant: every delay is >= `local_steps` and every delay of a
    /// synapse crossing ranks is >= `epoch_steps`, so a spike is always
    /// delivered before the step it acts on is updated.
    pub fn run_epoch(&mut self, ex: &mut dyn Exchange, out: &mut EpochOutput) -> bool {
        self.run_epoch_until(ex, out, self.n_steps)
    }

    /// `run_epoch`, the epoch cut short to end at step `limit` if it would
    /// go beyond it (> the current step; the same on every rank). A shorter
    /// epoch changes no result: delays still cover it (see `run_epoch`).
    pub fn run_epoch_until(
        &mut self,
        ex: &mut dyn Exchange,
        out: &mut EpochOutput,
        limit: u64,
    ) -> bool {
        if self.is_done() {
            return false;
        }
        let t_start = Instant::now();
        let s0 = self.step;
        let s1 = (s0 + self.epoch).min(self.n_steps).min(limit.max(s0 + 1));
        let local = self.local_steps();
        out.steps = (s0, s1);
        out.spikes.clear();
        out.samples.clear();
        // The intervals run on a pool thread: each interval's parallel region
        // is then a join among the pool's threads, not a hand-off from this
        // thread (which would sleep and be woken once per interval).
        let (deliver_ns, update_ns, gather) =
            rayon::scope(|_| self.run_intervals(s0, s1, local, out));
        let t_compute = Instant::now();
        out.spikes.sort_unstable();
        out.samples
            .sort_unstable_by_key(|s| (s.record, s.step, s.column));
        let t_gather = Instant::now();

        // Local spikes of the last interval stay pending; add the remote ones.
        let mut remote = std::mem::take(&mut self.received);
        ex.exchange(s0, &out.spikes, &mut remote);
        self.pending.extend_from_slice(&remote);
        self.received = remote;
        if s1 == self.n_steps {
            // The run ends with nothing pending (see `deliver_pending`).
            self.deliver_pending();
        }
        let t_end = Instant::now();

        // Delivery and update run fused in parallel regions: their wall time
        // is split between their timers in proportion to their thread time.
        let compute = (t_compute - t_start).as_secs_f64() - gather.as_secs_f64();
        let total_ns = (deliver_ns + update_ns).max(1) as f64;
        let tm = &mut self.timers;
        tm.time_deliver_spike_data += compute * deliver_ns as f64 / total_ns;
        tm.time_update += compute * update_ns as f64 / total_ns;
        tm.time_gather_spike_data += (t_gather - t_compute + gather).as_secs_f64();
        tm.time_communicate_spike_data += (t_end - t_gather).as_secs_f64();
        tm.time_simulate += (t_end - t_start).as_secs_f64();
        self.step = s1;
        true
    }

    /// Delivers the pending spikes now rather than at the start of the next
    /// interval (the same spikes into the same rings, nothing happens in
    /// between), so that every plastic weight has seen every spike emitted
    /// before the current step: the weights then depend on the step alone,
    /// not on the layout's epochs (a weight recording's invariant). The last
    /// epoch ends with it, so that a finished run's final weights, event
    /// count and rings (a checkpoint's, extended later) hold every spike
    /// before t_stop, whatever the layout (NEST leaves the last min-delay
    /// slice undelivered).
    pub fn deliver_pending(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        self.pending.sort_unstable_by_key(|s| (s.gid, s.step));
        let pending = &self.pending;
        let items: Vec<_> = self.chunks.iter_mut().zip(self.rings.rings()).collect();
        items
            .into_par_iter()
            .for_each(|(c, ring)| c.deliver(pending, ring));
        self.pending.clear();
    }

    /// The local intervals of epoch [s0, s1): deliver and update in
    /// parallel, then gather the interval's spikes and samples. Returns the
    /// thread time of delivery and of updates (ns) and the gather time.
    fn run_intervals(
        &mut self,
        s0: u64,
        s1: u64,
        local: u64,
        out: &mut EpochOutput,
    ) -> (u64, u64, std::time::Duration) {
        let (mut deliver_ns, mut update_ns) = (0u64, 0u64);
        let mut gather = std::time::Duration::ZERO;
        let mut a = s0;
        while a < s1 {
            let b = (a + local).min(s1);
            // Delivery order does not change the sums (fixed point), so visit
            // the rows in gid order: increasing addresses are kinder to caches.
            // By (gid, step): a source's spikes stay in time order, which
            // plastic synapses need (`plastic::store`).
            self.pending.sort_unstable_by_key(|s| (s.gid, s.step));
            let pending = &self.pending;
            let items: Vec<_> = self.chunks.iter_mut().zip(self.rings.rings()).collect();
            let (d_ns, u_ns) = self.schedule.run(items, |(c, ring)| {
                let t0 = Instant::now();
                c.deliver(pending, ring);
                let t1 = Instant::now();
                c.update_epoch(a, b, ring);
                ((t1 - t0).as_nanos() as u64, t1.elapsed().as_nanos() as u64)
            });
            deliver_ns += d_ns;
            update_ns += u_ns;
            let t_gather = Instant::now();
            self.pending.clear();
            for c in &self.chunks {
                self.pending.extend_from_slice(&c.out_spikes);
                out.samples.extend_from_slice(&c.out_samples);
            }
            out.spikes.extend_from_slice(&self.pending);
            gather += t_gather.elapsed();
            a = b;
        }
        (deliver_ns, update_ns, gather)
    }
}

/// The local chunks (of `all`, those for which `is_local` holds) with their
/// neurons, devices and probes, no synapses yet; in chunk order.
fn create_chunks(
    spec: &NetworkSpec,
    all: &[ChunkInfo],
    is_local: &(dyn Fn(&ChunkInfo) -> bool + Sync),
    reports: &[ReportInfo],
) -> Vec<Chunk> {
    let locals: Vec<ChunkInfo> = all.iter().filter(|c| is_local(c)).cloned().collect();
    locals
        .into_par_iter()
        .map(|info| create_chunk(spec, info, reports))
        .collect()
}

/// The minimum and maximum delay (steps) over the synapses of all ranks:
/// `ex.all_min` then `ex.all_max` (every rank calls both, in this order).
/// No synapse anywhere: (u64::MAX, 0).
fn agree_on_delays(chunks: &[Chunk], ex: &mut dyn Exchange) -> (u64, u64) {
    // (min, max) delay of each non-empty store of each chunk.
    let ranges = chunks.iter().flat_map(|c| {
        let stored =
            (!c.synapses.is_empty()).then_some((c.synapses.min_delay, c.synapses.max_delay));
        let plastic = c
            .plastic
            .iter()
            .filter(|p| !p.is_empty())
            .map(|p| (p.min_delay, p.max_delay));
        let procedural = c.procedural.iter().map(|p| (p.min_delay, p.max_delay));
        stored.into_iter().chain(plastic).chain(procedural)
    });
    let (local_min, local_max) = ranges.fold((u64::MAX, 0), |(lo, hi), (a, b)| {
        (lo.min(u64::from(a)), hi.max(u64::from(b)))
    });
    let min_delay = ex.all_min(local_min);
    let max_delay = ex.all_max(local_max);
    (min_delay, max_delay)
}

/// One arena with a ring of `ring_slots` slots (a power of two > the maximum
/// delay) per chunk, in chunk order; chunks prefetch ring lines when the
/// arena does not stay in cache.
fn lay_out_rings(chunks: &mut [Chunk], ring_slots: u64) -> RingArena {
    let rings = RingArena::new(
        chunks
            .iter_mut()
            .map(|c| c.set_ring_slots(ring_slots))
            .collect(),
    );
    for c in chunks.iter_mut() {
        c.set_ring_prefetch(rings.misses_cache());
    }
    rings
}

/// The local delivery interval for a minimum delay (u64::MAX: no synapses).
fn local_interval(min_delay: u64) -> u64 {
    if min_delay == u64::MAX {
        MAX_EPOCH_STEPS
    } else {
        min_delay.max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connect;
    use crate::exchange::InProcess;
    use crate::spec::test_specs::{network, projection};
    use crate::spec::{ConnRule, Distribution};

    /// P0 (40) and P1 (30, two ring lanes: unequal synaptic time constants),
    /// chunks of 16, with delays from 0.3 ms (3 steps) up.
    fn delayed() -> NetworkSpec {
        let mut spec = network(11, &[40, 30], 16);
        spec.populations[1].params.insert("tau_syn_in".into(), 1.0);
        let w = Distribution::Normal {
            mean: 0.0,
            std: 30.0,
        };
        spec.projections = vec![
            projection(
                0,
                1,
                ConnRule::FixedIndegree { indegree: 6 },
                w.clone(),
                Distribution::Uniform {
                    low: 0.3,
                    high: 2.0,
                },
            ),
            projection(
                1,
                0,
                ConnRule::PairwiseBernoulli { p: 0.2 },
                w.clone(),
                Distribution::Constant(0.7),
            ),
            projection(
                1,
                1,
                ConnRule::FixedTotalNumber { n: 200 },
                w,
                Distribution::Uniform {
                    low: 0.9,
                    high: 2.5,
                },
            ),
        ];
        spec
    }

    fn build(spec: &NetworkSpec) -> Network {
        Network::build(spec, &|_| true, &mut InProcess)
    }

    #[test]
    fn epoch_steps_are_capped_and_never_below_the_local_interval() {
        let mut net = build(&delayed());
        let local = net.local_steps();
        assert_eq!(local, net.min_delay);
        assert!(local >= 3, "uniform delays start at 3 steps: {local}");
        assert_eq!(net.epoch_steps(), local, "default: the local interval");
        for (cross, want) in [
            (u64::MAX, MAX_EPOCH_STEPS),
            (MAX_EPOCH_STEPS + 1, MAX_EPOCH_STEPS),
            (MAX_EPOCH_STEPS, MAX_EPOCH_STEPS),
            (local + 4, local + 4),
            (local, local),
            (local - 1, local),
            (0, local),
        ] {
            net.set_epoch_steps(cross);
            assert_eq!(net.epoch_steps(), want, "cross-rank minimum delay {cross}");
        }
    }

    #[test]
    fn a_network_without_synapses_exchanges_every_max_epoch_steps() {
        let mut net = build(&network(1, &[10], 4));
        assert_eq!(
            (net.min_delay, net.local_steps()),
            (u64::MAX, MAX_EPOCH_STEPS)
        );
        net.set_epoch_steps(5);
        assert_eq!(net.epoch_steps(), MAX_EPOCH_STEPS);
    }

    #[test]
    #[should_panic(expected = "the epoch is fixed once the run started")]
    fn epoch_steps_cannot_change_once_the_run_started() {
        let mut net = build(&delayed());
        let mut out = EpochOutput::default();
        assert!(net.run_epoch(&mut InProcess, &mut out));
        net.set_epoch_steps(10);
    }

    /// `min_delay_from` decodes delays from ring offsets; the brute force
    /// regenerates every chunk's raw synapses and takes the minimum delay of
    /// those whose source is remote.
    #[test]
    fn min_delay_from_is_the_minimum_over_remote_sources() {
        let spec = delayed();
        let net = build(&spec);
        assert_eq!(net.chunks.iter().map(|c| c.n_lanes()).max(), Some(2));
        let all = layout::chunks(&spec);
        let mut raw = Vec::new();
        for c in &all {
            for (pi, p) in spec.projections.iter().enumerate() {
                if p.target == c.population {
                    let split = connect::split_total(&spec, pi, &all);
                    let nth = all
                        .iter()
                        .filter(|o| o.population == p.target && o.index < c.index)
                        .count();
                    connect::generate(&spec, pi, c, split.get(nth).copied().unwrap_or(0), &mut raw);
                }
            }
        }
        assert_eq!(raw.len() as u64, net.n_synapses());
        let brute = |is_remote: &dyn Fn(u32) -> bool| {
            raw.iter()
                .filter(|s| is_remote(s.source))
                .map(|s| u64::from(s.delay_steps))
                .min()
                .unwrap_or(u64::MAX)
        };
        let predicates: [(&str, &dyn Fn(u32) -> bool); 6] = [
            ("none", &|_| false),
            ("all", &|_| true),
            ("P0", &|g| g < 40),
            ("P1", &|g| g >= 40),
            ("odd", &|g| g % 2 == 1),
            ("three", &|g| [5, 44, 61].contains(&g)),
        ];
        for (name, is_remote) in predicates {
            assert_eq!(net.min_delay_from(is_remote), brute(is_remote), "{name}");
        }
        assert_eq!(net.min_delay_from(&|_| true), net.min_delay);
        assert_eq!(net.min_delay_from(&|_| false), u64::MAX);
    }
}
