//! `iaf_psc_exp`: leaky integrate-and-fire neuron with exponentially decaying
//! synaptic currents (two receptors, `ex` and `in`), integrated exactly.
//!
//! Semantics follow NEST's model of the same name, step by step:
//! 1. if not refractory, V_m is propagated with the currents of the step start
//!    (synaptic, I_e and the external current); else the refractory count drops;
//! 2. the synaptic currents decay, then the weights arriving at the end of the
//!    step are added (they act from the next step on);
//! 3. threshold check *after* the update: V_m >= V_th => spike stamped at the end
//!    of the step, V_m = V_reset, refractory for t_ref.

use super::{check_lif, propagators::p21, ModelInfo, NeuronModel, ParamError};
use crate::spec::ParamMap;

pub static INFO: ModelInfo = ModelInfo {
    name: "iaf_psc_exp",
    receptors: &["ex", "in"],
    state_vars: &["V_m", "I_syn_ex", "I_syn_in"],
    defaults: &[
        ("E_L", -70.0),
        ("C_m", 250.0),
        ("tau_m", 10.0),
        ("t_ref", 2.0),
        ("V_th", -55.0),
        ("V_reset", -70.0),
        ("tau_syn_ex", 2.0),
        ("tau_syn_in", 2.0),
        ("I_e", 0.0),
    ],
    check,
    build,
    bytes_per_neuron: 4 * 8,
};

fn check(p: &ParamMap, dt: f64) -> Result<(), ParamError> {
    check_lif(p, dt)
}

fn build(p: &ParamMap, dt: f64, n: usize) -> Box<dyn NeuronModel> {
    Box::new(IafPscExp::new(p, dt, n))
}

/// Step propagators, computed once per chunk from the parameters.
#[derive(Clone, Debug)]
pub(crate) struct LifPropagators {
    pub e_l: f64,
    pub p11_ex: f64,
    pub p11_in: f64,
    pub p22: f64,
    pub p21_ex: f64,
    pub p21_in: f64,
    pub p20: f64,
    pub i_e: f64,
    /// Threshold and reset relative to E_L.
    pub theta: f64,
    pub v_reset: f64,
    pub ref_steps: u32,
}

impl LifPropagators {
    pub fn new(p: &ParamMap, h: f64) -> Self {
        let (tau_m, c_m) = (p["tau_m"], p["C_m"]);
        let p22 = (-h / tau_m).exp();
        Self {
            e_l: p["E_L"],
            p11_ex: (-h / p["tau_syn_ex"]).exp(),
            p11_in: (-h / p["tau_syn_in"]).exp(),
            p22,
            p21_ex: p21(p["tau_syn_ex"], tau_m, c_m, h),
            p21_in: p21(p["tau_syn_in"], tau_m, c_m, h),
            p20: -tau_m / c_m * (-h / tau_m).exp_m1(),
            i_e: p["I_e"],
            theta: p["V_th"] - p["E_L"],
            v_reset: p["V_reset"] - p["E_L"],
            ref_steps: (p["t_ref"] / h).round() as u32,
        }
    }
}

/// A chunk of `iaf_psc_exp` neurons (structure of arrays).
pub struct IafPscExp {
    pub(crate) prop: LifPropagators,
    /// Membrane potential relative to E_L (mV).
    pub(crate) v: Vec<f64>,
    pub(crate) i_ex: Vec<f64>,
    pub(crate) i_in: Vec<f64>,
    pub(crate) refractory: Vec<u32>,
}

impl IafPscExp {
    pub fn new(p: &ParamMap, dt: f64, n: usize) -> Self {
        Self {
            prop: LifPropagators::new(p, dt),
            v: vec![0.0; n],
            i_ex: vec![0.0; n],
            i_in: vec![0.0; n],
            refractory: vec![0; n],
        }
    }
}

impl NeuronModel for IafPscExp {
    fn update(&mut self, input: &[f64], i_stim: &[f64], spiked: &mut Vec<u32>) {
        let n = self.v.len();
        let q = &self.prop;
        let (in_ex, in_in) = input.split_at(n);
        for i in 0..n {
            if self.refractory[i] == 0 {
                self.v[i] = self.v[i] * q.p22
                    + self.i_ex[i] * q.p21_ex
                    + self.i_in[i] * q.p21_in
                    + (q.i_e + i_stim[i]) * q.p20;
            } else {
                self.refractory[i] -= 1;
            }
            self.i_ex[i] = self.i_ex[i] * q.p11_ex + in_ex[i];
            self.i_in[i] = self.i_in[i] * q.p11_in + in_in[i];
            if self.v[i] >= q.theta {
                self.refractory[i] = q.ref_steps;
                self.v[i] = q.v_reset;
                spiked.push(i as u32);
            }
        }
    }

    fn get(&self, var: usize, i: usize) -> f64 {
        match var {
            0 => self.v[i] + self.prop.e_l,
            1 => self.i_ex[i],
            _ => self.i_in[i],
        }
    }

    fn set(&mut self, var: usize, i: usize, value: f64) {
        match var {
            0 => self.v[i] = value - self.prop.e_l,
            1 => self.i_ex[i] = value,
            _ => self.i_in[i] = value,
        }
    }
}
