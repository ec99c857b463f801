//! Memory estimate of a network before anything is allocated: per chunk, what
//! `Network::build` will hold for it (synapse store, row index, ring, neurons,
//! device inputs), and per rank, the sum over the rank's chunks plus what the
//! build and the run hold besides (per-thread build scratch, exchange routes,
//! spike buffers), each component tagged with the phase in which it is
//! resident. cluster/ adds the process baseline, recording and partitioning,
//! and decides whether a run fits.
//!
//! Exact where the spec fixes the value (deterministic connection rules and
//! fixed_total_number's split, constant or uniform delays, `BigBuf`'s
//! huge-page rounding); an upper bound where it depends on the draws:
//! - random synapse counts (fixed_outdegree, pairwise_bernoulli): mean + 3 sd
//!   per chunk;
//! - the largest delay or |weight| of a normal or lognormal distribution over
//!   n synapses: location + scale x sqrt(2 ln(100 n)), which n draws exceed
//!   with probability below about 1 % — n = the projection's synapses for
//!   the ring (its slots follow the network's largest delay), the chunk's
//!   for its store's layout;
//! - packed (5 bytes) or wide (8 bytes) synapses: `SynapseStore::build`'s own
//!   rule (`synapse::packed_off_bits`) applied to the largest ring offset and
//!   the largest fixed-point weight those bounds allow, the fixed-point scale
//!   taken from 0.9 x the mean per-target input (the store takes the largest
//!   per-target input, so its scale can only be coarser). Predicted packed
//!   therefore means packed; otherwise 8 bytes per synapse are counted;
//! - dense or sparse row index: by the expected number of distinct sources;
//!   dense (the larger) unless they are below 0.9 x the threshold.
//!
//! Phases: the peak of a rank is the process baseline plus the larger of
//! partitioning (before anything is built) and what the network always
//! holds (neurons, inputs, stores, routes) plus the larger of two
//! transients: the build's per-thread scratch (freed before the rings
//! exist) and the run's (rings, exchange set-up, recording).
//! `Breakdown::total` adds them that way.

use crate::bigbuf;
use crate::chunk::Probe;
use crate::chunk_setup::{population_lanes, reports, train_steps};
use crate::connect::{split_total, RawSynapse};
use crate::exchange::Spike;
use crate::layout::{self, ChunkInfo};
use crate::model;
use crate::spec::{ConnRule, Distribution, NetworkSpec, StimulusKind};
use crate::stimulus::{device_cost, max_repeats, poisson_cost};
use crate::synapse::{self, fixed_scale_for, packed_off_bits, round_half_away, SPARSE_BELOW};

/// Standard deviations added to a random synapse count.
const SIGMAS: f64 = 3.0;
/// The tail bound of n draws is taken at 1 / (TAIL_MARGIN n).
const TAIL_MARGIN: f64 = 100.0;
/// Dense row index unless the expected sources are below this share of the
/// threshold (dense is the larger, so near the threshold it is assumed).
const DENSE_MARGIN: f64 = 0.9;
/// Share of the mean per-target input taken as the lower bound of the
/// largest one (fixed-point scale for the packed prediction).
const BOUND_MARGIN: f64 = 0.9;
/// Per chunk besides its arrays: the `Chunk`, its boxed model, Vec headers,
/// the scheduler's entry, the chunk list and decomposition entries.
const CHUNK_OVERHEAD: usize = 1024;
/// Rate (Hz) assumed for a population without `expected_rate`.
const DEFAULT_RATE_HZ: f64 = 5.0;
/// Spike buffers are sized for this many times the expected spikes.
const SPIKE_BUFFER_SAFETY: f64 = 10.0;
/// Longest epoch (steps), as `network::MAX_EPOCH_STEPS`.
const MAX_EPOCH_STEPS: f64 = 100.0;

