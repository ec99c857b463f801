//! An ensemble's parameters as Nengo 4 builds them (`build_ensemble`): unit
//! encoders, max rates and intercepts, the gains and biases they imply
//! (`LifRate::gain_bias`), eval points scaled by the radius, and the
//! neurons' initial voltages — with Nengo's defaults (`EnsembleParams::new`)
//! and drawn from our streams: `Purpose::Nef`, one stream per (ensemble,
//! quantity), so a quantity depends only on the seed, the ensemble's index
//! and its own parameters (more eval points leave the encoders as they
//! were).

use super::bulk_rates;
use super::dists::{Hypersphere, Scalar};
use super::lif_rate::LifRate;
use super::NefError;
use crate::rng::{stream_id, Purpose, Stream};
use nalgebra::DMatrix;

/// What an ensemble is built from; `new` gives Nengo 4's defaults.
#[derive(Clone, Debug, PartialEq)]
pub struct EnsembleParams {
    /// Neurons.
    pub n_neurons: usize,
    /// Dimensions of the represented value.
    pub dimensions: usize,
    /// The radius of the represented values (encoded inputs are x / radius).
    pub radius: f64,
    /// Firing rates (Hz) at the encoded input 1 (Nengo: Uniform(200, 400)).
    pub max_rates: Scalar,
    /// Encoded inputs at which the neurons start firing (Nengo:
    /// Uniform(-1, 0.9)).
    pub intercepts: Scalar,
    /// Encoder directions (Nengo: scattered on the sphere's surface);
    /// normalised to unit length after the draw, as Nengo's.
    pub encoders: Hypersphere,
    /// Eval points, then scaled by the radius (Nengo: scattered in the ball).
    pub eval_points: Hypersphere,
    /// How many eval points; `None`: `default_n_eval_points`.
    pub n_eval_points: Option<usize>,
    /// Initial voltages (Nengo's LIF: Uniform(0, 1)).
    pub initial_voltage: Scalar,
    /// The neurons' rate approximation (Nengo's LIF defaults).
    pub neuron: LifRate,
}

impl EnsembleParams {
    /// `n_neurons` neurons representing `dimensions` dimensions, with
    /// Nengo 4's defaults for everything else.
    pub fn new(n_neurons: usize, dimensions: usize) -> Self {
        Self {
            n_neurons,
            dimensions,
            radius: 1.0,
            max_rates: Scalar::Uniform {
                low: 200.0,
                high: 400.0,
            },
            intercepts: Scalar::Uniform {
                low: -1.0,
                high: 0.9,
            },
            encoders: Hypersphere::Scattered { surface: true },
            eval_points: Hypersphere::Scattered { surface: false },
            n_eval_points: None,
            initial_voltage: Scalar::Uniform {
                low: 0.0,
                high: 1.0,
            },
            neuron: LifRate::default(),
        }
    }
}

/// Nengo's default number of eval points: max(clip(500 d, 750, 2500),
/// 2 n).
pub fn default_n_eval_points(n_neurons: usize, dimensions: usize) -> usize {
    (500 * dimensions).clamp(750, 2500).max(2 * n_neurons)
}

/// A built ensemble (Nengo's `BuiltEnsemble`, plus initial voltages).
#[derive(Clone, Debug, PartialEq)]
pub struct Ensemble {
    /// Unit encoders, one row per neuron.
    pub encoders: DMatrix<f64>,
    /// Per neuron: the current per unit of encoded input.
    pub gain: Vec<f64>,
    /// Per neuron: the current at encoded input 0 (`nengo_lif`'s `bias`).
    pub bias: Vec<f64>,
    /// Per neuron: the rate (Hz) at encoded input 1.
    pub max_rates: Vec<f64>,
    /// Per neuron: where it starts firing.
    pub intercepts: Vec<f64>,
    /// Eval points (scaled by the radius), one row per point.
    pub eval_points: DMatrix<f64>,
    /// The radius.
    pub radius: f64,
    /// Per neuron: its voltage at the start (`nengo_lif`'s `voltage`).
    pub initial_voltage: Vec<f64>,
}

