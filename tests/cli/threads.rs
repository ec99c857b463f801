//! Spikes bit-identical for 1, 2 and 3 threads (Brunel and a scaled-down
//! microcircuit with distributed weights and delays).

use super::*;

fn spikes_for(
    config: &Path,
    name: &str,
    threads: usize,
    extra: &[&str],
) -> Vec<(String, u64, u64)> {
    let dir = scratch(&format!("{name}-t{threads}"));
    let mut args = vec![
        "run".to_string(),
        config.to_str().unwrap().into(),
        "--out".into(),
        dir.to_str().unwrap().into(),
        "--threads".into(),
        threads.to_string(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    let refs: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
    run_ok(&refs);
    let s = read_spikes(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    s
}

#[test]
fn brunel_spikes_identical_for_1_2_3_threads() {
    let cfg = repo("configs/brunel.toml");
    let one = spikes_for(&cfg, "brunel", 1, &["--t-stop", "200"]);
    assert!(one.len() > 50_000);
    assert_eq!(one, spikes_for(&cfg, "brunel", 2, &["--t-stop", "200"]));
    assert_eq!(one, spikes_for(&cfg, "brunel", 3, &["--t-stop", "200"]));
}

#[test]
fn small_microcircuit_spikes_identical_for_1_2_3_threads() {
    let dir = scratch("mc-small-cfg");
    let text = std::fs::read_to_string(repo("configs/microcircuit.toml")).unwrap();
    let cfg = dir.join("mc.toml");
    let text = set_key(&set_key(&text, "scale", "0.02"), "chunk_size", "100");
    std::fs::write(&cfg, text).unwrap();
    let one = spikes_for(&cfg, "mc", 1, &["--t-stop", "300"]);
    assert!(one.len() > 1000, "{} spikes", one.len());
    assert_eq!(one, spikes_for(&cfg, "mc", 2, &["--t-stop", "300"]));
    assert_eq!(one, spikes_for(&cfg, "mc", 3, &["--t-stop", "300"]));
    let _ = std::fs::remove_dir_all(&dir);
}
