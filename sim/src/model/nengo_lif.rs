//! `nengo_lif`: Nengo 4's spiking leaky integrate-and-fire neuron
//! (`nengo.LIF`), step for step, so that a neuron given the same input
//! currents spikes at the same steps as in Nengo with the same voltages and
//! refractory times, bit for bit (`tests/nengo_lif.rs`, against Nengo
//! 4.1.0's own traces). Its rate approximation, gains and biases are in
//! `crate::nef`.
//!
//! Units (decided): the parameters `tau_rc` and `tau_ref` are in ms, as every
//! time of the engine (Nengo's defaults 0.02 s and 0.002 s are 20 and 2 ms);
//! the voltage, the input and `min_voltage` are dimensionless (threshold 1,
//! reset 0). The step itself computes in seconds, with the very doubles a
//! Nengo user writes: each time is converted once per chunk by
//! `nengo_seconds`, which moves the decimal point of the value as written
//! (1 ms -> 0.001 exactly as Python reads "0.001"; dividing by 1000 is not
//! always that double). So `refractory_time` is stored in seconds (its
//! declared unit is `s`), as Nengo keeps it.
//!
//! Input (decided): the neuron's current is J = bias + (input + i_stim),
//! where `bias` is a per-neuron state variable (set it per neuron, as an
//! initial value or with `NeuronModel::set`) and `input` the receptor
//! `input` (dimensionless) — for a NEF ensemble, the value already encoded
//! and scaled by the neuron's gain: Nengo's scaled encoders times the
//! decoded value, or gain times a neuron-to-neuron weight, which is how
//! Nengo itself forms J (bias first, then the encoded input added), so the
//! gain is a build-time quantity and not kept here. An external current
//! (`dc_generator`) adds to the input, dimensionless as well.
//!
//! One step of `dt` (Nengo's `LIF.step`, in its order): the refractory time
//! drops by dt; the neuron integrates for delta_t = clip(dt - refractory,
//! 0, dt) (a refractory period ending inside the step leaves part of it);
//! v -= (J - v) expm1(-delta_t / tau_rc), exact for J constant over the
//! step; v > 1 spikes, at t_spike = dt + tau_rc log1p(-(v - 1) / (J - 1))
//! into the step (interpolated), and then v = 0 and the refractory time is
//! tau_ref + t_spike (it starts part-way through the step); otherwise v is
//! floored at `min_voltage`. Nengo's output of a spike is amplitude / dt
//! for one step (`spike_output`); here `step` returns the spike.

use super::decl::{Param, Range, ReceptorDecl, ReceptorKind, StateVar};
use super::dynamics::Dynamics;
use super::{ModelInfo, ParamError};
use crate::spec::ParamMap;

/// The registry entry of `nengo_lif`.
pub static INFO: ModelInfo = ModelInfo::of::<NengoLif>();

/// `nengo_lif` (see the module docs).
pub struct NengoLif;

/// Index of the voltage in the state.
pub const VOLTAGE: usize = 0;
/// Index of the refractory time (s) in the state.
pub const REFRACTORY_TIME: usize = 1;
/// Index of the bias in the state.
pub const BIAS: usize = 2;

/// Constants of a `nengo_lif` chunk, times in seconds.
pub struct NengoLifConsts {
    dt: f64,
    tau_rc: f64,
    tau_ref: f64,
    min_voltage: f64,
    /// expm1(-dt / tau_rc): the decay factor of a step with no refractory
    /// time left, the same double the step would compute (most steps).
    decay_dt: f64,
}

impl NengoLifConsts {
    /// The constants for a step of `dt`, `tau_rc` and `tau_ref`, all in
    /// seconds already (the NEF runner's units), and `min_voltage`.
    pub fn in_seconds(dt: f64, tau_rc: f64, tau_ref: f64, min_voltage: f64) -> Self {
        Self {
            dt,
            tau_rc,
            tau_ref,
            min_voltage,
            decay_dt: (-dt / tau_rc).exp_m1(),
        }
    }
}