/// What one chunk will hold once built.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ChunkEstimate {
    /// Expected incoming synapses (exact for deterministic rules).
    pub synapses: f64,
    /// Upper bound of the incoming synapses (mean + 3 sd for random counts).
    pub synapses_high: f64,
    /// Predicted packed layout (5 bytes per synapse).
    pub packed: bool,
    /// Bytes of the synapses themselves (`BigBuf` footprint).
    pub synapse_bytes: usize,
    /// Predicted dense row index (4 bytes per gid of the network).
    pub dense_index: bool,
    /// Bytes of the row index.
    pub index_bytes: usize,
    /// Expected distinct source gids.
    pub sources: f64,
    /// Ring entries (i32): slots x lanes x neurons.
    pub ring_entries: usize,
    /// Neuron state, probes and per-chunk bookkeeping.
    pub neuron_bytes: usize,
    /// Device inputs (Poisson targets, counts and tables, DC, spike trains).
    pub input_bytes: usize,
}

/// The per-chunk estimates of a whole network.
#[derive(Clone, Debug)]
pub struct NetworkEstimate {
    /// All chunks, in gid order.
    pub chunks: Vec<ChunkInfo>,
    /// One estimate per chunk, same order.
    pub per_chunk: Vec<ChunkEstimate>,
    /// Upper bound of the largest delay (steps) of any synapse.
    pub max_delay_steps: u64,
    /// Ring slots: `(max_delay_steps + 1).next_power_of_two()`.
    pub ring_slots: u64,
    /// Neurons in the network.
    pub n_gids: u64,
}

/// When a component is resident (see the module notes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// The whole life of the process (its baseline).
    Process,
    /// From the build to the end of the run.
    Always,
    /// While the chunks are placed (before the build).
    Partition,
    /// While the synapses are generated (freed before the rings exist).
    Build,
    /// From the rings' allocation to the end.
    Run,
}

impl Phase {
    /// The name printed by `brainsim check`.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Process => "process",
            Phase::Always => "always",
            Phase::Partition => "partition",
            Phase::Build => "build",
            Phase::Run => "run",
        }
    }
}

/// One line of a breakdown.
#[derive(Clone, Debug, PartialEq)]
pub struct Component {
    /// What it is.
    pub name: &'static str,
    /// When it is resident.
    pub phase: Phase,
    /// Bytes.
    pub bytes: f64,
}

/// A rank's estimated memory, component by component.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Breakdown {
    /// The components, in the order they were added.
    pub components: Vec<Component>,
}

impl Breakdown {
    /// Adds a component.
    pub fn add(&mut self, name: &'static str, phase: Phase, bytes: f64) {
        self.components.push(Component { name, phase, bytes });
    }

    /// Bytes of the components of one phase.
    pub fn phase_bytes(&self, phase: Phase) -> f64 {
        self.components
            .iter()
            .filter(|c| c.phase == phase)
            .map(|c| c.bytes)
            .sum()
    }

    /// The estimated peak: the process's baseline plus either partitioning
    /// (before anything is built) or what the network always holds plus the
    /// larger of the build's and the run's transients.
    pub fn total(&self) -> f64 {
        let [partition, always, build, run] =
            [Phase::Partition, Phase::Always, Phase::Build, Phase::Run]
                .map(|p| self.phase_bytes(p));
        self.phase_bytes(Phase::Process) + partition.max(always + build.max(run))
    }
}

/// sqrt(2 ln(TAIL_MARGIN n)): the standard scores n normal draws stay below
/// with probability of about 99 %.
fn tail_z(n: f64) -> f64 {
    (2.0 * (TAIL_MARGIN * n.max(1.0)).ln()).sqrt()
}

/// Upper bound of |x| over `n` draws of `d` (see the module notes).
fn high_abs(d: &Distribution, n: f64) -> f64 {
    match *d {
        Distribution::Constant(v) => v.abs(),
        Distribution::Uniform { low, high } => low.abs().max(high.abs()),
        Distribution::Normal { mean, std } => mean.abs() + std * tail_z(n),
        Distribution::Lognormal { mu, sigma } => (mu + sigma * tail_z(n)).exp(),
    }
}

