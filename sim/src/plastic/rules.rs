//! The plasticity rules of NEST 3.10's `stdp_synapse`,
//! `stdp_pl_synapse_hom`, `stdp_nn_symm_synapse` and `tsodyks2_synapse`,
//! written from the semantics pinned down in
//! `tests/fixtures/nest/plasticity/SEMANTICS.md` (the grouping of every
//! floating-point operation as NEST's, so that weights agree bit for bit).
//!
//! A rule acts at each pre-synaptic spike of a row (one source, its
//! synapses in a chunk): `row_before` (tsodyks2 moves u and x), then every
//! synapse of the row (`synapse`: the weight update and the weight to
//! transmit), then `row_after` (the pre-synaptic trace and the last spike
//! time). What NEST keeps per synapse but depends only on the source's
//! spike times and the projection's parameters — Kplus, t_lastspike, u, x —
//! is kept once per row: every synapse of the row would hold the same value.
//!
//! Invariant (what makes results independent of delivery): a row sees its
//! source's spikes in stamp order, and a synapse's update reads only the
//! post-synaptic spikes stamped before its spike minus its delay, which are
//! all in the history when any delivery happens.

use super::history::{Entry, History};
use super::memo::{pow_exact, KMemo};
use super::pl_hom;

/// The parameters shared by the STDP rules (NEST names).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StdpParams {
    /// Time constant of the pre-synaptic trace (ms).
    pub tau_plus: f64,
    /// Step size.
    pub lambda: f64,
    /// Asymmetry of depression to facilitation.
    pub alpha: f64,
    /// Weight dependence exponent of facilitation.
    pub mu_plus: f64,
    /// Weight dependence exponent of depression.
    pub mu_minus: f64,
    /// Largest weight (same sign as the weights).
    pub w_max: f64,
}

/// `stdp_pl_synapse_hom`'s shared parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PlHomParams {
    /// Time constant of the pre-synaptic trace (ms).
    pub tau_plus: f64,
    /// 1 / tau_plus, as NEST precomputes it.
    pub inv_tau_plus: f64,
    /// Step size.
    pub lambda: f64,
    /// Asymmetry of depression to facilitation.
    pub alpha: f64,
    /// Power of the weight in facilitation.
    pub mu: f64,
}

/// `tsodyks2_synapse`'s parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tsodyks2Params {
    /// Utilisation increment.
    pub u_inc: f64,
    /// Recovery time constant (ms).
    pub tau_rec: f64,
    /// Facilitation time constant (ms); 0: no facilitation.
    pub tau_fac: f64,
}

/// A plasticity rule with its parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Rule {
    /// `stdp_synapse`: all-to-all pairing, weight-dependent (mu).
    Stdp(StdpParams),
    /// `stdp_pl_synapse_hom`: power-law facilitation, no Wmax.
    StdpPlHom(PlHomParams),
    /// `stdp_nn_symm_synapse`: symmetric nearest-neighbour pairing.
    StdpNnSymm(StdpParams),
    /// `tsodyks2_synapse`: short-term depression and facilitation.
    Tsodyks2(Tsodyks2Params),
}

/// What a row keeps: the source's last spike and its traces.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RowState {
    /// Stamp (steps) of the source's last spike; 0 before any (NEST's
    /// t_lastspike = 0), -1 for tsodyks2 before any.
    pub last: i64,
    /// Its time (ms).
    pub t_last: f64,
    /// Pre-synaptic trace (STDP rules).
    pub kplus: f64,
    /// Utilisation (tsodyks2).
    pub u: f64,
    /// Available resources (tsodyks2).
    pub x: f64,
}

/// A pre-synaptic spike as the rules see it.
#[derive(Clone, Copy, Debug)]
pub struct PreSpike {
    /// Stamp in steps.
    pub stamp: i64,
    /// Stamp in ms.
    pub t: f64,
}

/// One synapse's delay, in steps and ms.
#[derive(Clone, Copy, Debug)]
pub struct Delay {
    /// Steps.
    pub steps: i64,
    /// Ms (`Clock::delay_ms`).
    pub ms: f64,
}

#[inline]
fn facilitate(p: &StdpParams, w: f64, k: f64) -> f64 {
    let n = (w / p.w_max) + ((p.lambda * pow_exact(1.0 - (w / p.w_max), p.mu_plus)) * k);
    if n < 1.0 {
        n * p.w_max
    } else {
        p.w_max
    }
}

#[inline]
fn depress(p: &StdpParams, w: f64, k: f64) -> f64 {
    let n = (w / p.w_max) - (((p.alpha * p.lambda) * pow_exact(w / p.w_max, p.mu_minus)) * k);
    if n > 0.0 {
        n * p.w_max
    } else {
        0.0
    }
}

