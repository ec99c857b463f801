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
use std::mem::MaybeUninit;

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
        // `step_slices` relies on it (a spiking voltage is never floored).
        assert!(min_voltage <= 0.0, "min_voltage must be <= 0");
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
    /// whether neuron i spiked, and the first entries of `fired` (as many
    /// as returned) list the neurons that did, in increasing order (`fired`
    /// holds at least `v.len()`). Bit for bit `NengoLif::step` on each
    /// neuron (`tests::slices_equal_the_step`).
    ///
    /// Invariant: the first loop (`common_path`) does, for each neuron, the
    /// very operations of `step` in its order for a step with no refractory
    /// time left or the whole step refractory, without branches so that it
    /// vectorises; it keeps every neuron's state before the step and marks
    /// the neurons whose step is partly refractory (`part`) and those that
    /// spike on the common path (`fire`). The part-refractory ones then get
    /// `step` itself from the state kept; the others that spike finish
    /// `step`'s spike branch from the voltage the loop computed (above 1,
    /// so not floored: `min_voltage` <= 0). Both go by bit masks, so that
    /// no branch is taken per neuron of the common path.
    pub fn step_slices(
        &self,
        v: &mut [f64],
        r: &mut [f64],
        bias: &[f64],
        x: &[f64],
        spiked: &mut [bool],
        fired: &mut [u16],
    ) -> usize {
        let n = v.len();
        assert!(n <= usize::from(u16::MAX) + 1 && fired.len() >= n);
        let (r, bias, x, spiked) = (&mut r[..n], &bias[..n], &x[..n], &mut spiked[..n]);
        let (mut at, mut fired_n) = (0, 0);
        while at < n {
            let m = (n - at).min(BLOCK);
            let rows = at..at + m;
            let (v, r, bias) = (
                &mut v[rows.clone()],
                &mut r[rows.clone()],
                &bias[rows.clone()],
            );
            let (x, spiked) = (&x[rows.clone()], &mut spiked[rows]);
            let mut block = Block::default();
            let b = &mut block;
            let (v0, r0) = (&mut b.v0[..m], &mut b.r0[..m]);
            let (part, fire) = (&mut b.part[..m], &mut b.fire[..m]);
            crate::twice::call_at!(crate::twice::widest();
                common_path, common_path_avx2, common_path_avx512
                (self, v, r, bias, x, v0, r0, part, fire));
            let fires = self.finish(&block, [v, r], bias, x);
            spiked.fill(false);
            for i in Ones(fires) {
                spiked[i] = true;
                fired[fired_n] = (at + i) as u16;
                fired_n += 1;
            }
            at += m;
        }
        fired_n
    }

    /// The neurons of a block off the common path (see `step_slices`):
    /// returns the mask of those of the block that spiked.
    #[inline]
    fn finish(&self, b: &Block, [v, r]: [&mut [f64]; 2], bias: &[f64], x: &[f64]) -> u64 {
        let part = mask(&b.part);
        let whole_fires = mask(&b.fire) & !part;
        let mut fires = whole_fires;
        for i in Ones(part) {
            let mut s = [0.0; 3];
            // SAFETY: i < m (a marked neuron), written by `common_path`.
            let (v0, r0) = unsafe { (b.v0[i].assume_init(), b.r0[i].assume_init()) };
            (s[VOLTAGE], s[REFRACTORY_TIME], s[BIAS]) = (v0, r0, bias[i]);
            let spikes = NengoLif::step::<false>(self, &mut s, &[x[i]], 0.0) > 0;
            fires |= u64::from(spikes) << i;
            (v[i], r[i]) = (s[VOLTAGE], s[REFRACTORY_TIME]);
        }
        for i in Ones(whole_fires) {
            let j = bias[i] + (x[i] + 0.0);
            let t_spike = self.dt + self.tau_rc * (-(v[i] - 1.0) / (j - 1.0)).ln_1p();
            v[i] = 0.0;
            r[i] = self.tau_ref + t_spike;
        }
        fires
    }
}

