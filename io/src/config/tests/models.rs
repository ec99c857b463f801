//! Bad input the model layer refuses, for the NEST models: an unknown
//! parameter, a value out of a parameter's range (with NEST's message), a
//! state variable the model lacks (or hides) in `record` or `initial`, a
//! receptor the model lacks. Each is one line naming the field.

use super::{rejects, BASE};

/// `BASE` with population "I" of `model` and extra lines for it.
fn with_model(model: &str, extra: &str) -> String {
    format!(
        "{}{extra}",
        BASE.replace("model = \"alif\"", &format!("model = \"{model}\""))
    )
}

#[test]
fn an_unknown_parameter_names_the_model_and_its_parameters() {
    let text = with_model("izhikevich", "params = { tau_m = 10.0 }\n");
    rejects(
        &text,
        "tau_m",
        "population[1].params.tau_m",
        &[
            "unknown parameter of model izhikevich",
            "known: a, b, c, d, I_e, V_th",
        ],
    );
}

#[test]
fn out_of_range_parameters_quote_nest() {
    let cases = [
        (
            "iaf_psc_alpha",
            "C_m = 0.0",
            "C_m",
            "must be > 0, got 0 (NEST: Capacitance must be strictly positive.)",
        ),
        (
            "iaf_psc_delta",
            "t_ref = -1.0",
            "t_ref",
            "must be >= 0, got -1 (NEST: Refractory time must not be negative.)",
        ),
        (
            "iaf_psc_delta",
            "t_ref = 0.25",
            "t_ref",
            "must be a multiple of dt = 0.1 ms, got 0.25",
        ),
        (
            "iaf_psc_alpha",
            "tau_syn_in = -2.0",
            "tau_syn_in",
            "(NEST: All time constants must be strictly positive.)",
        ),
        (
            "iaf_psc_delta",
            "V_reset = -50.0",
            "V_reset",
            "(NEST: Reset potential must be smaller than threshold.)",
        ),
    ];
    for (model, line, param, message) in cases {
        let text = with_model(model, &format!("params = {{ {line} }}\n"));
        rejects(
            &text,
            line,
            &format!("population[1].params.{param}"),
            &[message],
        );
    }
}

#[test]
fn a_state_variable_the_model_lacks_is_refused_in_record_and_initial() {
    let record = "\n[[record]]\ntype = \"state\"\npopulation = \"I\"\nvariables = [\"I_syn_ex\"]\n";
    let text = with_model("izhikevich", record);
    rejects(
        &text,
        "I_syn_ex",
        "record[0].variables[0]",
        &["model izhikevich has no state variable \"I_syn_ex\" (state variables: V_m, U_m)"],
    );
    // Hidden state (a refractory counter) is not public either.
    let hidden = record.replace("I_syn_ex", "refractory_steps");
    let text = with_model("iaf_psc_delta", &hidden);
    rejects(
        &text,
        "refractory_steps",
        "record[0].variables[0]",
        &["(state variables: V_m)"],
    );
    let text = with_model("iaf_psc_alpha", "initial = { U_m = -13.0 }\n");
    rejects(
        &text,
        "U_m",
        "population[1].initial.U_m",
        &["model iaf_psc_alpha has no state variable \"U_m\""],
    );
}

#[test]
fn a_receptor_the_model_lacks_is_refused() {
    let projection = "\n[[projection]]\nsource = \"E\"\ntarget = \"I\"\nrule = \"all_to_all\"\nweight = 1.0\nreceptor = \"ex\"\n";
    let text = with_model("izhikevich", projection);
    rejects(
        &text,
        "receptor = \"ex\"",
        "projection[0].receptor",
        &["model izhikevich has no receptor \"ex\" (receptors: delta)"],
    );
}

#[test]
fn a_negative_weight_on_a_named_conductance_receptor_is_refused() {
    let projection = "\n[[projection]]\nsource = \"E\"\ntarget = \"I\"\nrule = \"all_to_all\"\nweight = -2.0\nreceptor = \"in\"\n";
    let text = with_model("iaf_cond_exp", projection);
    rejects(
        &text,
        "weight = -2.0",
        "projection[0].weight",
        &["receptor \"in\" of model iaf_cond_exp is a conductance (nS): its weights must be >= 0"],
    );
    // A distribution that keeps a negative mean's sign, and a device.
    let normal = projection.replace(
        "weight = -2.0",
        "weight = { distribution = \"normal\", mean = -2.0, std = 1.0 }",
    );
    let text = with_model("aeif_cond_exp", &normal);
    rejects(
        &text,
        "mean = -2.0",
        "projection[0].weight",
        &["is a conductance (nS)"],
    );
    let device = "\n[[stimulus]]\ntype = \"poisson_generator\"\ntarget = \"I\"\nrate = 10.0\nweight = -1.0\nreceptor = \"ex\"\n";
    let text = with_model("iaf_cond_exp", device);
    rejects(
        &text,
        "weight = -1.0",
        "stimulus[0].weight",
        &["receptor \"ex\" of model iaf_cond_exp"],
    );
    // By sign, a negative weight is NEST's inhibitory conductance: accepted.
    let by_sign = projection.replace("receptor = \"in\"\n", "");
    assert!(crate::config::parse(
        std::path::Path::new("net.toml"),
        &with_model("iaf_cond_exp", &by_sign)
    )
    .is_ok());
}
