//! Nengo's rate approximation of its LIF neuron (`nengo.LIFRate`): the
//! steady firing rate for a constant current, and the gain and bias that
//! give a neuron a chosen maximum rate and intercept (and back). These are
//! what the NEF solves decoders with; the spiking neuron itself is the model
//! `nengo_lif`. Times in seconds and rates in Hz, as in Nengo (from a
//! `nengo_lif` population's parameters in ms by `LifRate::from_params`).
//! The formulas are Nengo 4's, in its order of operations, so the results
//! agree with Nengo to the last bits its math library leaves
//! (`tests/nengo_nef.rs`).

use super::NefError;
use crate::model::nengo_lif::nengo_seconds;
use crate::spec::ParamMap;

/// The rate approximation of a LIF neuron (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LifRate {
    /// Membrane time constant (s).
    pub tau_rc: f64,
    /// Refractory period (s).
    pub tau_ref: f64,
    /// Scale of the output (Nengo's `amplitude`).
    pub amplitude: f64,
}

impl Default for LifRate {
    /// Nengo's defaults: tau_rc 0.02 s, tau_ref 0.002 s, amplitude 1.
    fn default() -> Self {
        Self {
            tau_rc: 0.02,
            tau_ref: 0.002,
            amplitude: 1.0,
        }
    }
}

impl LifRate {
    /// The rate approximation of a `nengo_lif` population with parameters
    /// `p` (complete; times in ms, converted as the model converts them).
    pub fn from_params(p: &ParamMap) -> Self {
        Self {
            tau_rc: nengo_seconds(p["tau_rc"]),
            tau_ref: nengo_seconds(p["tau_ref"]),
            amplitude: p["amplitude"],
        }
    }

    /// The firing rate (Hz) for a constant input current `j`:
    /// amplitude / (tau_ref + tau_rc log1p(1 / (j - 1))) above the threshold
    /// j = 1, else 0.
    #[inline]
    pub fn rate(&self, j: f64) -> f64 {
        let above = j - 1.0;
        if above > 0.0 {
            self.amplitude / (self.tau_ref + self.tau_rc * (1.0 / above).ln_1p())
        } else {
            0.0
        }
    }

    /// The rate of a neuron with `gain` and `bias` at the encoded input `x`
    /// (Nengo's current: gain x + bias).
    #[inline]
    pub fn rate_at(&self, x: f64, gain: f64, bias: f64) -> f64 {
        self.rate(gain * x + bias)
    }

    /// The gain and bias of a neuron that fires at `max_rate` (Hz) for the
    /// encoded input 1 and starts firing at `intercept`. Fails, as Nengo's,
    /// when `max_rate` is not below 1 / tau_ref.
    pub fn gain_bias(&self, max_rate: f64, intercept: f64) -> Result<(f64, f64), NefError> {
        let inv_tau_ref = if self.tau_ref > 0.0 {
            1.0 / self.tau_ref
        } else {
            f64::INFINITY
        };
        if max_rate.is_nan() || max_rate >= inv_tau_ref {
            return Err(NefError::new(format!(
                "max rate {max_rate} Hz is not below the inverse refractory period ({inv_tau_ref:.3} Hz)"
            )));
        }
        let x = 1.0 / (1.0 - ((self.tau_ref - (1.0 / max_rate)) / self.tau_rc).exp());
        let gain = (1.0 - x) / (intercept - 1.0);
        let bias = 1.0 - gain * intercept;
        Ok((gain, bias))
    }

    /// The maximum rate and the intercept of a neuron with `gain` and
    /// `bias` (the inverse of `gain_bias`).
    pub fn max_rate_intercept(&self, gain: f64, bias: f64) -> (f64, f64) {
        let intercept = (1.0 - bias) / gain;
        let max_rate =
            1.0 / (self.tau_ref - self.tau_rc * (1.0 / (gain * (intercept - 1.0) - 1.0)).ln_1p());
        (max_rate, intercept)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_is_zero_up_to_the_threshold_and_the_inverse_isi_above() {
        let lif = LifRate::default();
        assert_eq!(lif.rate(1.0), 0.0);
        assert_eq!(lif.rate(-3.0), 0.0);
        // J = 2: the membrane reaches 1 after tau_rc ln 2.
        let isi = 0.002 + 0.02 * std::f64::consts::LN_2;
        assert!((lif.rate(2.0) - 1.0 / isi).abs() < 1e-12 * lif.rate(2.0));
    }

    #[test]
    fn gain_bias_round_trips_and_refuses_rates_beyond_the_refractory_limit() {
        let lif = LifRate::default();
        let (g, b) = lif.gain_bias(250.0, -0.3).unwrap();
        let (r, i) = lif.max_rate_intercept(g, b);
        assert!((r - 250.0).abs() < 1e-9 && (i + 0.3).abs() < 1e-12);
        assert!((lif.rate_at(1.0, g, b) - 250.0).abs() < 1e-9);
        assert!(lif.gain_bias(500.0, 0.0).is_err());
        assert!(lif.gain_bias(499.0, 0.0).is_ok());
    }
}
