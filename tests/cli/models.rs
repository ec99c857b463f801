//! `brainsim models`: the registry as the model layer declares it — every
//! model name, one model's parameters with NEST's defaults and units, its
//! state variables and receptors — and an unknown name as bad input.

use super::*;

#[test]
fn models_lists_every_model_and_describes_one() {
    let out = run_ok(&["models"]);
    let names = String::from_utf8(out.stdout).unwrap();
    for m in [
        "iaf_psc_exp",
        "iaf_psc_alpha",
        "iaf_psc_delta",
        "izhikevich",
        "parrot_neuron",
        "alif",
    ] {
        assert!(names.lines().any(|l| l == m), "{m} missing from:\n{names}");
    }
    let out = run_ok(&["models", "izhikevich"]);
    let text = String::from_utf8(out.stdout).unwrap();
    // NEST 3.10's defaults (GetDefaults("izhikevich")).
    for (param, default, unit) in [
        ("a", "0.02", "1/ms"),
        ("d", "8", "mV"),
        ("V_th", "30", "mV"),
    ] {
        let line = text
            .lines()
            .find(|l| l.split_whitespace().next() == Some(param));
        let fields: Vec<&str> = line.expect(param).split_whitespace().collect();
        assert_eq!(&fields[1..3], &[default, unit], "{param} in:\n{text}");
    }
    assert!(
        text.contains("U_m") && text.contains("recordable"),
        "{text}"
    );
    assert!(text.contains("delta    Voltage, weights in mV"), "{text}");
}

#[test]
fn an_unknown_model_is_one_line_and_exit_code_2() {
    let out = bin().args(["models", "iaf_psc_gamma"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("no model \"iaf_psc_gamma\" (models: iaf_psc_exp"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}