/// Lower bound of the mean |x| of `d` as `WeightSampler` draws it (values
/// redrawn to keep the sign of the location only move away from zero).
fn mean_abs_low(d: &Distribution) -> f64 {
    match *d {
        Distribution::Constant(v) => v.abs(),
        Distribution::Uniform { low, high } => {
            let mid = 0.5 * (low + high);
            if mid != 0.0 || high <= low {
                mid.abs()
            } else {
                (low * low + high * high) / (2.0 * (high - low))
            }
        }
        Distribution::Normal { mean: 0.0, std } => std * (2.0 / std::f64::consts::PI).sqrt(),
        Distribution::Normal { mean, .. } => mean.abs(),
        Distribution::Lognormal { mu, sigma } => (mu + 0.5 * sigma * sigma).exp(),
    }
}

/// Upper bound of the largest delay (steps) of `n` draws, rounded as
/// `DelaySampler::sample_steps` rounds.
fn delay_high_steps(d: &Distribution, dt: f64, n: f64) -> u32 {
    ((high_abs(d, n) / dt + 0.5) as u32).max(1)
}

/// What every chunk needs of each projection and population, computed once.
struct Ctx {
    /// Per projection: fixed_total_number's split over the target chunks.
    splits: Vec<Vec<u64>>,
    /// Per population: index of its first chunk.
    first_chunk: Vec<usize>,
    /// Per population: ring lanes.
    lanes: Vec<usize>,
    /// Per stimulus: the most one step brings a target (pA) and the bytes of
    /// its tables (Poisson only).
    devices: Vec<(f64, usize, usize)>,
    ring_slots: u64,
}

/// Upper bound of the largest delay (steps) of any synapse of `spec`: what
/// the ranks agree on after the build (0 without synapses).
pub fn max_delay_steps(spec: &NetworkSpec) -> u64 {
    (0..spec.projections.len())
        .map(|p| (p, crate::connect::expected_synapses(spec, p)))
        .filter(|&(_, n)| n > 0.0)
        .map(|(p, n)| {
            let d = &spec.projections[p].delay;
            let dt = spec.simulation.dt;
            // A procedural row may hold any delay its distribution allows.
            u64::from(if spec.projections[p].procedural {
                crate::dist::DelaySampler::new(d, dt).bounds_steps().1
            } else {
                delay_high_steps(d, dt, n)
            })
        })
        .max()
        .unwrap_or(0)
}

/// The most one step of each stimulus brings a target, the bytes a chunk it
/// targets holds besides its targets (tables, spike steps, struct) and the
/// bytes per target.
fn device_costs(spec: &NetworkSpec) -> Vec<(f64, usize, usize)> {
    let sim = &spec.simulation;
    spec.stimuli
        .iter()
        .map(|st| match &st.kind {
            StimulusKind::PoissonGenerator { rate, weight, .. } => {
                let (most, bytes) = poisson_cost(rate * sim.dt * 1e-3, *weight, 0);
                (most, bytes, 8)
            }
            StimulusKind::SpikeGenerator {
                spike_times,
                weight,
                delay,
            } => {
                let steps = train_steps(sim, spike_times, *delay);
                (
                    max_repeats(&steps) as f64 * weight.abs(),
                    steps.len() * 8 + 64,
                    4,
                )
            }
            StimulusKind::DcGenerator { .. } => (0.0, 64, 4),
            kind => device_cost(sim, kind),
        })
        .collect()
}

