//! Partitioning, whole program: `brainsim partition` reports, and runs of
//! configs/areas.toml on 4 ranks under mpirun with metis, round_robin and
//! block — spikes bit-identical, metis sending at least 5x fewer remote spike
//! messages than round_robin (measured), predictions within 20% of the
//! measured messages, an exchange epoch >= 10x longer (delay-aware
//! exchange: only long-range synapses cross ranks), imbalance <= 5% on both
//! constraints. Plus the
//! Spaun-scale config (200 modules written as templates, in chunks of 2048)
//! partitioned onto 1024 ranks and onto one rank per module, and bad input.

use super::*;
use brainsim_io::config;
use brainsim_io::metadata::RunMetadata;
use brainsim_partition::{decompose, ChunkGraph, Partitioner, Report};
use brainsim_sim::layout;
use std::time::Instant;

/// The number after `key` on the line starting with `label` (e.g. the
/// "neurons" figure of the "imbalance" line).
fn figure(stdout: &str, label: &str, key: &str) -> f64 {
    let line = stdout
        .lines()
        .find(|l| l.trim_start().starts_with(label))
        .unwrap_or_else(|| panic!("no line {label:?} in\n{stdout}"));
    let rest = &line[line
        .find(key)
        .unwrap_or_else(|| panic!("{key:?} in {line:?}"))
        + key.len()..];
    rest.split_whitespace()
        .next()
        .and_then(|w| w.trim_end_matches([',', '%']).parse().ok())
        .unwrap_or_else(|| panic!("no number after {key:?} in {line:?}"))
}

fn partition_ok(config: &str, ranks: usize, partitioner: &str) -> String {
    partition_path_ok(&repo(config), ranks, partitioner)
}

/// `partition_ok` of a config given by its path.
fn partition_path_ok(config: &Path, ranks: usize, partitioner: &str) -> String {
    let out = run_ok(&[
        "partition",
        config.to_str().unwrap(),
        "--ranks",
        &ranks.to_string(),
        "--partitioner",
        partitioner,
    ]);
    String::from_utf8(out.stdout).unwrap()
}

