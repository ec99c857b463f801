//! `brainsim sweep`: a 2x2 sweep run locally and as a job array through a
//! private Slurm (`slurm.rs`'s `LocalSlurm`), `brainsim analyze` on the sweep
//! directory against analysing each variant by hand, the job array's script,
//! and bad input (one line, exit 2, nothing written).

use super::slurm::{ended, LocalSlurm};
use super::submit::tiny_config;
use super::*;
use brainsim_io::metadata::RunMetadata;
use std::time::{Duration, Instant};

/// The 2x2 sweep of every test: a weight (an integer given for a float key)
/// and the seed.
const SETS: [&str; 4] = [
    "--set",
    "projection.0.weight=40,45",
    "--set",
    "simulation.seed=1,2",
];

/// `brainsim analyze ARGS` (must succeed): stdout.
fn analyze(args: &[&str]) -> String {
    let mut all = vec!["analyze"];
    all.extend(args);
    String::from_utf8(run_ok(&all).stdout).unwrap()
}

/// Checks the 4 variants of `sweep` against analysing each by hand, in CSV
/// (same numbers, the swept values in front) and as a table (4 rows per
/// population); returns the CSV.
fn summary_matches_each_variant(sweep: &Path) -> String {
    let s = sweep.to_str().unwrap();
    let csv = analyze(&[s, "--format", "csv"]);
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "index,projection.0.weight,simulation.seed,population,neurons,spikes,rate_hz,cv_isi,n_cv,fano,t_start_ms,t_stop_ms"
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 8, "{csv}");
    let values = [("40.0", "1"), ("40.0", "2"), ("45.0", "1"), ("45.0", "2")];
    for (i, (w, seed)) in values.iter().enumerate() {
        let out = sweep.join(i.to_string()).join("out");
        let by_hand = analyze(&[out.to_str().unwrap(), "--format", "csv", "--no-png"]);
        let expected: Vec<String> = by_hand
            .lines()
            .skip(1)
            .map(|l| format!("{i},{w},{seed},{l}"))
            .collect();
        let got: Vec<&str> = rows
            .iter()
            .copied()
            .filter(|r| r.starts_with(&format!("{i},")))
            .collect();
        assert_eq!(got, expected, "variant {i}");
    }
    let table = analyze(&[s]);
    for pop in ["E", "I"] {
        let n = table
            .lines()
            .filter(|l| l.split_whitespace().nth(3) == Some(pop))
            .count();
        assert_eq!(n, 4, "{pop}:\n{table}");
    }
    let json: serde_json::Value = serde_json::from_str(&analyze(&[s, "--format", "json"])).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 8);
    assert_eq!(json[7]["simulation.seed"], 2);
    let written = std::fs::read_to_string(sweep.join("sweep_summary.csv")).unwrap();
    assert_eq!(written, csv);
    csv
}