impl Ctx {
    fn new(spec: &NetworkSpec, chunks: &[ChunkInfo]) -> Self {
        let reps = reports(spec);
        let n_pops = spec.populations.len();
        Ctx {
            splits: (0..spec.projections.len())
                .map(|p| split_total(spec, p, chunks))
                .collect(),
            first_chunk: (0..n_pops)
                .map(|p| chunks.iter().position(|c| c.population == p).unwrap_or(0))
                .collect(),
            lanes: (0..n_pops)
                .map(|p| population_lanes(spec, p, &reps))
                .collect(),
            devices: device_costs(spec),
            ring_slots: (max_delay_steps(spec) + 1).next_power_of_two(),
        }
    }
}

/// Expected synapses of projection `pi` onto chunk `c` and their variance.
fn projection_count(spec: &NetworkSpec, ctx: &Ctx, pi: usize, c: &ChunkInfo) -> (f64, f64) {
    let p = &spec.projections[pi];
    let ns = f64::from(spec.populations[p.source].size);
    let nt = f64::from(spec.populations[p.target].size);
    let len = f64::from(c.len);
    let autapses = if p.source == p.target && !p.allow_autapses {
        len
    } else {
        0.0
    };
    match p.rule {
        ConnRule::AllToAll => (ns * len - autapses, 0.0),
        ConnRule::OneToOne => (len - autapses, 0.0),
        ConnRule::FixedIndegree { indegree } => (indegree as f64 * len, 0.0),
        ConnRule::FixedTotalNumber { .. } => {
            let nth = c.index - ctx.first_chunk[c.population];
            let share = ctx.splits[pi].get(nth).copied().unwrap_or(0);
            (share as f64, 0.0)
        }
        ConnRule::FixedOutdegree { outdegree } => {
            let f = len / nt;
            let m = outdegree as f64 * ns * f;
            (m, m * (1.0 - f))
        }
        ConnRule::PairwiseBernoulli { p: prob } => {
            let pairs = ns * len - autapses;
            (prob * pairs, prob * (1.0 - prob) * pairs)
        }
    }
}

/// What the projections onto one chunk add up to.
#[derive(Default)]
struct Incoming {
    mean: f64,
    var: f64,
    /// Expected sum of |w| per target (pA).
    input: f64,
    max_abs_w: f64,
    max_delay: u32,
    /// Per source population: all sources, one-to-one sources, synapses
    /// from uniformly drawn sources.
    by_source: Vec<(bool, f64, f64)>,
}

impl Incoming {
    fn of(spec: &NetworkSpec, ctx: &Ctx, c: &ChunkInfo) -> Self {
        let mut inc = Incoming {
            by_source: vec![(false, 0.0, 0.0); spec.populations.len()],
            ..Default::default()
        };
        for (pi, p) in spec.projections.iter().enumerate() {
            // Procedural rows are not stored (`procedural_bytes`).
            if p.target != c.population || p.procedural {
                continue;
            }
            let (mean, var) = projection_count(spec, ctx, pi, c);
            if mean <= 0.0 {
                continue;
            }
            inc.mean += mean;
            inc.var += var;
            inc.input += mean / f64::from(c.len) * mean_abs_low(&p.weight);
            // The chunk's own draws: its largest |w| and delay set its layout.
            let draws = mean + SIGMAS * var.sqrt();
            inc.max_abs_w = inc.max_abs_w.max(high_abs(&p.weight, draws));
            let d = delay_high_steps(&p.delay, spec.simulation.dt, draws);
            inc.max_delay = inc.max_delay.max(d);
            let s = &mut inc.by_source[p.source];
            match p.rule {
                ConnRule::AllToAll => s.0 = true,
                ConnRule::OneToOne => s.1 += mean,
                _ => s.2 += mean,
            }
        }
        inc
    }

    /// Expected distinct source gids.
    fn sources(&self, spec: &NetworkSpec) -> f64 {
        self.by_source
            .iter()
            .zip(&spec.populations)
            .map(|(&(all, o2o, drawn), pop)| {
                let ns = f64::from(pop.size);
                if all {
                    ns
                } else {
                    (o2o + ns * -(-drawn / ns).exp_m1()).min(ns)
                }
            })
            .sum()
    }
}

