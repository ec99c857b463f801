//! `bulk_rates` against libm and `LifRate::rate_at`.

use super::*;

/// Distance in units of the last place between two positive doubles.
fn ulps(a: f64, b: f64) -> u64 {
    (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs()
}

/// Arguments over 40 decades, dense near the rounding of 1 + y and near
/// sqrt(2) - 1 (where the mantissa is halved), and the edges.
fn arguments() -> Vec<f64> {
    let mut ys: Vec<f64> = (0..200_000)
        .map(|i| 10f64.powf(-20.0 + 40.0 * (i as f64 + 0.5) / 200_000.0))
        .collect();
    let r = std::f64::consts::SQRT_2 - 1.0;
    ys.extend((-2000..2000).map(|k| r + k as f64 * 1e-16));
    ys.extend((-2000..2000).map(|k| 1.0 + k as f64 * 1e-14));
    ys.extend([
        0.0,
        f64::MIN_POSITIVE,
        1e-300,
        f64::EPSILON,
        1.0,
        2.0,
        1e300,
        f64::MAX,
    ]);
    ys
}

#[test]
fn log1p_is_within_one_ulp_of_libm() {
    let (mut worst, mut equal, ys) = (0, 0, arguments());
    for &y in &ys {
        let (ours, libm) = (log1p_nonneg(y), y.ln_1p());
        let d = ulps(ours, libm);
        assert!(d <= 1, "log1p({y:e}) = {ours:e}, libm {libm:e}");
        worst = worst.max(d);
        equal += (d == 0) as usize;
    }
    assert!(
        equal * 10 > ys.len() * 8,
        "{equal} of {} equal, worst {worst}",
        ys.len()
    );
    assert_eq!(log1p_nonneg(f64::INFINITY), f64::INFINITY);
}

/// Rates over currents from below threshold to far above it equal
/// `rate_at`'s within 4 ulp (0 where it is 0), in both variants, which
/// agree bit for bit.
#[test]
fn rates_equal_rate_at() {
    let lif = LifRate::default();
    let (gain, bias) = (37.5, -12.25);
    let x: Vec<f64> = (0..20_001).map(|k| -1.0 + k as f64 * 1e-4).collect();
    let mut out = vec![f64::NAN; x.len()];
    rates_into(&lif, gain, bias, &x, &mut out);
    let mut firing = 0;
    for (&x, &o) in x.iter().zip(&out) {
        let r = lif.rate_at(x, gain, bias);
        if r == 0.0 {
            assert_eq!(o, 0.0, "x {x}");
        } else {
            assert!(ulps(o, r) <= 4, "x {x}: {o} vs {r}");
            firing += 1;
        }
    }
    assert!(firing > 5000 && firing < 20_000, "{firing}");
    let mut portable = vec![f64::NAN; x.len()];
    rates_portable(&lif, gain, bias, &x, &mut portable);
    let bits = |v: &[f64]| v.iter().map(|r| r.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&portable), bits(&out));
}
