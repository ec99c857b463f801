//! Checkpoints and resume end to end, under mpirun: a run stopped at T1 and
//! resumed to T on another layout (ranks x threads, partitioner) writes the
//! same spikes and state reports as a run straight to T — for Brunel, a
//! scaled microcircuit, an `alif` network and the areas network; resuming
//! from an earlier checkpoint cuts the outputs back; SIGTERM to one rank or
//! to every rank of a job writes a checkpoint and exits 3, and the resumed
//! run is identical; a kill while a checkpoint is being written resumes
//! from the previous one.

use super::mpi::mpirun_cmd;
use super::*;
use brainsim_io::metadata::RunMetadata;
use brainsim_io::sonata_report::read_report;
use std::process::Output;

/// Ranks, threads, partitioner.
type Layout = (usize, usize, &'static str);

/// A state record of nodes 0-2 of `pop`, appended to a config.
pub(super) fn with_report(text: &str, pop: &str) -> String {
    format!(
        "{text}\n[[record]]\ntype = \"state\"\nname = \"probe\"\npopulation = \"{pop}\"\nnode_ids = [0, 1, 2]\nvariables = [\"V_m\"]\ninterval = 0.5\n"
    )
}

/// Writes the test networks into `dir`; returns (name, config, reported population).
fn networks(dir: &Path) -> Vec<(&'static str, PathBuf, &'static str)> {
    let read = |p: &str| std::fs::read_to_string(repo(p)).unwrap();
    let brunel = set_key(
        &set_key(&read("configs/brunel.toml"), "chunk_size", "250"),
        "t_stop",
        "200.0",
    );
    let brunel = brunel.replace("[simulation]\n", "[simulation]\nscale = 0.2\n");
    let alif = brunel.replacen("model = \"iaf_psc_exp\"", "model = \"alif\"", 1);
    let mc = set_key(
        &set_key(&read("configs/microcircuit.toml"), "scale", "0.02"),
        "chunk_size",
        "100",
    );
    let areas = set_key(&read("configs/areas.toml"), "chunk_size", "100");
    let areas = areas.replace("[simulation]\n", "[simulation]\nscale = 0.1\n");
    let mut out = Vec::new();
    for (name, text, pop) in [
        ("brunel", brunel, "E"),
        ("alif", alif, "E"),
        ("microcircuit", mc, "L4E"),
        ("areas", areas, "A00E"),
    ] {
        let path = dir.join(format!("{name}.toml"));
        std::fs::write(&path, with_report(&text, pop)).unwrap();
        out.push((name, path, pop));
    }
    out
}

/// `brainsim <command> <args>` on `layout`'s ranks, which must succeed.
fn on(layout: Layout, command: &str, mut args: Vec<String>) -> Output {
    let (ranks, threads, partitioner) = layout;
    args.extend(
        [
            "--threads",
            &threads.to_string(),
            "--partitioner",
            partitioner,
            "--quiet",
        ]
        .map(String::from),
    );
    let out = mpirun_cmd(ranks, command, &args)
        .output()
        .expect("mpirun runs");
    assert!(
        out.status.success(),
        "{command} {args:?} on {layout:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn s(p: &Path) -> String {
    p.to_str().unwrap().to_string()
}

/// Spikes and the report (data and time axis, as bits) of a run whose
/// report records population `pop`.
pub(super) type Outputs = (Vec<(String, u64, u64)>, Vec<u32>, [u64; 3]);

pub(super) fn outputs(dir: &Path, pop: &str) -> Outputs {
    let rep = read_report(&dir.join("probe_V_m.h5"), pop).unwrap();
    let data = rep.data.iter().map(|v| v.to_bits()).collect();
    (read_spikes(dir), data, rep.time.map(f64::to_bits))
}

/// Runs `cfg` straight to 200 ms on 1x1, then to 120 ms on `first` with
/// checkpoints every 50 ms and resumes to 200 ms on `second` (from the
/// oldest checkpoint, at the first epoch boundary from 50 ms on, when
/// `from_oldest`, else the newest): the outputs must be identical.
fn resumed_equals_straight(
    (name, cfg, pop): (&str, &Path, &str),
    straight: &Path,
    first: Layout,
    second: Layout,
    from_oldest: bool,
) {
    let dir = cfg.parent().unwrap().join(format!(
        "{name}-{}x{}-{}x{}",
        first.0, first.1, second.0, second.1
    ));
    let mut args = vec![
        s(cfg),
        "--out".into(),
        s(&dir),
        "--t-stop".into(),
        "120".into(),
    ];
    args.extend(["--checkpoint-every", "50", "--checkpoint-keep", "5"].map(String::from));
    on(first, "run", args);
    let mut args = vec![s(&dir), "--t-stop".into(), "200".into()];
    if from_oldest {
        let meta = RunMetadata::read(&dir).unwrap();
        assert!(meta.checkpoints.len() >= 2, "{:?}", meta.checkpoints);
        args.extend(["--checkpoint".into(), s(&dir.join(&meta.checkpoints[0]))]);
    }
    on(second, "resume", args);
    let meta = RunMetadata::read(&dir).unwrap();
    assert!(meta.is_finished(), "{name}: {}", meta.status);
    assert_eq!(meta.segments.len(), 2, "{name}: {:?}", meta.segments);
    assert_eq!(meta.segments[1].ranks, second.0);
    assert_eq!(meta.t_stop_ms, 200.0);
    let (want, got) = (outputs(straight, pop), outputs(&dir, pop));
    assert!(want.0.len() > 100, "{name}: {} spikes", want.0.len());
    assert!(
        want.0 == got.0,
        "{name}: spikes differ, {first:?} -> {second:?}"
    );
    assert_eq!(want.1.len(), 3 * 400, "{name}: 400 frames of 3 nodes");
    assert!(
        want.1 == got.1 && want.2 == got.2,
        "{name}: reports differ, {first:?} -> {second:?}"
    );
}

#[test]
fn resume_on_another_layout_is_bit_identical_to_a_run_never_stopped() {
    let dir = scratch("ckpt-resume");
    for (name, cfg, pop) in networks(&dir) {
        let straight = dir.join(format!("{name}-straight"));
        on(
            (1, 1, "metis"),
            "run",
            vec![
                s(&cfg),
                "--out".into(),
                s(&straight),
                "--t-stop".into(),
                "200".into(),
            ],
        );
        let net = (name, cfg.as_path(), pop);
        resumed_equals_straight(net, &straight, (1, 1, "metis"), (2, 1, "metis"), false);
        resumed_equals_straight(net, &straight, (2, 2, "metis"), (1, 3, "metis"), false);
        // From the checkpoint at about 50 ms: the outputs up to 120 ms are cut back.
        resumed_equals_straight(net, &straight, (3, 1, "metis"), (1, 2, "metis"), true);
        resumed_equals_straight(
            net,
            &straight,
            (2, 1, "metis"),
            (2, 1, "round_robin"),
            false,
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
