//! `alif`: the adaptive leaky integrate-and-fire neuron of LSNNs (Bellec et al.
//! 2018), on top of `iaf_psc_exp`'s exact subthreshold integration.
//!
//! The threshold is `V_th + beta * a`; the dimensionless adaptation `a` decays
//! with `tau_a` (a <- a * exp(-dt/tau_a) every step) and jumps by 1 at each spike.
//! With beta = 0 the model is exactly `iaf_psc_exp`.

use super::iaf_psc_exp::LifPropagators;
use super::{check_lif, ModelInfo, NeuronModel, ParamError};
use crate::spec::ParamMap;

/// The registry entry of `alif`.
pub static INFO: ModelInfo = ModelInfo {
    name: "alif",
    receptors: &["ex", "in"],
    state_vars: &["V_m", "I_syn_ex", "I_syn_in", "a"],
    state_units: &["mV", "pA", "pA", "1"],
    defaults: &[
        ("E_L", -70.0),
        ("C_m", 250.0),
        ("tau_m", 20.0),
        ("t_ref", 2.0),
        ("V_th", -55.0),
        ("V_reset", -70.0),
        ("tau_syn_ex", 2.0),
        ("tau_syn_in", 2.0),
        ("I_e", 0.0),
        ("tau_a", 200.0),
        ("beta", 1.0),
    ],
    check,
    build,
    merge_receptors: |_| false,
    receptor_vars: &["I_syn_ex", "I_syn_in"],
    bytes_per_neuron: 5 * 8,
};

fn check(p: &ParamMap, dt: f64) -> Result<(), ParamError> {
    check_lif(p, dt)?;
    if p["tau_a"] <= 0.0 {
        return Err(ParamError::new(
            "tau_a",
            format!("must be > 0, got {}", p["tau_a"]),
        ));
    }
    if p["beta"] < 0.0 {
        return Err(ParamError::new(
            "beta",
            format!("must be >= 0, got {}", p["beta"]),
        ));
    }
    Ok(())
}

fn build(p: &ParamMap, dt: f64, n: usize, lanes: usize) -> Box<dyn NeuronModel> {
    assert_eq!(lanes, 2, "alif keeps one lane per receptor");
    Box::new(Alif {
        prop: LifPropagators::new(p, dt),
        p_a: (-dt / p["tau_a"]).exp(),
        beta: p["beta"],
        v: vec![0.0; n],
        i_ex: vec![0.0; n],
        i_in: vec![0.0; n],
        a: vec![0.0; n],
        refractory: vec![0; n],
    })
}

/// A chunk of `alif` neurons (structure of arrays).
pub struct Alif {
    prop: LifPropagators,
    p_a: f64,
    beta: f64,
    v: Vec<f64>,
    i_ex: Vec<f64>,
    i_in: Vec<f64>,
    a: Vec<f64>,
    refractory: Vec<u32>,
}

impl NeuronModel for Alif {
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
            self.a[i] *= self.p_a;
            if self.v[i] >= q.theta + self.beta * self.a[i] {
                self.refractory[i] = q.ref_steps;
                self.v[i] = q.v_reset;
                self.a[i] += 1.0;
                spiked.push(i as u32);
            }
        }
    }

    fn get(&self, var: usize, i: usize) -> f64 {
        match var {
            0 => self.v[i] + self.prop.e_l,
            1 => self.i_ex[i],
            2 => self.i_in[i],
            _ => self.a[i],
        }
    }

    fn set(&mut self, var: usize, i: usize, value: f64) {
        match var {
            0 => self.v[i] = value - self.prop.e_l,
            1 => self.i_ex[i] = value,
            2 => self.i_in[i] = value,
            _ => self.a[i] = value,
        }
    }
}
