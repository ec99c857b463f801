//! An adaptive embedded Runge-Kutta-Fehlberg 4(5) integrator with the
//! step-size control of GSL's `gsl_odeiv` "standard" control object, for the
//! models NEST integrates with GSL's `rkf45` stepper (`iaf_cond_exp`,
//! `aeif_cond_exp`). Written from GSL's documentation of the method and of
//! its control; the Fehlberg coefficients are public mathematics.
//!
//! One accepted step (`Rkf45::apply`, GSL's `gsl_odeiv_evolve_apply`):
//! y' is evaluated at the start; a Fehlberg step of the suggested size h
//! (cut to end exactly at the target time if it would pass it) gives the
//! 5th-order solution, which is propagated, and the difference to the
//! 4th-order one as the error estimate E_i; the control compares it with
//! D_i = eps_abs + eps_rel * (a_y |y_i| + a_dydt h |y'_i|) (y and y' at the
//! end of the step). If max E_i/D_i > 1.1 the step is undone and retried
//! with h * max(0.9 (E/D)^(-1/5), 0.2); if < 0.5 the step is kept and the
//! next one suggested at h * min(max(0.9 (E/D)^(-1/6), 1), 5); else h is
//! kept. The suggestion is per neuron state: models store it between steps.
//!
//! Difference from NEST that remains. Against the NEST 3.10 fixtures
//! (`tests/nest_models.rs`, 300 ms, 3000 samples per variable) both models
//! are bit-identical: max relative difference 0 for V_m, g_ex, g_in (and w),
//! spikes on the same steps. So were ad-hoc NEST runs of the same setup with
//! a dc_generator (both models), t_ref = 0 (both) and Delta_T = 0 (aeif).
//! (`nest_models` reads the fixtures with serde_json, whose default float
//! parser may land one ulp off the decimal written: it reports differences
//! up to 3e-14 absolute, about 1 ulp, that are not in the results.) What
//! is not pinned down:
//! - the right-hand sides sum their terms in the order that reproduces NEST;
//!   a case these runs do not cover could still round differently in the
//!   last bit, and then, once the step-size control chooses other
//!   substeps, differ by amounts of the order of the local tolerance (1e-3
//!   for `iaf_cond_exp`; `gsl_error_tol` x (1 + h |y'|) for `aeif_cond_exp`);
//! - `exp` and `pow` are the platform's libm (glibc here, as NEST's): another
//!   libm can change last bits the same way;
//! - with `a_dydt = 0` the derivative at the end of a step is not computed
//!   (GSL computes it and multiplies it by 0: the same unless not finite);
//! - NEST's checks for numerical instability (an exception, e.g.
//!   `aeif_cond_exp` with V_m < -1000 mV or |w| > 1e6 pA) and GSL's failure
//!   status have no counterpart: a diverging neuron carries non-finite or
//!   huge values and the run goes on.

/// GSL's step-size control: the tolerated error of component i is
/// `eps_abs + eps_rel * (a_y |y_i| + a_dydt h |y'_i|)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Control {
    /// Absolute tolerance.
    pub eps_abs: f64,
    /// Relative tolerance.
    pub eps_rel: f64,
    /// Weight of |y| in the relative part.
    pub a_y: f64,
    /// Weight of h |y'| in the relative part.
    pub a_dydt: f64,
}

impl Control {
    /// Control of the error in y (GSL's `gsl_odeiv_control_y_new`).
    pub const fn y(eps_abs: f64, eps_rel: f64) -> Self {
        Self {
            eps_abs,
            eps_rel,
            a_y: 1.0,
            a_dydt: 0.0,
        }
    }

    /// Control of the error in h y' (GSL's `gsl_odeiv_control_yp_new`).
    pub const fn yp(eps_abs: f64, eps_rel: f64) -> Self {
        Self {
            eps_abs,
            eps_rel,
            a_y: 0.0,
            a_dydt: 1.0,
        }
    }

    /// The largest ratio of observed to tolerated error over the components
    /// after a step of size `h` ending at `y` with derivative `dy` (a
    /// non-finite ratio is ignored, as GSL's maximum ignores it).
    fn ratio<const N: usize>(&self, y: &[f64; N], err: &[f64; N], dy: &[f64; N], h: f64) -> f64 {
        let mut max = f64::MIN_POSITIVE;
        for i in 0..N {
            let d = self.eps_rel * (self.a_y * y[i].abs() + self.a_dydt * (h * dy[i]).abs())
                + self.eps_abs;
            let r = err[i].abs() / d.abs();
            if r > max {
                max = r;
            }
        }
        max
    }

