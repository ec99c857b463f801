//! Multi-rank runs under `mpirun` (as child processes): spikes bit-identical
//! for any ranks x threads and any partitioner, synapses balanced over the
//! ranks, bad input reported once with exit code 2, and a rank killed
//! mid-run ending the whole job promptly. `mpirun` missing is a failure, not
//! a skip.

use super::*;
use brainsim_io::metadata::RunMetadata;
use brainsim_io::sonata_report::read_report;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// `mpirun -np ranks brainsim run <args>` (root allowed, oversubscribed, unbound).
pub(super) fn mpirun(ranks: usize, args: &[String]) -> Command {
    mpirun_cmd(ranks, "run", args)
}

/// `mpirun -np ranks brainsim <command> <args>`, as `mpirun`.
pub(super) fn mpirun_cmd(ranks: usize, command: &str, args: &[String]) -> Command {
    let mut c = Command::new("mpirun");
    c.env("OMPI_ALLOW_RUN_AS_ROOT", "1")
        .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
        .env("OMPI_MCA_rmaps_base_oversubscribe", "1")
        .args(["--oversubscribe", "--bind-to", "none", "-np"])
        .arg(ranks.to_string())
        .arg(env!("CARGO_BIN_EXE_brainsim"))
        .arg(command)
        .args(args);
    c
}

