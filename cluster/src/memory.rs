//! What this process may use and has used (Linux /proc: MemAvailable, peak
//! RSS), and the check that refuses a run whose estimated memory
//! (`estimate.rs`) does not fit.
//!
//! The decision (`MemoryLimit`): by default the ranks of one node (same host
//! name) together must fit in that node's MemAvailable — ranks on one machine
//! share it; `--max-memory` gives each rank a fixed budget instead;
//! `--force` skips the check. Every rank learns every rank's host and
//! availability (one all-to-all), so all take the same decision and refuse
//! together.

use brainsim_io::config::{ConfigError, LoadedConfig};
use brainsim_sim::comm::Comm;
use brainsim_sim::connect;
use brainsim_sim::spec::NetworkSpec;

use crate::driver::RunError;
use crate::estimate::{estimate_ranks, EstimateError, Estimates, RunShape};

/// How the memory check decides.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum MemoryLimit {
    /// The ranks of each node together within its MemAvailable (default).
    #[default]
    Available,
    /// Each rank within this many bytes (`--max-memory`).
    PerRank(u64),
    /// No check (`--force`).
    Unchecked,
}

fn proc_kib(file: &str, key: &str) -> Option<u64> {
    let text = std::fs::read_to_string(file).ok()?;
    let line = text.lines().find(|l| l.starts_with(key))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Bytes the kernel reports as available for new allocations.
pub fn available_bytes() -> Option<u64> {
    proc_kib("/proc/meminfo", "MemAvailable:").map(|k| k * 1024)
}

/// Peak resident set size of this process so far.
pub fn peak_rss_bytes() -> u64 {
    proc_kib("/proc/self/status", "VmHWM:")
        .map(|k| k * 1024)
        .unwrap_or(0)
}

/// FNV-1a of this machine's host name: ranks with the same value share
/// MemAvailable.
fn host_id() -> u64 {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_default();
    name.trim().bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Collective: every rank's (host id, available bytes or u64::MAX).
fn hosts(comm: &dyn Comm) -> Vec<(u64, u64)> {
    let p = comm.size();
    let (h, a) = (host_id(), available_bytes().unwrap_or(u64::MAX));
    let words = [h as u32, (h >> 32) as u32, a as u32, (a >> 32) as u32];
    let send: Vec<u32> = (0..p).flat_map(|_| words).collect();
    let (mut recv, mut counts) = (Vec::new(), vec![0; p]);
    comm.all_to_all_v(&send, &vec![4; p], &mut recv, &mut counts);
    let word = |i: usize| u64::from(recv[i]) | u64::from(recv[i + 1]) << 32;
    (0..p).map(|r| (word(4 * r), word(4 * r + 2))).collect()
}

fn gib(b: f64) -> f64 {
    b / (1u64 << 30) as f64
}

/// The config field a refusal names: the projection with the most synapses.
fn biggest_field(spec: &NetworkSpec) -> String {
    (0..spec.projections.len())
        .max_by(|&a, &b| {
            connect::expected_synapses(spec, a).total_cmp(&connect::expected_synapses(spec, b))
        })
        .map(|p| format!("projection[{p}]"))
        .unwrap_or_else(|| "population[0].size".into())
}

/// The first node (in rank order) whose ranks together need more than it
/// has: (its ranks, their bytes, its available bytes).
fn overfull_node(est: &Estimates, hosts: &[(u64, u64)]) -> Option<(Vec<usize>, f64, u64)> {
    for (r, &(host, _)) in hosts.iter().enumerate() {
        let on_node: Vec<usize> = (0..hosts.len()).filter(|&q| hosts[q].0 == host).collect();
        if on_node[0] != r {
            continue;
        }
        let need: f64 = on_node.iter().map(|&q| est.ranks[q].bytes()).sum();
        let avail = on_node
            .iter()
            .map(|&q| hosts[q].1)
            .min()
            .unwrap_or(u64::MAX);
        if avail != u64::MAX && need > avail as f64 {
            return Some((on_node, need, avail));
        }
    }
    None
}

/// The refusal message, or None when the estimates fit.
fn verdict(est: &Estimates, hosts: &[(u64, u64)], limit: MemoryLimit) -> Option<String> {
    let hint = "reduce `scale` or the network, or see --max-memory and --force";
    let one = est.ranks.len() == 1;
    match limit {
        MemoryLimit::Unchecked => None,
        MemoryLimit::PerRank(max) => {
            let r = est.ranks.iter().find(|r| r.bytes() > max as f64)?;
            let who = if one {
                "the network needs".to_string()
            } else {
                format!("rank {} needs", r.rank)
            };
            Some(format!(
                "{who} an estimated {:.1} GiB ({:.3e} synapses), more than the {:.1} GiB available (--max-memory); {hint}",
                gib(r.bytes()), r.synapses, gib(max as f64)
            ))
        }
        MemoryLimit::Available => {
            let (ranks, need, avail) = overfull_node(est, hosts)?;
            let synapses: f64 = ranks.iter().map(|&q| est.ranks[q].synapses).sum();
            let who = if one {
                "the network needs".to_string()
            } else {
                format!("ranks {ranks:?}, on one node, need")
            };
            Some(format!(
                "{who} an estimated {:.1} GiB ({:.3e} synapses), more than the {:.1} GiB available; {hint}",
                gib(need), synapses, gib(avail as f64)
            ))
        }
    }
}

/// Collective. Places the chunks and estimates every rank's memory; refuses
/// (bad input, naming the projection with the most synapses) a run that
/// does not fit `limit` — the same decision on every rank. Returns the
/// placement and the estimates.
pub fn check_memory(
    config: &LoadedConfig,
    spec: &NetworkSpec,
    comm: &dyn Comm,
    shape: RunShape,
    limit: MemoryLimit,
) -> Result<Estimates, RunError> {
    let hosts = hosts(comm);
    let budget = match limit {
        MemoryLimit::Available => hosts.iter().map(|h| h.1).min().filter(|&a| a != u64::MAX),
        MemoryLimit::PerRank(max) => Some(max),
        MemoryLimit::Unchecked => None,
    };
    let refuse = |message: String| RunError::Config(refusal(config, spec, message));
    let est = match estimate_ranks(spec, shape, budget.map(|b| b as f64)) {
        Ok(e) => e,
        Err(EstimateError::Partitioner(m)) => return Err(RunError::Failed(m)),
        Err(EstimateError::GraphTooLarge(bytes)) => {
            return Err(refuse(format!(
                "placing the chunks with metis needs an estimated {:.1} GiB for the chunk graph, more than the {:.1} GiB available; use --partitioner block or round_robin, or see --max-memory and --force",
                gib(bytes),
                gib(budget.unwrap_or(0) as f64)
            )))
        }
    };
    match verdict(&est, &hosts, limit) {
        Some(message) => Err(refuse(message)),
        None => Ok(est),
    }
}

fn refusal(config: &LoadedConfig, spec: &NetworkSpec, message: String) -> ConfigError {
    config.error_at(&biggest_field(spec), message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn estimates(ranks: usize) -> Estimates {
        crate::estimate::tests::estimates_of(crate::estimate::tests::NET, ranks, false)
    }

    /// Ranks on one node share its MemAvailable; on two nodes each has its own.
    #[test]
    fn ranks_of_one_node_must_fit_together() {
        let est = estimates(2);
        let (a, b) = (est.ranks[0].bytes(), est.ranks[1].bytes());
        let each = a.max(b) as u64 + 1;
        let one_node = [(7, each), (7, each)];
        let two_nodes = [(7, each), (8, each)];
        let refused = verdict(&est, &one_node, MemoryLimit::Available).unwrap();
        assert!(refused.contains("ranks [0, 1], on one node"), "{refused}");
        assert_eq!(verdict(&est, &two_nodes, MemoryLimit::Available), None);
        let enough = [(7, (a + b) as u64 + 1), (7, u64::MAX)];
        assert_eq!(verdict(&est, &enough, MemoryLimit::Available), None);
        assert_eq!(verdict(&est, &one_node, MemoryLimit::Unchecked), None);
    }

    /// `--max-memory` is per rank, whatever the node has.
    #[test]
    fn max_memory_is_a_budget_per_rank() {
        let est = estimates(2);
        let big = est.ranks.iter().map(|r| r.bytes()).fold(0.0, f64::max) as u64;
        let hosts = [(7, 1), (7, 1)];
        assert_eq!(verdict(&est, &hosts, MemoryLimit::PerRank(big + 1)), None);
        let m = verdict(&est, &hosts, MemoryLimit::PerRank(big / 2)).unwrap();
        assert!(
            m.contains("(--max-memory)") && m.starts_with("rank "),
            "{m}"
        );
        let one = estimates(1);
        let m = verdict(&one, &hosts[..1], MemoryLimit::PerRank(1 << 20)).unwrap();
        assert!(m.starts_with("the network needs an estimated"), "{m}");
    }
}
