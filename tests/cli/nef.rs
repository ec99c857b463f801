//! `brainsim run` of NEF configs: the example channel against the ideal
//! signal and bit for bit against the library run of the same model, the
//! command-line overrides, the output directory's policy, a killed run,
//! and bad input (one line, exit 2, nothing written) per class.

use super::*;
use brainsim_io::config::nef;
use brainsim_sim::nef::{Lowpass, NefSim};

/// `name` of `dir/probes.h5` as rows, and the time axis.
fn probe(dir: &Path, name: &str) -> (Vec<Vec<f64>>, Vec<f64>) {
    let f = hdf5::File::open(dir.join("probes.h5")).unwrap();
    let ds = f.dataset(&format!("probes/{name}")).unwrap();
    let width = ds.shape()[1];
    let flat: Vec<f64> = ds.read_raw().unwrap();
    let t: Vec<f64> = f.dataset("time").unwrap().read_raw().unwrap();
    (flat.chunks(width).map(<[f64]>::to_vec).collect(), t)
}

fn units(dir: &Path, name: &str) -> String {
    let f = hdf5::File::open(dir.join("probes.h5")).unwrap();
    let a = f
        .dataset(&format!("probes/{name}"))
        .unwrap()
        .attr("units")
        .unwrap();
    a.read_scalar::<hdf5::types::VarLenUnicode>()
        .unwrap()
        .to_string()
}

