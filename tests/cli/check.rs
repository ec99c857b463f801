//! `brainsim check` (the estimate per rank, nothing built) and the memory
//! check of `brainsim run`: `--max-memory` refuses like bad input, `--force`
//! overrides it.

use super::*;

const NET: &str = r#"[simulation]
dt = 0.1
t_stop = 5.0
chunk_size = 100

[[population]]
name = "E"
size = 400
model = "iaf_psc_exp"

[[projection]]
source = "E"
target = "E"
rule = "fixed_indegree"
indegree = 50
weight = 20.0
delay = { distribution = "uniform", low = 1.0, high = 30.0 }
"#;

fn write_net(name: &str, text: &str) -> (PathBuf, PathBuf) {
    let dir = scratch(name);
    let cfg = dir.join("net.toml");
    std::fs::write(&cfg, text).unwrap();
    (dir, cfg)
}

#[test]
fn check_prints_every_rank_with_its_breakdown() {
    let (_dir, cfg) = write_net("check-ranks", NET);
    let out = run_ok(&[
        "check",
        cfg.to_str().unwrap(),
        "--ranks",
        "3",
        "--partitioner",
        "round_robin",
        "--threads",
        "1",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    for rank in 0..3 {
        assert!(stdout.contains(&format!("rank {rank}: ")), "{stdout}");
    }
    assert!(!stdout.contains("rank 3:"));
    for component in [
        "synapses",
        "row indexes",
        "ring buffers",
        "build scratch",
        "process baseline",
    ] {
        let lines = stdout
            .lines()
            .filter(|l| l.trim_start().starts_with(component));
        assert_eq!(lines.count(), 3, "{component}: {stdout}");
    }
    // Delays up to 30 ms = 300 steps: 512 ring slots.
    assert!(stdout.contains("512 ring slots"), "{stdout}");
}

#[test]
fn check_refuses_a_bad_config_in_one_line() {
    let (_dir, cfg) = write_net("check-bad", &NET.replace("indegree = 50", "indegree = -5"));
    let out = bin()
        .args(["check", cfg.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with(&format!("{}:", cfg.display())),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
}

/// `--max-memory` below the estimate: refused as bad input (one line, exit
/// 2, nothing created); with `--force` the same run goes through.
#[test]
fn max_memory_refuses_and_force_overrides() {
    let (dir, cfg) = write_net("check-max-memory", NET);
    let out_dir = dir.join("out");
    let args = |extra: &[&str]| {
        let mut a = vec![
            "run",
            cfg.to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
        ];
        a.extend_from_slice(&["--threads", "1", "--max-memory", "0.001"]);
        a.extend_from_slice(extra);
        a.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let out = bin().args(args(&[])).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with(&format!("{}:", cfg.display())),
        "{stderr}"
    );
    for word in ["projection[0]", "GiB", "available (--max-memory)"] {
        assert!(stderr.contains(word), "{word}: {stderr}");
    }
    assert!(!out_dir.exists(), "nothing is created");

    let bad = bin().args(args(&["--max-memory", "-1"])).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));

    let forced = bin().args(args(&["--force"])).output().unwrap();
    assert!(
        forced.status.success(),
        "{}",
        String::from_utf8_lossy(&forced.stderr)
    );
    let meta = brainsim_io::metadata::RunMetadata::read(&out_dir).unwrap();
    assert_eq!(meta.memory_estimate_bytes_per_rank.len(), 1);
    assert_eq!(meta.peak_rss_bytes_per_rank, vec![meta.peak_rss_bytes]);
}
