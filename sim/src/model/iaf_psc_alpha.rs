//! `iaf_psc_alpha`: leaky integrate-and-fire neuron with alpha-shaped
//! synaptic currents (receptors `ex` and `in`, chosen by the weight's sign),
//! integrated exactly (Rotter & Diesmann 1999).
//!
//! Each current is the pair (dI, I) with dI' = -dI/tau, I' = dI - I/tau, so
//! a weight w (the current's peak, pA) enters as dI += w e / tau and I rises
//! from 0 to w after tau. Semantics follow NEST's model of the same name:
//! 1. if not refractory, V_m is propagated with the currents of the step
//!    start (synaptic, I_e and the external current); else the refractory
//!    count drops;
//! 2. the currents are propagated, then the weights arriving at the end of
//!    the step are added to dI (they act from the next step on);
//! 3. threshold check: V_m >= V_th => spike, V_m = V_reset, refractory.
//!
//! With tau_syn_ex == tau_syn_in both currents are one linear filter: the
//! sums (dI_syn, I_syn) drive V_m and the layer may feed one lane, as for
//! `iaf_psc_exp`; the per-receptor currents are then kept for reading only.

use super::decl::{Param, ReceptorDecl, StateVar};
use super::dynamics::Dynamics;
use super::iaf_psc_exp::PSC_RECEPTORS;
use super::lif::{check_reset, fire, psc_exp_params};
use super::propagators::p21;
use super::{ModelInfo, ParamError};
use crate::spec::ParamMap;

/// The registry entry of `iaf_psc_alpha`.
pub static INFO: ModelInfo = ModelInfo::of::<IafPscAlpha>();

/// `iaf_psc_alpha` (see the module docs).
pub struct IafPscAlpha;

/// State indices.
const V: usize = 0;
const I_EX: usize = 1;
const I_IN: usize = 2;
const DI_EX: usize = 3;
const DI_IN: usize = 4;
const I_SYN: usize = 5;
const DI_SYN: usize = 6;
// Slot 7 (the last): the refractory count (`lif::fire`).

/// The propagators of one alpha current over a step.
#[derive(Clone, Copy, Debug)]
pub struct AlphaKernel {
    /// Decay of dI and of I (exp(-h/tau)).
    p11: f64,
    /// dI's contribution to I (h exp(-h/tau)).
    p21: f64,
    /// dI's contribution to V_m.
    p31: f64,
    /// I's contribution to V_m.
    p32: f64,
    /// dI added per pA of weight (e / tau).
    jump: f64,
}

impl AlphaKernel {
    fn new(tau: f64, tau_m: f64, c_m: f64, h: f64) -> Self {
        let p11 = (-h / tau).exp();
        // x = h (1/tau - 1/tau_m); P31 = exp(-h/tau_m) (1 - e^-x (1 + x)) / (a^2 C).
        let a = 1.0 / tau - 1.0 / tau_m;
        let x = a * h;
        let decay = (-h / tau_m).exp();
        let p31 = if x.abs() < 1e-3 {
            decay * h * h * (0.5 - x / 3.0 + x * x / 8.0) / c_m
        } else {
            decay * (-(-x).exp_m1() - x * (-x).exp()) / (a * a * c_m)
        };
        Self {
            p11,
            p21: h * p11,
            p31,
            p32: p21(tau, tau_m, c_m, h),
            jump: std::f64::consts::E / tau,
        }
    }
}

/// Constants of an `iaf_psc_alpha` chunk (V_m relative to E_L).
pub struct AlphaConsts {
    ex: AlphaKernel,
    inh: AlphaKernel,
    p33: f64,
    p30: f64,
    i_e: f64,
    theta: f64,
    v_reset: f64,
    ref_steps: f64,
    equal: bool,
}

