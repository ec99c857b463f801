//! `iaf_psc_delta`: leaky integrate-and-fire neuron whose input is a jump of
//! the membrane potential (delta-shaped currents; weights in mV), integrated
//! exactly. One receptor: a weight of either sign adds to V_m.
//!
//! Semantics follow NEST's model of the same name (with its default
//! `refractory_input = false`), step by step:
//! 1. if not refractory, V_m is propagated under I_e and the external current
//!    and the weights arriving at the end of the step are added to it; while
//!    refractory those weights are dropped and the refractory count drops;
//! 2. threshold check: V_m >= V_th => spike stamped at the end of the step,
//!    V_m = V_reset, refractory for t_ref.
//!
//! NEST's `V_min` (a lower bound, -inf by default) is not offered.

use super::decl::{Param, ReceptorDecl, ReceptorKind, StateVar};
use super::dynamics::Dynamics;
use super::lif::{check_reset, fire, psc_exp_params};
use super::{ModelInfo, ParamError};
use crate::spec::ParamMap;

/// The registry entry of `iaf_psc_delta`.
pub static INFO: ModelInfo = ModelInfo::of::<IafPscDelta>();

/// `iaf_psc_delta` (see the module docs).
pub struct IafPscDelta;

/// Constants of an `iaf_psc_delta` chunk (V_m relative to E_L).
pub struct DeltaConsts {
    /// Decay of V_m over one step.
    p33: f64,
    /// V_m's response to a constant current over one step.
    p30: f64,
    /// I_e (pA).
    i_e: f64,
    /// Threshold relative to E_L.
    theta: f64,
    /// Reset relative to E_L.
    v_reset: f64,
    /// t_ref in steps.
    ref_steps: f64,
}

const PARAMS: [Param; 7] = {
    let b = psc_exp_params(10.0);
    [b[0], b[1], b[2], b[3], b[4], b[5], b[8]]
};

impl Dynamics for IafPscDelta {
    const NAME: &'static str = "iaf_psc_delta";
    const PARAMS: &'static [Param] = &PARAMS;
    const STATE: &'static [StateVar] = &[
        StateVar::relative("V_m", "mV", "E_L"),
        StateVar::hidden("refractory_steps", "1"),
    ];
    const RECEPTORS: &'static [ReceptorDecl] = &[ReceptorDecl::new("delta", ReceptorKind::Voltage)];
    const BY_SIGN: Option<(u8, u8)> = None;
    type Consts = DeltaConsts;
    type State = [f64; 2];
    type Input = [f64; 1];

    fn check(p: &ParamMap, _dt: f64) -> Result<(), ParamError> {
        check_reset(p)
    }

    fn consts(p: &ParamMap, dt: f64) -> DeltaConsts {
        let tau_m = p["tau_m"];
        DeltaConsts {
            p33: (-dt / tau_m).exp(),
            p30: -tau_m / p["C_m"] * (-dt / tau_m).exp_m1(),
            i_e: p["I_e"],
            theta: p["V_th"] - p["E_L"],
            v_reset: p["V_reset"] - p["E_L"],
            ref_steps: (p["t_ref"] / dt).round(),
        }
    }

    fn rest(_c: &DeltaConsts) -> [f64; 2] {
        [0.0; 2]
    }

    #[inline(always)]
    fn step<const MERGED: bool>(c: &DeltaConsts, s: &mut [f64; 2], x: &[f64; 1], stim: f64) -> u8 {
        let free = c.p30 * (c.i_e + stim) + c.p33 * s[0] + x[0];
        u8::from(fire(s, free, c.theta, c.v_reset, c.ref_steps))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn avx2_variant_equals_portable() {
        let p = INFO.with_defaults(&ParamMap::new()).unwrap();
        assert!(crate::model::soa::variants_agree::<IafPscDelta>(&p, 1, 200));
    }
}
