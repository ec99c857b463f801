//! What a node puts out at each step: Nengo's `Node(output)` for the
//! outputs a config can name. Nengo evaluates a node at step n (from 1)
//! with t = n dt; so do we. A node's value is a pure function of (t, its
//! seed and index), so it is the same on every rank that evaluates it.

use super::NefError;
use crate::rng::{stream_id, Purpose, Stream};

/// A node's output over time (t in seconds).
#[derive(Clone, Debug, PartialEq)]
pub enum NodeOutput {
    /// The same values at every step.
    Constant(Vec<f64>),
    /// amplitude_i sin(2 pi frequency_i t + phase_i) per dimension.
    Sine {
        /// Hz, per dimension.
        frequency: Vec<f64>,
        /// Per dimension.
        amplitude: Vec<f64>,
        /// Radians, per dimension.
        phase: Vec<f64>,
    },
    /// Nengo's `Piecewise`: the values of the last of `times` (s,
    /// increasing) at or before t; zeros before the first.
    Piecewise {
        /// When each value starts.
        times: Vec<f64>,
        /// One row per time.
        values: Vec<Vec<f64>>,
    },
    /// Gaussian white noise, drawn anew each step (independent per
    /// dimension and step; stream keyed by the node and the step).
    WhiteNoise {
        /// Dimensions.
        dimensions: usize,
        /// Mean.
        mean: f64,
        /// Standard deviation per step.
        std: f64,
    },
    /// Nengo's passthrough node (`Node(size_in=d)`): the sum of its
    /// connections' values. Folded away before the build (`passthrough`),
    /// so it is never evaluated.
    Passthrough {
        /// Dimensions in and out.
        dimensions: usize,
    },
    /// Nengo's `PresentInput`: row k of `values` from t = k period on,
    /// cycling through the rows.
    Table {
        /// Seconds each row is presented.
        period: f64,
        /// The rows.
        values: Vec<Vec<f64>>,
    },
}

impl NodeOutput {
    /// Its dimensions, or why its parts disagree.
    pub fn dimensions(&self) -> Result<usize, NefError> {
        let rows = |v: &[Vec<f64>], what: &str| -> Result<usize, NefError> {
            let d = v.first().map_or(0, Vec::len);
            if d == 0 || v.iter().any(|r| r.len() != d) {
                return Err(NefError::new(format!(
                    "{what}: rows must be non-empty and of one length"
                )));
            }
            Ok(d)
        };
        match self {
            Self::Constant(v) if !v.is_empty() => Ok(v.len()),
            Self::Constant(_) => Err(NefError::new("constant: no values")),
            Self::Sine {
                frequency,
                amplitude,
                phase,
            } => {
                let d = frequency.len();
                if d == 0 || amplitude.len() != d || phase.len() != d {
                    return Err(NefError::new(
                        "sine: frequency, amplitude and phase need one value per dimension",
                    ));
                }
                Ok(d)
            }
            Self::Piecewise { times, values } => {
                if times.len() != values.len() || times.windows(2).any(|w| w[0] >= w[1]) {
                    return Err(NefError::new(
                        "piecewise: one row of values per time, times increasing",
                    ));
                }
                rows(values, "piecewise")
            }
            Self::WhiteNoise {
                dimensions, std, ..
            } => {
                if *dimensions == 0 || *std < 0.0 {
                    return Err(NefError::new("white noise: dimensions > 0 and std >= 0"));
                }
                Ok(*dimensions)
            }
            Self::Passthrough { dimensions: 0 } => {
                Err(NefError::new("passthrough: dimensions must be > 0"))
            }
            Self::Passthrough { dimensions } => Ok(*dimensions),
            Self::Table { period, values } => {
                if *period <= 0.0 {
                    return Err(NefError::new("table: the period must be > 0"));
                }
                rows(values, "table")
            }
        }
    }

    /// The output at step `n` (t = n dt) into `out`, for node `index` of a
    /// network with `seed`.
    pub fn eval(&self, n: u64, dt: f64, seed: u32, index: usize, out: &mut [f64]) {
        let t = n as f64 * dt;
        match self {
            Self::Constant(v) => out.copy_from_slice(v),
            Self::Sine {
                frequency,
                amplitude,
                phase,
            } => {
                for (i, o) in out.iter_mut().enumerate() {
                    *o = amplitude[i]
                        * (2.0 * std::f64::consts::PI * frequency[i] * t + phase[i]).sin();
                }
            }
            Self::Piecewise { times, values } => {
                let k = times.partition_point(|&s| s <= t);
                match k {
                    0 => out.fill(0.0),
                    k => out.copy_from_slice(&values[k - 1]),
                }
            }
            Self::WhiteNoise { mean, std, .. } => {
                let id = stream_id(Purpose::NefNoise, index);
                let mut s = Stream::new(seed, id, n as u32, (n >> 32) as u32);
                for o in out.iter_mut() {
                    *o = mean + std * s.normal();
                }
            }
            Self::Passthrough { .. } => out.fill(0.0),
            Self::Table { period, values } => {
                let k = ((t / period).floor() as usize) % values.len();
                out.copy_from_slice(&values[k]);
            }
        }
    }
}
