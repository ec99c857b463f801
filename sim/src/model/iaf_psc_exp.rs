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
//!
//! With tau_syn_ex == tau_syn_in the two currents are one linear filter, and
//! V_m is driven by their sum, integrated as one current `I_syn` from the
//! summed input (exact: the input of a step is an exact fixed-point sum, see
//! `stimulus`). Its input then comes in one ring lane (`Merged`), or — when
//! I_syn_ex or I_syn_in is recorded or initialised — in two lanes, with the
//! two currents kept beside `I_syn` for reading only (`Shadowed`). Both give
//! bit-identical spikes and V_m: recording never changes a result.

use super::{check_lif, propagators::p21, ModelInfo, NeuronModel, ParamError};
use crate::spec::ParamMap;

/// The registry entry of `iaf_psc_exp`.
pub static INFO: ModelInfo = ModelInfo {
    name: "iaf_psc_exp",
    receptors: &["ex", "in"],
    state_vars: &["V_m", "I_syn_ex", "I_syn_in"],
    state_units: &["mV", "pA", "pA"],
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
    merge_receptors: |p| p["tau_syn_ex"] == p["tau_syn_in"],
    receptor_vars: &["I_syn_ex", "I_syn_in"],
    bytes_per_neuron: 4 * 8,
};

fn check(p: &ParamMap, dt: f64) -> Result<(), ParamError> {
    check_lif(p, dt)
}

fn build(p: &ParamMap, dt: f64, n: usize, lanes: usize) -> Box<dyn NeuronModel> {
    let mut m = IafPscExp::new(p, dt, n);
    m.mode = match (lanes, p["tau_syn_ex"] == p["tau_syn_in"]) {
        (2, false) => Mode::Separate,
        (2, true) => {
            m.i_syn = vec![0.0; n];
            Mode::Shadowed
        }
        (1, true) => Mode::Merged,
        _ => panic!("iaf_psc_exp: {lanes} input lanes with these time constants"),
    };
    Box::new(m)
}

/// How the synaptic currents are integrated (see the module notes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Two currents, two input lanes.
    Separate,
    /// Equal time constants, one lane: `i_ex` holds the summed current.
    Merged,
    /// Equal time constants, two lanes: `i_syn` drives V_m, `i_ex` and
    /// `i_in` are kept for reading.
    Shadowed,
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
    /// The summed current (`Shadowed` only).
    pub(crate) i_syn: Vec<f64>,
    pub(crate) refractory: Vec<u32>,
    pub(crate) mode: Mode,
    /// Scratch: 1 where a neuron spiked this step (`Merged`).
    flags: Vec<u8>,
}

impl IafPscExp {
    /// `n` neurons at rest (V_m = E_L, no current) with parameters `p` and
    /// step `dt`, one lane per receptor (`build` sets the mode for its lanes).
    pub fn new(p: &ParamMap, dt: f64, n: usize) -> Self {
        Self {
            prop: LifPropagators::new(p, dt),
            v: vec![0.0; n],
            i_ex: vec![0.0; n],
            i_in: vec![0.0; n],
            i_syn: Vec::new(),
            refractory: vec![0; n],
            mode: Mode::Separate,
            flags: Vec::new(),
        }
    }
}

/// What one `Merged` step reads and writes (all slices of the chunk's length).
struct MergedStep<'a> {
    q: &'a LifPropagators,
    v: &'a mut [f64],
    i_syn: &'a mut [f64],
    refractory: &'a mut [u32],
    input: &'a [f64],
    i_stim: &'a [f64],
    /// Set to 1 where a neuron spiked.
    flags: &'a mut [u8],
}

/// One step of `Merged` neurons without branches, so it vectorises: the same
/// arithmetic as the branchy form (V_m held while refractory, then the
/// threshold), with spikes marked in `flags`.
fn merged_kernel(m: MergedStep<'_>) {
    merged_portable(m.q, m.v, m.i_syn, m.refractory, m.input, m.i_stim, m.flags);
}

/// `merged_kernel`, with AVX2 where the CPU has it (no FMA: the same bits).
fn merged_step(m: MergedStep<'_>) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2 (checked just above).
        unsafe { merged_avx2(m.q, m.v, m.i_syn, m.refractory, m.input, m.i_stim, m.flags) };
        return;
    }
    merged_kernel(m);
}

