//! The plasticity rules against NEST 3.10: for every fixture of
//! `tests/fixtures/nest/plasticity/` (made by
//! `scripts/nest_plasticity_fixtures.py`: fixed pre and post trains through
//! parrot neurons, a weight_recorder on the plastic synapse), replay the
//! pre-synaptic spikes through `plastic::Rule` with the post spikes in a
//! `History`, and compare the transmitted weight after every pre spike,
//! and the pre-synaptic trace or u and x: bit for bit for every rule but
//! `stdp_pl_synapse_hom` (the grouping of every operation is NEST's, so
//! the doubles are the same), within 1e-12 relative (the bound)
//! for `stdp_pl_synapse_hom`, whose weights are updated with
//! `brainsim_sim::vmath`'s exp and ln (within 1 ulp of libm's) instead of
//! libm's pow and exp, which do not vectorise.

use std::path::Path;

use brainsim_sim::plastic::rules::{PlHomParams, StdpParams, Tsodyks2Params};
use brainsim_sim::plastic::{Clock, Delay, History, PreSpike, Rule};
use serde_json::Value;

fn num(v: &Value, key: &str) -> f64 {
    v[key].as_f64().unwrap_or_else(|| panic!("{key} missing"))
}

fn stdp(p: &Value) -> StdpParams {
    StdpParams {
        tau_plus: num(p, "tau_plus"),
        lambda: num(p, "lambda"),
        alpha: num(p, "alpha"),
        mu_plus: num(p, "mu_plus"),
        mu_minus: num(p, "mu_minus"),
        w_max: num(p, "Wmax"),
    }
}

fn rule(f: &Value) -> Rule {
    let (p, c) = (&f["params"], &f["common"]);
    match f["model"].as_str().unwrap() {
        "stdp_synapse" => Rule::Stdp(stdp(p)),
        "stdp_nn_symm_synapse" => Rule::StdpNnSymm(stdp(p)),
        "stdp_pl_synapse_hom" => Rule::StdpPlHom(PlHomParams {
            tau_plus: num(c, "tau_plus"),
            inv_tau_plus: 1.0 / num(c, "tau_plus"),
            lambda: num(c, "lambda"),
            alpha: num(c, "alpha"),
            mu: num(c, "mu"),
        }),
        "tsodyks2_synapse" => Rule::Tsodyks2(Tsodyks2Params {
            u_inc: num(p, "U"),
            tau_rec: num(p, "tau_rec"),
            tau_fac: num(p, "tau_fac"),
        }),
        m => panic!("unknown model {m}"),
    }
}

/// The step stamp of `t` ms, which must convert back to `t` exactly.
fn stamp(clock: &Clock, dt: f64, t: f64) -> i64 {
    let s = (t / dt).round() as u64;
    assert_eq!(
        clock.stamp_ms(s).to_bits(),
        t.to_bits(),
        "{t} is not step {s}'s stamp"
    );
    s as i64
}

fn same(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits()
}

/// |a - b| / |b| (0 when both are 0).
fn relative(a: f64, b: f64) -> f64 {
    if a == b {
        0.0
    } else {
        (a - b).abs() / b.abs()
    }
}

fn check(path: &Path) -> usize {
    let f: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let name = f["case"].as_str().unwrap().to_string();
    let dt = num(&f, "dt");
    let clock = Clock::new(dt);
    let rule = rule(&f);
    let inv_tau_minus = 1.0 / num(&f, "tau_minus");
    let d_steps = (num(&f, "delay") / dt).round() as u64;
    let d = Delay {
        steps: d_steps as i64,
        ms: clock.delay_ms(d_steps),
    };
    assert_eq!(d.ms, num(&f, "delay"), "{name}: delay");
    let mut history = History::default();
    for t in f["post_times"].as_array().unwrap() {
        let t = t.as_f64().unwrap();
        history.push(stamp(&clock, dt, t), t, inv_tau_minus);
    }
    let init = &f["initial"];
    let get = |k: &str, default: f64| init[k].as_f64().unwrap_or(default);
    let mut row = rule.initial_row(get("Kplus", 0.0), get("u", 0.5), get("x", 1.0));
    let mut w = num(init, "weight");
    let exact = f["model"].as_str() != Some("stdp_pl_synapse_hom");
    let mut worst: f64 = 0.0;
    let after = &f["state_after"];
    let weights = f["weights"].as_array().unwrap();
    let pre = f["pre_times"].as_array().unwrap();
    assert_eq!(pre.len(), weights.len(), "{name}");
    for (i, (t, rec)) in pre.iter().zip(weights).enumerate() {
        let t = t.as_f64().unwrap();
        let spike = PreSpike {
            stamp: stamp(&clock, dt, t),
            t,
        };
        rule.row_before(&mut row, spike);
        let sent = rule.synapse(&mut w, &row, spike, d, &history, inv_tau_minus);
        rule.row_after(&mut row, spike);
        let (t_rec, w_rec) = (rec[0].as_f64().unwrap(), rec[1].as_f64().unwrap());
        assert_eq!(t_rec, t, "{name}: spike {i}");
        worst = worst.max(relative(sent, w_rec));
        assert!(
            same(sent, w_rec) || (!exact && relative(sent, w_rec) <= 1e-12),
            "{name}: spike {i} at {t} ms: {sent} vs NEST {w_rec}"
        );
        for (key, ours) in [("Kplus", row.kplus), ("u", row.u), ("x", row.x)] {
            if let Some(nest) = after[key].get(i).and_then(Value::as_f64) {
                assert!(
                    same(ours, nest),
                    "{name}: {key} after spike {i}: {ours} vs {nest}"
                );
            }
        }
    }
    eprintln!(
        "{name}: {} spikes, largest relative difference {worst:.1e}",
        weights.len()
    );
    weights.len()
}

#[test]
fn plastic_rules_reproduce_nest_3_10() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/nest/plasticity");
    let mut cases = 0;
    let mut spikes = 0;
    for e in std::fs::read_dir(&dir).unwrap().flatten() {
        if e.path().extension().is_some_and(|x| x == "json") {
            spikes += check(&e.path());
            cases += 1;
        }
    }
    assert_eq!(cases, 13, "every fixture");
    assert!(spikes > 400, "{spikes} pre spikes compared");
}
