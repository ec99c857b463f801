//! `aeif_cond_exp`: the adaptive exponential integrate-and-fire neuron (AdEx,
//! Brette & Gerstner 2005) with exponentially decaying synaptic conductances
//! (receptors `ex` and `in`, chosen by the weight's sign), integrated as NEST
//! 3.10 does with the adaptive RKF45 of `rkf45` (error control on h y',
//! absolute and relative tolerance `gsl_error_tol`).
//!
//! C_m dV/dt = -g_L (V - E_L) + g_L Delta_T exp((V - V_th) / Delta_T)
//!             - g_ex (V - E_ex) - g_in (V - E_in) - w + I_e + I_stim,
//! tau_w dw/dt = a (V - E_L) - w, dg_ex/dt = -g_ex / tau_syn_ex,
//! dg_in/dt = -g_in / tau_syn_in,
//! where the right-hand side reads V as min(V_m, V_peak) (no overflow of
//! the exponential), or as V_reset with dV/dt = 0 while refractory (w is
//! still integrated); Delta_T = 0 drops the exponential term.
//!
//! One step, as NEST's: accepted RKF45 substeps from the step size the
//! neuron's previous step suggested (a hidden state variable, dt at first),
//! and after *every* substep: while refractory V_m is set to V_reset; else
//! if V_m >= V_peak (V_th when Delta_T = 0) the neuron spikes: V_m = V_reset,
//! w += b, refractory count t_ref / dt + 1 (0 when t_ref = 0), so a neuron
//! without refractoriness can spike more than once in a step. After the
//! substeps the refractory count drops by one, then the weights arriving at
//! the end of the step are added to g_ex and g_in. Spikes are stamped at the
//! end of the step.
//!
//! Measured against NEST 3.10 (`tests/nest_models.rs`, 300 ms, 6 spikes,
//! t_ref = 2 ms): spikes on the same steps and every variable
//! bit-identical.

use super::decl::{Param, Range, ReceptorDecl, StateVar};
use super::dynamics::Dynamics;
use super::iaf_cond_exp::{COND_RECEPTORS, TAU, T_REF};
use super::rkf45::{Control, Rkf45};
use super::{ModelInfo, ParamError};
use crate::spec::ParamMap;

/// The registry entry of `aeif_cond_exp`.
pub static INFO: ModelInfo = ModelInfo::of::<AeifCondExp>();

/// `aeif_cond_exp` (see the module docs).
pub struct AeifCondExp;

/// State indices.
const V: usize = 0;
const G_EX: usize = 1;
const G_IN: usize = 2;
const W: usize = 3;
const REFRACTORY: usize = 4;
const H: usize = 5;

/// Constants of an `aeif_cond_exp` chunk: the parameters the step uses.
#[derive(Clone, Debug)]
pub struct AeifConsts {
    c_m: f64,
    g_l: f64,
    e_l: f64,
    v_th: f64,
    delta_t: f64,
    a: f64,
    tau_w: f64,
    b: f64,
    v_peak: f64,
    v_reset: f64,
    e_ex: f64,
    e_in: f64,
    tau_ex: f64,
    tau_in: f64,
    i_e: f64,
    /// The spike threshold: V_peak, or V_th when Delta_T = 0.
    spike_at: f64,
    /// The refractory count a spike sets: t_ref / dt + 1, or 0.
    ref_count: f64,
    /// The step (ms).
    dt: f64,
    /// The integrator under gsl_error_tol.
    rk: Rkf45,
}

const PARAMS: [Param; 17] = [
    Param::ranged("C_m", "pF", 281.0, Range::Positive, "Ensure that C_m >0"),
    Param::any("g_L", "nS", 30.0),
    Param::any("E_L", "mV", -70.6),
    Param::any("V_th", "mV", -50.4),
    Param::ranged(
        "Delta_T",
        "mV",
        2.0,
        Range::NonNegative,
        "Delta_T must be positive.",
    ),
    Param::any("a", "nS", 4.0),
    Param::ranged("tau_w", "ms", 144.0, Range::Positive, TAU),
    Param::any("b", "pA", 80.5),
    Param::any("V_peak", "mV", 0.0),
    Param::any("V_reset", "mV", -60.0),
    Param::ranged("t_ref", "ms", 0.0, Range::Steps, T_REF),
    Param::any("E_ex", "mV", 0.0),
    Param::any("E_in", "mV", -85.0),
    Param::ranged("tau_syn_ex", "ms", 0.2, Range::Positive, TAU),
    Param::ranged("tau_syn_in", "ms", 2.0, Range::Positive, TAU),
    Param::any("I_e", "pA", 0.0),
    Param::ranged(
        "gsl_error_tol",
        "1",
        1e-6,
        Range::Positive,
        "The gsl_error_tol must be strictly positive.",
    ),
];

