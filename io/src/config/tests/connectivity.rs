//! `connectivity`: the per-projection mode, the `[simulation]` default that
//! skips what cannot be regenerated, and each refusal as one located line.

use super::{ok, rejects, BASE};

fn net(sim_extra: &str, projections: &str) -> String {
    let base = BASE.replace("t_stop = 100.0\n", &format!("t_stop = 100.0\n{sim_extra}"));
    format!("{base}{projections}")
}

fn projection(rule: &str, extra: &str) -> String {
    format!("\n[[projection]]\nsource = \"E\"\ntarget = \"E\"\n{rule}\nweight = 10.0\n{extra}")
}

#[test]
fn connectivity_is_per_projection_with_a_network_default() {
    let bern = projection("rule = \"pairwise_bernoulli\"\np = 0.5", "");
    let indeg = projection("rule = \"fixed_indegree\"\nindegree = 2", "");
    let stored = projection(
        "rule = \"fixed_outdegree\"\noutdegree = 2",
        "connectivity = \"stored\"",
    );
    let plastic = projection("rule = \"all_to_all\"", "synapse_model = \"stdp_synapse\"");
    let all = format!("{bern}{indeg}{stored}{plastic}");
    let spec = ok(&net("connectivity = \"procedural\"\n", &all));
    let modes: Vec<bool> = spec.projections.iter().map(|p| p.procedural).collect();
    // The default skips fixed_indegree and plastic; an explicit "stored" wins.
    assert_eq!(modes, [true, false, false, false]);
    let spec = ok(&net("", &format!("{bern}{indeg}")));
    assert!(
        spec.projections.iter().all(|p| !p.procedural),
        "default: stored"
    );
    let own = projection("rule = \"one_to_one\"", "connectivity = \"procedural\"");
    assert!(ok(&net("", &own)).projections[0].procedural);
}

#[test]
fn impossible_or_unknown_connectivity_is_refused() {
    let indeg = projection(
        "rule = \"fixed_indegree\"\nindegree = 2",
        "connectivity = \"procedural\"",
    );
    rejects(
        &net("", &indeg),
        "connectivity",
        "projection[0].connectivity",
        &["fixed_indegree", "cannot be procedural"],
    );
    let plastic = projection(
        "rule = \"all_to_all\"",
        "synapse_model = \"stdp_synapse\"\nconnectivity = \"procedural\"",
    );
    rejects(
        &net("", &plastic),
        "connectivity",
        "projection[0].connectivity",
        &["plastic projection cannot be procedural"],
    );
    let typo = projection("rule = \"all_to_all\"", "connectivity = \"lazy\"");
    rejects(
        &net("", &typo),
        "connectivity",
        "projection[0].connectivity",
        &["unknown connectivity \"lazy\"", "stored, procedural"],
    );
    rejects(
        &net("connectivity = \"on\"\n", ""),
        "connectivity",
        "simulation.connectivity",
        &["unknown connectivity \"on\""],
    );
}