    /// The step after a step of size `h` with error ratio `r`: `Err(h')`
    /// to retry with a smaller h', `Ok(h')` to keep the step and suggest h'.
    fn adjust(r: f64, h: f64) -> Result<f64, f64> {
        if r > 1.1 {
            Err(h * (0.9 / r.powf(1.0 / 5.0)).max(0.2))
        } else if r < 0.5 {
            Ok(h * (0.9 / r.powf(1.0 / 6.0)).clamp(1.0, 5.0))
        } else {
            Ok(h)
        }
    }
}

/// Fehlberg's nodes' coefficients a_ij (row i: the weights of stages 1..i).
const A2: [f64; 1] = [1.0 / 4.0];
const A3: [f64; 2] = [3.0 / 32.0, 9.0 / 32.0];
const A4: [f64; 3] = [1932.0 / 2197.0, -7200.0 / 2197.0, 7296.0 / 2197.0];
const A5: [f64; 4] = [439.0 / 216.0, -8.0, 3680.0 / 513.0, -845.0 / 4104.0];
const A6: [f64; 5] = [
    -8.0 / 27.0,
    2.0,
    -3544.0 / 2565.0,
    1859.0 / 4104.0,
    -11.0 / 40.0,
];
/// Weights of stages 1, 3, 4, 5, 6 in the 5th-order solution (stage 2's is 0).
const B5: [f64; 5] = [
    16.0 / 135.0,
    6656.0 / 12825.0,
    28561.0 / 56430.0,
    -9.0 / 50.0,
    2.0 / 55.0,
];
/// Weights of stages 1, 3, 4, 5, 6 in the 5th- minus the 4th-order solution.
const E5: [f64; 5] = [
    1.0 / 360.0,
    -128.0 / 4275.0,
    -2197.0 / 75240.0,
    1.0 / 50.0,
    2.0 / 55.0,
];

/// `sum_j w[j] * k[j][i]`, left to right.
#[inline(always)]
fn weighted<const N: usize>(w: &[f64], k: &[&[f64; N]], i: usize) -> f64 {
    let first = w[0] * k[0][i];
    w.iter()
        .zip(k)
        .skip(1)
        .fold(first, |s, (wj, kj)| s + wj * kj[i])
}

/// `y + h * sum_j w[j] k[j]`.
#[inline(always)]
fn stage<const N: usize>(y: &[f64; N], h: f64, w: &[f64], k: &[&[f64; N]]) -> [f64; N] {
    std::array::from_fn(|i| y[i] + h * weighted(w, k, i))
}

/// One Fehlberg step of size `h` from `y`, where `k1 = f(y)`: the 5th-order
/// solution and the error estimate (5th- minus 4th-order solution).
#[inline(always)]
pub fn fehlberg<const N: usize, F>(
    f: &F,
    y: &[f64; N],
    k1: &[f64; N],
    h: f64,
) -> ([f64; N], [f64; N])
where
    F: Fn(&[f64; N]) -> [f64; N],
{
    let k2 = f(&stage(y, h, &A2, &[k1]));
    let k3 = f(&stage(y, h, &A3, &[k1, &k2]));
    let k4 = f(&stage(y, h, &A4, &[k1, &k2, &k3]));
    let k5 = f(&stage(y, h, &A5, &[k1, &k2, &k3, &k4]));
    let k6 = f(&stage(y, h, &A6, &[k1, &k2, &k3, &k4, &k5]));
    let ks = [k1, &k3, &k4, &k5, &k6];
    let y5 = stage(y, h, &B5, &ks);
    let err = std::array::from_fn(|i| h * weighted(&E5, &ks, i));
    (y5, err)
}

/// The integrator of an autonomous system y' = f(y) of N components under a
/// step-size control (see the module docs).
#[derive(Clone, Copy, Debug)]
pub struct Rkf45 {
    /// The error control.
    pub control: Control,
}

impl Rkf45 {
    /// An integrator under `control`.
    pub const fn new(control: Control) -> Self {
        Self { control }
    }

