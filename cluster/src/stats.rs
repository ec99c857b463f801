//! Per-rank figures of a run (synapses, spikes, traffic, timers), gathered to
//! rank 0 in one fixed-length vector per rank and folded into the metadata.
//!
//! Invariant: every rank packs the same fields in the same order (`pack`), so
//! rank 0 can cut the gathered vector into equal slices. Counts travel as f64,
//! exact below 2^53.

use std::collections::BTreeMap;

use brainsim_io::metadata::{PopulationSummary, RunMetadata, TimerStats};
use brainsim_sim::spec::NetworkSpec;
use brainsim_sim::{Network, Timers};

use crate::memory;
use crate::shard::Shard;

/// What one rank contributes to the run's metadata.
#[derive(Clone, Debug, Default)]
pub struct RankStats {
    /// Synapses held by this rank.
    pub synapses: u64,
    /// Bytes of those synapses (store and row index).
    pub synapse_bytes: u64,
    /// Spike packets sent to other ranks.
    pub spikes_sent: u64,
    /// Bytes sent to other ranks.
    pub bytes_sent: u64,
    /// Synaptic events delivered on this rank.
    pub events: u64,
    /// Peak resident set size of this rank's process.
    pub peak_rss_bytes: u64,
    /// Wall seconds of placement and build.
    pub build_seconds: f64,
    /// Wall seconds of the epoch loop.
    pub simulate_seconds: f64,
    /// NEST-named phase timers.
    pub timers: Timers,
    /// Local spikes per population.
    pub spikes_per_population: Vec<u64>,
}

const FIXED: usize = 8;
const N_TIMERS: usize = 7;

impl RankStats {
    /// This rank's figures at the end of the run.
    pub fn of(shard: &Shard, spikes_per_population: Vec<u64>, simulate_seconds: f64) -> Self {
        let net = &shard.net;
        RankStats {
            synapses: net.n_synapses(),
            synapse_bytes: net.synapse_bytes(),
            spikes_sent: shard.exchange.spikes_sent,
            bytes_sent: shard.exchange.bytes_sent,
            events: net.events(),
            peak_rss_bytes: memory::peak_rss_bytes(),
            build_seconds: shard.build_seconds,
            simulate_seconds,
            timers: net.timers.clone(),
            spikes_per_population,
        }
    }

    /// The figures as one vector of fixed layout (see the invariant).
    pub fn pack(&self) -> Vec<f64> {
        let mut v = vec![
            self.synapses as f64,
            self.synapse_bytes as f64,
            self.spikes_sent as f64,
            self.bytes_sent as f64,
            self.events as f64,
            self.peak_rss_bytes as f64,
            self.build_seconds,
            self.simulate_seconds,
        ];
        v.extend(self.timers.as_pairs().iter().map(|p| p.1));
        v.extend(self.spikes_per_population.iter().map(|&n| n as f64));
        v
    }

    fn unpack(v: &[f64], n_populations: usize) -> RankStats {
        let t = &v[FIXED..FIXED + N_TIMERS];
        RankStats {
            synapses: v[0] as u64,
            synapse_bytes: v[1] as u64,
            spikes_sent: v[2] as u64,
            bytes_sent: v[3] as u64,
            events: v[4] as u64,
            peak_rss_bytes: v[5] as u64,
            build_seconds: v[6],
            simulate_seconds: v[7],
            timers: Timers {
                time_construction_create: t[0],
                time_construction_connect: t[1],
                time_simulate: t[2],
                time_update: t[3],
                time_gather_spike_data: t[4],
                time_communicate_spike_data: t[5],
                time_deliver_spike_data: t[6],
            },
            spikes_per_population: v[FIXED + N_TIMERS..FIXED + N_TIMERS + n_populations]
                .iter()
                .map(|&x| x as u64)
                .collect(),
        }
    }

    /// Cuts the vector gathered on rank 0 into the ranks' stats.
    pub fn unpack_all(all: &[f64], n_populations: usize) -> Vec<RankStats> {
        let len = FIXED + N_TIMERS + n_populations;
        all.chunks_exact(len)
            .map(|v| RankStats::unpack(v, n_populations))
            .collect()
    }
}