// The slices are separate arguments of non-inlined functions on purpose:
// only there does the compiler know they do not overlap, which it needs to
// vectorise the loop (inside a struct they may alias, and it does not). Each
// variant is its own function with its own target features: folding the
// body into the portable one made the AVX2 variant call non-AVX2 code (0 ymm
// instructions instead of 27), so the macro expands the body into each.
// An AVX-512 variant measured no faster.
macro_rules! merged_variant {
    ($(#[$attr:meta])* $name:ident $(, $unsafety:tt)?) => {
        $(#[$attr])*
        #[inline(never)]
        $($unsafety)? fn $name(
            q: &LifPropagators,
            v: &mut [f64],
            i_syn: &mut [f64],
            refractory: &mut [u32],
            input: &[f64],
            i_stim: &[f64],
            flags: &mut [u8],
        ) {
            let n = v.len();
            let (i_syn, refractory, input, i_stim, flags) = (
                &mut i_syn[..n],
                &mut refractory[..n],
                &input[..n],
                &i_stim[..n],
                &mut flags[..n],
            );
            for i in 0..n {
                let a = i_syn[i] * q.p21_ex;
                i_syn[i] = i_syn[i] * q.p11_ex + input[i];
                let r = refractory[i];
                // `+ 0.0` keeps the sum in the order of the two-current form.
                let free = v[i] * q.p22 + a + 0.0 + (q.i_e + i_stim[i]) * q.p20;
                let v1 = if r == 0 { free } else { v[i] };
                let spike = v1 >= q.theta;
                v[i] = if spike { q.v_reset } else { v1 };
                refractory[i] = if spike {
                    q.ref_steps
                } else {
                    r.saturating_sub(1)
                };
                flags[i] = u8::from(spike);
            }
        }
    };
}

merged_variant!(merged_portable);
merged_variant!(
    /// # Safety
    /// The CPU must have AVX2.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    merged_avx2,
    unsafe
);

/// Appends the indices of the non-zero `flags`, in order.
fn collect_spikes(flags: &[u8], spiked: &mut Vec<u32>) {
    let mut base = 0;
    for word in flags.chunks(8) {
        if word.iter().any(|&f| f != 0) {
            for (j, &f) in word.iter().enumerate() {
                if f != 0 {
                    spiked.push((base + j) as u32);
                }
            }
        }
        base += word.len();
    }
}

impl NeuronModel for IafPscExp {
    fn update(&mut self, input: &[f64], i_stim: &[f64], spiked: &mut Vec<u32>) {
        let n = self.v.len();
        let q = &self.prop;
        // Steps 1 (V_m with the currents of the step start) and 3 (threshold).
        // `a + b`: the currents' terms (b = 0 with one current), summed in
        // NEST's order.
        let step = |v: &mut f64, r: &mut u32, a: f64, b: f64, stim: f64| -> bool {
            if *r == 0 {
                *v = *v * q.p22 + a + b + (q.i_e + stim) * q.p20;
            } else {
                *r -= 1;
            }
            if *v >= q.theta {
                *r = q.ref_steps;
                *v = q.v_reset;
                true
            } else {
                false
            }
        };
        match self.mode {
            Mode::Separate => {
                let (in_ex, in_in) = input.split_at(n);
                for i in 0..n {
                    let (a, b) = (self.i_ex[i] * q.p21_ex, self.i_in[i] * q.p21_in);
                    self.i_ex[i] = self.i_ex[i] * q.p11_ex + in_ex[i];
                    self.i_in[i] = self.i_in[i] * q.p11_in + in_in[i];
                    if step(&mut self.v[i], &mut self.refractory[i], a, b, i_stim[i]) {
                        spiked.push(i as u32);
                    }
                }
            }
            Mode::Merged => {
                self.flags.resize(n, 0);
                merged_step(MergedStep {
                    q,
                    v: &mut self.v,
                    i_syn: &mut self.i_ex,
                    refractory: &mut self.refractory,
                    input: &input[..n],
                    i_stim: &i_stim[..n],
                    flags: &mut self.flags,
                });
                collect_spikes(&self.flags, spiked);
            }
            Mode::Shadowed => {
                let (in_ex, in_in) = input.split_at(n);
                for i in 0..n {
                    let a = self.i_syn[i] * q.p21_ex;
                    // Lanes hold exact multiples of 2^-k pA: this sum is the
                    // one lane `Merged` would read.
                    self.i_syn[i] = self.i_syn[i] * q.p11_ex + (in_ex[i] + in_in[i]);
                    self.i_ex[i] = self.i_ex[i] * q.p11_ex + in_ex[i];
                    self.i_in[i] = self.i_in[i] * q.p11_in + in_in[i];
                    if step(&mut self.v[i], &mut self.refractory[i], a, 0.0, i_stim[i]) {
                        spiked.push(i as u32);
                    }
                }
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
        if self.mode == Mode::Shadowed {
            self.i_syn[i] = self.i_ex[i] + self.i_in[i];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Stream;

    /// The dispatched step (AVX2 where the CPU has it) gives the same bits as
    /// the portable kernel, spikes and refractory periods included.
    #[test]
    fn dispatched_merged_step_equals_the_portable_kernel() {
        let p: ParamMap = INFO
            .defaults
            .iter()
            .map(|(k, v)| (k.to_string(), *v))
            .collect();
        let q = LifPropagators::new(&p, 0.1);
        let n = 1000;
        let mut s = Stream::new(5, 6, 7, 8);
        let mut a = (vec![0.0; n], vec![0.0; n], vec![0u32; n], vec![0u8; n]);
        for x in a.0.iter_mut() {
            *x = 20.0 * s.uniform();
        }
        let mut b = a.clone();
        let mut spikes = 0;
        for _ in 0..200 {
            let input: Vec<f64> = (0..n).map(|_| 400.0 * (s.uniform() - 0.3)).collect();
            let stim: Vec<f64> = (0..n).map(|_| 100.0 * s.uniform()).collect();
            for (kernel, x) in [
                (merged_kernel as fn(MergedStep<'_>), &mut a),
                (merged_step, &mut b),
            ] {
                kernel(MergedStep {
                    q: &q,
                    v: &mut x.0,
                    i_syn: &mut x.1,
                    refractory: &mut x.2,
                    input: &input,
                    i_stim: &stim,
                    flags: &mut x.3,
                });
            }
            assert_eq!(a.3, b.3);
            spikes += a.3.iter().filter(|&&f| f != 0).count();
        }
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&a.0), bits(&b.0));
        assert_eq!(bits(&a.1), bits(&b.1));
        assert_eq!(a.2, b.2);
        assert!(spikes > 100, "{spikes}");
    }
}