impl Rule {
    /// NEST's name of the synapse model.
    pub fn name(&self) -> &'static str {
        match self {
            Rule::Stdp(_) => "stdp_synapse",
            Rule::StdpPlHom(_) => "stdp_pl_synapse_hom",
            Rule::StdpNnSymm(_) => "stdp_nn_symm_synapse",
            Rule::Tsodyks2(_) => "tsodyks2_synapse",
        }
    }

    /// The state of a row before its source's first spike: `kplus`, `u`,
    /// `x` as the projection sets them.
    pub fn initial_row(&self, kplus: f64, u: f64, x: f64) -> RowState {
        let last = if matches!(self, Rule::Tsodyks2(_)) {
            -1
        } else {
            0
        };
        RowState {
            last,
            t_last: last as f64,
            kplus,
            u,
            x,
        }
    }

    /// Whether the rule reads the post-synaptic history (every STDP rule).
    pub fn reads_history(&self) -> bool {
        !matches!(self, Rule::Tsodyks2(_))
    }

    /// At a pre-synaptic spike, before the row's synapses.
    #[inline]
    pub fn row_before(&self, row: &mut RowState, pre: PreSpike) {
        if let Rule::Tsodyks2(p) = self {
            if row.last >= 0 {
                let h = pre.t - row.t_last;
                let x_decay = (-h / p.tau_rec).exp();
                let u_decay = if p.tau_fac == 0.0 {
                    0.0
                } else {
                    (-h / p.tau_fac).exp()
                };
                row.x = 1.0 + ((row.x - (row.x * row.u)) - 1.0) * x_decay;
                row.u = p.u_inc + ((row.u * (1.0 - p.u_inc)) * u_decay);
            }
        }
    }

    /// One synapse of the row at the spike: updates `w` (the target's
    /// `history`, `inv_tau_minus` = 1 / its tau_minus) and returns the
    /// weight to transmit.
    #[inline]
    pub fn synapse(
        &self,
        w: &mut f64,
        row: &RowState,
        pre: PreSpike,
        d: Delay,
        history: &History,
        inv_tau_minus: f64,
    ) -> f64 {
        let mut k = KMemo::default();
        self.synapse_memo(w, row, pre, d, history, inv_tau_minus, &mut k)
    }

    /// `synapse` with the target's K_minus memo (`plastic::memo`: the same
    /// doubles, fewer libm calls; `stdp_pl_synapse_hom` uses none, its
    /// arithmetic is `plastic::pl_hom`'s).
    #[inline]
    pub fn synapse_memo(
        &self,
        w: &mut f64,
        row: &RowState,
        pre: PreSpike,
        d: Delay,
        history: &History,
        inv_tau_minus: f64,
        kmemo: &mut KMemo,
    ) -> f64 {
        let (lo, hi) = (row.last - d.steps, pre.stamp - d.steps);
        let t_u = pre.t - d.ms;
        let mut k_minus =
            |e: Option<&Entry>| e.map_or(0.0, |e| kmemo.k_minus(e.k, e.t, t_u, inv_tau_minus));
        match self {
            Rule::Stdp(p) => {
                let (window, before) = history.lookup(lo, hi);
                for e in window {
                    let minus_dt = row.t_last - (e.t + d.ms);
                    *w = facilitate(p, *w, row.kplus * (minus_dt / p.tau_plus).exp());
                }
                *w = depress(p, *w, k_minus(before));
                *w
            }
            Rule::StdpNnSymm(p) => {
                let (window, before) = history.lookup(lo, hi);
                for e in window {
                    let minus_dt = row.t_last - (e.t + d.ms);
                    *w = facilitate(p, *w, (minus_dt / p.tau_plus).exp());
                }
                let nearest = before.map_or(0.0, |e| ((e.t - t_u) * inv_tau_minus).exp());
                *w = depress(p, *w, nearest);
                *w
            }
            Rule::StdpPlHom(p) => {
                let (window, before) = history.lookup(lo, hi);
                for e in window {
                    let arg = pl_hom::facilitation_arg(p, row, d, e);
                    *w = pl_hom::facilitate(p, *w, row.kplus, arg);
                }
                let (arg, k) = pl_hom::depression_args(before, t_u, inv_tau_minus);
                *w = pl_hom::depress(p, *w, k, arg);
                *w
            }
            Rule::Tsodyks2(_) => (row.x * row.u) * *w,
        }
    }

    /// At a pre-synaptic spike, after the row's synapses.
    #[inline]
    pub fn row_after(&self, row: &mut RowState, pre: PreSpike) {
        match self {
            Rule::Stdp(p) => {
                row.kplus = row.kplus * ((row.t_last - pre.t) / p.tau_plus).exp() + 1.0;
            }
            Rule::StdpPlHom(p) => {
                row.kplus = row.kplus * ((row.t_last - pre.t) * p.inv_tau_plus).exp() + 1.0;
            }
            Rule::StdpNnSymm(_) | Rule::Tsodyks2(_) => {}
        }
        row.last = pre.stamp;
        row.t_last = pre.t;
    }

    /// The largest |weight| a synapse of initial weight `w0` can transmit
    /// (the ring's fixed point is chosen from it), None when unbounded.
    pub fn max_transmitted(&self, w0: f64) -> Option<f64> {
        match self {
            Rule::Stdp(p) | Rule::StdpNnSymm(p) => Some(p.w_max.abs().max(w0.abs())),
            Rule::StdpPlHom(_) => None,
            // x, u in [0, 1].
            Rule::Tsodyks2(_) => Some(w0.abs()),
        }
    }
}