/// `SynapseStore::build`'s layout decision for bounds of the chunk's largest
/// delay, |weight| and (from below) per-target input: packed only if packed
/// under those bounds.
fn predict_packed(n_targets: u32, lanes: usize, inc: &Incoming, device_input: f64) -> bool {
    let max_offset = ((u64::from(inc.max_delay) + 1) * lanes as u64 * u64::from(n_targets))
        .saturating_sub(1)
        .min(u64::from(u32::MAX)) as u32;
    let scale = fixed_scale_for(BOUND_MARGIN * (inc.input + device_input));
    let w = inc.max_abs_w * scale;
    if w >= f64::from(i32::MAX) {
        return false;
    }
    packed_off_bits(max_offset, i64::from(round_half_away(w))).is_some()
}

/// The chunk's device inputs: bytes, and the most all its neurons get from
/// devices in one step (devices targeting a subset are left out: a lower
/// bound of the largest per-neuron input).
fn chunk_devices(spec: &NetworkSpec, ctx: &Ctx, c: &ChunkInfo) -> (usize, f64) {
    let lo = c.first_in_population(spec);
    let (mut bytes, mut uniform) = (0, 0.0);
    for (st, &(most, table_bytes, per_target)) in spec.stimuli.iter().zip(&ctx.devices) {
        if st.target != c.population {
            continue;
        }
        let m = match &st.node_ids {
            None => c.len as usize,
            Some(ids) => ids.iter().filter(|&&i| i >= lo && i < lo + c.len).count(),
        };
        if m == 0 {
            continue;
        }
        bytes += table_bytes + per_target * m;
        if st.node_ids.is_none() {
            uniform += most;
        }
    }
    (bytes, uniform)
}

/// Probes of the chunk (one per recorded neuron and variable).
fn chunk_probes(spec: &NetworkSpec, c: &ChunkInfo) -> usize {
    let lo = c.first_in_population(spec);
    reports(spec)
        .iter()
        .filter(|r| r.population == c.population)
        .map(|r| {
            r.node_ids
                .iter()
                .filter(|&&i| i >= lo && i < lo + c.len)
                .count()
        })
        .sum()
}

fn chunk_estimate(spec: &NetworkSpec, ctx: &Ctx, c: &ChunkInfo) -> ChunkEstimate {
    let n_gids = spec.n_neurons() as usize;
    let lanes = ctx.lanes[c.population];
    let inc = Incoming::of(spec, ctx, c);
    let (input_bytes, device_input) = chunk_devices(spec, ctx, c);
    let high = inc.mean + SIGMAS * inc.var.sqrt();
    let n = high.ceil() as usize;
    let packed = n == 0 || predict_packed(c.len, lanes, &inc, device_input);
    let sources = inc.sources(spec);
    // The number of distinct sources is random (its variance is at most its
    // mean); deciding on an upper bound keeps a predicted sparse index sparse.
    let sources_high = (sources + SIGMAS * sources.sqrt()).min(high.max(sources));
    let dense_index = sources_high * SPARSE_BELOW as f64 >= DENSE_MARGIN * n_gids as f64;
    let used = sources_high.ceil() as usize;
    let m = model::lookup(&spec.populations[c.population].model);
    let per_neuron = m.map(|m| m.bytes_per_neuron).unwrap_or(64);
    ChunkEstimate {
        synapses: inc.mean,
        synapses_high: high,
        packed,
        synapse_bytes: bigbuf::footprint(synapse::storage_bytes(n, packed))
            + plastic_extra_bytes(spec, ctx, c)
            + procedural_bytes(spec, c),
        dense_index,
        index_bytes: if dense_index {
            4 * (n_gids + 1)
        } else {
            4 * (2 * used + 1)
        },
        sources,
        ring_entries: ctx.ring_slots as usize * lanes * c.len as usize,
        neuron_bytes: per_neuron * c.len as usize
            + CHUNK_OVERHEAD
            + chunk_probes(spec, c) * std::mem::size_of::<Probe>(),
        input_bytes,
    }
}

