//! The values of `brainsim submit`'s arguments, checked: the layout's
//! ranges, Slurm's time and memory formats, the signal margin against the
//! time limit, and the strings that end up in `#SBATCH` lines (no newline
//! can smuggle a command into the script). Every refusal is one line naming
//! the argument.

/// The most ranks a job may have (as `brainsim partition`).
pub const MAX_RANKS: u64 = 1 << 20;

/// Slurm's largest `--signal` time (seconds).
pub const MAX_SIGNAL_MARGIN: u64 = 65535;

/// The default signal margin (seconds), at most half the time limit.
pub const DEFAULT_SIGNAL_MARGIN: u64 = 120;

/// The longest time limit accepted (a year; Slurm's own limit is higher,
/// but beyond this it is a typo).
const MAX_TIME_SECONDS: u64 = 366 * 86_400;

/// A time limit: seconds, and the text given to Slurm.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimeLimit {
    /// Total seconds.
    pub seconds: u64,
    /// `HH:MM:SS` or `D-HH:MM:SS`.
    pub text: String,
}

/// `--time`: `HH:MM:SS` or `D-HH:MM:SS` (minutes and seconds below 60, at
/// least one second, at most 366 days).
pub fn parse_time(s: &str) -> Result<TimeLimit, String> {
    let bad = || {
        format!(
            "brainsim: --time: expected HH:MM:SS or D-HH:MM:SS (minutes and seconds below 60), got `{s}`"
        )
    };
    let (days, hms) = match s.split_once('-') {
        Some((d, rest)) => (number(d).ok_or_else(bad)?, rest),
        None => (0, s),
    };
    let parts: Vec<&str> = hms.split(':').collect();
    let [h, m, sec] = parts[..] else {
        return Err(bad());
    };
    let (h, m, sec) = (
        number(h).ok_or_else(bad)?,
        number(m).ok_or_else(bad)?,
        number(sec).ok_or_else(bad)?,
    );
    if m >= 60 || sec >= 60 {
        return Err(bad());
    }
    let seconds = days
        .checked_mul(86_400)
        .and_then(|d| d.checked_add(h.checked_mul(3600)?))
        .and_then(|t| t.checked_add(m * 60 + sec))
        .filter(|&t| t <= MAX_TIME_SECONDS)
        .ok_or_else(|| format!("brainsim: --time: at most 366 days, got `{s}`"))?;
    if seconds == 0 {
        return Err(format!(
            "brainsim: --time: must be at least 1 second, got `{s}`"
        ));
    }
    let text = if days > 0 {
        format!("{days}-{h:02}:{m:02}:{sec:02}")
    } else {
        format!("{h:02}:{m:02}:{sec:02}")
    };
    Ok(TimeLimit { seconds, text })
}