/// The time `ms` (milliseconds) in seconds, as the double one gets by
/// writing its decimal digits with the point moved three places (what a
/// Nengo user writes for the same time): 1.0 -> 0.001, 0.1 -> 0.0001.
pub fn nengo_seconds(ms: f64) -> f64 {
    format!("{ms}e-3")
        .parse()
        .expect("a finite time has a decimal form")
}

/// Nengo's output of a spike of a neuron with parameters `p` (complete) in a
/// step of `dt` ms: amplitude / dt (dt in seconds), for one step.
pub fn spike_output(p: &ParamMap, dt: f64) -> f64 {
    p["amplitude"] / nengo_seconds(dt)
}

impl NengoLifConsts {
    /// One step of a run of neurons kept as columns (voltage `v`,
    /// refractory time `r`, `bias`) with inputs `x`; `spiked[i]` tells
    /// whether neuron i spiked. Bit for bit `NengoLif::step` on each neuron
    /// (`tests::slices_equal_the_step`).
    ///
    /// Invariant: the first loop does, for each neuron, the very operations
    /// of `step` in its order, on the path of most steps (no refractory time
    /// left or the whole step refractory, no spike), without branches so
    /// that it vectorises; it keeps every neuron's state before the step
    /// and lists the neurons off that path, and the second loop gives those
    /// `step` itself, from the state kept.
    pub fn step_slices(
        &self,
        v: &mut [f64],
        r: &mut [f64],
        bias: &[f64],
        x: &[f64],
        spiked: &mut [bool],
    ) {
        // Small, so that the scratch arrays cost little to clear for a
        // chunk of few neurons.
        const BLOCK: usize = 64;
        let n = v.len();
        let (r, bias, x, spiked) = (&mut r[..n], &bias[..n], &x[..n], &mut spiked[..n]);
        let mut at = 0;
        while at < n {
            let m = (n - at).min(BLOCK);
            let (mut v0, mut r0, mut odd) = ([0.0; BLOCK], [0.0; BLOCK], [0u8; BLOCK]);
            let rows = at..at + m;
            let (v, r, bias) = (
                &mut v[rows.clone()],
                &mut r[rows.clone()],
                &bias[rows.clone()],
            );
            let (x, spiked) = (&x[rows.clone()], &mut spiked[rows]);
            let (v0, r0, odd) = (&mut v0[..m], &mut r0[..m], &mut odd[..m]);
            spiked.fill(false);
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU has AVX2 (checked just above).
                unsafe { common_path_avx2(self, v, r, bias, x, v0, r0, odd) };
            } else {
                common_path(self, v, r, bias, x, v0, r0, odd);
            }
            #[cfg(not(target_arch = "x86_64"))]
            common_path(self, v, r, bias, x, v0, r0, odd);
            let (mut list, mut count) = ([0u8; BLOCK], 0);
            for (i, &o) in odd[..m].iter().enumerate() {
                list[count] = i as u8;
                count += o as usize;
            }
            for &i in &list[..count] {
                let i = i as usize;
                let mut s = [0.0; 3];
                (s[VOLTAGE], s[REFRACTORY_TIME], s[BIAS]) = (v0[i], r0[i], bias[i]);
                spiked[i] = NengoLif::step::<false>(self, &mut s, &[x[i]], 0.0) > 0;
                (v[i], r[i]) = (s[VOLTAGE], s[REFRACTORY_TIME]);
            }
            at += m;
        }
    }
}

// The first loop of `step_slices` (see its invariant): every neuron's
// step on the common path, its state before the step kept in `v0`, `r0`,
// and `odd[i]` = 1 where the step leaves that path (then `v`, `r` hold
// values to be overwritten). Portable and AVX2 from one body
// (`crate::twice`: the same bits).
crate::twice::portable_and_avx2! {
    #[allow(clippy::too_many_arguments)]
    fn common_path / common_path_avx2(
        c: &NengoLifConsts,
        v: &mut [f64], r: &mut [f64], bias: &[f64], x: &[f64],
        v0: &mut [f64], r0: &mut [f64], odd: &mut [u8],
    ) {
        let m = odd.len();
        let (v, r, bias, x, v0, r0) =
            (&mut v[..m], &mut r[..m], &bias[..m], &x[..m], &mut v0[..m], &mut r0[..m]);
        for i in 0..m {
            let j = bias[i] + (x[i] + 0.0);
            let refractory = r[i] - c.dt;
            let delta_t = (c.dt - refractory).max(0.0).min(c.dt);
            let whole = delta_t == c.dt;
            let decay = if whole { c.decay_dt } else { -0.0 };
            let vn = v[i] - (j - v[i]) * decay;
            let spikes = vn > 1.0;
            let regular = (whole || delta_t == 0.0) && !spikes;
            (v0[i], r0[i]) = (v[i], r[i]);
            v[i] = if vn < c.min_voltage { c.min_voltage } else { vn };
            r[i] = refractory;
            odd[i] = !regular as u8;
        }
    }
}

