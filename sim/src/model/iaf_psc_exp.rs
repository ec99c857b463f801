//! `iaf_psc_exp`: leaky integrate-and-fire neuron with exponentially decaying
//! synaptic currents (receptors `ex` and `in`, chosen by the weight's sign),
//! integrated exactly.
//!
//! Semantics follow NEST's model of the same name, step by step:
//! 1. if not refractory, V_m is propagated with the currents of the step start
//!    (synaptic, I_e and the external current); else the refractory count drops;
//! 2. the synaptic currents decay, then the weights arriving at the end of the
//!    step are added (they act from the next step on);
//! 3. threshold check *after* the update: V_m >= V_th => spike stamped at the end
//!    of the step, V_m = V_reset, refractory for t_ref.
//!
//! With tau_syn_ex == tau_syn_in the two currents are one linear filter: V_m
//! is driven by their sum `I_syn`, integrated from the summed input (exact:
//! the input of a step is an exact fixed-point sum, see `stimulus`). The
//! layer then feeds one lane (`merges`), or two when I_syn_ex or I_syn_in is
//! recorded or initialised, in which case the two currents are kept beside
//! `I_syn` for reading only: recording never changes a result.

use super::decl::{ReceptorDecl, ReceptorKind, StateVar};
use super::dynamics::Dynamics;
use super::lif::{check_reset, fire, psc_exp_params, LifPropagators};
use super::{ModelInfo, ParamError};
use crate::spec::ParamMap;

/// The registry entry of `iaf_psc_exp`.
pub static INFO: ModelInfo = ModelInfo::of::<IafPscExp>();

/// `iaf_psc_exp` (see the module docs).
pub struct IafPscExp;

/// State indices.
const V: usize = 0;
const I_EX: usize = 1;
const I_IN: usize = 2;
const I_SYN: usize = 3;

/// The current receptors `ex` and `in`.
pub(crate) const PSC_RECEPTORS: &[ReceptorDecl] = &[
    ReceptorDecl::new("ex", ReceptorKind::Current),
    ReceptorDecl::new("in", ReceptorKind::Current),
];

impl Dynamics for IafPscExp {
    const NAME: &'static str = "iaf_psc_exp";
    const PARAMS: &'static [super::Param] = &psc_exp_params(10.0);
    const STATE: &'static [StateVar] = &[
        StateVar::relative("V_m", "mV", "E_L"),
        StateVar::receptor("I_syn_ex", "pA"),
        StateVar::receptor("I_syn_in", "pA"),
        StateVar::hidden("I_syn", "pA"),
        StateVar::hidden("refractory_steps", "1"),
    ];
    const RECEPTORS: &'static [ReceptorDecl] = PSC_RECEPTORS;
    const BY_SIGN: Option<(u8, u8)> = Some((0, 1));
    type Consts = LifPropagators;
    type State = [f64; 5];
    type Input = [f64; 2];

    fn check(p: &ParamMap, _dt: f64) -> Result<(), ParamError> {
        check_reset(p)
    }

    fn consts(p: &ParamMap, dt: f64) -> LifPropagators {
        LifPropagators::new(p, dt)
    }

    fn rest(_c: &LifPropagators) -> [f64; 5] {
        [0.0; 5]
    }

    fn merges(p: &ParamMap) -> bool {
        p["tau_syn_ex"] == p["tau_syn_in"]
    }

    fn after_set(_c: &LifPropagators, s: &mut [f64; 5]) {
        s[I_SYN] = s[I_EX] + s[I_IN];
    }

    #[inline(always)]
    fn step<const MERGED: bool>(
        c: &LifPropagators,
        s: &mut [f64; 5],
        x: &[f64; 2],
        stim: f64,
    ) -> u8 {
        let (a, b) = if MERGED || c.equal {
            let a = s[I_SYN] * c.p21_ex;
            // Lanes hold exact multiples of 2^-k pA: this sum is the one
            // lane a merged chunk reads (x[1] = 0 there).
            s[I_SYN] = s[I_SYN] * c.p11_ex + (x[0] + x[1]);
            (a, 0.0)
        } else {
            (s[I_EX] * c.p21_ex, s[I_IN] * c.p21_in)
        };
        if !MERGED {
            s[I_EX] = s[I_EX] * c.p11_ex + x[0];
            s[I_IN] = s[I_IN] * c.p11_in + x[1];
        }
        u8::from(lif_membrane(c, s, a, b, stim, c.theta))
    }
}

/// Steps 1 and 3 of the module docs without branches (so the chunk loop
/// vectorises): V_m held while refractory, then the threshold `theta`.
/// `a + b`: the currents' terms, summed in NEST's order (`+ 0.0` with one
/// current keeps the order of the two-current form). State slots 0 and the
/// last are V_m and the refractory count.
#[inline(always)]
pub(crate) fn lif_membrane<const K: usize>(
    c: &LifPropagators,
    s: &mut [f64; K],
    a: f64,
    b: f64,
    stim: f64,
    theta: f64,
) -> bool {
    let free = s[V] * c.p22 + a + b + (c.i_e + stim) * c.p20;
    fire(s, free, theta, c.v_reset, c.ref_steps)
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

    /// The AVX2 variant of the chunk loop gives the portable one's bits, in
    /// every mode (merged, two lanes with equal and unequal time constants).
    #[test]
    fn avx2_variant_equals_portable() {
        assert!(variants_agree::<IafPscExp>(&params(2.0), 1, 200));
        assert!(variants_agree::<IafPscExp>(&params(2.0), 2, 200));
        assert!(variants_agree::<IafPscExp>(&params(5.0), 2, 200));
    }
}