/// Neurons per block: one bit mask word; small, so that the scratch costs
/// little to clear for a chunk of few neurons.
const BLOCK: usize = 64;

/// A block's scratch: the state before the step (left uninitialised, so
/// as not to clear it for every block; `common_path` writes the block's
/// first m entries and only those are read), and the marks of
/// `common_path` (1 or 0 per neuron; 0 beyond the block's neurons, as
/// `mask` reads them all).
struct Block {
    v0: [MaybeUninit<f64>; BLOCK],
    r0: [MaybeUninit<f64>; BLOCK],
    part: [u8; BLOCK],
    fire: [u8; BLOCK],
}

impl Default for Block {
    fn default() -> Self {
        Block {
            v0: [MaybeUninit::uninit(); BLOCK],
            r0: [MaybeUninit::uninit(); BLOCK],
            part: [0; BLOCK],
            fire: [0; BLOCK],
        }
    }
}

/// The marks (each 1 or 0) as a bit mask, mark i at bit i. Eight at a
/// time: the multiplication moves byte j's low bit to bit 56 + j, and no
/// two of its partial products meet (so none carries).
#[inline]
fn mask(marks: &[u8; BLOCK]) -> u64 {
    marks.chunks_exact(8).enumerate().fold(0, |m, (q, eight)| {
        let bytes = u64::from_le_bytes(eight.try_into().expect("eight bytes"));
        m | (bytes.wrapping_mul(0x0102_0408_1020_4080) >> 56) << (8 * q)
    })
}

/// The indices of a mask's set bits, increasing.
struct Ones(u64);

impl Iterator for Ones {
    type Item = usize;
    #[inline]
    fn next(&mut self) -> Option<usize> {
        (self.0 != 0).then(|| {
            let i = self.0.trailing_zeros() as usize;
            self.0 &= self.0 - 1;
            i
        })
    }
}

