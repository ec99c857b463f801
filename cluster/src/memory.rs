//! What this process may use and has used: MemAvailable and peak RSS (Linux /proc).

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
