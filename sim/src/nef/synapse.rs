//! Nengo's `Lowpass(tau)` synapse, discretised as Nengo does for a step of
//! dt (zero-order hold: x <- a x + b u with a = exp(-dt/tau), b = 1 - a),
//! applied to a vector in place. Nengo's step for this one-state filter has
//! no passthrough: the output of a step already includes that step's input.
//! When a connection's filter runs in the step (after the neurons, as
//! Nengo's "update" mode), the post ensemble sees it one step later.

/// A first-order lowpass filter's discrete coefficients.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Lowpass {
    /// Decay per step, exp(-dt / tau).
    pub a: f64,
    /// Weight of the input, 1 - a.
    pub b: f64,
}

impl Lowpass {
    /// Lowpass(`tau`) for steps of `dt` (both in seconds, tau > 0).
    pub fn new(tau: f64, dt: f64) -> Self {
        let a = (-dt / tau).exp();
        Self {
            a,
            b: -(-dt / tau).exp_m1(),
        }
    }

    /// One step: `x <- a x + b u`, element by element, as Nengo's `OneX`.
    pub fn step(&self, x: &mut [f64], u: &[f64]) {
        for (x, &u) in x.iter_mut().zip(u) {
            *x *= self.a;
            *x += self.b * u;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_input_approaches_one_as_the_exponential_does() {
        let (tau, dt) = (0.005, 0.001);
        let f = Lowpass::new(tau, dt);
        let mut x = [0.0];
        for n in 1..=50 {
            f.step(&mut x, &[1.0]);
            let exact = 1.0 - (-(n as f64) * dt / tau).exp();
            assert!(
                (x[0] - exact).abs() < 1e-12,
                "step {n}: {} vs {exact}",
                x[0]
            );
        }
    }
}