// The first loop of `step_slices` (see its invariant): every neuron's
// step as if on the common path, its state before the step kept in `v0`,
// `r0`; `part[i]` = 1 where the step is partly refractory (then `v`, `r`
// hold values to be overwritten), `fire[i]` = 1 where the common path
// spikes (`v` then holds the voltage above 1). Portable and AVX2 from one
// body (`crate::twice`: the same bits).
crate::twice::portable_and_avx2! {
    #[allow(clippy::too_many_arguments)]
    fn common_path / common_path_avx2 / common_path_avx512(
        c: &NengoLifConsts,
        v: &mut [f64], r: &mut [f64], bias: &[f64], x: &[f64],
        v0: &mut [MaybeUninit<f64>], r0: &mut [MaybeUninit<f64>],
        part: &mut [u8], fire: &mut [u8],
    ) {
        let m = part.len();
        let (v, r, bias, x, v0, r0, fire) = (
            &mut v[..m], &mut r[..m], &bias[..m], &x[..m], &mut v0[..m], &mut r0[..m],
            &mut fire[..m],
        );
        for i in 0..m {
            let j = bias[i] + (x[i] + 0.0);
            let refractory = r[i] - c.dt;
            let delta_t = (c.dt - refractory).max(0.0).min(c.dt);
            let whole = delta_t == c.dt;
            let decay = if whole { c.decay_dt } else { -0.0 };
            let vn = v[i] - (j - v[i]) * decay;
            v0[i].write(v[i]);
            r0[i].write(r[i]);
            v[i] = if vn < c.min_voltage { c.min_voltage } else { vn };
            r[i] = refractory;
            part[i] = !(whole || delta_t == 0.0) as u8;
            fire[i] = (vn > 1.0) as u8;
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
    /// `step_slices` as through `step`, over many steps; its list of the
    /// neurons that fired is theirs, in order, across its blocks.
    #[test]
    fn slices_equal_the_step() {
        let c = NengoLifConsts::in_seconds(0.001, 0.02, 0.002, -0.5);
        let n = 150;
        let mut cols = [vec![0.0; n], vec![0.0; n]];
        let bias: Vec<f64> = (0..n).map(|i| -2.0 + 0.11 * (i % 64) as f64).collect();
        let mut fired = vec![0u16; n];
        let mut states: Vec<[f64; 3]> = (0..n).map(|i| [0.0, 0.0, bias[i]]).collect();
        let (mut flags, mut spikes) = (vec![false; n], 0);
        for t in 0..500 {
            let x: Vec<f64> = (0..n)
                .map(|i| ((t * 7 + i * 13) % 17) as f64 * 0.3 - 1.0)
                .collect();
            let [v, r] = &mut cols;
            let count = c.step_slices(v, r, &bias, &x, &mut flags, &mut fired);
            let listed: Vec<usize> = (0..n).filter(|&i| flags[i]).collect();
            let fired: Vec<usize> = fired[..count].iter().map(|&i| usize::from(i)).collect();
            assert_eq!(fired, listed, "step {t}");
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
    fn mask_sets_bit_i_for_mark_i() {
        let mut marks = [0u8; BLOCK];
        let mut x = 12345u64;
        for _ in 0..200 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            for (i, m) in marks.iter_mut().enumerate() {
                *m = (x >> (i % 61) & 1) as u8;
            }
            let want = (0..BLOCK).fold(0u64, |w, i| w | u64::from(marks[i]) << i);
            assert_eq!(mask(&marks), want);
            let ones: Vec<usize> = Ones(want).collect();
            assert_eq!(
                ones,
                (0..BLOCK).filter(|&i| marks[i] == 1).collect::<Vec<_>>()
            );
        }
        assert_eq!(mask(&[1; BLOCK]), u64::MAX);
    }

    #[test]
    fn common_path_variants_agree() {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            let c = NengoLifConsts::in_seconds(0.001, 0.02, 0.002, -0.5);
            let m = 61;
            let bias: Vec<f64> = (0..m).map(|i| -1.5 + 0.07 * i as f64).collect();
            let x: Vec<f64> = (0..m).map(|i| ((i * 29) % 13) as f64 * 0.4 - 2.0).collect();
            let r0: Vec<f64> = (0..m)
                .map(|i| [0.0, 0.0017, 0.001, 0.0025][i % 4])
                .collect();
            let v0: Vec<f64> = (0..m).map(|i| (i % 7) as f64 * 0.2 - 0.3).collect();
            // 0: portable, 1: AVX2, 2: AVX-512.
            let run = |variant: u8| {
                let (mut v, mut r) = (v0.clone(), r0.clone());
                let (mut kv, mut kr) = (
                    vec![MaybeUninit::uninit(); m],
                    vec![MaybeUninit::uninit(); m],
                );
                let (mut part, mut fire) = (vec![0u8; m], vec![0u8; m]);
                let args = (&mut v[..], &mut r[..], &bias[..], &x[..]);
                if variant == 2 {
                    // SAFETY: the CPU has AVX-512F (checked by the caller).
                    unsafe {
                        common_path_avx512(
                            &c, args.0, args.1, args.2, args.3, &mut kv, &mut kr, &mut part,
                            &mut fire,
                        )
                    };
                } else if variant == 1 {
                    // SAFETY: the CPU has AVX2 (checked above).
                    unsafe {
                        common_path_avx2(
                            &c, args.0, args.1, args.2, args.3, &mut kv, &mut kr, &mut part,
                            &mut fire,
                        )
                    };
                } else {
                    common_path(
                        &c, args.0, args.1, args.2, args.3, &mut kv, &mut kr, &mut part, &mut fire,
                    );
                }
                let bits = |a: &[f64]| a.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                // SAFETY: `common_path` wrote every entry.
                let kept = |a: &[MaybeUninit<f64>]| unsafe {
                    a.iter()
                        .map(|x| x.assume_init().to_bits())
                        .collect::<Vec<_>>()
                };
                (bits(&v), bits(&r), kept(&kv), kept(&kr), part, fire)
            };
            let portable = run(0);
            for marks in [&portable.4, &portable.5] {
                assert!(marks.contains(&0) && marks.contains(&1));
            }
            assert_eq!(portable, run(1));
            if std::arch::is_x86_feature_detected!("avx512f") {
                assert_eq!(portable, run(2));
            }
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
