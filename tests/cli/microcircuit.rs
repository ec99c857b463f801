//! The Potjans & Diesmann (2014) microcircuit at full scale (77,169 neurons,
//! 0.3 billion synapses): every population's mean rate over [500, 1500) ms
//! within 15% of the published NEST values.

use super::*;
use brainsim_io::analyze::analyze_spikes;

#[test]
fn full_scale_microcircuit_rates_match_published_values() {
    let published = [
        ("L23E", 0.903),
        ("L23I", 2.965),
        ("L4E", 4.414),
        ("L4I", 5.876),
        ("L5E", 7.569),
        ("L5I", 8.633),
        ("L6E", 1.105),
        ("L6I", 7.829),
    ];
    let dir = scratch("microcircuit");
    run_ok(&[
        "run",
        repo("configs/microcircuit.toml").to_str().unwrap(),
        "--out",
        dir.to_str().unwrap(),
        "--threads",
        "2",
    ]);
    let stats = analyze_spikes(&dir.join("spikes.h5"), 500.0, 1500.0, 10.0).unwrap();
    for (pop, rate) in published {
        let s = stats.iter().find(|s| s.population == pop).unwrap();
        assert!(
            (s.rate_hz - rate).abs() <= 0.15 * rate,
            "{pop}: {} Hz, published {rate} Hz",
            s.rate_hz
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
