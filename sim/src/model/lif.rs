//! What the current-based leaky integrate-and-fire models share: their
//! parameters (NEST names, units, defaults, NEST's range messages), the
//! check that the reset lies below the threshold, and the exact-integration
//! propagators of a membrane driven by exponentially decaying currents
//! (Rotter & Diesmann 1999).

use super::decl::{Param, Range};
use super::propagators::p21;
use super::ParamError;
use crate::spec::ParamMap;

/// NEST's message for a non-positive capacitance.
const C_M: &str = "Capacitance must be strictly positive.";
/// NEST's message for a non-positive time constant.
const TAU: &str = "All time constants must be strictly positive.";
/// NEST's message for a negative refractory time.
const T_REF: &str = "Refractory time must not be negative.";

/// The parameters of `iaf_psc_exp` with membrane time constant `tau_m`.
pub(crate) const fn psc_exp_params(tau_m: f64) -> [Param; 9] {
    [
        Param::any("E_L", "mV", -70.0),
        Param::ranged("C_m", "pF", 250.0, Range::Positive, C_M),
        Param::ranged("tau_m", "ms", tau_m, Range::Positive, TAU),
        Param::ranged("t_ref", "ms", 2.0, Range::Steps, T_REF),
        Param::any("V_th", "mV", -55.0),
        Param::any("V_reset", "mV", -70.0),
        Param::ranged("tau_syn_ex", "ms", 2.0, Range::Positive, TAU),
        Param::ranged("tau_syn_in", "ms", 2.0, Range::Positive, TAU),
        Param::any("I_e", "pA", 0.0),
    ]
}

/// NEST's check that the reset potential lies below the threshold.
pub(crate) fn check_reset(p: &ParamMap) -> Result<(), ParamError> {
    if p["V_reset"] >= p["V_th"] {
        return Err(ParamError::new(
            "V_reset",
            format!(
                "must be < V_th ({} >= {}) (NEST: Reset potential must be smaller than threshold.)",
                p["V_reset"], p["V_th"]
            ),
        ));
    }
    Ok(())
}

/// Step propagators of `iaf_psc_exp`'s dynamics, computed once per chunk.
#[derive(Clone, Debug)]
pub struct LifPropagators {
    /// Decay of I_syn_ex over one step.
    pub p11_ex: f64,
    /// Decay of I_syn_in over one step.
    pub p11_in: f64,
    /// Decay of V_m over one step.
    pub p22: f64,
    /// V_m's response to I_syn_ex over one step.
    pub p21_ex: f64,
    /// V_m's response to I_syn_in over one step.
    pub p21_in: f64,
    /// V_m's response to a constant current over one step.
    pub p20: f64,
    /// I_e (pA).
    pub i_e: f64,
    /// Threshold relative to E_L.
    pub theta: f64,
    /// Reset relative to E_L.
    pub v_reset: f64,
    /// t_ref in steps.
    pub ref_steps: f64,
    /// tau_syn_ex == tau_syn_in: one current for both receptors.
    pub equal: bool,
}

impl LifPropagators {
    /// The propagators of parameters `p` over a step `h` (ms).
    pub fn new(p: &ParamMap, h: f64) -> Self {
        let (tau_m, c_m) = (p["tau_m"], p["C_m"]);
        Self {
            p11_ex: (-h / p["tau_syn_ex"]).exp(),
            p11_in: (-h / p["tau_syn_in"]).exp(),
            p22: (-h / tau_m).exp(),
            p21_ex: p21(p["tau_syn_ex"], tau_m, c_m, h),
            p21_in: p21(p["tau_syn_in"], tau_m, c_m, h),
            p20: -tau_m / c_m * (-h / tau_m).exp_m1(),
            i_e: p["I_e"],
            theta: p["V_th"] - p["E_L"],
            v_reset: p["V_reset"] - p["E_L"],
            ref_steps: (p["t_ref"] / h).round(),
            equal: p["tau_syn_ex"] == p["tau_syn_in"],
        }
    }
}

/// The integrate-and-fire end of a step, without branches (so the chunk loop
/// vectorises), for a state whose first slot is V_m and last the refractory
/// count: V_m becomes `free` unless refractory (then it is held and the count
/// drops); V_m >= `theta` spikes, resets to `v_reset` and starts `ref_steps`
/// of refractoriness. Returns whether it spiked.
#[inline(always)]
pub(crate) fn fire<const K: usize>(
    s: &mut [f64; K],
    free: f64,
    theta: f64,
    v_reset: f64,
    ref_steps: f64,
) -> bool {
    let (v, r) = (s[0], s[K - 1]);
    let v1 = if r == 0.0 { free } else { v };
    let spike = v1 >= theta;
    s[0] = if spike { v_reset } else { v1 };
    s[K - 1] = if spike { ref_steps } else { (r - 1.0).max(0.0) };
    spike
}