/// Fills the run-wide figures of `meta` from every rank's stats: totals,
/// per-rank lists, timers (the slowest rank's, plus min/mean/max), and the
/// spikes per population.
pub fn fold_into(meta: &mut RunMetadata, ranks: &[RankStats]) -> Vec<u64> {
    let sum = |f: &dyn Fn(&RankStats) -> u64| ranks.iter().map(f).sum::<u64>();
    let maxf = |f: &dyn Fn(&RankStats) -> f64| ranks.iter().map(f).fold(0.0, f64::max);
    meta.synapses = sum(&|r| r.synapses);
    meta.synapses_per_rank = ranks.iter().map(|r| r.synapses).collect();
    meta.spikes_sent_per_rank = ranks.iter().map(|r| r.spikes_sent).collect();
    meta.bytes_sent_per_rank = ranks.iter().map(|r| r.bytes_sent).collect();
    meta.bytes_per_synapse = if meta.synapses > 0 {
        sum(&|r| r.synapse_bytes) as f64 / meta.synapses as f64
    } else {
        0.0
    };
    meta.synaptic_events = sum(&|r| r.events);
    meta.peak_rss_bytes = ranks.iter().map(|r| r.peak_rss_bytes).max().unwrap_or(0);
    meta.peak_rss_bytes_per_rank = ranks.iter().map(|r| r.peak_rss_bytes).collect();
    meta.build_seconds = maxf(&|r| r.build_seconds);
    meta.simulate_seconds = maxf(&|r| r.simulate_seconds);
    let mut timers = BTreeMap::new();
    let mut per_rank = BTreeMap::new();
    for (i, (name, _)) in Timers::default().as_pairs().iter().enumerate() {
        let values: Vec<f64> = ranks.iter().map(|r| r.timers.as_pairs()[i].1).collect();
        let n = values.len().max(1) as f64;
        let stats = TimerStats {
            min: values.iter().copied().fold(f64::INFINITY, f64::min),
            mean: values.iter().sum::<f64>() / n,
            max: values.iter().copied().fold(0.0, f64::max),
        };
        timers.insert(name.to_string(), stats.max);
        per_rank.insert(name.to_string(), stats);
    }
    meta.timers = timers;
    meta.timers_per_rank = per_rank;
    let n_pop = ranks.first().map_or(0, |r| r.spikes_per_population.len());
    let per_pop: Vec<u64> = (0..n_pop)
        .map(|p| ranks.iter().map(|r| r.spikes_per_population[p]).sum())
        .collect();
    meta.spikes = per_pop.iter().sum();
    per_pop
}

/// Completes rank 0's metadata at the end of the run: the ranks' figures,
/// the delays and epoch, the time simulated, the real-time factor and the
/// rates per population over that time (the status is the caller's).
pub fn finish_metadata(
    meta: &mut RunMetadata,
    ranks: &[RankStats],
    spec: &NetworkSpec,
    net: &Network,
) {
    let per_pop = fold_into(meta, ranks);
    // The time simulated: t_stop, or less when a signal stopped the run.
    meta.t_valid_ms = net.step as f64 * spec.simulation.dt;
    let t_sec = meta.t_valid_ms / 1000.0;
    meta.min_delay_steps = net.min_delay;
    meta.max_delay_steps = net.max_delay;
    meta.epoch_steps = net.epoch_steps();
    meta.real_time_factor = meta.simulate_seconds / t_sec;
    meta.populations = spec
        .populations
        .iter()
        .zip(&per_pop)
        .map(|(p, &n)| PopulationSummary {
            name: p.name.clone(),
            size: u64::from(p.size),
            spikes: n,
            rate_hz: n as f64 / (f64::from(p.size) * t_sec),
        })
        .collect();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pack_unpack_round_trip_and_fold() {
        let a = RankStats {
            synapses: 10,
            spikes_sent: 3,
            timers: Timers {
                time_update: 1.0,
                ..Default::default()
            },
            spikes_per_population: vec![4, 5],
            ..Default::default()
        };
        let b = RankStats {
            synapses: 20,
            timers: Timers {
                time_update: 3.0,
                ..Default::default()
            },
            spikes_per_population: vec![1, 0],
            ..Default::default()
        };
        let mut all = a.pack();
        all.extend(b.pack());
        let back = RankStats::unpack_all(&all, 2);
        assert_eq!(back.len(), 2);
        assert_eq!(back[1].synapses, 20);
        let mut meta = RunMetadata::default();
        let per_pop = fold_into(&mut meta, &back);
        assert_eq!(per_pop, vec![5, 5]);
        assert_eq!(meta.synapses, 30);
        assert_eq!(meta.synapses_per_rank, vec![10, 20]);
        assert_eq!(meta.spikes_sent_per_rank, vec![3, 0]);
        let u = &meta.timers_per_rank["time_update"];
        assert_eq!((u.min, u.mean, u.max), (1.0, 2.0, 3.0));
        assert_eq!(meta.timers["time_update"], 3.0);
    }
}
