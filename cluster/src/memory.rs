//! What this process may use and has used (Linux /proc: MemAvailable, peak
//! RSS), and the check that refuses a network too big for the ranks' memory.

use brainsim_io::config::{ConfigError, LoadedConfig};
use brainsim_sim::comm::{Comm, Reduce};
use brainsim_sim::connect;
use brainsim_sim::estimate::estimate;
use brainsim_sim::spec::NetworkSpec;

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

/// Collective. Refuses (bad input, naming the projection with the most
/// synapses) a network whose estimated memory per rank exceeds the smallest
/// availability of any rank — the same decision on every rank.
pub fn check_memory(
    config: &LoadedConfig,
    spec: &NetworkSpec,
    comm: &dyn Comm,
    threads: usize,
) -> Result<(), ConfigError> {
    let est = estimate(spec, 1.0 / comm.size() as f64, threads);
    let available = comm.all_reduce(available_bytes().unwrap_or(u64::MAX), Reduce::Min);
    if available == u64::MAX || est.bytes <= available as f64 {
        return Ok(());
    }
    let biggest = (0..spec.projections.len()).max_by(|&a, &b| {
        connect::expected_synapses(spec, a).total_cmp(&connect::expected_synapses(spec, b))
    });
    let field = biggest
        .map(|p| format!("projection[{p}]"))
        .unwrap_or_else(|| "population[0].size".into());
    let gib = |b: f64| b / (1u64 << 30) as f64;
    Err(config.error_at(
        &field,
        format!(
            "the network needs an estimated {:.1} GiB ({:.3e} synapses), more than the {:.1} GiB available; reduce `scale` or the network",
            gib(est.bytes),
            est.synapses,
            gib(available as f64)
        ),
    ))
}
