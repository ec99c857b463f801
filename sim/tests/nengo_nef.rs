//! `brainsim_sim::nef` against Nengo 4.1.0 (`tests/fixtures/nengo/`, made by
//! `scripts/nengo_fixtures.py` with NumPy's default dispatch): LIF rates,
//! gains and biases (and back) within `REL` relative; the activities of
//! Nengo's own ensembles (its gains, biases, encoders and eval points) within
//! `REL` of Nengo's activity matrix; decoders solved from Nengo's activity
//! matrix within `DECODER_REL` of Nengo's (relative to the largest decoder).
//! Then our own ensembles, statistically: Nengo's default distributions and
//! what they promise (rates at the encoded input 1 within 200-400 Hz,
//! silence just below each intercept and firing just above, unit encoders,
//! Nengo's number of eval points), determinism by seed, and decoders that
//! represent as well as Nengo's.

mod common;
use brainsim_sim::nef::{self, Ensemble, EnsembleParams, LifRate, LstsqL2};
use common::nengo::{fixture, max_rel};
use nalgebra::DMatrix;
use serde::Deserialize;
use std::collections::BTreeMap;

/// Rates, gains, biases and activities: relative to max(|Nengo's|, 1).
const REL: f64 = 1e-12;
/// Decoders: the largest difference relative to Nengo's largest decoder.
const DECODER_REL: f64 = 1e-8;

#[derive(Deserialize)]
struct RateParams {
    tau_rc: f64,
    tau_ref: f64,
    #[serde(default = "one")]
    amplitude: f64,
}

fn one() -> f64 {
    1.0
}

impl RateParams {
    fn lif(&self) -> LifRate {
        LifRate {
            tau_rc: self.tau_rc,
            tau_ref: self.tau_ref,
            amplitude: self.amplitude,
        }
    }
}

#[derive(Deserialize)]
struct GainBiasCase {
    params: RateParams,
    max_rates: Vec<f64>,
    intercepts: Vec<f64>,
    gain: Vec<f64>,
    bias: Vec<f64>,
    back_max_rates: Vec<f64>,
    back_intercepts: Vec<f64>,
}

#[derive(Deserialize)]
struct RatesCase {
    params: RateParams,
    j: Vec<f64>,
    rates: Vec<f64>,
}

#[derive(Deserialize)]
struct Cases<T> {
    cases: Vec<T>,
}

#[test]
fn gains_and_biases_are_nengos() {
    let fx: Cases<GainBiasCase> = fixture("gain_bias.json");
    let mut worst: f64 = 0.0;
    for c in &fx.cases {
        let lif = c.params.lif();
        let (gain, bias): (Vec<f64>, Vec<f64>) = c
            .max_rates
            .iter()
            .zip(&c.intercepts)
            .map(|(&r, &i)| lif.gain_bias(r, i).unwrap())
            .unzip();
        let (rates, intercepts): (Vec<f64>, Vec<f64>) = c
            .gain
            .iter()
            .zip(&c.bias)
            .map(|(&g, &b)| lif.max_rate_intercept(g, b))
            .unzip();
        for (what, ours, theirs) in [
            ("gain", &gain, &c.gain),
            ("bias", &bias, &c.bias),
            ("max rate", &rates, &c.back_max_rates),
            ("intercept", &intercepts, &c.back_intercepts),
        ] {
            let rel = max_rel(ours, theirs, 1.0);
            assert!(rel <= REL, "{what}: {rel:e}");
            worst = worst.max(rel);
        }
        // Nengo's limit: rates must stay below 1 / tau_ref.
        assert!(lif.gain_bias(1.0 / c.params.tau_ref, 0.0).is_err());
    }
    println!("gains, biases and back: at most {worst:e} relative");
}

#[test]
fn rates_are_nengos() {
    let fx: Cases<RatesCase> = fixture("rates.json");
    let mut worst: f64 = 0.0;
    for c in &fx.cases {
        let lif = c.params.lif();
        let ours: Vec<f64> = c.j.iter().map(|&j| lif.rate(j)).collect();
        // Silent at and below the threshold exactly as Nengo.
        for (o, t) in ours.iter().zip(&c.rates) {
            assert_eq!(*o == 0.0, *t == 0.0);
        }
        let rel = max_rel(&ours, &c.rates, 1.0);
        assert!(rel <= REL, "{rel:e}");
        worst = worst.max(rel);
    }
    println!("rates: at most {worst:e} relative");
}

/// One ensemble Nengo built, with its activities and decoders.
#[derive(Deserialize)]
struct NengoEnsemble {
    name: String,
    dimensions: usize,
    radius: f64,
    gain: Vec<f64>,
    bias: Vec<f64>,
    encoders: Vec<Vec<f64>>,
    eval_points: Vec<Vec<f64>>,
    activities: Vec<Vec<f64>>,
    decoders: BTreeMap<String, Vec<Vec<f64>>>,
}

#[derive(Deserialize)]
struct Decoders {
    ensembles: Vec<NengoEnsemble>,
}

