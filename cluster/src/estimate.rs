//! The memory estimate of every rank of a run, from the spec, the rank
//! count and the partitioner alone (nothing built, no MPI): sim's per-chunk
//! estimate summed over each rank's chunks of the actual placement, plus what
//! only this crate knows — the process baseline, the partitioner's graph and
//! the recording (spike writers, the merge, state reports).
//!
//! The baseline was measured (peak RSS of a run of a 10-neuron network,
//! `scripts/memory_table.sh`): the binary with HDF5, rayon and the
//! allocator's arenas, and with MPI the Open MPI libraries and their
//! shared-memory segments. See cluster/DESIGN.md for the table of estimates
//! against measured peaks.

use brainsim_partition::{decompose, Decomposition, Partitioner};
use brainsim_sim::chunk_setup::reports;
use brainsim_sim::estimate::{estimate_network, Breakdown, NetworkEstimate, Phase};
use brainsim_sim::layout::ChunkInfo;
use brainsim_sim::spec::{ConnRule, NetworkSpec, RecordSpec};

const MIB: f64 = (1u64 << 20) as f64;
/// Peak RSS of a one-rank run without MPI of a 10-neuron network.
const BASELINE_SINGLE: f64 = 15.0 * MIB;
/// The same under `mpirun` (Open MPI libraries, shared-memory segments).
const BASELINE_MPI: f64 = 26.0 * MIB;
/// Each rayon thread (stack pages touched, its malloc arena).
const PER_THREAD: f64 = 1.0 * MIB;
/// Per recorded population of a spike writer, besides its buffers: the
/// HDF5 datasets and their chunk caches (measured on areas.toml).
const SPIKE_WRITER_PER_POPULATION: f64 = 0.5 * MIB;
/// Spikes a writer buffers per population, and a merge reads per stream.
const BUFFER_SPIKES: f64 = 65536.0;
/// Bytes per buffered spike (time f64, node id u64).
const BYTES_PER_SPIKE: f64 = 16.0;
/// Per (part file, population) stream of the merge, besides its block
/// (measured on areas.toml, 2 ranks x 32 populations: too little to see).
const MERGE_PER_STREAM: f64 = 0.05 * MIB;
/// Expected spikes of a run are counted this many times over (buffers).
const SPIKE_SAFETY: f64 = 10.0;
/// Rate (Hz) assumed for a population without `expected_rate`.
const DEFAULT_RATE_HZ: f64 = 5.0;
/// Share of the network's memory added for the allocator's slack and small
/// allocations not counted one by one (measured: the components alone came
/// within 1 % of the peak on the long-delay network).
const SLACK: f64 = 0.05;
/// A report writer's block buffer (4 MiB of f32) and HDF5 state.
const REPORT_WRITER: f64 = 5.0 * MIB;
/// Bytes per edge of the chunk graph while it is built: the raw edges and
/// their merged copy (24 bytes each).
const GRAPH_BUILD_PER_RAW_EDGE: f64 = 48.0;
/// Bytes per (directed, merged) edge while METIS runs: the graph (24), the
/// undirected list (16), then per undirected edge the scaled weight, the
/// CSR both ways and METIS's coarser graphs. Measured on the 2 M-neuron
/// network (15 M edges): 50 bytes per edge; 56 counted.
const METIS_PER_EDGE: f64 = 56.0;

/// What one rank of a run is estimated to need.
#[derive(Clone, Debug)]
pub struct RankEstimate {
    /// The rank.
    pub rank: usize,
    /// Neurons placed on it.
    pub neurons: u64,
    /// Expected synapses on it.
    pub synapses: f64,
    /// Its components.
    pub breakdown: Breakdown,
}

impl RankEstimate {
    /// The estimated peak resident bytes.
    pub fn bytes(&self) -> f64 {
        self.breakdown.total()
    }
}

/// Bytes per synapse of the largest plastic projection that rank 0 holds
/// while it writes the final weights (`weights::write_plastic_weights`):
/// the gathered synapses (4 f64) and their rows (u64, u64, f64, f64).
const FINAL_WEIGHTS_GATHERED: f64 = 64.0;
/// Bytes per local synapse any rank holds while it sends them: the
/// synapses (u32, u32, u32, f64 padded to 24) and their packed copy (32).
const FINAL_WEIGHTS_SENT: f64 = 56.0;

/// What the run looks like besides the spec.
#[derive(Clone, Copy, Debug)]
pub struct RunShape {
    /// Ranks.
    pub ranks: usize,
    /// Threads per rank.
    pub threads: usize,
    /// The chunks' placement.
    pub partitioner: Partitioner,
    /// Whether the final weights of the plastic projections are written
    /// (`--save-weights`): gathered on rank 0 at the end of the run.
    pub save_weights: bool,
}

