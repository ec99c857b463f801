//! Procedural connectivity end to end: `configs/brunel_procedural.toml`
//! (pairwise_bernoulli, regenerated at each spike) and a scaled
//! `configs/areas.toml` with `connectivity = "procedural"` (its
//! fixed_total_number projections regenerated, its fixed_indegree ones
//! stored) give the same spikes as their stored twins on 1 and 2 threads and
//! 1, 2 and 3 ranks, while holding no synapses of those projections.

use super::mpi::spikes_for;
use super::*;

/// `text` with `connectivity = ...` set in `[simulation]` (added if absent).
fn with_connectivity(text: &str, mode: &str) -> String {
    if text.contains("\nconnectivity =") {
        set_key(text, "connectivity", &format!("\"{mode}\""))
    } else {
        text.replacen(
            "[simulation]\n",
            &format!("[simulation]\nconnectivity = \"{mode}\"\n"),
            1,
        )
    }
}

fn write_variants(name: &str, text: &str) -> (PathBuf, PathBuf, PathBuf) {
    let dir = scratch(name);
    let stored = dir.join("stored.toml");
    let procedural = dir.join("procedural.toml");
    std::fs::write(&stored, with_connectivity(text, "stored")).unwrap();
    std::fs::write(&procedural, with_connectivity(text, "procedural")).unwrap();
    (dir, stored, procedural)
}

fn same_spikes_any_layout(name: &str, text: &str, t_stop: &str, min_spikes: usize) {
    let (dir, stored, procedural) = write_variants(name, text);
    let want = spikes_for(&stored, &format!("{name}-s"), (1, 1), "round_robin", t_stop);
    assert!(want.len() > min_spikes, "{name}: {} spikes", want.len());
    for layout in [(1, 1), (1, 2), (2, 1), (3, 1)] {
        let got = spikes_for(
            &procedural,
            &format!("{name}-p"),
            layout,
            "round_robin",
            t_stop,
        );
        assert!(
            got == want,
            "{name}: procedural on {layout:?} differs from stored"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn brunel_procedural_equals_stored_on_any_layout() {
    let text = std::fs::read_to_string(repo("configs/brunel_procedural.toml")).unwrap();
    same_spikes_any_layout("proc-brunel", &text, "150", 20_000);
}

#[test]
fn scaled_areas_procedural_equals_stored_on_any_layout() {
    let text = std::fs::read_to_string(repo("configs/areas.toml")).unwrap();
    let text = set_key(&text, "scale", "0.1");
    let text = if text.contains("\nscale =") {
        text
    } else {
        text.replacen("[simulation]\n", "[simulation]\nscale = 0.1\n", 1)
    };
    same_spikes_any_layout("proc-areas", &text, "150", 1_000);
}

/// The procedural run holds no synapses of its projections: `check`
/// estimates them at 0 MiB before anything is built (stored: ~75 MiB).
#[test]
fn procedural_brunel_stores_no_synapses() {
    let text = std::fs::read_to_string(repo("configs/brunel_procedural.toml")).unwrap();
    let (dir, stored, procedural) = write_variants("proc-estimate", &text);
    let synapse_mib = |cfg: &Path| -> f64 {
        let out = run_ok(&["check", cfg.to_str().unwrap()]);
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let line = text
            .lines()
            .find(|l| l.trim_start().starts_with("synapses"))
            .unwrap_or_else(|| panic!("no synapses line in:\n{text}"));
        line.split_whitespace()
            .find_map(|w| w.parse::<f64>().ok())
            .unwrap()
    };
    let (s, p) = (synapse_mib(&stored), synapse_mib(&procedural));
    // 12500 x 1250 synapses, 5 bytes each: about 75 MiB stored.
    assert!(s > 60.0 && p < 1.0, "stored {s} MiB, procedural {p} MiB");
    // The header counts the procedural synapses it will not store: every
    // ordered pair but the 12500 autapses, with p = 0.1.
    let out = run_ok(&["check", procedural.to_str().unwrap()]);
    let header = String::from_utf8_lossy(&out.stdout)
        .lines()
        .next()
        .unwrap()
        .to_string();
    let count: f64 = header
        .split(" stored + ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .and_then(|w| w.parse().ok())
        .unwrap_or_else(|| panic!("no procedural count in: {header}"));
    let n = 12500.0_f64;
    let want = 0.1 * (n * n - n);
    assert!(
        (count / want - 1.0).abs() < 1e-3,
        "{count} vs {want}: {header}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
