//! `alif`: the adaptive leaky integrate-and-fire neuron of LSNNs (Bellec et al.
//! 2018), on top of `iaf_psc_exp`'s exact subthreshold integration.
//!
//! The threshold is `V_th + beta * a`; the dimensionless adaptation `a` decays
//! with `tau_a` (a <- a * exp(-dt/tau_a) every step) and jumps by 1 at each spike.
//! With beta = 0 the model is exactly `iaf_psc_exp` with two currents.

use super::decl::{Param, Range, ReceptorDecl, StateVar};
use super::dynamics::Dynamics;
use super::iaf_psc_exp::{lif_membrane, PSC_RECEPTORS};
use super::lif::{check_reset, psc_exp_params, LifPropagators};
use super::{ModelInfo, ParamError};
use crate::spec::ParamMap;

/// The registry entry of `alif`.
pub static INFO: ModelInfo = ModelInfo::of::<Alif>();

/// `alif` (see the module docs).
pub struct Alif;

/// Constants of an `alif` chunk.
pub struct AlifConsts {
    /// The membrane's propagators.
    lif: LifPropagators,
    /// Decay of `a` over one step.
    p_a: f64,
    beta: f64,
}

const PARAMS: [Param; 11] = {
    let b = psc_exp_params(20.0);
    [
        b[0],
        b[1],
        b[2],
        b[3],
        b[4],
        b[5],
        b[6],
        b[7],
        b[8],
        Param::ranged("tau_a", "ms", 200.0, Range::Positive, ""),
        Param::ranged("beta", "1", 1.0, Range::NonNegative, ""),
    ]
};

impl Dynamics for Alif {
    const NAME: &'static str = "alif";
    const PARAMS: &'static [Param] = &PARAMS;
    const STATE: &'static [StateVar] = &[
        StateVar::relative("V_m", "mV", "E_L"),
        StateVar::receptor("I_syn_ex", "pA"),
        StateVar::receptor("I_syn_in", "pA"),
        StateVar::new("a", "1"),
        StateVar::hidden("refractory_steps", "1"),
    ];
    const RECEPTORS: &'static [ReceptorDecl] = PSC_RECEPTORS;
    const BY_SIGN: Option<(u8, u8)> = Some((0, 1));
    type Consts = AlifConsts;
    type State = [f64; 5];
    type Input = [f64; 2];

    fn check(p: &ParamMap, _dt: f64) -> Result<(), ParamError> {
        check_reset(p)
    }

    fn consts(p: &ParamMap, dt: f64) -> AlifConsts {
        AlifConsts {
            lif: LifPropagators::new(p, dt),
            p_a: (-dt / p["tau_a"]).exp(),
            beta: p["beta"],
        }
    }

    fn rest(_c: &AlifConsts) -> [f64; 5] {
        [0.0; 5]
    }

    #[inline(always)]
    fn step<const MERGED: bool>(c: &AlifConsts, s: &mut [f64; 5], x: &[f64; 2], stim: f64) -> u8 {
        let q = &c.lif;
        let (a, b) = (s[1] * q.p21_ex, s[2] * q.p21_in);
        s[1] = s[1] * q.p11_ex + x[0];
        s[2] = s[2] * q.p11_in + x[1];
        s[3] *= c.p_a;
        let spike = lif_membrane(q, s, a, b, stim, q.theta + c.beta * s[3]);
        if spike {
            s[3] += 1.0;
        }
        u8::from(spike)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn avx2_variant_equals_portable() {
        let p = INFO.with_defaults(&ParamMap::new()).unwrap();
        assert!(crate::model::soa::variants_agree::<Alif>(&p, 2, 200));
    }
}