/// What the plastic projections onto `c` cost beyond what the static store
/// counts for their synapses: 12 bytes per synapse in a `PlasticStore`
/// (counted as static synapses above, at least 5), its rows (a source, a
/// row start and a `RowState` each, at most one per synapse or source), its
/// K_minus memo (one per neuron), its table from source gid to row (4 bytes
/// per source of the population) and, when a rule reads it, a spike
/// history per neuron (its `Vec`, plus entries that trimming keeps: counted
/// as 16 spikes of 24 bytes) with its flat block of recent entries
/// (`plastic::recent`).
fn plastic_extra_bytes(spec: &NetworkSpec, ctx: &Ctx, c: &ChunkInfo) -> usize {
    let mut bytes = 0.0;
    let mut history = false;
    for (pi, p) in spec.projections.iter().enumerate() {
        let Some(ps) = p.plastic else { continue };
        if p.target != c.population {
            continue;
        }
        let (mean, var) = projection_count(spec, ctx, pi, c);
        let n = mean + SIGMAS * var.sqrt();
        let rows = n.min(f64::from(spec.populations[p.source].size));
        bytes += n * 7.0 + rows * (8.0 + std::mem::size_of::<crate::plastic::RowState>() as f64);
        bytes += 4.0 * f64::from(spec.populations[p.source].size);
        if ps.rule.reads_history() {
            // The store's K_minus memo, one per neuron of the chunk.
            let memo = std::mem::size_of::<crate::plastic::memo::KMemo>();
            bytes += f64::from(c.len) * memo as f64;
        }
        history |= ps.rule.reads_history();
    }
    if history {
        let entry = std::mem::size_of::<crate::plastic::history::Entry>();
        let recent = (crate::plastic::recent::RECENT * entry) as f64;
        bytes += f64::from(c.len) * (24.0 + 16.0 * 24.0 + recent);
    }
    bytes.ceil() as usize
}

/// What the procedural projections onto chunk `c` hold: the generator, one
/// count per source (fixed_total_number) or per target chunk
/// (fixed_outdegree).
fn procedural_bytes(spec: &NetworkSpec, c: &ChunkInfo) -> usize {
    let chunk_size = spec.simulation.chunk_size as u32;
    spec.projections
        .iter()
        .filter(|p| p.procedural && p.target == c.population)
        .map(|p| {
            let per = match p.rule {
                ConnRule::FixedTotalNumber { .. } => spec.populations[p.source].size,
                ConnRule::FixedOutdegree { .. } => {
                    spec.populations[p.target].size.div_ceil(chunk_size)
                }
                _ => 0,
            };
            std::mem::size_of::<crate::connect::procedural::ProceduralRows>() + 4 * per as usize
        })
        .sum()
}

/// The estimate of every chunk of `spec` (O(chunks x projections), nothing
/// drawn but fixed_total_number's split).
pub fn estimate_network(spec: &NetworkSpec) -> NetworkEstimate {
    let chunks = layout::chunks(spec);
    let ctx = Ctx::new(spec, &chunks);
    let per_chunk = chunks
        .iter()
        .map(|c| chunk_estimate(spec, &ctx, c))
        .collect();
    NetworkEstimate {
        chunks,
        per_chunk,
        max_delay_steps: max_delay_steps(spec),
        ring_slots: ctx.ring_slots,
        n_gids: spec.n_neurons(),
    }
}

impl NetworkEstimate {
    /// Expected synapses of the chunks for which `is_local` holds.
    pub fn synapses(&self, is_local: &dyn Fn(&ChunkInfo) -> bool) -> f64 {
        self.local(is_local).map(|(_, e)| e.synapses).sum()
    }