/// The placement of a run and every rank's estimate.
pub struct Estimates {
    /// Which rank holds which chunk.
    pub decomposition: Decomposition,
    /// One per rank, in rank order.
    pub ranks: Vec<RankEstimate>,
    /// The per-chunk estimates they sum.
    pub network: NetworkEstimate,
}

/// The bytes of placing the chunks: METIS's graph when it is built (more
/// than one rank), else nothing.
pub fn partition_bytes(spec: &NetworkSpec, chunks: &[ChunkInfo], shape: RunShape) -> f64 {
    if shape.ranks <= 1 || shape.partitioner != Partitioner::Metis {
        return 0.0;
    }
    let mut per_pop = vec![0f64; spec.populations.len()];
    for c in chunks {
        per_pop[c.population] += 1.0;
    }
    // One raw edge per (source chunk, target chunk) of every projection
    // (one_to_one: the overlapping ones); merged edges at most as many.
    let raw: f64 = spec
        .projections
        .iter()
        .map(|p| {
            let (a, b) = (per_pop[p.source], per_pop[p.target]);
            match p.rule {
                ConnRule::OneToOne => a + b,
                _ => a * b,
            }
        })
        .sum();
    let pairs = chunks.len() as f64 * chunks.len() as f64;
    let merged = raw.min(pairs);
    (GRAPH_BUILD_PER_RAW_EDGE * raw).max(METIS_PER_EDGE * merged)
}

/// The spikes recorded: (bytes of one writer's buffers, of one merge
/// block), both bounded by the expected spikes of the run, and the number
/// of recorded populations.
fn spike_recording(spec: &NetworkSpec) -> (f64, f64, f64) {
    let recorded: Vec<usize> = match spec.records.iter().find_map(|r| match r {
        RecordSpec::Spikes { populations, .. } => Some(populations.clone()),
        _ => None,
    }) {
        Some(p) => p,
        None if spec.records.is_empty() => (0..spec.populations.len()).collect(),
        None => Vec::new(),
    };
    let (mut writer, mut block) = (0.0, 0.0);
    for &p in &recorded {
        let pop = &spec.populations[p];
        let rate = pop.expected_rate.unwrap_or(DEFAULT_RATE_HZ);
        let spikes = f64::from(pop.size) * rate * spec.simulation.t_stop * 1e-3 * SPIKE_SAFETY;
        let buffered = BYTES_PER_SPIKE * spikes.min(BUFFER_SPIKES);
        // The writer's two buffers (time, id); a merge block per stream.
        writer += SPIKE_WRITER_PER_POPULATION + buffered;
        block = f64::max(block, buffered);
    }
    (writer, block, recorded.len() as f64)
}

/// The spike writers, the merge (rank 0 of several) and the state reports.
fn recording_bytes(spec: &NetworkSpec, rank: usize, ranks: usize) -> f64 {
    let (writer, block, pops) = spike_recording(spec);
    let mut bytes = writer;
    if rank == 0 && ranks > 1 {
        // The merge runs after this rank's writer is closed.
        bytes += (ranks as f64 * pops) * (MERGE_PER_STREAM + block);
    }
    if rank == 0 {
        for r in reports(spec) {
            // The writer, and an epoch's samples (4 f64 each) gathered, sorted.
            let per_epoch = r.node_ids.len() as f64 * (100.0 / r.interval_steps as f64).ceil();
            bytes += REPORT_WRITER + 3.0 * 32.0 * per_epoch;
        }
    }
    bytes
}

/// What writing the final weights adds to `rank`'s peak, at the end of the
/// run, when everything else is still resident: rank 0 gathers the
/// largest plastic projection whole; every rank first sends its part of
/// it, at most its `local` synapses.
fn final_weights_bytes(spec: &NetworkSpec, rank: usize, local: f64) -> f64 {
    let largest = (0..spec.projections.len())
        .filter(|&p| spec.projections[p].plastic.is_some())
        .map(|p| brainsim_sim::connect::expected_synapses(spec, p))
        .fold(0.0, f64::max);
    let sent = FINAL_WEIGHTS_SENT * largest.min(local);
    if rank == 0 {
        sent.max(FINAL_WEIGHTS_GATHERED * largest)
    } else {
        sent
    }
}

