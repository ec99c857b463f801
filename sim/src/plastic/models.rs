//! The synapse models a projection can name (`synapse_model`), declared as
//! neuron models are: NEST's name, each parameter with its unit, NEST's
//! default and its range (`model::decl::Param`), and how the checked
//! parameters make a `PlasticSpec`. Initial row state (`Kplus`, `u`, `x`)
//! is given with the parameters, as NEST sets it on the connection.

use super::rules::{PlHomParams, Rule, StdpParams, Tsodyks2Params};
use crate::model::decl::{Param, Range};
use crate::spec::{ParamMap, PlasticSpec};

/// A synapse model's declaration.
pub struct SynapseModelInfo {
    /// NEST's name.
    pub name: &'static str,
    /// Parameters and initial state, NEST's names and defaults.
    pub params: &'static [Param],
    /// The rule and initial state from complete, checked parameters.
    pub build: fn(&ParamMap) -> PlasticSpec,
}

const fn non_negative(name: &'static str, unit: &'static str, default: f64) -> Param {
    Param::ranged(name, unit, default, Range::NonNegative, "")
}

const fn positive(name: &'static str, unit: &'static str, default: f64) -> Param {
    Param::ranged(name, unit, default, Range::Positive, "")
}

const STDP: &[Param] = &[
    positive("tau_plus", "ms", 20.0),
    non_negative("lambda", "1", 0.01),
    non_negative("alpha", "1", 1.0),
    non_negative("mu_plus", "1", 1.0),
    non_negative("mu_minus", "1", 1.0),
    positive("Wmax", "pA", 100.0),
    non_negative("Kplus", "1", 0.0),
];

/// stdp_synapse's without `Kplus` (nearest-neighbour pairing keeps no trace).
const NN_SYMM: &[Param] = STDP.split_at(6).0;

const PL_HOM: &[Param] = &[
    positive("tau_plus", "ms", 20.0),
    non_negative("lambda", "1", 0.1),
    non_negative("alpha", "1", 1.0),
    non_negative("mu", "1", 0.4),
    non_negative("Kplus", "1", 0.0),
];

const TSODYKS2: &[Param] = &[
    non_negative("U", "1", 0.5),
    non_negative("u", "1", 0.5),
    non_negative("x", "1", 1.0),
    positive("tau_rec", "ms", 800.0),
    non_negative("tau_fac", "ms", 0.0),
];

fn stdp_params(p: &ParamMap) -> StdpParams {
    StdpParams {
        tau_plus: p["tau_plus"],
        lambda: p["lambda"],
        alpha: p["alpha"],
        mu_plus: p["mu_plus"],
        mu_minus: p["mu_minus"],
        w_max: p["Wmax"],
    }
}

fn spec(rule: Rule, kplus: f64) -> PlasticSpec {
    PlasticSpec {
        rule,
        kplus,
        u: 0.0,
        x: 0.0,
    }
}

/// Every synapse model besides `static_synapse`.
pub static SYNAPSE_MODELS: &[SynapseModelInfo] = &[
    SynapseModelInfo {
        name: "stdp_synapse",
        params: STDP,
        build: |p| spec(Rule::Stdp(stdp_params(p)), p["Kplus"]),
    },
    SynapseModelInfo {
        name: "stdp_nn_symm_synapse",
        params: NN_SYMM,
        build: |p| spec(Rule::StdpNnSymm(stdp_params(p)), 0.0),
    },
    SynapseModelInfo {
        name: "stdp_pl_synapse_hom",
        params: PL_HOM,
        build: |p| {
            let rule = Rule::StdpPlHom(PlHomParams {
                tau_plus: p["tau_plus"],
                inv_tau_plus: 1.0 / p["tau_plus"],
                lambda: p["lambda"],
                alpha: p["alpha"],
                mu: p["mu"],
            });
            spec(rule, p["Kplus"])
        },
    },
    SynapseModelInfo {
        name: "tsodyks2_synapse",
        params: TSODYKS2,
        build: |p| PlasticSpec {
            rule: Rule::Tsodyks2(Tsodyks2Params {
                u_inc: p["U"],
                tau_rec: p["tau_rec"],
                tau_fac: p["tau_fac"],
            }),
            kplus: 0.0,
            u: p["u"],
            x: p["x"],
        },
    },
];

/// The declaration of synapse model `name`, if there is one.
pub fn lookup(name: &str) -> Option<&'static SynapseModelInfo> {
    SYNAPSE_MODELS.iter().find(|m| m.name == name)
}

/// Every synapse model name, `static_synapse` first.
pub fn names() -> Vec<&'static str> {
    std::iter::once("static_synapse")
        .chain(SYNAPSE_MODELS.iter().map(|m| m.name))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_build_the_rules_with_nest_defaults() {
        let defaults = |m: &SynapseModelInfo| -> ParamMap {
            m.params
                .iter()
                .map(|p| (p.name.to_string(), p.default))
                .collect()
        };
        let stdp = lookup("stdp_synapse").unwrap();
        let s = (stdp.build)(&defaults(stdp));
        assert_eq!(
            s.rule,
            Rule::Stdp(StdpParams {
                tau_plus: 20.0,
                lambda: 0.01,
                alpha: 1.0,
                mu_plus: 1.0,
                mu_minus: 1.0,
                w_max: 100.0
            })
        );
        let tso = lookup("tsodyks2_synapse").unwrap();
        let t = (tso.build)(&defaults(tso));
        assert_eq!((t.u, t.x), (0.5, 1.0));
        assert!(lookup("static_synapse").is_none() && names()[0] == "static_synapse");
    }
}