/// A decimal number of at most 9 digits (no sign, no spaces).
fn number(s: &str) -> Option<u64> {
    (!s.is_empty() && s.len() <= 9 && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// A memory request per node: bytes (0 = all of the node's memory, as Slurm
/// reads `--mem=0`) and the text given to Slurm.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mem {
    /// Bytes; 0 for the whole node.
    pub bytes: u64,
    /// As Slurm reads it: a number with a unit (K, M, G or T; M when none).
    pub text: String,
}

/// `--mem`: a whole number with an optional unit K, M, G or T (Slurm's
/// binary units; M when none), 0 meaning all of a node's memory.
pub fn parse_mem(s: &str) -> Result<Mem, String> {
    let bad = || {
        format!(
            "brainsim: --mem: expected a whole number with an optional unit K, M, G or T (as Slurm's --mem), got `{s}`"
        )
    };
    let upper = s.to_ascii_uppercase();
    let (digits, unit) = match upper.char_indices().last() {
        Some((i, c @ ('K' | 'M' | 'G' | 'T'))) => (&upper[..i], c),
        _ => (upper.as_str(), 'M'),
    };
    if digits.is_empty() || digits.len() > 15 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let n: u64 = digits.parse().map_err(|_| bad())?;
    let shift = match unit {
        'K' => 10,
        'M' => 20,
        'G' => 30,
        _ => 40,
    };
    let bytes = n
        .checked_mul(1u64 << shift)
        .ok_or_else(|| format!("brainsim: --mem: too large, got `{s}`"))?;
    Ok(Mem {
        bytes,
        text: format!("{n}{unit}"),
    })
}

/// The layout: nodes, ranks per node and threads within the limits.
pub fn check_layout(nodes: u64, ranks_per_node: u64, threads: u64) -> Result<(), String> {
    let max_threads = brainsim_io::config::MAX_THREADS as u64;
    if !(1..=MAX_RANKS).contains(&nodes) {
        return Err(format!(
            "brainsim: --nodes: must be in 1..={MAX_RANKS}, got {nodes}"
        ));
    }
    if !(1..=MAX_RANKS).contains(&ranks_per_node) {
        return Err(format!(
            "brainsim: --ranks-per-node: must be in 1..={MAX_RANKS}, got {ranks_per_node}"
        ));
    }
    if nodes.saturating_mul(ranks_per_node) > MAX_RANKS {
        return Err(format!(
            "brainsim: --nodes x --ranks-per-node: at most {MAX_RANKS} ranks, got {nodes} x {ranks_per_node}"
        ));
    }
    if !(1..=max_threads).contains(&threads) {
        return Err(format!(
            "brainsim: --threads: must be in 1..={max_threads}, got {threads}"
        ));
    }
    Ok(())
}

/// The signal margin: given (1..=65535 s, below the time limit) or the
/// default, 120 s but at most half the time limit.
pub fn signal_margin(given: Option<u64>, limit: &TimeLimit) -> Result<u64, String> {
    match given {
        None => Ok(DEFAULT_SIGNAL_MARGIN.min(limit.seconds / 2)),
        Some(m) if m == 0 || m > MAX_SIGNAL_MARGIN => Err(format!(
            "brainsim: --signal-margin: must be in 1..={MAX_SIGNAL_MARGIN} seconds, got {m}"
        )),
        Some(m) if m >= limit.seconds => Err(format!(
            "brainsim: --signal-margin: {m} s is not shorter than the time limit {} ({} s)",
            limit.text, limit.seconds
        )),
        Some(m) => Ok(m),
    }
}

/// A value for an `#SBATCH` line (`--partition`, `--account`): not empty,
/// no whitespace, quotes, `#`, `$`, backquote or backslash.
pub fn check_token(arg: &str, value: &str) -> Result<(), String> {
    let bad = |c: char| c.is_whitespace() || c.is_control() || "'\"#$`\\".contains(c);
    if value.is_empty() || value.chars().any(bad) {
        return Err(format!(
            "brainsim: {arg}: `{}` is not a name Slurm takes (empty, or a space, quote, #, $, ` or \\ in it)",
            value.escape_debug()
        ));
    }
    Ok(())
}

/// An `--sbatch-arg`: an option (starting with `-`) on one line.
pub fn check_sbatch_arg(value: &str) -> Result<(), String> {
    if !value.starts_with('-') || value.chars().any(char::is_control) {
        return Err(format!(
            "brainsim: --sbatch-arg: `{}` must be one sbatch option on one line (e.g. --qos=debug)",
            value.escape_debug()
        ));
    }
    Ok(())
}

/// The output directory as it goes into `#SBATCH --output`: no whitespace,
/// quotes, `$`, backquote, backslash or `%` (Slurm's file-name patterns).
pub fn check_out_path(out: &str) -> Result<(), String> {
    let bad = |c: char| c.is_whitespace() || c.is_control() || "'\"$`\\%".contains(c);
    if let Some(c) = out.chars().find(|&c| bad(c)) {
        return Err(format!(
            "brainsim: --out: `{}` contains `{}`, which a batch script's #SBATCH --output cannot carry; choose another directory",
            out.escape_debug(),
            c.escape_debug()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_limits_parse_and_bad_ones_are_refused() {
        assert_eq!(parse_time("01:30:00").unwrap().seconds, 5400);
        assert_eq!(parse_time("1:2:03").unwrap().text, "01:02:03");
        let long = parse_time("2-00:00:01").unwrap();
        assert_eq!((long.seconds, long.text.as_str()), (172_801, "2-00:00:01"));
        for bad in [
            "",
            "10",
            "10:00",
            "1:60:00",
            "0:00:60",
            "-1:00:00",
            "a:b:c",
            "1:00:00:00",
            "00:00:00",
            "1- 00:00:00",
            "367-00:00:00",
            "99999999999:00:00",
            "+1:00:00",
            "1:00:0x",
        ] {
            let e = parse_time(bad).unwrap_err();
            assert!(e.starts_with("brainsim: --time:"), "{bad}: {e}");
        }
    }

    #[test]
    fn memory_sizes_parse_in_slurms_units() {
        assert_eq!(parse_mem("100").unwrap().bytes, 100 << 20);
        assert_eq!(parse_mem("2g").unwrap().text, "2G");
        assert_eq!(parse_mem("512K").unwrap().bytes, 512 << 10);
        assert_eq!(parse_mem("1T").unwrap().bytes, 1 << 40);
        assert_eq!(parse_mem("0").unwrap().bytes, 0);
        for bad in [
            "",
            "G",
            "-1G",
            "1.5G",
            "1GB",
            "18446744073709551615",
            "99999999T",
            " 1G",
        ] {
            assert!(
                parse_mem(bad).unwrap_err().starts_with("brainsim: --mem:"),
                "{bad}"
            );
        }
    }

    #[test]
    fn layouts_at_the_extremes_are_refused() {
        assert!(check_layout(1, 2, 1).is_ok());
        assert!(check_layout(1024, 1024, 4096).is_ok());
        assert!(check_layout(0, 1, 1).unwrap_err().contains("--nodes"));
        assert!(check_layout(1, 0, 1)
            .unwrap_err()
            .contains("--ranks-per-node"));
        assert!(check_layout(u64::MAX, u64::MAX, 1)
            .unwrap_err()
            .contains("--nodes"));
        assert!(check_layout(2048, 1024, 1).unwrap_err().contains("ranks"));
        assert!(check_layout(1, 1, 0).unwrap_err().contains("--threads"));
        assert!(check_layout(1, 1, 4097).unwrap_err().contains("--threads"));
    }

    #[test]
    fn the_margin_defaults_to_two_minutes_or_half_the_limit() {
        let hour = parse_time("01:00:00").unwrap();
        let minute = parse_time("00:01:00").unwrap();
        assert_eq!(signal_margin(None, &hour), Ok(120));
        assert_eq!(signal_margin(None, &minute), Ok(30));
        assert_eq!(signal_margin(Some(600), &hour), Ok(600));
        assert!(signal_margin(Some(0), &hour).is_err());
        assert!(signal_margin(Some(65536), &hour).is_err());
        assert!(signal_margin(Some(60), &minute)
            .unwrap_err()
            .contains("not shorter"));
    }

    #[test]
    fn script_lines_cannot_be_smuggled_in() {
        assert!(check_token("--partition", "gpu-a100").is_ok());
        assert!(check_token("--partition", "a\n#SBATCH --x").is_err());
        assert!(check_token("--account", "").is_err());
        assert!(check_sbatch_arg("--qos=debug").is_ok());
        assert!(check_sbatch_arg("--qos=x\nrm -rf /").is_err());
        assert!(check_sbatch_arg("qos").is_err());
        assert!(check_out_path("/scratch/me/run_1").is_ok());
        assert!(check_out_path("/scratch/me/run 1").is_err());
        assert!(check_out_path("/scratch/%j").is_err());
    }
}
