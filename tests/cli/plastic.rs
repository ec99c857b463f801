//! A plastic network end to end (configs/plastic_brunel.toml, scaled down):
//! the same spikes, the same final weight file and the same weight
//! recording (byte for byte) on one rank and under mpirun on 2 and 3 ranks
//! with either partitioner; recording changes no spike; the weights moved;
//! a run checkpointed and resumed from its oldest checkpoint on 2 ranks
//! gives the same spikes, final weights and weight recording. Saved
//! weights loaded by `weights_from` are the next run's initial weights
//! exactly, and a file that does not match the projection is refused.

use super::mpi::{args, mpirun};
use super::*;
use brainsim_io::metadata::RunMetadata;

/// (source, target, delay, weight bits) of a run's weight file.
fn weights(dir: &Path) -> Vec<(u64, u64, u64, u64)> {
    let f = hdf5::File::open(dir.join("weights_E_E_0.h5")).unwrap();
    let col = |n: &str| f.dataset(&format!("edges/{n}")).unwrap();
    let (s, t) = (
        col("source_node_id").read_raw::<u64>().unwrap(),
        col("target_node_id").read_raw::<u64>().unwrap(),
    );
    let (d, w) = (
        col("delay").read_raw::<f64>().unwrap(),
        col("weight").read_raw::<f64>().unwrap(),
    );
    let g = f.group("edges").unwrap();
    let model: hdf5::types::VarLenUnicode = g.attr("synapse_model").unwrap().read_scalar().unwrap();
    assert_eq!(model.as_str(), "stdp_pl_synapse_hom");
    (0..s.len())
        .map(|i| (s[i], t[i], d[i].to_bits(), w[i].to_bits()))
        .collect()
}

/// plastic_brunel.toml scaled down (800 E, 200 I) to `t_stop` ms, without
/// its weight recording (the last table of the file).
fn small_config(t_stop: &str) -> String {
    let text = std::fs::read_to_string(repo("configs/plastic_brunel.toml")).unwrap();
    let text = &text[..text.find("\n[[record]]").unwrap()];
    set_key(&set_key(text, "t_stop", t_stop), "chunk_size", "100")
        .replace("[simulation]\n", "[simulation]\nscale = 0.2\n")
}

/// A weight recording of E -> E every 50 ms, sources 0..40, all targets.
const RECORD: &str = "\n[[record]]\ntype = \"weights\"\nsource = \"E\"\ntarget = \"E\"\ninterval = 50.0\nsource_node_ids = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39]\n";

/// A weight recording's (time, source, target, weight rows) as bits.
fn recording(dir: &Path) -> (Vec<f64>, Vec<u64>, Vec<u64>, Vec<Vec<u64>>) {
    let f = hdf5::File::open(dir.join("weight_report_E_E_0.h5")).unwrap();
    assert_eq!(f.attr("finished").unwrap().read_scalar::<u8>().unwrap(), 1);
    let g = f.group("edges").unwrap();
    let w = g.dataset("weight").unwrap().read_2d::<f64>().unwrap();
    let rows = w
        .rows()
        .into_iter()
        .map(|r| r.iter().map(|x| x.to_bits()).collect())
        .collect();
    (
        g.dataset("time").unwrap().read_raw().unwrap(),
        g.dataset("source_node_id").unwrap().read_raw().unwrap(),
        g.dataset("target_node_id").unwrap().read_raw().unwrap(),
        rows,
    )
}