    /// One accepted step from time `*t` towards `t1` (> `*t`) with suggested
    /// size `*h`: advances `y` and `*t` (to `t1` exactly when the step was cut
    /// to end there) and leaves the next suggested size in `*h`.
    #[inline(always)]
    pub fn apply<const N: usize, F>(
        &self,
        f: &F,
        t: &mut f64,
        t1: f64,
        h: &mut f64,
        y: &mut [f64; N],
    ) where
        F: Fn(&[f64; N]) -> [f64; N],
    {
        let t0 = *t;
        let left = t1 - t0;
        let k1 = f(y);
        let mut h0 = *h;
        loop {
            let last = h0 > left;
            if last {
                h0 = left;
            }
            let (y1, err) = fehlberg(f, y, &k1, h0);
            *t = if last { t1 } else { t0 + h0 };
            let dy = if self.control.a_dydt == 0.0 {
                [0.0; N]
            } else {
                f(&y1)
            };
            match Control::adjust(self.control.ratio(&y1, &err, &dy, h0), h0) {
                // Retry only if the smaller step still advances the time.
                Err(smaller) if smaller < h0 && *t + smaller != *t => h0 = smaller,
                Err(_) => {
                    *y = y1;
                    *h = h0;
                    return;
                }
                Ok(next) => {
                    *y = y1;
                    *h = next;
                    return;
                }
            }
        }
    }

    /// Integrates `y` over `[0, t1]` by accepted steps, starting from the
    /// suggested size `*h` and leaving the next suggestion in it.
    #[inline(always)]
    pub fn integrate<const N: usize, F>(&self, f: &F, t1: f64, h: &mut f64, y: &mut [f64; N])
    where
        F: Fn(&[f64; N]) -> [f64; N],
    {
        let mut t = 0.0;
        while t < t1 {
            self.apply(f, &mut t, t1, h, y);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The largest deviation from the exact solution over 10 time units in
    /// steps of 0.1, each integrated adaptively under `control`, of
    /// y1' = -y1 / 2, y2' = y3, y3' = -4 y2 (y1 = e^(-t/2), y2 = cos 2t,
    /// y3 = -2 sin 2t).
    fn worst_error(control: Control) -> f64 {
        let f = |y: &[f64; 3]| [-0.5 * y[0], y[2], -4.0 * y[1]];
        let rk = Rkf45::new(control);
        let (mut y, mut h) = ([1.0, 1.0, 0.0], 0.1);
        let mut worst = 0.0f64;
        for k in 1..=100 {
            rk.integrate(&f, 0.1, &mut h, &mut y);
            let t = k as f64 * 0.1;
            let exact = [(-t / 2.0).exp(), (2.0 * t).cos(), -2.0 * (2.0 * t).sin()];
            for i in 0..3 {
                worst = worst.max((y[i] - exact[i]).abs());
            }
        }
        worst
    }

    /// Local errors within the tolerance add up to at most (number of steps)
    /// x tolerance; a tighter tolerance is more accurate.
    #[test]
    fn matches_the_analytic_solution() {
        let loose = worst_error(Control::y(1e-3, 0.0));
        let tight = worst_error(Control::y(1e-8, 0.0));
        let yp = worst_error(Control::yp(1e-6, 1e-6));
        assert!(loose < 100.0 * 1e-3, "{loose:e}");
        assert!(tight < 100.0 * 1e-8 && tight < loose / 10.0, "{tight:e}");
        assert!(yp < 100.0 * 1e-6, "{yp:e}");
    }

    /// Both embedded solutions integrate a cubic exactly (up to rounding):
    /// no error is estimated, and the step grows by the maximum factor 5.
    #[test]
    fn cubic_is_exact_and_the_step_grows() {
        let f = |y: &[f64; 2]| [1.0, 4.0 * y[0].powi(3)];
        let rk = Rkf45::new(Control::y(1e-6, 0.0));
        let (mut y, mut h, mut t) = ([0.0, 0.0], 0.1, 0.0);
        rk.apply(&f, &mut t, 1.0, &mut h, &mut y);
        assert_eq!(t, 0.1);
        assert!((y[1] - 1e-4).abs() < 1e-18, "{}", y[1]);
        assert_eq!(h, 0.5);
        // The next step is cut to end at t1 exactly.
        rk.apply(&f, &mut t, 0.3, &mut h, &mut y);
        assert_eq!(t, 0.3);
        assert!((y[1] - 0.3f64.powi(4)).abs() < 1e-15);
    }

    /// A step whose error is too large is retried smaller: the accepted step
    /// is shorter than suggested.
    #[test]
    fn large_errors_shrink_the_step() {
        let f = |y: &[f64; 1]| [-50.0 * y[0]];
        let rk = Rkf45::new(Control::y(1e-6, 0.0));
        let (mut y, mut h, mut t) = ([1.0], 0.1, 0.0);
        rk.apply(&f, &mut t, 0.1, &mut h, &mut y);
        assert!(t < 0.02, "{t}");
        assert!((y[0] - (-50.0 * t).exp()).abs() < 1e-6);
    }
}
