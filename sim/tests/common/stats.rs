//! Reference statistics for the tests: the chi-square distribution's
//! survival function (regularised upper incomplete gamma, Numerical
//! Recipes' series and continued fraction) and Pearson's goodness of fit.
#![allow(dead_code)]

/// ln Gamma(x), x > 0 (Lanczos, g = 7, 9 terms; relative error < 1e-14).
pub fn ln_gamma(x: f64) -> f64 {
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = C[0];
    let t = x + 7.5;
    for (i, &c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// Regularised lower incomplete gamma P(a, x).
pub fn gamma_p(a: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    let front = (-x + a * x.ln() - ln_gamma(a)).exp();
    if x < a + 1.0 {
        // Series.
        let (mut sum, mut term, mut ap) = (1.0 / a, 1.0 / a, a);
        for _ in 0..100_000 {
            ap += 1.0;
            term *= x / ap;
            sum += term;
            if term.abs() < sum.abs() * 1e-16 {
                break;
            }
        }
        sum * front
    } else {
        // Continued fraction for Q (modified Lentz).
        let tiny = 1e-300;
        let mut b = x + 1.0 - a;
        let mut c = 1.0 / tiny;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..100_000 {
            let an = -(i as f64) * (i as f64 - a);
            b += 2.0;
            d = an * d + b;
            if d.abs() < tiny {
                d = tiny;
            }
            c = b + an / c;
            if c.abs() < tiny {
                c = tiny;
            }
            d = 1.0 / d;
            let del = d * c;
            h *= del;
            if (del - 1.0).abs() < 1e-16 {
                break;
            }
        }
        1.0 - front * h
    }
}

/// P(X >= x) for X ~ chi-square with `k` degrees of freedom.
pub fn chi2_sf(x: f64, k: f64) -> f64 {
    1.0 - gamma_p(k / 2.0, x / 2.0)
}

/// Pearson's statistic sum (o - e)^2 / e over the cells with e > 0, its
/// degrees of freedom (those cells), and whether every cell with e = 0
/// observed nothing.
pub fn pearson(observed: &[f64], expected: &[f64]) -> (f64, f64, bool) {
    let (mut x2, mut df, mut zeros_empty) = (0.0, 0.0, true);
    for (&o, &e) in observed.iter().zip(expected) {
        if e > 0.0 {
            x2 += (o - e).powi(2) / e;
            df += 1.0;
        } else if o != 0.0 {
            zeros_empty = false;
        }
    }
    (x2, df, zeros_empty)
}