#[test]
fn a_plastic_network_gives_the_same_spikes_and_weights_on_any_layout() {
    let dir = scratch("plastic");
    let text = small_config("200.0") + RECORD;
    let cfg = dir.join("plastic.toml");
    std::fs::write(&cfg, &text).unwrap();
    let one = dir.join("one");
    run_ok(&[
        "run",
        cfg.to_str().unwrap(),
        "--out",
        one.to_str().unwrap(),
        "--quiet",
        "--threads",
        "2",
    ]);
    let (spikes, w) = (read_spikes(&one), weights(&one));
    assert!(spikes.len() > 1000, "{} spikes", spikes.len());
    assert_eq!(
        w.len(),
        800 * 400,
        "every E -> E synapse (scale keeps in-degrees)"
    );
    let moved = w.iter().filter(|x| f64::from_bits(x.3) != 45.61).count();
    assert!(moved > w.len() / 2, "{moved} weights moved");
    let meta = RunMetadata::read(&one).unwrap();
    let (outputs, events) = (meta.outputs, meta.synaptic_events);
    assert!(outputs.contains(&"weights_E_E_0.h5".to_string()));
    assert!(outputs.contains(&"weight_report_E_E_0.h5".to_string()));
    // The recording: t = 0, 50, ..., 200; its last row is the final weights
    // of its synapses (sources 0..40), in the same order.
    let (t, src, tgt, rows) = recording(&one);
    assert_eq!(t, [0.0, 50.0, 100.0, 150.0, 200.0]);
    let kept: Vec<_> = w.iter().filter(|x| x.0 < 40).collect();
    assert_eq!(src.len(), kept.len());
    assert!(kept.iter().zip(&src).all(|(x, s)| x.0 == *s));
    assert!(kept.iter().zip(&tgt).all(|(x, t)| x.1 == *t));
    assert!(kept.iter().zip(&rows[4]).all(|(x, w)| x.3 == *w));
    assert!(rows[0].iter().all(|&w| w == f64::from(45.61f32).to_bits()));
    assert!(rows[1] != rows[0] && rows[2] != rows[1], "weights move");
    // Recording (its shorter epochs, the spikes delivered early) changes
    // no spike.
    let plain = dir.join("plain");
    std::fs::write(dir.join("plain.toml"), small_config("200.0")).unwrap();
    let p = dir.join("plain.toml");
    run_ok(&[
        "run",
        p.to_str().unwrap(),
        "--out",
        plain.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(
        read_spikes(&plain) == spikes,
        "recording changed the spikes"
    );
    // Every spike before t_stop is delivered, whatever the layout and epochs.
    let events_of = |dir: &Path| RunMetadata::read(dir).unwrap().synaptic_events;
    assert_eq!(
        events_of(&plain),
        events,
        "synaptic events, recording or not"
    );
    let report = std::fs::read(one.join("weight_report_E_E_0.h5")).unwrap();
    for (ranks, part) in [(2, "metis"), (3, "round_robin")] {
        let out = dir.join(format!("r{ranks}"));
        let a = args(&cfg, &out, 1, &["--partitioner", part]);
        let res = mpirun(ranks, &a).output().unwrap();
        assert!(
            res.status.success(),
            "{}",
            String::from_utf8_lossy(&res.stderr)
        );
        assert!(
            read_spikes(&out) == spikes,
            "{ranks} ranks, {part}: spikes differ"
        );
        assert!(weights(&out) == w, "{ranks} ranks, {part}: weights differ");
        assert_eq!(
            events_of(&out),
            events,
            "{ranks} ranks, {part}: synaptic events"
        );
        let same = std::fs::read(out.join("weight_report_E_E_0.h5")).unwrap() == report;
        assert!(same, "{ranks} ranks, {part}: weight recordings differ");
    }
    resumed_equals_straight(&cfg, &one, &spikes, &w);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `cfg` run to 120 ms on one rank with checkpoints every 50 ms, then
/// resumed from the oldest checkpoint (50 ms) to 200 ms on 2 ranks: the
/// spikes, the final weights and the weight recording equal those of the
/// run straight to 200 ms (in `straight`: its `spikes` and weights `w`).
fn resumed_equals_straight(
    cfg: &Path,
    straight: &Path,
    spikes: &[(String, u64, u64)],
    w: &[(u64, u64, u64, u64)],
) {
    let dir = straight.with_file_name("resumed");
    let extra = [
        "--t-stop",
        "120",
        "--checkpoint-every",
        "50",
        "--checkpoint-keep",
        "5",
    ];
    run_ok(
        &[
            &[
                "run",
                cfg.to_str().unwrap(),
                "--out",
                dir.to_str().unwrap(),
                "--quiet",
            ],
            &extra[..],
        ]
        .concat(),
    );
    let meta = RunMetadata::read(&dir).unwrap();
    assert!(meta.checkpoints.len() >= 2, "{:?}", meta.checkpoints);
    let oldest = dir.join(&meta.checkpoints[0]).to_str().unwrap().to_string();
    let a: Vec<String> = [
        dir.to_str().unwrap(),
        "--t-stop",
        "200",
        "--checkpoint",
        &oldest,
        "--quiet",
    ]
    .map(String::from)
    .to_vec();
    let res = super::mpi::mpirun_cmd(2, "resume", &a).output().unwrap();
    assert!(
        res.status.success(),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    let meta = RunMetadata::read(&dir).unwrap();
    assert!(
        meta.is_finished() && meta.segments.len() == 2,
        "{}",
        meta.status
    );
    assert!(read_spikes(&dir) == spikes, "resumed: spikes differ");
    assert!(weights(&dir) == w, "resumed: final weights differ");
    assert!(
        recording(&dir) == recording(straight),
        "resumed: weight recordings differ"
    );
}

#[test]
fn saved_weights_are_the_next_runs_initial_weights_exactly() {
    let dir = scratch("plastic_reuse");
    let first = dir.join("first");
    let cfg = dir.join("first.toml");
    std::fs::write(
        &cfg,
        small_config("100.0").replace("save_weights = true\n", ""),
    )
    .unwrap();
    let c = cfg.to_str().unwrap();
    // Without --save-weights no weights file is written.
    let none = dir.join("none");
    run_ok(&["run", c, "--out", none.to_str().unwrap(), "--quiet"]);
    assert!(!none.join("weights_E_E_0.h5").exists());
    run_ok(&[
        "run",
        c,
        "--out",
        first.to_str().unwrap(),
        "--quiet",
        "--save-weights",
    ]);
    let saved = weights(&first);
    assert!(std::fs::read_to_string(first.join("config.effective.toml"))
        .unwrap()
        .contains("save_weights = true"));
    // The second run, from the saved file (relative to its config).
    let text = small_config("100.0").replacen(
        "synapse_model = \"stdp_pl_synapse_hom\"\n",
        "synapse_model = \"stdp_pl_synapse_hom\"\nweights_from = \"first/weights_E_E_0.h5\"\n",
        1,
    );
    let record = "\n[[record]]\ntype = \"weights\"\nprojection = 0\ninterval = 100.0\n";
    let cfg2 = dir.join("second.toml");
    std::fs::write(&cfg2, text.clone() + record).unwrap();
    let second = dir.join("second");
    run_ok(&[
        "run",
        cfg2.to_str().unwrap(),
        "--out",
        second.to_str().unwrap(),
        "--quiet",
        "--threads",
        "2",
    ]);
    let (t, src, tgt, rows) = recording(&second);
    assert_eq!(t, [0.0, 100.0]);
    assert_eq!(src.len(), saved.len());
    for (k, x) in saved.iter().enumerate() {
        assert_eq!((src[k], tgt[k], rows[0][k]), (x.0, x.1, x.3), "edge {k}");
    }
    assert!(weights(&second)
        .iter()
        .zip(&rows[1])
        .all(|(x, w)| x.3 == *w));
    assert!(rows[1] != rows[0], "the loaded weights go on learning");
    // A file that is not this projection's: another in-degree (edge
    // count differs), another seed (other pairs). Refused, nothing written.
    for (name, bad) in [
        (
            "indegree",
            text.replacen("indegree = 400", "indegree = 300", 1),
        ),
        ("seed", set_key(&text, "seed", "5")),
    ] {
        let cfg3 = dir.join(format!("{name}.toml"));
        std::fs::write(&cfg3, bad).unwrap();
        let out = dir.join(name);
        let res = bin()
            .args([
                "run",
                cfg3.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
                "--quiet",
            ])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&res.stderr);
        assert_eq!(res.status.code(), Some(2), "{name}: {err}");
        assert!(err.lines().count() == 1, "{name}: {err}");
        assert!(
            err.contains("first/weights_E_E_0.h5: projection[0] (E -> E): "),
            "{err}"
        );
        let what = if name == "indegree" {
            "40000 edges end on nodes 0..100"
        } else {
            "that the file does not hold"
        };
        assert!(err.contains(what), "{name}: {err}");
        assert!(!out.exists(), "{name}: nothing written");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