/// A rank's estimate: sim's share of its chunks plus this crate's parts.
fn rank_estimate(
    spec: &NetworkSpec,
    net: &NetworkEstimate,
    d: &Decomposition,
    rank: usize,
    shape: RunShape,
    partition: f64,
) -> RankEstimate {
    let is_local = |c: &ChunkInfo| d.rank_of_chunk(c.index) == rank;
    let mut breakdown = net.rank_breakdown(spec, &is_local, shape.threads, shape.ranks);
    let baseline = if shape.ranks > 1 {
        BASELINE_MPI
    } else {
        BASELINE_SINGLE
    };
    breakdown.add(
        "recording",
        Phase::Run,
        recording_bytes(spec, rank, shape.ranks),
    );
    if shape.save_weights {
        let local = net.synapses(&is_local);
        let bytes = final_weights_bytes(spec, rank, local);
        breakdown.add("final weights", Phase::Run, bytes);
    }
    let slack = SLACK * breakdown.total();
    breakdown.add("allocator slack", Phase::Always, slack);
    breakdown.add(
        "process baseline",
        Phase::Process,
        baseline + PER_THREAD * shape.threads as f64,
    );
    breakdown.add("partition graph", Phase::Partition, partition);
    RankEstimate {
        rank,
        neurons: net
            .chunks
            .iter()
            .filter(|c| is_local(c))
            .map(|c| u64::from(c.len))
            .sum(),
        synapses: net.synapses(&is_local),
        breakdown,
    }
}

/// Why there is no estimate per rank.
#[derive(Debug)]
pub enum EstimateError {
    /// The partitioner failed.
    Partitioner(String),
    /// Partitioning alone would take more than the limit (bytes, with the
    /// baseline): the graph is not built.
    GraphTooLarge(f64),
}

/// Places the chunks as the run will (`partition::decompose`) and estimates
/// every rank — unless building METIS's graph would already take more than
/// `limit` bytes.
pub fn estimate_ranks(
    spec: &NetworkSpec,
    shape: RunShape,
    limit: Option<f64>,
) -> Result<Estimates, EstimateError> {
    let net = estimate_network(spec);
    let partition = partition_bytes(spec, &net.chunks, shape);
    let before = partition + BASELINE_MPI;
    if limit.is_some_and(|l| partition > 0.0 && before > l) {
        return Err(EstimateError::GraphTooLarge(before));
    }
    let decomposition = decompose(spec, &net.chunks, shape.ranks, shape.partitioner)
        .map_err(EstimateError::Partitioner)?;
    let ranks = (0..shape.ranks.max(1))
        .map(|r| rank_estimate(spec, &net, &decomposition, r, shape, partition))
        .collect();
    Ok(Estimates {
        decomposition,
        ranks,
        network: net,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use std::path::Path;

    use super::*;

    /// 400 neurons in chunks of 50, 16,000 static E -> E synapses
    /// (indegree 40).
    pub(crate) const NET: &str = r#"[simulation]
dt = 0.1
t_stop = 10.0
chunk_size = 50

[[population]]
name = "E"
size = 400
model = "iaf_psc_exp"

[[projection]]
source = "E"
target = "E"
rule = "fixed_indegree"
indegree = 40
weight = 20.0
delay = 1.5
"#;

    /// The estimates of the network `toml` on `ranks` ranks (1 thread,
    /// round robin).
    pub(crate) fn estimates_of(toml: &str, ranks: usize, save_weights: bool) -> Estimates {
        let cfg = brainsim_io::config::parse(Path::new("net.toml"), toml).unwrap();
        let shape = RunShape {
            ranks,
            threads: 1,
            partitioner: Partitioner::RoundRobin,
            save_weights,
        };
        estimate_ranks(&cfg.spec, shape, None).unwrap()
    }

    /// With `NET`, 40,000 plastic E -> E synapses (indegree 100): 28,000
    /// synapses on each of 2 ranks.
    const PLASTIC: &str = r#"
[[projection]]
source = "E"
target = "E"
rule = "fixed_indegree"
indegree = 100
weight = 20.0
delay = 1.5
synapse_model = "stdp_pl_synapse_hom"
"#;

    /// The final weights' bytes of each rank (None: no such component).
    fn final_weights(save_weights: bool) -> Vec<Option<f64>> {
        let est = estimates_of(&format!("{NET}{PLASTIC}"), 2, save_weights);
        est.ranks
            .iter()
            .map(|r| {
                let c = r.breakdown.components.iter();
                c.filter(|c| c.name == "final weights")
                    .map(|c| c.bytes)
                    .next()
            })
            .collect()
    }

    /// With --save-weights rank 0 counts the plastic projection gathered
    /// (64 bytes x 40,000 synapses) and rank 1 its part sent, at most its
    /// own synapses (56 x 28,000, below 56 x the projection's 40,000);
    /// without, no rank counts anything.
    #[test]
    fn saved_weights_are_counted_where_they_are_gathered() {
        assert_eq!(final_weights(false), vec![None, None]);
        let got = final_weights(true);
        assert_eq!(got, vec![Some(64.0 * 40_000.0), Some(56.0 * 28_000.0)]);
    }
}