impl Dynamics for IafPscAlpha {
    const NAME: &'static str = "iaf_psc_alpha";
    const PARAMS: &'static [Param] = &psc_exp_params(10.0);
    const STATE: &'static [StateVar] = &[
        StateVar::relative("V_m", "mV", "E_L"),
        StateVar::receptor("I_syn_ex", "pA"),
        StateVar::receptor("I_syn_in", "pA"),
        StateVar::hidden("dI_syn_ex", "pA/ms"),
        StateVar::hidden("dI_syn_in", "pA/ms"),
        StateVar::hidden("I_syn", "pA"),
        StateVar::hidden("dI_syn", "pA/ms"),
        StateVar::hidden("refractory_steps", "1"),
    ];
    const RECEPTORS: &'static [ReceptorDecl] = PSC_RECEPTORS;
    const BY_SIGN: Option<(u8, u8)> = Some((0, 1));
    type Consts = AlphaConsts;
    type State = [f64; 8];
    type Input = [f64; 2];

    fn check(p: &ParamMap, _dt: f64) -> Result<(), ParamError> {
        check_reset(p)
    }

    fn consts(p: &ParamMap, h: f64) -> AlphaConsts {
        let (tau_m, c_m) = (p["tau_m"], p["C_m"]);
        AlphaConsts {
            ex: AlphaKernel::new(p["tau_syn_ex"], tau_m, c_m, h),
            inh: AlphaKernel::new(p["tau_syn_in"], tau_m, c_m, h),
            p33: (-h / tau_m).exp(),
            p30: -tau_m / c_m * (-h / tau_m).exp_m1(),
            i_e: p["I_e"],
            theta: p["V_th"] - p["E_L"],
            v_reset: p["V_reset"] - p["E_L"],
            ref_steps: (p["t_ref"] / h).round(),
            equal: Self::merges(p),
        }
    }

    fn rest(_c: &AlphaConsts) -> [f64; 8] {
        [0.0; 8]
    }

    fn merges(p: &ParamMap) -> bool {
        p["tau_syn_ex"] == p["tau_syn_in"]
    }

    fn after_set(_c: &AlphaConsts, s: &mut [f64; 8]) {
        s[I_SYN] = s[I_EX] + s[I_IN];
        s[DI_SYN] = s[DI_EX] + s[DI_IN];
    }

    #[inline(always)]
    fn step<const MERGED: bool>(c: &AlphaConsts, s: &mut [f64; 8], x: &[f64; 2], stim: f64) -> u8 {
        let syn = if MERGED || c.equal {
            let k = &c.ex;
            let syn = k.p31 * s[DI_SYN] + k.p32 * s[I_SYN];
            propagate(k, s, I_SYN, DI_SYN, x[0] + x[1]);
            syn
        } else {
            c.ex.p31 * s[DI_EX] + c.ex.p32 * s[I_EX] + c.inh.p31 * s[DI_IN] + c.inh.p32 * s[I_IN]
        };
        if !MERGED {
            propagate(&c.ex, s, I_EX, DI_EX, x[0]);
            propagate(&c.inh, s, I_IN, DI_IN, x[1]);
        }
        let free = c.p30 * (c.i_e + stim) + syn + c.p33 * s[V];
        u8::from(fire(s, free, c.theta, c.v_reset, c.ref_steps))
    }
}

/// Propagates the current (s[i], s[di]) over one step and adds `w` (pA).
#[inline(always)]
fn propagate(k: &AlphaKernel, s: &mut [f64; 8], i: usize, di: usize, w: f64) {
    s[i] = k.p21 * s[di] + k.p11 * s[i];
    s[di] = k.p11 * s[di] + k.jump * w;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::soa::variants_agree;

    fn params(tau_in: f64) -> ParamMap {
        let mut p = INFO.with_defaults(&ParamMap::new()).unwrap();
        p.insert("tau_syn_in".into(), tau_in);
        p
    }

    #[test]
    fn avx2_variant_equals_portable() {
        assert!(variants_agree::<IafPscAlpha>(&params(2.0), 1, 200));
        assert!(variants_agree::<IafPscAlpha>(&params(2.0), 2, 200));
        assert!(variants_agree::<IafPscAlpha>(&params(5.0), 2, 200));
    }

    /// P31 by its closed form and by its series agree where both hold.
    #[test]
    fn p31_series_meets_the_closed_form() {
        let tau_m = 10.0;
        for tau in [9.99, 9.999] {
            let k = AlphaKernel::new(tau, tau_m, 250.0, 0.1);
            let a = 1.0 / tau - 1.0 / tau_m;
            let x = a * 0.1;
            let closed = (-0.1 / tau_m).exp() * (-(-x).exp_m1() - x * (-x).exp()) / (a * a * 250.0);
            assert!(
                (k.p31 - closed).abs() <= 1e-6 * closed,
                "{} vs {closed}",
                k.p31
            );
        }
    }
}