    fn local<'a>(
        &'a self,
        is_local: &'a dyn Fn(&ChunkInfo) -> bool,
    ) -> impl Iterator<Item = (&'a ChunkInfo, &'a ChunkEstimate)> + 'a {
        self.chunks
            .iter()
            .zip(&self.per_chunk)
            .filter(move |(c, _)| is_local(c))
    }

    /// The network's part of a rank's memory: the chunks for which
    /// `is_local` holds, built by `threads` threads, one of `ranks` ranks.
    pub fn rank_breakdown(
        &self,
        spec: &NetworkSpec,
        is_local: &dyn Fn(&ChunkInfo) -> bool,
        threads: usize,
        ranks: usize,
    ) -> Breakdown {
        let sum = |f: &dyn Fn(&ChunkEstimate) -> usize| -> f64 {
            self.local(is_local).map(|(_, e)| f(e) as f64).sum()
        };
        let n = self.n_gids as f64;
        let neurons: f64 = self.local(is_local).map(|(c, _)| f64::from(c.len)).sum();
        let mut b = Breakdown::default();
        b.add("neurons", Phase::Always, sum(&|e| e.neuron_bytes));
        b.add("device inputs", Phase::Always, sum(&|e| e.input_bytes));
        b.add("synapses", Phase::Always, sum(&|e| e.synapse_bytes));
        b.add("row indexes", Phase::Always, sum(&|e| e.index_bytes));
        // Routes: a u32 per gid plus one per (own neuron, other rank needing it).
        let requests = neurons * (ranks.max(1) - 1) as f64;
        b.add("exchange routes", Phase::Always, 4.0 * (n + 1.0 + requests));
        b.add(
            "build scratch",
            Phase::Build,
            self.build_scratch(is_local, threads),
        );
        let ring = bigbuf::footprint(4 * sum(&|e| e.ring_entries) as usize);
        b.add("ring buffers", Phase::Run, ring as f64);
        // `needed_sources` (a bool per gid, then the gids) and the requests
        // sent and received while the routes are set up.
        b.add("exchange setup", Phase::Run, n + 4.0 * n * 3.0);
        b.add("spike buffers", Phase::Run, spike_buffer_bytes(spec));
        b
    }

    /// Per thread, the largest chunk's raw synapses plus
    /// `SynapseStore::build`'s temporaries (row starts and their copy over
    /// all gids, the per-target bound). The raw Vec grows by doubling, but
    /// only its written part is resident (large reallocations are remapped,
    /// not copied), so its length counts, not its capacity.
    fn build_scratch(&self, is_local: &dyn Fn(&ChunkInfo) -> bool, threads: usize) -> f64 {
        let (mut chunks, mut largest, mut len) = (0usize, 0usize, 0u32);
        for (c, e) in self.local(is_local) {
            chunks += 1;
            largest = largest.max(e.synapses_high.ceil() as usize);
            len = len.max(c.len);
        }
        let raw = largest * std::mem::size_of::<RawSynapse>();
        let per_thread = raw + 8 * (self.n_gids as usize + 1) + 8 * len as usize;
        (threads.max(1).min(chunks) * per_thread) as f64
    }
}

/// Pending, received and gathered spikes of an epoch (all gids at their
/// expected rates, `SPIKE_BUFFER_SAFETY` times over) and the chunks' copies.
fn spike_buffer_bytes(spec: &NetworkSpec) -> f64 {
    let epoch_s = MAX_EPOCH_STEPS * spec.simulation.dt * 1e-3;
    let spikes: f64 = spec
        .populations
        .iter()
        .map(|p| f64::from(p.size) * p.expected_rate.unwrap_or(DEFAULT_RATE_HZ) * epoch_s)
        .sum();
    4.0 * SPIKE_BUFFER_SAFETY * spikes * std::mem::size_of::<Spike>() as f64
}

#[cfg(test)]
mod tests;