/// NEST's limit on (V_peak - V_th) / Delta_T: ln(f64::MAX / 1e20).
fn exp_arg_limit() -> f64 {
    (f64::MAX / 1e20).ln()
}

/// NEST's checks across parameters, in NEST's order.
fn check_cross(p: &ParamMap) -> Result<(), ParamError> {
    let (v_peak, v_th, delta_t) = (p["V_peak"], p["V_th"], p["Delta_T"]);
    let fail = |name: &str, what: String, nest: &str| {
        Err(ParamError::new(name, format!("{what} (NEST: {nest})")))
    };
    if v_peak < v_th {
        return fail(
            "V_peak",
            format!("must be >= V_th ({v_peak} < {v_th})"),
            "V_peak >= V_th required.",
        );
    }
    if delta_t > 0.0 && (v_peak - v_th) / delta_t >= exp_arg_limit() {
        return fail(
            "Delta_T",
            format!(
                "(V_peak - V_th) / Delta_T must be < {:.4} (exp overflows at the peak)",
                exp_arg_limit()
            ),
            "The current combination of V_peak, V_th and Delta_T will lead to numerical \
             overflow at spike time; try for instance to increase Delta_T or to reduce \
             V_peak to avoid this problem.",
        );
    }
    if p["V_reset"] >= v_peak {
        return fail(
            "V_reset",
            format!("must be < V_peak ({} >= {v_peak})", p["V_reset"]),
            "Ensure that: V_reset < V_peak .",
        );
    }
    Ok(())
}

impl AeifConsts {
    /// The right-hand side of the ODE (V, g_ex, g_in, w) with external
    /// current `stim` (see the module docs for V while `refractory`).
    #[inline(always)]
    fn rhs(&self, y: &[f64; 4], refractory: bool, stim: f64) -> [f64; 4] {
        // min(V_m, V_peak) as C++'s std::min (a NaN V_m stays NaN).
        let bounded = if self.v_peak < y[V] {
            self.v_peak
        } else {
            y[V]
        };
        let v = if refractory { self.v_reset } else { bounded };
        let (g_ex, g_in, w) = (y[G_EX], y[G_IN], y[W]);
        let dv = if refractory {
            0.0
        } else {
            let i_spike = if self.delta_t == 0.0 {
                0.0
            } else {
                self.g_l * self.delta_t * ((v - self.v_th) / self.delta_t).exp()
            };
            (-self.g_l * (v - self.e_l) + i_spike
                - g_ex * (v - self.e_ex)
                - g_in * (v - self.e_in)
                - w
                + self.i_e
                + stim)
                / self.c_m
        };
        [
            dv,
            -g_ex / self.tau_ex,
            -g_in / self.tau_in,
            (self.a * (v - self.e_l) - w) / self.tau_w,
        ]
    }
}