/// The quantities drawn for an ensemble, each from its own stream.
#[derive(Clone, Copy)]
enum Quantity {
    MaxRates = 0,
    Intercepts = 1,
    Encoders = 2,
    EvalPoints = 3,
    InitialVoltage = 4,
}

impl Ensemble {
    /// Builds ensemble number `index` of a network with `seed` from `p`.
    /// Fails as Nengo's build does: rates beyond the refractory limit, or a
    /// gain that is not finite and positive (an intercept >= 1).
    pub fn build(p: &EnsembleParams, seed: u32, index: usize) -> Result<Self, NefError> {
        let (n, d) = (p.n_neurons, p.dimensions);
        if n == 0 || d == 0 {
            return Err(NefError::new("an ensemble needs neurons and dimensions"));
        }
        for (what, dist) in [
            ("max rates", &p.max_rates),
            ("intercepts", &p.intercepts),
            ("initial voltages", &p.initial_voltage),
        ] {
            if matches!(dist, Scalar::Values(v) if v.len() != n) {
                return Err(NefError::new(format!("{what}: one value per neuron ({n})")));
            }
        }
        let stream = |q: Quantity| Stream::new(seed, stream_id(Purpose::Nef, index), q as u32, 0);
        let mut encoders = p.encoders.sample(n, d, &mut stream(Quantity::Encoders));
        for mut row in encoders.row_iter_mut() {
            let norm = row.norm();
            row /= norm;
        }
        let max_rates = p.max_rates.sample(n, &mut stream(Quantity::MaxRates));
        let intercepts = p.intercepts.sample(n, &mut stream(Quantity::Intercepts));
        let (mut gain, mut bias) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for (&r, &i) in max_rates.iter().zip(&intercepts) {
            let (g, b) = p.neuron.gain_bias(r, i)?;
            if !g.is_finite() || g <= 0.0 {
                return Err(NefError::new(format!(
                    "intercept {i} and max rate {r} Hz give the gain {g}: intercepts must be below 1"
                )));
            }
            gain.push(g);
            bias.push(b);
        }
        let m = p.n_eval_points.unwrap_or(default_n_eval_points(n, d));
        let eval_points = p
            .eval_points
            .sample(m, d, &mut stream(Quantity::EvalPoints))
            * p.radius;
        let initial_voltage = p
            .initial_voltage
            .sample(n, &mut stream(Quantity::InitialVoltage));
        Ok(Self {
            encoders,
            gain,
            bias,
            max_rates,
            intercepts,
            eval_points,
            radius: p.radius,
            initial_voltage,
        })
    }

    /// Neurons.
    pub fn n_neurons(&self) -> usize {
        self.gain.len()
    }

    /// The encoders scaled by gain / radius (Nengo's `scaled_encoders`): a
    /// neuron's input for the value x is its row times x, to which the
    /// model `nengo_lif` adds its bias.
    pub fn scaled_encoders(&self) -> DMatrix<f64> {
        let mut e = self.encoders.clone();
        for (i, mut row) in e.row_iter_mut().enumerate() {
            row *= self.gain[i] / self.radius;
        }
        e
    }

    /// The neurons' rates (Hz) at `points` (one row each, in the
    /// represented space): points x neurons (Nengo's `get_activities`: the
    /// points times encoders / radius, through the rate approximation;
    /// each within a few ulp of `LifRate::rate_at`'s: `bulk_rates`).
    pub fn activities(&self, neuron: &LifRate, points: &DMatrix<f64>) -> DMatrix<f64> {
        let x = points * (self.encoders.transpose() / self.radius);
        let n = x.nrows();
        let mut a = DMatrix::zeros(n, x.ncols());
        // Column-major: a neuron's column is contiguous.
        let columns = x.as_slice().chunks(n.max(1));
        for (i, (x, a)) in columns
            .zip(a.as_mut_slice().chunks_mut(n.max(1)))
            .enumerate()
        {
            bulk_rates::rates_into(neuron, self.gain[i], self.bias[i], x, a);
        }
        a
    }
}