fn run_channel(name: &str, extra: &[&str]) -> PathBuf {
    let out = scratch(name).join("out");
    let cfg = repo("configs/nef_channel.toml");
    let mut args = vec!["run", cfg.to_str().unwrap(), "--out", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    run_ok(&args);
    out
}

/// `signal` through lowpass filters of `taus` (s) in turn, each stage one
/// step behind the one before, as node -> A -> B -> probe runs (Nengo's
/// order: a connection's output reaches its target the next step).
fn ideal_chain(signal: &[f64], taus: &[f64], dt: f64) -> Vec<f64> {
    let mut x = signal.to_vec();
    for (stage, &tau) in taus.iter().enumerate() {
        let f = Lowpass::new(tau, dt);
        let mut state = [0.0];
        let delayed: Vec<f64> = (0..x.len())
            .map(|n| if n == 0 || stage == 0 { x[n] } else { x[n - 1] })
            .collect();
        x = delayed
            .iter()
            .map(|&u| {
                f.step(&mut state, &[u]);
                state[0]
            })
            .collect();
    }
    x
}

#[test]
fn the_channel_follows_its_input_and_equals_the_library_run() {
    let out = run_channel("nef-channel", &[]);
    let meta = brainsim_io::metadata::RunMetadata::read(&out).unwrap();
    assert!(meta.is_finished());
    assert_eq!(
        (meta.neurons, meta.outputs.clone()),
        (200, vec!["probes.h5".to_string()])
    );
    let (b, t) = probe(&out, "B");
    assert_eq!(b.len(), 2000);
    for (n, &t) in t.iter().enumerate() {
        assert_eq!(t, (n + 1) as f64, "time axis (ms)");
    }
    // Against the ideal: sin(2 pi t) through A's, B's and the probe's
    // filters (5, 5, 10 ms); as bounded in sim/tests/nef_native.rs.
    let input: Vec<f64> = (1..=2000)
        .map(|n| (2.0 * std::f64::consts::PI * n as f64 * 0.001).sin())
        .collect();
    let ideal = ideal_chain(&input, &[0.005, 0.005, 0.01], 0.001);
    let got: Vec<f64> = b.iter().map(|r| r[0]).collect();
    let rmse = (got
        .iter()
        .zip(&ideal)
        .map(|(x, y)| (x - y).powi(2))
        .sum::<f64>()
        / 2000.0)
        .sqrt();
    eprintln!("nef_channel.toml: RMSE {rmse:.4} against the ideal");
    assert!(rmse <= 0.03, "RMSE {rmse}");
    // The same model run by the library: every probe bit for bit.
    let config = nef::load(&repo("configs/nef_channel.toml")).unwrap();
    let built = config.build().unwrap();
    let mut sim = NefSim::new(&built);
    sim.run(config.steps());
    for (k, p) in config.spec.probes.iter().enumerate() {
        let (rows, _) = probe(&out, &p.name);
        let flat: Vec<f64> = rows.concat();
        assert_eq!(flat.len(), sim.record(k).len(), "{}", p.name);
        let same = flat
            .iter()
            .zip(sim.record(k))
            .all(|(a, b)| a.to_bits() == b.to_bits());
        assert!(same, "probe {} differs from the library's run", p.name);
    }
    assert_eq!(units(&out, "B"), "1");
    assert_eq!(units(&out, "A_spikes"), "1/s");
    // A spike is amplitude / dt = 1000 /s for one step.
    let (spikes, _) = probe(&out, "A_spikes");
    assert!(spikes.concat().iter().all(|&s| s == 0.0 || s == 1000.0));
}

#[test]
fn threads_seed_and_t_stop_are_taken_from_the_command_line() {
    let one = run_channel("nef-threads1", &["--threads", "1"]);
    let two = run_channel("nef-threads2", &["--threads", "2"]);
    assert_eq!(probe(&one, "A_spikes").0, probe(&two, "A_spikes").0);
    let seeded = run_channel("nef-seed", &["--seed", "9", "--t-stop", "500"]);
    let (b, t) = probe(&seeded, "A_spikes");
    assert_eq!((b.len(), *t.last().unwrap()), (500, 500.0));
    assert_ne!(
        b,
        probe(&one, "A_spikes").0[..500].to_vec(),
        "another seed, other neurons"
    );
    let effective = std::fs::read_to_string(seeded.join("config.effective.toml")).unwrap();
    assert!(
        effective.contains("seed = 9") && effective.contains("t_stop = 500.0"),
        "{effective}"
    );
}

#[test]
fn an_earlier_run_is_refused_unless_overwritten() {
    let out = run_channel("nef-overwrite", &["--t-stop", "10"]);
    let cfg = repo("configs/nef_channel.toml");
    let again = bin()
        .args(["run", cfg.to_str().unwrap(), "--out", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("--overwrite"));
    run_ok(&[
        "run",
        cfg.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--overwrite",
    ]);
    assert_eq!(probe(&out, "B").0.len(), 2000);
}

/// A run whose probes would not fit is refused before it starts (one
/// line, exit 2, no output directory); `--force` runs it anyway; `analyze`
/// refuses its output in one line, naming what it is.
#[test]
fn a_run_whose_records_would_not_fit_is_refused_unless_forced() {
    let dir = scratch("nef-memory");
    let cfg = repo("configs/nef_channel.toml");
    let cfg = cfg.to_str().unwrap();
    let out = dir.join("long");
    let res = bin()
        .args([
            "run",
            cfg,
            "--out",
            out.to_str().unwrap(),
            "--t-stop",
            "100000000",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&res.stderr);
    assert_eq!(res.status.code(), Some(2), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    // Rows of f64: A_spikes 100 wide, B and stim 1 each; rank 0 holds two
    // copies.
    let gib = |width: f64| format!("{:.2} GiB", width * 1e8 * 8.0 / f64::powi(2.0, 30));
    let want = format!(
        "nef_channel.toml: the probes would record an estimated {} over 100000000 steps (the largest, probe `A_spikes`: {})",
        gib(2.0 * 102.0),
        gib(100.0)
    );
    assert!(err.contains(&want), "{err}\nwant: {want}");
    assert!(!out.exists(), "nothing written");
    // 2000 steps: 2 x (100 + 100 + 1 + 1 + ...) rows of f64, above 1 KiB.
    let small = dir.join("small");
    let tiny = ["--max-memory", "0.000001"];
    let res = bin()
        .args(["run", cfg, "--out", small.to_str().unwrap()])
        .args(tiny)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&res.stderr);
    assert_eq!(res.status.code(), Some(2), "{err}");
    assert!(err.contains("MiB --max-memory"), "{err}");
    assert!(!small.exists(), "nothing written");
    run_ok(&[
        "run",
        cfg,
        "--out",
        small.to_str().unwrap(),
        tiny[0],
        tiny[1],
        "--force",
    ]);
    assert_eq!(probe(&small, "B").0.len(), 2000);
    // `analyze` reads spiking runs and says so of this one, in one line.
    let res = bin()
        .args(["analyze", small.to_str().unwrap()])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&res.stderr);
    assert_eq!(res.status.code(), Some(2), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("an NEF run's output (probes.h5, no spikes.h5)"),
        "{err}"
    );
}

#[test]
fn a_killed_run_leaves_no_probe_file() {
    let dir = scratch("nef-killed");
    let out = dir.join("out");
    let cfg = repo("configs/nef_oscillator.toml");
    let mut child = bin()
        .args([
            "run",
            cfg.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--t-stop",
            "100000000",
        ])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while !out.join("metadata.json").exists() {
        assert!(start.elapsed().as_secs() < 60, "the run did not start");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    child.kill().unwrap();
    child.wait().unwrap();
    let meta = brainsim_io::metadata::RunMetadata::read(&out).unwrap();
    assert_eq!(meta.status, "running");
    assert!(
        !out.join("probes.h5").exists(),
        "a killed run left a probe file"
    );
}

const GOOD: &str = r#"[simulation]
dt = 1.0
t_stop = 20.0

[[nef.node]]
name = "in"
output = "sine"
frequency = 1.0

[[nef.ensemble]]
name = "a"
n_neurons = 20
dimensions = 2
intercepts = { distribution = "uniform", low = -1.0, high = 0.9 }

[[nef.ensemble]]
name = "b"
n_neurons = 20
max_rates = { distribution = "uniform", low = 200.0, high = 400.0 }

[[nef.connection]]
pre = "in"
post = "a"
transform = [[1.0], [0.5]]

[[nef.connection]]
pre = "a"
post = "b"
function = { points = [[0.0, 0.0], [0.5, 0.5]], values = [[0.0], [0.25]] }

[[nef.probe]]
name = "b"
target = "b"
synapse = 10.0
"#;

/// `brainsim run` of `text`: exit 2, one stderr line `file:line: field`
/// with every one of `words`, and no output directory.
fn refused(name: &str, text: &str, at: &str, field: &str, words: &[&str]) {
    let dir = scratch(&format!("nef-bad-{name}"));
    let cfg = dir.join("net.toml");
    std::fs::write(&cfg, text).unwrap();
    let out_dir = dir.join("out");
    let out = bin()
        .args([
            "run",
            cfg.to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
    assert_eq!(
        stderr.trim_end().lines().count(),
        1,
        "{name}: not one line: {stderr}"
    );
    let line = text.lines().position(|l| l.contains(at)).expect("needle") + 1;
    let prefix = format!("{}:{line}: {field}: ", cfg.display());
    assert!(
        stderr.starts_with(&prefix),
        "{name}: expected `{prefix}`, got: {stderr}"
    );
    for w in words {
        assert!(stderr.contains(w), "{name}: `{w}` missing from: {stderr}");
    }
    assert!(!out_dir.exists(), "{name}: an output directory was created");
}

#[test]
fn the_good_nef_config_runs() {
    let dir = scratch("nef-good");
    let cfg = dir.join("net.toml");
    std::fs::write(&cfg, GOOD).unwrap();
    let out = dir.join("out");
    run_ok(&["run", cfg.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(probe(&out, "b").0.len(), 20);
    let check = run_ok(&["check", cfg.to_str().unwrap()]);
    let said = String::from_utf8_lossy(&check.stdout);
    assert!(
        said.contains("2 ensembles, 40 neurons") && said.contains("2 connections"),
        "{said}"
    );
}

#[test]
fn bad_nef_input_is_one_line_and_exit_2() {
    let cases: [(&str, String, &str, &str, &[&str]); 7] = [
        ("transform", GOOD.replace("[[1.0], [0.5]]", "[[1.0, 0.5]]"), "transform = [[1.0, 0.5]]", "nef.connection[0].transform", &["1 rows x 2 columns", "`a` takes 2"]),
        ("table", GOOD.replace("values = [[0.0], [0.25]]", "values = [[0.0]]"), "values = [[0.0]]", "nef.connection[1].function.values", &["1 rows for 2 points"]),
        ("intercepts", GOOD.replace("high = 0.9", "high = 1.2"), "high = 1.2", "nef.ensemble[0].intercepts", &["outside [-1, 1]"]),
        ("max_rate", GOOD.replace("high = 400.0", "high = 600.0"), "high = 600.0", "nef.ensemble[1].max_rates", &["not below 1 / tau_ref = 500"]),
        ("name", GOOD.replace("post = \"b\"", "post = \"c\""), "post = \"c\"", "nef.connection[1].post", &["unknown name `c`"]),
        ("key", GOOD.replace("n_neurons = 20\ndimensions = 2", "n_neurons = 20\ndimension = 2"), "dimension = 2", "nef.ensemble[0].dimension", &["unknown key `dimension`"]),
        // Only the library's build finds this one (an unfiltered
        // connection between ensembles): named by its table.
        ("build", format!("{GOOD}\n[[nef.connection]] # the third\npre = \"a\"\npost = \"a\"\nsynapse = \"none\"\n"), "# the third", "nef.connection[2]", &["needs a synapse"]),
    ];
    for (name, text, at, field, words) in &cases {
        refused(name, text, at, field, words);
    }
}

/// Every probe of `dir/probes.h5`, by name, flat.
fn all_probes(dir: &Path) -> Vec<(String, Vec<f64>)> {
    let f = hdf5::File::open(dir.join("probes.h5")).unwrap();
    let g = f.group("probes").unwrap();
    let mut names = g.member_names().unwrap();
    names.sort();
    names
        .into_iter()
        .map(|n| {
            let v: Vec<f64> = g.dataset(&n).unwrap().read_raw().unwrap();
            (n, v)
        })
        .collect()
}

/// `model` (a config or an export) under `mpirun -np ranks` with `extra`
/// arguments: its probes.
fn probes_on_ranks(
    model: &Path,
    name: &str,
    ranks: usize,
    extra: &[&str],
) -> Vec<(String, Vec<f64>)> {
    let out = scratch(name).join("out");
    let args = super::mpi::args(model, &out, 1, extra);
    let run = super::mpi::mpirun(ranks, &args)
        .output()
        .expect("mpirun must be installed");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let meta = brainsim_io::metadata::RunMetadata::read(&out).unwrap();
    assert!(meta.is_finished() && meta.ranks == ranks, "{meta:?}");
    all_probes(&out)
}

/// The oscillator's decoded value and the channel's spikes, decoded values
/// and node: every probe bit for bit on 1 rank x 2 threads, 2 ranks (METIS)
/// and 3 ranks (round robin) under mpirun.
#[test]
fn probes_are_bit_identical_on_1_2_and_3_ranks() {
    for cfg in ["configs/nef_channel.toml", "configs/nef_oscillator.toml"] {
        let cfg = repo(cfg);
        let one = run_ok_probes(&cfg, "nef-ranks-1");
        assert!(!one.is_empty());
        let two = probes_on_ranks(&cfg, "nef-ranks-2", 2, &["--t-stop", "1000"]);
        let three = probes_on_ranks(
            &cfg,
            "nef-ranks-3",
            3,
            &["--t-stop", "1000", "--partitioner", "round_robin"],
        );
        for (other, ranks) in [(&two, 2), (&three, 3)] {
            assert_eq!(other.len(), one.len());
            for ((n, a), (m, b)) in one.iter().zip(other.iter()) {
                assert!(
                    n == m && a == b,
                    "{cfg:?}: probe {n} differs on {ranks} ranks"
                );
            }
        }
    }
}

/// 1 rank x 2 threads, 1000 ms.
fn run_ok_probes(cfg: &Path, name: &str) -> Vec<(String, Vec<f64>)> {
    let out = scratch(name).join("out");
    run_ok(&[
        "run",
        cfg.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--threads",
        "2",
        "--t-stop",
        "1000",
        "--quiet",
    ]);
    all_probes(&out)
}

/// Models exported from Nengo 4.1 (`io/tests/fixtures/nengo_replay/`, by
/// `scripts/nengo_replay_fixtures.py`; `array`'s passthrough nodes folded
/// by the reader) run by `brainsim run model.h5` on 1 and 2 ranks: every
/// spike at Nengo's step and neuron, decoded values within 1e-6 of Nengo's
/// (the replay test bounds them much tighter).
#[test]
fn a_nengo_export_runs_from_the_command_line_as_in_nengo() {
    for (model, spikes, value) in [("mixed", "A_spikes", "B"), ("array", "B_spikes", "ea_out")] {
        let fixture = repo(&format!("io/tests/fixtures/nengo_replay/{model}.h5"));
        let reference = hdf5::File::open(repo(&format!(
            "io/tests/fixtures/nengo_replay/{model}.ref.h5"
        )))
        .unwrap();
        for ranks in [1, 2] {
            let tag = format!("nef-export-{model}-{ranks}");
            let got = probes_on_ranks(&fixture, &tag, ranks, &[]);
            let get = |name: &str| &got.iter().find(|(n, _)| n == name).unwrap().1;
            // Spikes: Nengo's (step, neuron) pairs against our amplitude rows.
            let a = get(spikes);
            let width = a.len() / 2000;
            let ours: Vec<(usize, usize)> = a
                .iter()
                .enumerate()
                .filter(|(_, &v)| v != 0.0)
                .map(|(i, _)| (i / width + 1, i % width))
                .collect();
            let theirs: Vec<i32> = reference
                .dataset(&format!("spikes/{spikes}"))
                .unwrap()
                .read_raw()
                .unwrap();
            let theirs: Vec<(usize, usize)> = theirs
                .chunks(2)
                .map(|p| (p[0] as usize, p[1] as usize))
                .collect();
            assert!(
                theirs.len() > 1000 && ours == theirs,
                "{model}: spikes differ on {ranks} rank(s)"
            );
            let b: Vec<f64> = reference
                .dataset(&format!("probes/{value}"))
                .unwrap()
                .read_raw()
                .unwrap();
            assert_eq!(get(value).len(), b.len(), "{model}: {value}");
            let worst = get(value)
                .iter()
                .zip(&b)
                .map(|(x, y)| (x - y).abs())
                .fold(0.0, f64::max);
            assert!(worst < 1e-6, "{model}: {value} off Nengo's by {worst}");
        }
    }
}

/// `brainsim partition` of an NEF config: the per-rank neurons of its
/// placement add up to the model's, for each partitioner.
#[test]
fn partition_reports_the_placement_of_an_nef_model() {
    let cfg = repo("configs/nef_oscillator.toml");
    for how in ["metis", "round_robin", "block"] {
        let out = run_ok(&[
            "partition",
            cfg.to_str().unwrap(),
            "--ranks",
            "3",
            "--partitioner",
            how,
        ]);
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let per_rank: Vec<usize> = text
            .lines()
            .filter_map(|l| l.trim().strip_prefix("rank "))
            .map(|l| l.split_whitespace().nth(1).unwrap().parse().unwrap())
            .collect();
        assert_eq!(per_rank.len(), 3, "{text}");
        assert_eq!(per_rank.iter().sum::<usize>(), 1000, "{text}");
        assert!(text.contains("cut"), "{text}");
    }
}

/// A file that is not a Nengo export of the right version: one line naming
/// the file and what is wrong, exit 2, no output directory.
#[test]
fn a_bad_export_is_one_line_and_exit_2() {
    let dir = scratch("nef-bad-export");
    let not_hdf5 = dir.join("junk.h5");
    std::fs::write(&not_hdf5, "not HDF5").unwrap();
    let wrong_version = dir.join("v9.h5");
    std::fs::copy(
        repo("io/tests/fixtures/nengo_replay/channel.h5"),
        &wrong_version,
    )
    .unwrap();
    {
        let f = hdf5::File::open_rw(&wrong_version).unwrap();
        f.delete_attr("version").unwrap();
        f.new_attr::<i64>()
            .create("version")
            .unwrap()
            .write_scalar(&9i64)
            .unwrap();
    }
    for (file, words) in [(&not_hdf5, "HDF5"), (&wrong_version, "version")] {
        let out = dir.join("out");
        let run = Command::new(env!("CARGO_BIN_EXE_brainsim"))
            .args([
                "run",
                file.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
            ])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(2), "{stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        assert!(
            stderr.contains(file.to_str().unwrap()) && stderr.contains(words),
            "{stderr}"
        );
        assert!(!out.exists());
    }
}
