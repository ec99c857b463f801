//! `synapse_model` and `synapse_params`: a plastic projection loads to its
//! rule with NEST's defaults where not given, and each class of bad input
//! is one line naming the field.

use super::{rejects, BASE};
use crate::config::parse;
use brainsim_sim::plastic::rules::StdpParams;
use brainsim_sim::plastic::Rule;
use std::path::Path;

/// BASE with an E -> E projection of weight `weight` and `extra` lines.
fn with_projection(weight: &str, extra: &str) -> String {
    format!("{BASE}\n[[projection]]\nsource = \"E\"\ntarget = \"E\"\nrule = \"all_to_all\"\nweight = {weight}\n{extra}")
}

#[test]
fn a_plastic_projection_loads_with_nest_defaults() {
    let text = with_projection(
        "45.0",
        "synapse_model = \"stdp_synapse\"\nsynapse_params = { Wmax = 90.0, lambda = 0.05, Kplus = 0.5 }\n",
    );
    let spec = parse(Path::new("net.toml"), &text).unwrap().spec;
    let p = spec.projections[0].plastic.unwrap();
    let want = StdpParams {
        tau_plus: 20.0,
        lambda: 0.05,
        alpha: 1.0,
        mu_plus: 1.0,
        mu_minus: 1.0,
        w_max: 90.0,
    };
    assert_eq!(p.rule, Rule::Stdp(want));
    assert_eq!(p.kplus, 0.5);
    let stat = with_projection("45.0", "synapse_model = \"static_synapse\"\n");
    assert!(parse(Path::new("net.toml"), &stat)
        .unwrap()
        .spec
        .projections[0]
        .plastic
        .is_none());
    // tau_minus on the post-synaptic population, as in NEST.
    let tau = BASE.replace(
        "model = \"iaf_psc_exp\"\n",
        "model = \"iaf_psc_exp\"\nparams = { tau_minus = 30.0 }\n",
    );
    let spec = parse(Path::new("net.toml"), &tau).unwrap().spec;
    assert_eq!(spec.populations[0].params["tau_minus"], 30.0);
}

#[test]
fn bad_plastic_projections_are_refused() {
    let t = with_projection("45.0", "synapse_model = \"stdp_triplet_synapse\"\n");
    rejects(
        &t,
        "synapse_model",
        "projection[0].synapse_model",
        &[
            "unknown synapse model \"stdp_triplet_synapse\"",
            "stdp_synapse",
        ],
    );
    let t = with_projection(
        "45.0",
        "synapse_model = \"stdp_synapse\"\nsynapse_params = { tau_plus = -5.0 }\n",
    );
    rejects(
        &t,
        "synapse_params",
        "projection[0].synapse_params.tau_plus",
        &["> 0"],
    );
    let t = with_projection(
        "100.0",
        "synapse_model = \"stdp_synapse\"\nsynapse_params = { Wmax = 80.0 }\n",
    );
    rejects(
        &t,
        "synapse_params",
        "projection[0].synapse_params.Wmax",
        &["80 is below the weight 100"],
    );
    let t = with_projection("-45.0", "synapse_model = \"stdp_pl_synapse_hom\"\n");
    rejects(
        &t,
        "weight",
        "projection[0].weight",
        &["plastic weights must be >= 0"],
    );
    let t = with_projection(
        "45.0",
        "synapse_model = \"tsodyks2_synapse\"\nsynapse_params = { U = 1.5 }\n",
    );
    rejects(
        &t,
        "synapse_params",
        "projection[0].synapse_params.U",
        &["must be <= 1"],
    );
    let t = with_projection(
        "45.0",
        "synapse_model = \"stdp_synapse\"\nsynapse_params = { mu = 0.4 }\n",
    );
    rejects(
        &t,
        "synapse_params",
        "projection[0].synapse_params.mu",
        &["unknown parameter"],
    );
    let t = with_projection("45.0", "synapse_params = { lambda = 0.1 }\n");
    rejects(
        &t,
        "synapse_params",
        "projection[0].synapse_params.lambda",
        &["static_synapse takes no parameters"],
    );
    let parrot = BASE.replace("model = \"alif\"", "model = \"parrot_neuron\"");
    let t = format!("{parrot}\n[[projection]]\nsource = \"E\"\ntarget = \"I\"\nrule = \"all_to_all\"\nweight = 1.0\nsynapse_model = \"stdp_synapse\"\n");
    rejects(
        &t,
        "[[projection]]",
        "projection[0].receptor",
        &["counts events"],
    );
}