fn matrix(rows: &[Vec<f64>]) -> DMatrix<f64> {
    DMatrix::from_fn(rows.len(), rows[0].len(), |i, j| rows[i][j])
}

impl NengoEnsemble {
    /// Nengo's ensemble as ours (what the activities need).
    fn ensemble(&self) -> Ensemble {
        let n = self.gain.len();
        Ensemble {
            encoders: matrix(&self.encoders),
            gain: self.gain.clone(),
            bias: self.bias.clone(),
            max_rates: vec![0.0; n],
            intercepts: vec![0.0; n],
            eval_points: matrix(&self.eval_points),
            radius: self.radius,
            initial_voltage: vec![0.0; n],
        }
    }
}

/// The targets of the fixture's functions.
fn function(name: &str, x: &[f64]) -> Vec<f64> {
    match name {
        "identity" => x.to_vec(),
        "square" => x.iter().map(|v| v * v).collect(),
        _ => panic!("unknown function {name}"),
    }
}

#[test]
fn activities_and_decoders_are_nengos() {
    let fx: Decoders = fixture("decoders.json");
    let lif = LifRate::default();
    let solver = LstsqL2::default();
    let mut report = Vec::new();
    for e in &fx.ensembles {
        let ens = e.ensemble();
        let a = matrix(&e.activities);
        let ours = ens.activities(&lif, &ens.eval_points);
        let rel = max_rel(ours.as_slice(), a.as_slice(), 1.0);
        assert!(rel <= REL, "{}: activities {rel:e}", e.name);
        report.push(format!("{} activities: {rel:.1e}", e.name));
        assert_eq!(e.decoders.len(), 2);
        for (f, theirs) in &e.decoders {
            let y = nef::targets(&ens, e.dimensions, |x| function(f, x)).unwrap();
            let d = solver.solve(&a, &y).unwrap();
            let theirs = matrix(theirs);
            assert_eq!(d.shape(), theirs.shape());
            let rel = (&d - &theirs).abs().max() / theirs.abs().max();
            assert!(rel <= DECODER_REL, "{} {f}: decoders {rel:e}", e.name);
            // From our own activities too.
            let d2 = nef::decoders(&ens, &lif, &y, &solver).unwrap();
            let rel2 = (&d2 - &theirs).abs().max() / theirs.abs().max();
            assert!(rel2 <= DECODER_REL, "{} {f}: {rel2:e}", e.name);
            report.push(format!(
                "{} {f} decoders {}x{}: {rel:.1e}",
                e.name,
                a.nrows(),
                a.ncols()
            ));
        }
    }
    // One ensemble has fewer eval points than neurons (the m x m system).
    assert!(fx
        .ensembles
        .iter()
        .any(|e| e.eval_points.len() < e.gain.len()));
    println!("relative differences: {}", report.join(", "));
}

/// Ensembles of `n` neurons in `d` dimensions, seeds 0..20, Nengo's defaults.
fn ours(n: usize, d: usize) -> Vec<Ensemble> {
    (0..20)
        .map(|seed| Ensemble::build(&EnsembleParams::new(n, d), seed, 0).unwrap())
        .collect()
}

/// Our ensembles do what Nengo's defaults promise: rates at the encoded
/// input 1 are the max rates, in 200-400 Hz; each neuron is silent just
/// below its intercept and fires just above; max rates and intercepts are
/// uniform on Nengo's ranges (Kolmogorov-Smirnov, p = 0.001 rejects);
/// encoders are unit vectors, eval points lie within the radius and are as
/// many as Nengo's (the fixture's default ensemble has Nengo's count);
/// initial voltages are in [0, 1).
#[test]
fn our_ensembles_keep_nengos_promises() {
    let p = EnsembleParams {
        radius: 2.0,
        ..EnsembleParams::new(2000, 3)
    };
    let e = Ensemble::build(&p, 11, 4).unwrap();
    let lif = p.neuron;
    for i in 0..e.n_neurons() {
        let (g, b, c) = (e.gain[i], e.bias[i], e.intercepts[i]);
        let top = lif.rate_at(1.0, g, b);
        assert!((top - e.max_rates[i]).abs() <= 1e-9 * top, "{i}: {top}");
        assert!((200.0..400.0).contains(&top), "{i}: {top}");
        assert_eq!(lif.rate_at(c - 1e-9, g, b), 0.0, "{i}: fires below {c}");
        assert!(lif.rate_at(c + 1e-9, g, b) > 0.0, "{i}: silent above {c}");
        assert!((e.encoders.row(i).norm() - 1.0).abs() < 1e-12);
        assert!((0.0..1.0).contains(&e.initial_voltage[i]));
    }
    assert!(ks_uniform(&e.max_rates, 200.0, 400.0) < KS_001 / (2000f64).sqrt());
    assert!(ks_uniform(&e.intercepts, -1.0, 0.9) < KS_001 / (2000f64).sqrt());
    assert_eq!(e.eval_points.nrows(), nef::default_n_eval_points(2000, 3));
    assert_eq!(e.eval_points.nrows(), 4000);
    assert!(e.eval_points.row_iter().all(|r| r.norm() <= 2.0 + 1e-12));
    // The fixture's first ensemble was built with Nengo's count.
    let fx: Decoders = fixture("decoders.json");
    let d1 = &fx.ensembles[0];
    assert_eq!(
        d1.eval_points.len(),
        nef::default_n_eval_points(d1.gain.len(), 1)
    );
    // Nengo's build errors: intercepts at 1, rates beyond 1 / tau_ref.
    let bad = EnsembleParams {
        intercepts: nef::Scalar::Values(vec![1.0; 10]),
        ..EnsembleParams::new(10, 1)
    };
    assert!(Ensemble::build(&bad, 1, 0).is_err());
    let fast = EnsembleParams {
        max_rates: nef::Scalar::Values(vec![600.0; 10]),
        ..EnsembleParams::new(10, 1)
    };
    assert!(Ensemble::build(&fast, 1, 0).is_err());
    let short = EnsembleParams {
        intercepts: nef::Scalar::Values(vec![0.0; 9]),
        ..EnsembleParams::new(10, 1)
    };
    assert!(Ensemble::build(&short, 1, 0).is_err());
}