impl Dynamics for AeifCondExp {
    const NAME: &'static str = "aeif_cond_exp";
    const PARAMS: &'static [Param] = &PARAMS;
    const STATE: &'static [StateVar] = &[
        StateVar::new("V_m", "mV"),
        StateVar::receptor("g_ex", "nS"),
        StateVar::receptor("g_in", "nS"),
        StateVar::new("w", "pA"),
        StateVar::hidden("refractory_steps", "1"),
        StateVar::hidden("integration_step", "ms"),
    ];
    const RECEPTORS: &'static [ReceptorDecl] = COND_RECEPTORS;
    const BY_SIGN: Option<(u8, u8)> = Some((0, 1));
    type Consts = AeifConsts;
    type State = [f64; 6];
    type Input = [f64; 2];

    fn check(p: &ParamMap, _dt: f64) -> Result<(), ParamError> {
        check_cross(p)
    }

    fn consts(p: &ParamMap, dt: f64) -> AeifConsts {
        let ref_steps = (p["t_ref"] / dt).round();
        let tol = p["gsl_error_tol"];
        AeifConsts {
            c_m: p["C_m"],
            g_l: p["g_L"],
            e_l: p["E_L"],
            v_th: p["V_th"],
            delta_t: p["Delta_T"],
            a: p["a"],
            tau_w: p["tau_w"],
            b: p["b"],
            v_peak: p["V_peak"],
            v_reset: p["V_reset"],
            e_ex: p["E_ex"],
            e_in: p["E_in"],
            tau_ex: p["tau_syn_ex"],
            tau_in: p["tau_syn_in"],
            i_e: p["I_e"],
            spike_at: if p["Delta_T"] > 0.0 {
                p["V_peak"]
            } else {
                p["V_th"]
            },
            ref_count: if ref_steps > 0.0 {
                ref_steps + 1.0
            } else {
                0.0
            },
            dt,
            rk: Rkf45::new(Control::yp(tol, tol)),
        }
    }

    fn rest(c: &AeifConsts) -> [f64; 6] {
        [c.e_l, 0.0, 0.0, 0.0, 0.0, c.dt]
    }

    #[inline(always)]
    fn step<const MERGED: bool>(c: &AeifConsts, s: &mut [f64; 6], x: &[f64; 2], stim: f64) -> u8 {
        let mut y = [s[V], s[G_EX], s[G_IN], s[W]];
        let (mut t, mut spikes) = (0.0, 0u8);
        while t < c.dt {
            let refractory = s[REFRACTORY] > 0.0;
            let f = |y: &[f64; 4]| c.rhs(y, refractory, stim);
            c.rk.apply(&f, &mut t, c.dt, &mut s[H], &mut y);
            if refractory {
                y[V] = c.v_reset;
            } else if y[V] >= c.spike_at {
                y[V] = c.v_reset;
                y[W] += c.b;
                s[REFRACTORY] = c.ref_count;
                spikes = spikes.saturating_add(1);
            }
        }
        if s[REFRACTORY] > 0.0 {
            s[REFRACTORY] -= 1.0;
        }
        s[V] = y[V];
        s[G_EX] = y[G_EX] + x[0];
        s[G_IN] = y[G_IN] + x[1];
        s[W] = y[W];
        spikes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::soa::variants_agree;

    fn params(given: &[(&str, f64)]) -> ParamMap {
        let given = given.iter().map(|(k, v)| (k.to_string(), *v)).collect();
        INFO.with_defaults(&given).unwrap()
    }

    /// The AVX2 variant of the chunk loop gives the portable one's bits,
    /// with and without refractoriness and with Delta_T = 0. The test feeds
    /// up to 400 nS per step into both receptors: with tau_syn_in = 0.2 ms the
    /// mean conductances balance (~400 nS each) and hold V_m near -44 mV,
    /// above V_th, so the neurons fire.
    #[test]
    fn avx2_variant_equals_portable() {
        let fast = ("tau_syn_in", 0.2);
        for p in [
            params(&[fast, ("t_ref", 2.0)]),
            params(&[fast]),
            params(&[fast, ("Delta_T", 0.0)]),
        ] {
            assert!(variants_agree::<AeifCondExp>(&p, 2, 200));
        }
    }

    /// NEST's checks: V_peak >= V_th, no overflow of the exponential at
    /// V_peak, V_reset < V_peak, Delta_T >= 0, positive time constants,
    /// capacitance and tolerance, t_ref >= 0.
    #[test]
    fn parameters_are_checked_as_nest_does() {
        let bad = |given: &[(&str, f64)]| INFO.check(&params(given), 0.1).unwrap_err();
        assert_eq!(bad(&[("V_peak", -51.0)]).param, "V_peak");
        assert_eq!(
            bad(&[("V_peak", -80.0), ("V_reset", -60.0)]).param,
            "V_peak"
        );
        assert!(bad(&[("Delta_T", 0.0759)]).message.contains("overflow"));
        assert!(INFO.check(&params(&[("Delta_T", 0.076)]), 0.1).is_ok());
        assert!(INFO.check(&params(&[("Delta_T", 0.0)]), 0.1).is_ok());
        assert_eq!(bad(&[("V_reset", 0.0)]).param, "V_reset");
        assert_eq!(bad(&[("Delta_T", -1.0)]).param, "Delta_T");
        for name in ["C_m", "tau_w", "tau_syn_ex", "tau_syn_in", "gsl_error_tol"] {
            assert_eq!(bad(&[(name, 0.0)]).param, name);
        }
        assert_eq!(bad(&[("t_ref", -0.1)]).param, "t_ref");
        assert!(INFO.check(&params(&[]), 0.1).is_ok());
    }
}
