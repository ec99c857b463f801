//! `vmath` against libm: `exp` within 1 ulp, `ln` within 1 ulp, and the
//! edges the module doc promises.

use super::*;

/// Distance in units of the last place between two positive doubles.
fn ulps(a: f64, b: f64) -> u64 {
    (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs()
}

#[test]
fn exp_is_within_one_ulp_of_libm() {
    let n = 400_000;
    let mut xs: Vec<f64> = (0..=n)
        .map(|i| -708.0 + 1417.0 * f64::from(i) / f64::from(n))
        .collect();
    // Dense near 0 and near the halfway points of the reduction.
    xs.extend((-5000..5000).map(|i| f64::from(i) * 1e-4));
    let half = std::f64::consts::LN_2 / 2.0;
    xs.extend((-2000..2000).map(|i| half + f64::from(i) * 1e-16));
    xs.extend((-2000..2000).map(|i| -half + f64::from(i) * 1e-16));
    let (mut worst, mut equal) = (0, 0);
    for &x in &xs {
        let d = ulps(exp(x), x.exp());
        worst = worst.max(d);
        equal += usize::from(d == 0);
        assert!(d <= 1, "exp({x:e}) = {:e}, libm {:e}", exp(x), x.exp());
    }
    assert!(equal * 2 > xs.len(), "only {equal} of {} equal", xs.len());
    eprintln!("exp: worst {worst} ulp, {equal} of {} equal", xs.len());
}

#[test]
fn exp_edges() {
    assert_eq!(exp(0.0), 1.0);
    assert_eq!(exp(f64::NEG_INFINITY), 0.0);
    assert_eq!(exp(-708.5), 0.0);
    assert_eq!(exp(f64::INFINITY), f64::INFINITY);
    assert_eq!(exp(709.5), f64::INFINITY);
    assert!(exp(f64::NAN).is_nan());
    assert!(ulps(exp(-708.0), (-708.0f64).exp()) <= 1);
    assert!(ulps(exp(709.0), 709.0f64.exp()) <= 1);
}

#[test]
fn ln_is_within_one_ulp_of_libm() {
    let mut xs: Vec<f64> = (0..200_000)
        .map(|i| 10f64.powf(-300.0 + 600.0 * (f64::from(i) + 0.5) / 200_000.0))
        .collect();
    xs.extend((-2000..2000).map(|k| std::f64::consts::SQRT_2 + f64::from(k) * 1e-16));
    xs.extend((-2000..2000).map(|k| 1.0 + f64::from(k) * 1e-14));
    xs.extend([
        f64::MIN_POSITIVE,
        f64::EPSILON,
        0.5,
        1.0,
        2.0,
        45.61,
        f64::MAX,
    ]);
    for &x in &xs {
        let (ours, libm) = (ln(x), x.ln());
        assert!(
            ours == libm || ulps(ours.abs(), libm.abs()) <= 1,
            "ln({x:e}) = {ours:e}, libm {libm:e}"
        );
    }
    assert_eq!(ln(1.0), 0.0);
    assert_eq!(ln(0.0), f64::NEG_INFINITY);
    assert_eq!(exp(0.4 * ln(0.0)), 0.0, "pow(0, mu) = 0");
}