/// Remote spike messages per second a 4-rank run measured, and its spikes.
fn run_areas(partitioner: &str) -> (RunMetadata, Vec<(String, u64, u64)>) {
    let dir = scratch(&format!("areas-{partitioner}"));
    let out = Command::new("mpirun")
        .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
        .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
        .env("OMPI_MCA_rmaps_base_oversubscribe", "1")
        .args(["--oversubscribe", "--bind-to", "none", "-np", "4"])
        .arg(env!("CARGO_BIN_EXE_brainsim"))
        .arg("run")
        .arg(repo("configs/areas.toml"))
        .arg("--out")
        .arg(&dir)
        .args(["--threads", "1", "--quiet", "--partitioner", partitioner])
        .output()
        .expect("mpirun must be installed (scripts/setup.sh installs openmpi-bin)");
    assert!(
        out.status.success(),
        "areas, {partitioner}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta = RunMetadata::read(&dir).unwrap();
    assert_eq!(meta.partitioner, partitioner);
    let spikes = read_spikes(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    (meta, spikes)
}

/// Messages per second the chunk graph predicts for `partitioner` on 4 ranks,
/// with each population firing at the rate the run measured.
fn predicted(meta: &RunMetadata, partitioner: Partitioner) -> f64 {
    let spec = config::load(&repo("configs/areas.toml")).unwrap().spec;
    let chunks = layout::chunks(&spec);
    let rates: Vec<f64> = meta.populations.iter().map(|p| p.rate_hz).collect();
    let graph = ChunkGraph::from_spec(&spec, &chunks).with_rates(&rates);
    let d = decompose(&spec, &chunks, 4, partitioner).unwrap();
    Report::new(&graph, &d).total_messages()
}

#[test]
fn areas_on_4_ranks_metis_sends_fewer_messages_as_predicted_same_spikes() {
    let (metis, reference) = run_areas("metis");
    assert!(reference.len() > 50_000, "{} spikes", reference.len());
    let (rr, s) = run_areas("round_robin");
    assert!(s == reference, "round_robin spikes differ from metis");
    let (block, s) = run_areas("block");
    assert!(s == reference, "block spikes differ from metis");
    // Delay-aware exchange: metis cuts only >= 5 ms synapses, round_robin
    // cuts local ones (>= 0.5 ms).
    assert!(
        metis.epoch_steps >= 10 * rr.epoch_steps,
        "epoch: metis {} steps, round_robin {}",
        metis.epoch_steps,
        rr.epoch_steps
    );
    assert_eq!(rr.epoch_steps, rr.min_delay_steps);
    let t = metis.t_stop_ms / 1000.0;
    let measured = |m: &RunMetadata| m.spikes_sent_per_rank.iter().sum::<u64>() as f64 / t;
    let (m_metis, m_rr) = (measured(&metis), measured(&rr));
    assert!(
        5.0 * m_metis <= m_rr,
        "metis {m_metis:.0} vs round_robin {m_rr:.0} messages/s"
    );
    for (meta, p) in [
        (&metis, Partitioner::Metis),
        (&rr, Partitioner::RoundRobin),
        (&block, Partitioner::Block),
    ] {
        let (pred, meas) = (predicted(meta, p), measured(meta));
        assert!(
            (pred - meas).abs() <= 0.2 * meas,
            "{p}: predicted {pred:.0}, measured {meas:.0} messages/s"
        );
    }
    // The report's prediction from the config's expected rates agrees too.
    let stdout = partition_ok("configs/areas.toml", 4, "metis");
    let pred = figure(&stdout, "remote messages", "messages");
    assert!(
        (pred - m_metis).abs() <= 0.2 * m_metis,
        "{pred} vs {m_metis}\n{stdout}"
    );
}

#[test]
fn partition_report_on_areas_metis_balanced_and_cut_at_long_delays() {
    for ranks in [4, 8] {
        let m = partition_ok("configs/areas.toml", ranks, "metis");
        let rr = partition_ok("configs/areas.toml", ranks, "round_robin");
        assert!(figure(&m, "imbalance", "neurons") <= 5.0, "{m}");
        assert!(figure(&m, "imbalance", "synapses") <= 5.0, "{m}");
        // Only long-range projections (>= 5 ms) are cut by metis.
        assert!(figure(&m, "min cut delay", "delay") >= 5.0, "{m}");
        assert!(figure(&rr, "min cut delay", "delay") < 1.0, "{rr}");
        let (cm, crr) = (
            figure(&m, "edge cut", "cut"),
            figure(&rr, "edge cut", "cut"),
        );
        assert!(cm > 0.0 && 4.0 * cm < crr, "edge cut {cm} vs {crr}");
    }
    // One rank: nothing is cut.
    let one = partition_ok("configs/areas.toml", 1, "metis");
    assert_eq!(figure(&one, "edge cut", "cut"), 0.0, "{one}");
    assert!(one.contains("none (no edge is cut)"), "{one}");
}

/// configs/spaun_scale.toml cut into chunks of 2048 (3200 chunks: enough
/// for 1024 ranks) instead of its 16384 (600 chunks, faster on one node;
/// the file's header), in `dir`.
fn spaun_in_chunks_of_2048(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(repo("configs/spaun_scale.toml")).unwrap();
    assert!(
        text.contains("\nchunk_size = 16384\n"),
        "the shipped chunk size"
    );
    let path = dir.join("spaun_2048.toml");
    let text = text.replace("\nchunk_size = 16384\n", "\nchunk_size = 2048\n");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn spaun_scale_partitions_onto_1024_ranks() {
    let dir = scratch("spaun-1024");
    let cfg = spaun_in_chunks_of_2048(&dir);
    let start = Instant::now();
    let s = partition_path_ok(&cfg, 1024, "metis");
    let secs = start.elapsed().as_secs_f64();
    assert!(secs < 60.0, "took {secs:.1} s");
    assert!(s.contains("6553600 neurons"), "{s}");
    let synapses = figure(&s, "brainsim partition", "neurons,");
    assert!((1.9e10..2.1e10).contains(&synapses), "{s}");
    assert_eq!(figure(&s, "chunk graph", "graph"), 3200.0, "{s}");
    // 3200 equal chunks on 1024 ranks: at most 4 per rank, 28% over the mean.
    assert!(figure(&s, "imbalance", "neurons") <= 28.0 + 1e-9, "{s}");
    assert!(figure(&s, "imbalance", "synapses") <= 30.0, "{s}");
    let remote = figure(&s, "remote messages", "messages");
    assert!(remote > 1e6 && remote < 1e10, "{s}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// One rank per module (200 modules of 16 chunks of 2048, the file's
/// templates): metis finds the modules — balanced, only the long-range
/// projections (>= 2 ms) cut, far fewer messages than round_robin.
#[test]
fn spaun_scale_on_200_ranks_metis_cuts_only_between_modules() {
    let dir = scratch("spaun-200");
    let cfg = spaun_in_chunks_of_2048(&dir);
    let m = partition_path_ok(&cfg, 200, "metis");
    let rr = partition_path_ok(&cfg, 200, "round_robin");
    assert!(figure(&m, "imbalance", "neurons") <= 5.0, "{m}");
    assert!(figure(&m, "imbalance", "synapses") <= 5.0, "{m}");
    assert!(figure(&m, "min cut delay", "delay") >= 2.0, "{m}");
    assert!(figure(&rr, "min cut delay", "delay") < 1.0, "{rr}");
    let (rm, rrr) = (
        figure(&m, "remote messages", "messages"),
        figure(&rr, "remote messages", "messages"),
    );
    assert!(rm > 0.0 && 5.0 * rm < rrr, "remote messages {rm} vs {rrr}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn partition_bad_input_is_one_line_and_exit_code_2() {
    let dir = scratch("partition-bad");
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "[simulation]\ndt = 0.1\n").unwrap();
    let areas = repo("configs/areas.toml");
    for (args, what) in [
        (vec![areas.to_str().unwrap(), "--ranks", "0"], "--ranks"),
        (
            vec![bad.to_str().unwrap(), "--ranks", "4"],
            "missing required key",
        ),
    ] {
        let out = bin().arg("partition").args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(what), "{stderr}");
        assert!(out.stdout.is_empty());
    }
    let _ = std::fs::remove_dir_all(&dir);
}
