//! A plastic Brunel-like network for the plastic tests (layouts,
//! checkpoints): every rule the sim offers on its E -> E synapses.
#![allow(dead_code)]

use super::*;
use brainsim_sim::plastic::rules::{PlHomParams, StdpParams, Tsodyks2Params};
use brainsim_sim::plastic::Rule;
use brainsim_sim::spec::*;

pub const STDP: StdpParams = StdpParams {
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

/// 400 E and 100 I neurons (`sized`), E -> E delays 1-3 ms or 1.5 ms
/// when `one_delay`; 300 ms.
pub fn plastic_brunel(rule: Rule, one_delay: bool) -> NetworkSpec {
    let ee_delay = if one_delay {
        Distribution::Constant(1.5)
    } else {
        uniform_1_3()
    };
    sized(rule, ee_delay, (400, 100), 300.0)
}

/// Delays uniform in [1, 3) ms.
pub fn uniform_1_3() -> Distribution {
    Distribution::Uniform {
        low: 1.0,
        high: 3.0,
    }
}

/// `n_e` E and `n_i` I iaf_psc_exp neurons (tau_minus 30 ms on E), fixed
/// in-degree 40 from E (plastic E -> E by `rule`, 45 pA, delays
/// `ee_delay`) and 10 from I (delays 1-3 ms), Poisson drive; `t_stop` ms.
pub fn sized(
    rule: Rule,
    ee_delay: Distribution,
    (n_e, n_i): (u32, u32),
    t_stop: f64,
) -> NetworkSpec {
    let mut e = population("E", n_e, "iaf_psc_exp", LIF);
    e.params.insert("tau_minus".into(), 30.0);
    let i = population("I", n_i, "iaf_psc_exp", LIF);
    let mut spec = network(simulation(0.1, t_stop), vec![e, i]);
    let delay = uniform_1_3();
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