fn run_mpi_ok(ranks: usize, args: &[String]) {
    let out = mpirun(ranks, args)
        .output()
        .expect("mpirun must be installed (scripts/setup.sh installs openmpi-bin)");
    assert!(
        out.status.success(),
        "mpirun -np {ranks} brainsim run {args:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

pub(super) fn args(config: &Path, out: &Path, threads: usize, extra: &[&str]) -> Vec<String> {
    let mut a = vec![
        config.to_str().unwrap().to_string(),
        "--out".into(),
        out.to_str().unwrap().into(),
        "--threads".into(),
        threads.to_string(),
        "--quiet".into(),
    ];
    a.extend(extra.iter().map(|s| s.to_string()));
    a
}

/// Spikes of a run on `ranks` x `threads` with `partitioner`.
pub(super) fn spikes_for(
    config: &Path,
    name: &str,
    (ranks, threads): (usize, usize),
    partitioner: &str,
    t_stop: &str,
) -> Vec<(String, u64, u64)> {
    let dir = scratch(&format!("mpi-{name}-{ranks}x{threads}-{partitioner}"));
    let a = args(
        config,
        &dir,
        threads,
        &["--t-stop", t_stop, "--partitioner", partitioner],
    );
    run_mpi_ok(ranks, &a);
    let meta = RunMetadata::read(&dir).unwrap();
    assert_eq!(meta.ranks, ranks);
    assert!(meta.is_finished());
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("spikes.rank") || n.ends_with(".pid"))
        .collect();
    assert!(leftovers.is_empty(), "left behind: {leftovers:?}");
    let s = read_spikes(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    s
}

const LAYOUTS: [(usize, usize); 6] = [(1, 1), (1, 2), (2, 1), (3, 1), (4, 1), (2, 2)];

fn check_identical(config: &Path, name: &str, t_stop: &str, min_spikes: usize) {
    let reference = spikes_for(config, name, (1, 1), "round_robin", t_stop);
    assert!(reference.len() > min_spikes, "{} spikes", reference.len());
    for layout in &LAYOUTS[1..] {
        let s = spikes_for(config, name, *layout, "round_robin", t_stop);
        assert!(s == reference, "{name}: {layout:?} round_robin differs");
    }
    for layout in [(2, 1), (3, 1)] {
        let s = spikes_for(config, name, layout, "block", t_stop);
        assert!(s == reference, "{name}: {layout:?} block differs");
    }
    let s = spikes_for(config, name, (3, 1), "metis", t_stop);
    assert!(s == reference, "{name}: (3, 1) metis differs");
}

#[test]
fn brunel_spikes_identical_for_any_ranks_threads_partitioner() {
    check_identical(&repo("configs/brunel.toml"), "brunel", "200", 50_000);
}

#[test]
fn small_microcircuit_spikes_identical_for_any_ranks_threads_partitioner() {
    let dir = scratch("mpi-mc-cfg");
    let text = std::fs::read_to_string(repo("configs/microcircuit.toml")).unwrap();
    let cfg = dir.join("mc.toml");
    let text = set_key(&set_key(&text, "scale", "0.02"), "chunk_size", "100");
    std::fs::write(&cfg, text).unwrap();
    check_identical(&cfg, "mc", "300", 1000);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn synapses_balanced_over_ranks() {
    let dir = scratch("mpi-balance");
    let text = std::fs::read_to_string(repo("configs/brunel.toml")).unwrap();
    let cfg = dir.join("brunel.toml");
    std::fs::write(&cfg, set_key(&text, "chunk_size", "100")).unwrap();
    for partitioner in ["round_robin", "block"] {
        for ranks in [2, 3, 4] {
            let out = dir.join(format!("{partitioner}-{ranks}"));
            let a = args(
                &cfg,
                &out,
                1,
                &["--t-stop", "5", "--partitioner", partitioner],
            );
            run_mpi_ok(ranks, &a);
            let meta = RunMetadata::read(&out).unwrap();
            assert_eq!(meta.partitioner, partitioner);
            assert_eq!(meta.synapses_per_rank.len(), ranks);
            assert_eq!(meta.synapses_per_rank.iter().sum::<u64>(), meta.synapses);
            let fair = meta.synapses as f64 / ranks as f64;
            for (r, &n) in meta.synapses_per_rank.iter().enumerate() {
                assert!(
                    (n as f64 - fair).abs() <= 0.1 * fair,
                    "{partitioner}, {ranks} ranks: rank {r} holds {n} synapses, fair share {fair}"
                );
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_config_under_mpirun_is_reported_once_with_exit_code_2() {
    let dir = scratch("mpi-bad");
    let cfg = dir.join("bad.toml");
    std::fs::write(&cfg, "[simulation]\ndt = 0.1\n").unwrap();
    let out_dir = dir.join("out");
    let out = mpirun(2, &args(&cfg, &out_dir, 1, &[]))
        .output()
        .expect("mpirun must be installed");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.matches("missing required key").count(),
        1,
        "{stderr}"
    );
    assert!(!out_dir.exists());
    let _ = std::fs::remove_dir_all(&dir);
}

/// A config that fails on one rank only (MPMD launch: rank 1 gets a bad
/// file): every rank ends with exit code 2 within 10 s, rank 1's message is
/// printed, nothing is created.
#[test]
fn config_failing_on_one_rank_ends_every_rank() {
    let dir = scratch("mpi-bad-one");
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "[simulation]\ndt = 0.1\nt_stop = 50.0\nthread = 3\n\n[[population]]\nname = \"E\"\nsize = 10\nmodel = \"iaf_psc_exp\"\n").unwrap();
    let out_dir = dir.join("out");
    let good = args(&repo("configs/vm_trace.toml"), &out_dir, 1, &[]);
    let mut mpmd = mpirun(1, &good);
    mpmd.arg(":")
        .args(["-np", "1", env!("CARGO_BIN_EXE_brainsim"), "run"])
        .args(&args(&bad, &out_dir, 1, &[])[..]);
    let start = Instant::now();
    let out = mpmd.output().expect("mpirun must be installed");
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "took {:?}",
        start.elapsed()
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "{}:4: simulation.thread: unknown key",
            bad.display()
        )),
        "{stderr}"
    );
    assert!(!out_dir.exists());
    let _ = std::fs::remove_dir_all(&dir);
}

pub(super) fn wait_with_timeout(
    child: &mut Child,
    limit: Duration,
) -> Option<std::process::ExitStatus> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

#[test]
fn killing_one_rank_ends_the_job_and_leaves_flushed_spikes_readable() {
    let dir = scratch("mpi-kill");
    let a = args(
        &repo("configs/brunel.toml"),
        &dir,
        1,
        &["--t-stop", "100000"],
    );
    let mut child = mpirun(2, &a)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("mpirun must be installed");
    // Wait for rank 1's pid file, then for at least one flush (about 1/s).
    let pid_file = dir.join("rank1.pid");
    let start = Instant::now();
    let mut pid = None;
    while start.elapsed() < Duration::from_secs(60) && pid.is_none() {
        std::thread::sleep(Duration::from_millis(100));
        pid = std::fs::read_to_string(&pid_file)
            .ok()
            .and_then(|t| t.trim().parse::<i32>().ok());
    }
    let Some(pid) = pid else {
        let _ = child.kill();
        panic!("rank 1 never wrote {}", pid_file.display());
    };
    std::thread::sleep(Duration::from_secs(4));
    let killed = Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = wait_with_timeout(&mut child, Duration::from_secs(10));
    if status.is_none() {
        let _ = child.kill();
        let _ = child.wait();
    }
    let status = status.expect("mpirun still running 10 s after a rank was killed");
    assert!(!status.success());
    let meta = RunMetadata::read(&dir).unwrap();
    assert_eq!(meta.status, "running");
    let mut flushed = 0;
    for rank in 0..2 {
        let f = SpikeFile::open(&dir.join(format!("spikes.rank{rank}.h5"))).unwrap();
        for pop in f.populations() {
            f.for_each_chunk(&pop, 1 << 16, |ts, _| {
                flushed += ts.len();
                Ok(())
            })
            .unwrap();
        }
    }
    assert!(flushed > 0, "no spikes readable after the kill");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn state_reports_gathered_from_all_ranks_match_one_rank() {
    let dir = scratch("mpi-reports");
    let text = std::fs::read_to_string(repo("configs/vm_trace.toml")).unwrap();
    // One neuron per chunk, so with two ranks each rank samples one column.
    let text = text.replace("seed = 1\n", "seed = 1\nchunk_size = 1\n");
    let cfg = dir.join("vm.toml");
    std::fs::write(&cfg, text).unwrap();
    let mut reports = Vec::new();
    for ranks in [1, 2] {
        let out = dir.join(format!("r{ranks}"));
        run_mpi_ok(ranks, &args(&cfg, &out, 1, &[]));
        let meta = RunMetadata::read(&out).unwrap();
        assert_eq!(meta.synapses_per_rank.len(), ranks);
        reports.push(
            ["vm_V_m.h5", "vm_I_syn_ex.h5"].map(|f| read_report(&out.join(f), "cells").unwrap()),
        );
    }
    assert_eq!(reports[0][0].node_ids, vec![0, 1]);
    assert_eq!(reports[0][0].data.len(), 2 * 1000);
    assert!(
        reports[0] == reports[1],
        "reports differ between 1 and 2 ranks"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Two ranks that do not see the same output directory (MPMD launch with
/// different working directories and a relative --out, as on nodes without
/// a shared filesystem) refuse at once, exit 2, before simulating.
#[test]
fn ranks_without_a_shared_output_directory_refuse_at_once() {
    let dir = scratch("mpi-no-shared-fs");
    let (a, b) = (dir.join("node-a"), dir.join("node-b"));
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    let cfg = repo("configs/brunel.toml");
    let rank_args = args(&cfg, Path::new("out"), 1, &["--t-stop", "100000"]);
    let mut mpmd = Command::new("mpirun");
    mpmd.env("OMPI_ALLOW_RUN_AS_ROOT", "1")
        .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
        .args(["--oversubscribe", "--bind-to", "none"]);
    for (i, wdir) in [&a, &b].into_iter().enumerate() {
        if i > 0 {
            mpmd.arg(":");
        }
        mpmd.args(["-np", "1", "--wdir", wdir.to_str().unwrap()])
            .args([env!("CARGO_BIN_EXE_brainsim"), "run"])
            .args(&rank_args);
    }
    let start = Instant::now();
    let out = mpmd.output().expect("mpirun must be installed");
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "took {:?}",
        start.elapsed()
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("do not see the same output directory"),
        "{stderr}"
    );
    assert!(!a.join("out/metadata.json").exists() && !b.join("out/metadata.json").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

/// SIGTERM to every rank of a 2-rank job: the ranks agree on a stop epoch,
/// close and merge their outputs, mark the run interrupted and exit 3.
#[test]
fn sigterm_to_all_ranks_interrupts_the_job_with_merged_outputs() {
    let dir = scratch("mpi-sigterm");
    let out = dir.join("out");
    let cfg = repo("configs/brunel.toml");
    let mut job = mpirun(2, &args(&cfg, &out, 1, &["--t-stop", "100000"]))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("mpirun must be installed");
    let start = Instant::now();
    while !RunMetadata::read(&out).is_ok_and(|m| m.t_valid_ms > 0.0) {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "no flush within 120 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // Both pids first: the ranks agree to stop within an epoch of the first
    // signal and then remove their pid files.
    let pids: Vec<String> = (0..2)
        .map(|r| std::fs::read_to_string(out.join(format!("rank{r}.pid"))).unwrap())
        .collect();
    for pid in &pids {
        Command::new("kill")
            .args(["-TERM", pid.trim()])
            .status()
            .unwrap();
    }
    let status = wait_with_timeout(&mut job, Duration::from_secs(60)).expect("the job ends");
    assert_eq!(status.code(), Some(3));
    let meta = RunMetadata::read(&out).unwrap();
    assert_eq!(meta.status, "interrupted");
    assert!(meta.t_valid_ms > 0.0 && meta.t_valid_ms < 100000.0);
    assert_eq!(
        read_spikes(&out).len() as u64,
        meta.spikes,
        "merged, every spike once"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
