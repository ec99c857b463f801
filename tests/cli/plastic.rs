//! A plastic network end to end (configs/plastic_brunel.toml, scaled down):
//! the same spikes and the same final weight file on one rank and under
//! mpirun on 2 and 3 ranks with either partitioner; the weights moved; and
//! checkpoints, which do not hold plastic state yet, are refused.

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

#[test]
fn a_plastic_network_gives_the_same_spikes_and_weights_on_any_layout() {
    let dir = scratch("plastic");
    let text = std::fs::read_to_string(repo("configs/plastic_brunel.toml")).unwrap();
    let text = set_key(&set_key(&text, "t_stop", "200.0"), "chunk_size", "100")
        .replace("[simulation]\n", "[simulation]\nscale = 0.2\n");
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
    assert!(RunMetadata::read(&one)
        .unwrap()
        .outputs
        .contains(&"weights_E_E_0.h5".to_string()));
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
    }
    let res = bin()
        .args([
            "run",
            cfg.to_str().unwrap(),
            "--out",
            dir.join("ckpt").to_str().unwrap(),
            "--checkpoint-every",
            "50",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&res.stderr);
    assert_eq!(res.status.code(), Some(2), "{err}");
    assert!(
        err.contains("projection[0] is plastic") && err.lines().count() == 1,
        "{err}"
    );
    assert!(!dir.join("ckpt").exists(), "nothing written");
    let _ = std::fs::remove_dir_all(&dir);
}