#[test]
fn a_local_2x2_sweep_runs_every_variant_and_analyze_matches_each_by_hand() {
    let dir = scratch("sweep-local");
    let cfg = tiny_config(&dir);
    let sweep = dir.join("sw");
    let mut args = vec!["sweep", cfg.to_str().unwrap()];
    args.extend(SETS);
    args.extend([
        "--out",
        sweep.to_str().unwrap(),
        "--local",
        "--threads",
        "1",
    ]);
    run_ok(&args);
    let table = std::fs::read_to_string(sweep.join("sweep.csv")).unwrap();
    assert_eq!(
        table,
        "index,projection.0.weight,simulation.seed\n0,40.0,1\n1,40.0,2\n2,45.0,1\n3,45.0,2\n"
    );
    for i in 0..4 {
        let meta = RunMetadata::read(&sweep.join(format!("{i}/out"))).unwrap();
        assert!(meta.is_finished(), "variant {i}");
        let text = std::fs::read_to_string(sweep.join(format!("{i}/config.toml"))).unwrap();
        assert!(text.contains(&format!("seed = {}", i % 2 + 1)), "{text}");
    }
    summary_matches_each_variant(&sweep);
    // The same directory again: refused (it is not empty) and left as it was.
    let again = bin().args(&args).output().unwrap();
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("--overwrite"));
    assert!(sweep.join("3/out/spikes.h5").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_job_array_script_picks_the_variant_by_task_id_and_the_dry_run_writes_nothing() {
    let dir = scratch("sweep-dry");
    let cfg = tiny_config(&dir);
    let sweep = dir.join("sw");
    let s = sweep.to_str().unwrap();
    let mut args = vec!["sweep", cfg.to_str().unwrap()];
    args.extend(SETS);
    args.extend(["--out", s, "--nodes", "1", "--ranks-per-node", "2"]);
    args.extend(["--threads", "1", "--time", "00:10:00", "--launcher", "srun"]);
    args.push("--dry-run");
    let script = String::from_utf8(run_ok(&args).stdout).unwrap();
    for line in [
        "#SBATCH --array=0-3",
        &format!("#SBATCH --output={s}/%a/slurm-%A_%a.out"),
        "#SBATCH --ntasks-per-node=2",
        "#SBATCH --signal=B:TERM@120",
        &format!("SWEEP='{s}'"),
        "CONFIG=\"$SWEEP/$SLURM_ARRAY_TASK_ID/config.toml\"",
        "OUT=\"$SWEEP/$SLURM_ARRAY_TASK_ID/out\"",
        "export RAYON_NUM_THREADS=1",
    ] {
        assert!(
            script.lines().any(|l| l == line),
            "no `{line}` in:\n{script}"
        );
    }
    assert!(script.contains("step \"$BRAINSIM\" run \"$CONFIG\" --out \"$OUT\""));
    let path = dir.join("check.sbatch");
    std::fs::write(&path, &script).unwrap();
    let res = Command::new("bash").arg("-n").arg(&path).output().unwrap();
    assert!(
        res.status.success(),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    assert!(!sweep.exists());
    let _ = std::fs::remove_dir_all(&dir);
}

/// `brainsim sweep` with `sets` and `extra` (PATH replaced by `path` when
/// given) must fail with exit 2, one line naming every word of `words`, and
/// write nothing.
fn refused(sets: &[&str], extra: &[&str], path: Option<&str>, words: &[&str]) {
    let dir = scratch("sweep-bad");
    let cfg = tiny_config(&dir);
    let sweep = dir.join("sw");
    let mut cmd = bin();
    cmd.args([
        "sweep",
        cfg.to_str().unwrap(),
        "--out",
        sweep.to_str().unwrap(),
    ]);
    for s in sets {
        cmd.args(["--set", s]);
    }
    cmd.args(extra);
    if let Some(p) = path {
        cmd.env("PATH", p);
    }
    let res = cmd.output().unwrap();
    let err = String::from_utf8_lossy(&res.stderr);
    assert_eq!(res.status.code(), Some(2), "{sets:?} {extra:?}: {err}");
    assert_eq!(
        err.trim_end().lines().count(),
        1,
        "{sets:?} {extra:?}: {err}"
    );
    for w in words {
        assert!(
            err.contains(w),
            "{sets:?} {extra:?}: `{w}` missing from {err}"
        );
    }
    assert!(
        !sweep.exists(),
        "{sets:?} {extra:?} created {}",
        sweep.display()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_sweep_input_is_refused_in_one_line_and_writes_nothing() {
    let local = ["--local"];
    let job = [
        "--nodes",
        "1",
        "--ranks-per-node",
        "1",
        "--threads",
        "1",
        "--time",
        "00:05:00",
    ];
    refused(
        &["simulation.sed=1,2"],
        &local,
        None,
        &["--set simulation.sed", "unknown"],
    );
    refused(
        &["simulation.seed=1.5"],
        &local,
        None,
        &["--set simulation.seed", "float", "integer"],
    );
    refused(
        &["population.0.name=1"],
        &local,
        None,
        &["--set population.0.name", "string"],
    );
    refused(
        &["projection.5.weight=1.0"],
        &local,
        None,
        &["--set projection.5.weight", "index"],
    );
    refused(
        &["simulation.seed=abc"],
        &local,
        None,
        &["--set simulation.seed", "TOML value"],
    );
    refused(
        &["simulation.seed=1", "simulation.seed=2"],
        &local,
        None,
        &["twice"],
    );
    refused(
        &["simulation.seed=1,2", "population.0.params.tau_m=10.0,-1.0"],
        &local,
        None,
        &[
            "variant 1 of 4",
            "tau_m=-1.0",
            "population[0].params.tau_m",
            "> 0",
        ],
    );
    let mut nodes = job;
    nodes[1] = "0";
    refused(&["simulation.seed=1,2"], &nodes, None, &["--nodes"]);
    let mut time = job;
    time[7] = "1:00";
    refused(&["simulation.seed=1,2"], &time, None, &["--time", "1:00"]);
    let empty = scratch("sweep-empty-path");
    refused(
        &["simulation.seed=1,2"],
        &job,
        Some(empty.to_str().unwrap()),
        &["sbatch: not found"],
    );
    let _ = std::fs::remove_dir_all(&empty);
}

/// The `JobState`s of the tasks of array job `id` (one per line of
/// `scontrol show job -o`; one line for the tasks not yet started).
fn task_states(cluster: &LocalSlurm, id: &str) -> Vec<(String, String)> {
    let out = cluster
        .cmd("scontrol")
        .args(["show", "job", "-o", id])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let field = |k: &str| {
                l.split_whitespace()
                    .find_map(|t| t.strip_prefix(k))
                    .unwrap_or("")
                    .to_string()
            };
            (field("ArrayTaskId="), field("JobState="))
        })
        .collect()
}

#[test]
fn a_2x2_sweep_runs_as_a_slurm_job_array_and_analyze_prints_its_4_rows() {
    let Some(cluster) = LocalSlurm::start("sweep-array") else {
        return;
    };
    let dir = scratch("sweep-array-run");
    let cfg = tiny_config(&dir);
    let sweep = dir.join("sw");
    let res = cluster
        .brainsim()
        .args(["sweep", cfg.to_str().unwrap()])
        .args(SETS)
        .args(["--out", sweep.to_str().unwrap()])
        .args(["--nodes", "1", "--ranks-per-node", "1", "--threads", "1"])
        .args(["--time", "00:05:00", "--launcher", "mpirun"])
        .output()
        .unwrap();
    assert!(
        res.status.success(),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    let id = String::from_utf8(res.stdout).unwrap().trim().to_string();
    assert!(
        !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()),
        "`{id}`"
    );
    let job = brainsim_io::job_record::JobRecord::read(&sweep)
        .unwrap()
        .unwrap();
    assert_eq!(job.job_id, id);
    let start = Instant::now();
    let tasks = loop {
        let t = task_states(&cluster, &id);
        let singles = t
            .iter()
            .filter(|(task, _)| task.parse::<u32>().is_ok())
            .count();
        if singles == 4 && t.iter().all(|(_, s)| ended(s)) {
            break t;
        }
        if start.elapsed() > Duration::from_secs(180) {
            let log = std::fs::read_to_string(sweep.join(format!("0/slurm-{id}_0.out")))
                .unwrap_or_default();
            panic!(
                "job array {id}: {t:?}\n{}\n{log}{}",
                cluster.show(&id),
                cluster.logs()
            );
        }
        std::thread::sleep(Duration::from_millis(250));
    };
    for (task, state) in &tasks {
        let log = std::fs::read_to_string(sweep.join(format!("{task}/slurm-{id}_{task}.out")))
            .unwrap_or_default();
        assert_eq!(state, "COMPLETED", "task {task}: {log}");
        assert!(log.contains("brainsim job: the run finished"), "{log}");
    }
    for i in 0..4 {
        let meta = RunMetadata::read(&sweep.join(format!("{i}/out"))).unwrap();
        assert!(meta.is_finished(), "variant {i}");
    }
    summary_matches_each_variant(&sweep);
    let _ = std::fs::remove_dir_all(&dir);
}
