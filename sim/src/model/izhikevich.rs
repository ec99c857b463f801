//! `izhikevich`: Izhikevich's (2003) simple model, as NEST's model of the
//! same name with its default `consistent_integration = true`: one forward
//! Euler step of length dt for both variables, from their values at the
//! step start,
//!   V_m <- V_m + dt (0.04 V_m^2 + 5 V_m + 140 - U_m + I_e + I) + sum of weights
//!   U_m <- U_m + dt a (b V_m - U_m),
//! then V_m >= V_th => spike, V_m = c, U_m += d. No refractory period.
//! Weights (mV) add to V_m in the step they arrive (one receptor, either
//! sign). Neurons start at V_m = -65 mV, U_m = b V_m (NEST's initial state).
//! NEST's `V_min` (-inf by default) and its original two-half-step scheme
//! (`consistent_integration = false`) are not offered.

use super::decl::{Param, Range, ReceptorDecl, ReceptorKind, StateVar};
use super::dynamics::Dynamics;
use super::ModelInfo;
use crate::spec::ParamMap;

/// The registry entry of `izhikevich`.
pub static INFO: ModelInfo = ModelInfo::of::<Izhikevich>();

/// `izhikevich` (see the module docs).
pub struct Izhikevich;

/// Constants of an `izhikevich` chunk.
pub struct IzhConsts {
    h: f64,
    a: f64,
    b: f64,
    c: f64,
    d: f64,
    i_e: f64,
    v_th: f64,
}

/// Initial membrane potential (mV), as NEST's.
const V_INIT: f64 = -65.0;

impl Dynamics for Izhikevich {
    const NAME: &'static str = "izhikevich";
    const PARAMS: &'static [Param] = &[
        Param::any("a", "1/ms", 0.02),
        Param::any("b", "1", 0.2),
        Param::any("c", "mV", -65.0),
        Param::any("d", "mV", 8.0),
        Param::any("I_e", "pA", 0.0),
        Param::ranged("V_th", "mV", 30.0, Range::Any, ""),
    ];
    const STATE: &'static [StateVar] = &[StateVar::new("V_m", "mV"), StateVar::new("U_m", "mV")];
    const RECEPTORS: &'static [ReceptorDecl] = &[ReceptorDecl::new("delta", ReceptorKind::Voltage)];
    const BY_SIGN: Option<(u8, u8)> = None;
    type Consts = IzhConsts;
    type State = [f64; 2];
    type Input = [f64; 1];

    fn consts(p: &ParamMap, dt: f64) -> IzhConsts {
        IzhConsts {
            h: dt,
            a: p["a"],
            b: p["b"],
            c: p["c"],
            d: p["d"],
            i_e: p["I_e"],
            v_th: p["V_th"],
        }
    }

    fn rest(c: &IzhConsts) -> [f64; 2] {
        [V_INIT, c.b * V_INIT]
    }

    #[inline(always)]
    fn step<const MERGED: bool>(c: &IzhConsts, s: &mut [f64; 2], x: &[f64; 1], stim: f64) -> u8 {
        let (v, u) = (s[0], s[1]);
        let v1 = v + c.h * (0.04 * v * v + 5.0 * v + 140.0 - u + stim + c.i_e) + x[0];
        let u1 = u + c.h * c.a * (c.b * v - u);
        let spike = v1 >= c.v_th;
        s[0] = if spike { c.c } else { v1 };
        s[1] = if spike { u1 + c.d } else { u1 };
        u8::from(spike)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn avx2_variant_equals_portable() {
        let p = INFO.with_defaults(&ParamMap::new()).unwrap();
        assert!(crate::model::soa::variants_agree::<Izhikevich>(&p, 1, 200));
    }
}