impl Dynamics for NengoLif {
    const NAME: &'static str = "nengo_lif";
    const PARAMS: &'static [Param] = &[
        Param::ranged("tau_rc", "ms", 20.0, Range::Positive, ""),
        Param::ranged("tau_ref", "ms", 2.0, Range::NonNegative, ""),
        Param::any("min_voltage", "1", 0.0),
        Param::ranged("amplitude", "1", 1.0, Range::Positive, ""),
    ];
    const STATE: &'static [StateVar] = &[
        StateVar::new("voltage", "1"),
        StateVar::new("refractory_time", "s"),
        StateVar::new("bias", "1"),
    ];
    const RECEPTORS: &'static [ReceptorDecl] =
        &[ReceptorDecl::new("input", ReceptorKind::Dimensionless)];
    const BY_SIGN: Option<(u8, u8)> = None;
    type Consts = NengoLifConsts;
    type State = [f64; 3];
    type Input = [f64; 1];

    fn check(p: &ParamMap, _dt: f64) -> Result<(), ParamError> {
        if p["min_voltage"] > 0.0 {
            return Err(ParamError::new(
                "min_voltage",
                format!("must be <= 0, got {}", p["min_voltage"]),
            ));
        }
        Ok(())
    }

    fn consts(p: &ParamMap, dt: f64) -> NengoLifConsts {
        NengoLifConsts::in_seconds(
            nengo_seconds(dt),
            nengo_seconds(p["tau_rc"]),
            nengo_seconds(p["tau_ref"]),
            p["min_voltage"],
        )
    }

    fn rest(_c: &NengoLifConsts) -> [f64; 3] {
        [0.0; 3]
    }

    #[inline(always)]
    fn step<const MERGED: bool>(
        c: &NengoLifConsts,
        s: &mut [f64; 3],
        x: &[f64; 1],
        stim: f64,
    ) -> u8 {
        let j = s[BIAS] + (x[0] + stim);
        let refractory = s[REFRACTORY_TIME] - c.dt;
        let delta_t = (c.dt - refractory).max(0.0).min(c.dt);
        let mut v = s[VOLTAGE];
        // delta_t == dt: the same argument, so the same double as expm1;
        // delta_t == 0 (the whole step refractory): expm1(-0) = -0.
        let decay = if delta_t == c.dt {
            c.decay_dt
        } else if delta_t == 0.0 {
            -0.0
        } else {
            (-delta_t / c.tau_rc).exp_m1()
        };
        v -= (j - v) * decay;
        if v > 1.0 {
            let t_spike = c.dt + c.tau_rc * (-(v - 1.0) / (j - 1.0)).ln_1p();
            s[VOLTAGE] = 0.0;
            s[REFRACTORY_TIME] = c.tau_ref + t_spike;
            1
        } else {
            s[VOLTAGE] = if v < c.min_voltage { c.min_voltage } else { v };
            s[REFRACTORY_TIME] = refractory;
            0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn avx2_variant_equals_portable() {
        let p = INFO.with_defaults(&ParamMap::new()).unwrap();
        assert!(crate::model::soa::variants_agree::<NengoLif>(&p, 1, 200));
    }

    #[test]
    fn milliseconds_become_the_seconds_a_nengo_user_writes() {
        for (ms, s) in [
            (1.0, 0.001),
            (0.1, 0.0001),
            (0.5, 0.0005),
            (20.0, 0.02),
            (2.0, 0.002),
            (2.5, 0.0025),
            (1.25, 0.00125),
            (0.025, 0.000025),
            (50.0, 0.05),
        ] {
            assert_eq!(nengo_seconds(ms).to_bits(), f64::to_bits(s), "{ms} ms");
        }
        // Dividing by 1000 is not always the same double.
        assert!((1..1000).any(|k| {
            let ms = k as f64 * 0.1;
            ms / 1000.0 != nengo_seconds(ms)
        }));
    }

    /// Neurons in every case of the step (mid-integration, partly and
    /// wholly refractory, spiking, floored) give the same bits through
    /// `step_slices` as through `step`, over many steps.
    #[test]
    fn slices_equal_the_step() {
        let c = NengoLifConsts::in_seconds(0.001, 0.02, 0.002, -0.5);
        let n = 64;
        let mut cols = [vec![0.0; n], vec![0.0; n]];
        let bias: Vec<f64> = (0..n).map(|i| -2.0 + 0.11 * i as f64).collect();
        let mut states: Vec<[f64; 3]> = (0..n).map(|i| [0.0, 0.0, bias[i]]).collect();
        let (mut flags, mut spikes) = (vec![false; n], 0);
        for t in 0..500 {
            let x: Vec<f64> = (0..n)
                .map(|i| ((t * 7 + i * 13) % 17) as f64 * 0.3 - 1.0)
                .collect();
            let [v, r] = &mut cols;
            c.step_slices(v, r, &bias, &x, &mut flags);
            for i in 0..n {
                let s = NengoLif::step::<false>(&c, &mut states[i], &[x[i]], 0.0) > 0;
                assert_eq!(s, flags[i], "step {t}, neuron {i}");
                assert_eq!(states[i][VOLTAGE].to_bits(), v[i].to_bits());
                assert_eq!(states[i][REFRACTORY_TIME].to_bits(), r[i].to_bits());
                spikes += s as usize;
            }
        }
        assert!(
            spikes > 1000 && cols[0].iter().any(|&v| v == -0.5),
            "{spikes}"
        );
    }

    /// The common path's two variants (portable, AVX2) give the same bits.
    #[test]
    fn common_path_variants_agree() {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            let c = NengoLifConsts::in_seconds(0.001, 0.02, 0.002, -0.5);
            let m = 61;
            let bias: Vec<f64> = (0..m).map(|i| -1.5 + 0.07 * i as f64).collect();
            let x: Vec<f64> = (0..m).map(|i| ((i * 29) % 13) as f64 * 0.4 - 2.0).collect();
            let r0: Vec<f64> = (0..m)
                .map(|i| [0.0, 0.0005, 0.001, 0.0025][i % 4])
                .collect();
            let v0: Vec<f64> = (0..m).map(|i| (i % 7) as f64 * 0.2 - 0.3).collect();
            let run = |avx2: bool| {
                let (mut v, mut r) = (v0.clone(), r0.clone());
                let (mut kv, mut kr, mut odd) = (vec![0.0; m], vec![0.0; m], vec![0u8; m]);
                let args = (&mut v[..], &mut r[..], &bias[..], &x[..]);
                if avx2 {
                    // SAFETY: the CPU has AVX2 (checked above).
                    unsafe {
                        common_path_avx2(
                            &c, args.0, args.1, args.2, args.3, &mut kv, &mut kr, &mut odd,
                        )
                    };
                } else {
                    common_path(
                        &c, args.0, args.1, args.2, args.3, &mut kv, &mut kr, &mut odd,
                    );
                }
                let bits = |a: &[f64]| a.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                (bits(&v), bits(&r), bits(&kv), bits(&kr), odd)
            };
            let portable = run(false);
            assert!(portable.4.contains(&0) && portable.4.contains(&1));
            assert_eq!(portable, run(true));
        }
    }

    #[test]
    fn min_voltage_above_zero_is_refused() {
        let mut p = INFO.with_defaults(&ParamMap::new()).unwrap();
        assert!(INFO.check(&p, 1.0).is_ok());
        p.insert("min_voltage".into(), 0.5);
        assert_eq!(INFO.check(&p, 1.0).unwrap_err().param, "min_voltage");
    }
}