/// The Kolmogorov-Smirnov statistic's critical value at p = 0.001, times
/// sqrt(n).
const KS_001: f64 = 1.95;

/// The Kolmogorov-Smirnov distance of `v` from Uniform(lo, hi).
fn ks_uniform(v: &[f64], lo: f64, hi: f64) -> f64 {
    let mut x: Vec<f64> = v.iter().map(|x| (x - lo) / (hi - lo)).collect();
    x.sort_by(f64::total_cmp);
    let n = x.len() as f64;
    x.iter()
        .enumerate()
        .map(|(i, &f)| f64::max(f - i as f64 / n, (i + 1) as f64 / n - f))
        .fold(0.0, f64::max)
}

/// An ensemble is a function of (seed, index) alone, and each quantity of
/// its own parameters: more eval points leave encoders, gains and biases.
#[test]
fn ensembles_are_deterministic_by_seed_and_index() {
    let p = EnsembleParams::new(50, 2);
    let a = Ensemble::build(&p, 3, 1).unwrap();
    assert_eq!(a, Ensemble::build(&p, 3, 1).unwrap());
    let other = Ensemble::build(&p, 3, 2).unwrap();
    assert_ne!(a.encoders, other.encoders);
    assert_ne!(a.gain, other.gain);
    assert_ne!(a.gain, Ensemble::build(&p, 4, 1).unwrap().gain);
    let more = EnsembleParams {
        n_eval_points: Some(3000),
        ..p.clone()
    };
    let b = Ensemble::build(&more, 3, 1).unwrap();
    assert_eq!((a.encoders, a.gain, a.bias), (b.encoders, b.gain, b.bias));
    assert_eq!(b.eval_points.nrows(), 3000);
}

#[derive(Deserialize)]
struct Size {
    n_neurons: usize,
    dimensions: usize,
    rmses: Vec<f64>,
}

#[derive(Deserialize)]
struct Representation {
    sizes: Vec<Size>,
}

fn mean_sd(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0);
    (m, var.sqrt())
}

/// The identity decoded from our default ensembles is as accurate as from
/// Nengo's: the mean RMSE on the eval points over 20 seeds equals Nengo's
/// (20 seeds, `representation.json`) within 4 standard errors of the
/// difference.
#[test]
fn our_ensembles_represent_as_well_as_nengos() {
    let fx: Representation = fixture("representation.json");
    let (lif, solver) = (LifRate::default(), LstsqL2::default());
    let mut report = Vec::new();
    for s in &fx.sizes {
        let rmses: Vec<f64> = ours(s.n_neurons, s.dimensions)
            .iter()
            .map(|e| {
                let y = e.eval_points.clone();
                let d = nef::decoders(e, &lif, &y, &solver).unwrap();
                let err = e.activities(&lif, &e.eval_points) * d - &y;
                let per_dim = err
                    .column_iter()
                    .map(|c| (c.norm_squared() / c.len() as f64).sqrt());
                per_dim.sum::<f64>() / s.dimensions as f64
            })
            .collect();
        let (m_ours, sd_ours) = mean_sd(&rmses);
        let (m_nengo, sd_nengo) = mean_sd(&s.rmses);
        let se = ((sd_ours * sd_ours + sd_nengo * sd_nengo) / 20.0).sqrt();
        report.push(format!(
            "{}x{}: ours {m_ours:.4} nengo {m_nengo:.4} ({:+.1} se)",
            s.n_neurons,
            s.dimensions,
            (m_ours - m_nengo) / se
        ));
        assert!(
            (m_ours - m_nengo).abs() <= 4.0 * se,
            "{}",
            report.join(", ")
        );
    }
    println!("identity RMSE: {}", report.join(", "));
}
