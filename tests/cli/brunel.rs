//! Brunel (2000) model A as NEST 3.10 simulates it: mean rate 35.6 Hz (within
//! 5%) and mean CV of the inter-spike intervals 0.35 (within 10%) over
//! [100, 600) ms, CV per excitatory neuron with at least 3 spikes.

use super::*;
use brainsim_io::analyze::analyze_spikes;

#[test]
fn brunel_rate_and_cv_match_nest() {
    let dir = scratch("brunel");
    let out = dir.join("out");
    run_ok(&[
        "run",
        repo("configs/brunel.toml").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--t-stop",
        "600",
        "--threads",
        "2",
    ]);
    let stats = analyze_spikes(&out.join("spikes.h5"), 100.0, 600.0, 10.0).unwrap();
    let e = stats.iter().find(|s| s.population == "E").unwrap();
    let i = stats.iter().find(|s| s.population == "I").unwrap();
    let total_rate = (e.rate_hz * e.n_nodes as f64 + i.rate_hz * i.n_nodes as f64)
        / (e.n_nodes + i.n_nodes) as f64;
    assert!(
        (total_rate - 35.6).abs() <= 0.05 * 35.6,
        "mean rate {total_rate} Hz, NEST 35.6 Hz"
    );
    assert!(
        (e.rate_hz - 35.6).abs() <= 0.05 * 35.6,
        "E rate {} Hz",
        e.rate_hz
    );
    let cv = e.cv_isi.unwrap();
    assert!((cv - 0.35).abs() <= 0.1 * 0.35, "mean CV {cv}, NEST 0.35");
    assert!(e.n_cv > 9000, "only {} neurons with >= 3 spikes", e.n_cv);
    let _ = std::fs::remove_dir_all(&dir);
}
