//! A plastic Brunel-like network for the plastic tests (layouts,
//! checkpoints): every rule the sim offers on its E -> E synapses.
#![allow(dead_code)]

use super::*;
use brainsim_sim::plastic::rules::{PlHomParams, StdpParams, Tsodyks2Params};
use brainsim_sim::plastic::Rule;
use brainsim_sim::spec::*;

const STDP: StdpParams = StdpParams {
    tau_plus: 20.0,
    lambda: 0.05,
    alpha: 1.1,
    mu_plus: 0.4,
    mu_minus: 0.4,
    w_max: 90.0,
};

pub const PL_HOM: Rule = Rule::StdpPlHom(PlHomParams {
    tau_plus: 15.0,
    inv_tau_plus: 1.0 / 15.0,
    lambda: 0.1,
    alpha: 0.0513,
    mu: 0.4,
});

/// (name, rule, whether every E -> E synapse has the same delay).
pub fn rules() -> Vec<(&'static str, Rule, bool)> {
    vec![
        ("stdp_pl_synapse_hom", PL_HOM, false),
        ("stdp_pl_synapse_hom (one delay)", PL_HOM, true),
        ("stdp_synapse", Rule::Stdp(STDP), false),
        ("stdp_nn_symm_synapse", Rule::StdpNnSymm(STDP), false),
        (
            "tsodyks2_synapse",
            Rule::Tsodyks2(Tsodyks2Params {
                u_inc: 0.3,
                tau_rec: 200.0,
                tau_fac: 50.0,
            }),
            false,
        ),
    ]
}

/// 400 E and 100 I iaf_psc_exp neurons (tau_minus 30 ms on E), fixed
/// in-degree 40 from E (plastic E -> E, 45 pA, delays 1-3 ms, or 1.5 ms when
/// `one_delay`) and 10 from I, Poisson drive; 300 ms.
pub fn plastic_brunel(rule: Rule, one_delay: bool) -> NetworkSpec {
    let params = [
        ("E_L", 0.0),
        ("V_th", 20.0),
        ("V_reset", 10.0),
        ("tau_m", 20.0),
        ("tau_syn_ex", 0.5),
        ("tau_syn_in", 0.5),
    ];
    let mut e = population("E", 400, "iaf_psc_exp", &params);
    e.params.insert("tau_minus".into(), 30.0);
    let i = population("I", 100, "iaf_psc_exp", &params);
    let mut spec = network(simulation(0.1, 300.0), vec![e, i]);
    let delay = Distribution::Uniform {
        low: 1.0,
        high: 3.0,
    };
    let ee_delay = if one_delay {
        Distribution::Constant(1.5)
    } else {
        delay.clone()
    };
    let mut ee = projection(
        0,
        0,
        ConnRule::FixedIndegree { indegree: 40 },
        Distribution::Constant(45.0),
        ee_delay,
    );
    ee.plastic = Some(PlasticSpec {
        rule,
        kplus: 0.0,
        u: 0.3,
        x: 1.0,
    });
    spec.projections.push(ee);
    spec.projections.push(projection(
        0,
        1,
        ConnRule::FixedIndegree { indegree: 40 },
        Distribution::Constant(45.0),
        delay.clone(),
    ));
    for target in [0, 1] {
        spec.projections.push(projection(
            1,
            target,
            ConnRule::FixedIndegree { indegree: 10 },
            Distribution::Constant(-200.0),
            delay.clone(),
        ));
        spec.stimuli.push(StimulusSpec {
            kind: StimulusKind::PoissonGenerator {
                rate: 11000.0,
                weight: 50.0,
                delay: 1.0,
            },
            target,
            node_ids: None,
            receptor: Receptor::BySign,
        });
    }
    spec
}
