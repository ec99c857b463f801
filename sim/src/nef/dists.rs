//! The distributions Nengo 4 draws an ensemble from, drawn from our
//! counter-based streams (`crate::rng::Stream`), so an ensemble is a pure
//! function of its seed and keys, never of Nengo's generator: the same
//! distributions, not the same numbers.
//!
//! - `Scalar`: Nengo's `Uniform` (max rates, intercepts) or given values.
//! - `Hypersphere::Scattered`: Nengo 4's default for encoders (surface) and
//!   eval points (ball), `ScatteredHypersphere`: a quasirandom R_d sequence
//!   (Roberts' generalised golden ratio, a random offset, shuffled), mapped
//!   onto the sphere and turned by a random rotation. In one dimension:
//!   signs (surface) or two evenly tiled halves of [-1, 1] (ball), as
//!   Nengo's. Nengo maps onto the sphere with the spherical coordinate
//!   transform and a table of the inverse incomplete beta function
//!   ("sct-approx"); we use the Tashiro-Fang-Wang-Wong map, Nengo's own
//!   third method ("tfww", Fang & Wang 1994, sec. 4.3), which needs no
//!   special function and is as uniform (decided).
//! - `Hypersphere::Uniform`: Nengo's `UniformHypersphere` (normalised
//!   Gaussian vectors; in the ball, radii U^(1/d)).

use crate::rng::Stream;
use nalgebra::DMatrix;

/// A distribution of one number per neuron.
#[derive(Clone, Debug, PartialEq)]
pub enum Scalar {
    /// Uniform on [low, high).
    Uniform {
        /// Lower bound.
        low: f64,
        /// Upper bound.
        high: f64,
    },
    /// Given values, one per neuron.
    Values(Vec<f64>),
}

impl Scalar {
    /// `n` values drawn from stream `s`.
    pub fn sample(&self, n: usize, s: &mut Stream) -> Vec<f64> {
        match self {
            Scalar::Uniform { low, high } => {
                (0..n).map(|_| low + (high - low) * s.uniform()).collect()
            }
            Scalar::Values(v) => {
                assert_eq!(v.len(), n, "one value per neuron");
                v.clone()
            }
        }
    }
}

/// Points on the unit sphere (`surface`) or in the unit ball.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Hypersphere {
    /// Nengo 4's `ScatteredHypersphere` (quasirandom; the default).
    Scattered {
        /// On the surface, else in the ball.
        surface: bool,
    },
    /// Nengo's `UniformHypersphere` (independent random points).
    Uniform {
        /// On the surface, else in the ball.
        surface: bool,
    },
}

impl Hypersphere {
    /// `n` points in `d` dimensions, one per row, drawn from stream `s`.
    pub fn sample(&self, n: usize, d: usize, s: &mut Stream) -> DMatrix<f64> {
        assert!(d >= 1, "at least one dimension");
        match *self {
            Hypersphere::Scattered { surface } => scattered(n, d, surface, s),
            Hypersphere::Uniform { surface } => uniform(n, d, surface, s),
        }
    }
}

/// Independent points: normalised Gaussian vectors, scaled by U^(1/d) in
/// the ball.
fn uniform(n: usize, d: usize, surface: bool, s: &mut Stream) -> DMatrix<f64> {
    let mut m = DMatrix::from_fn(n, d, |_, _| 0.0);
    for i in 0..n {
        let v: Vec<f64> = (0..d).map(|_| s.normal()).collect();
        let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        let r = if surface {
            1.0
        } else {
            s.uniform().powf(1.0 / d as f64)
        };
        for (j, x) in v.iter().enumerate() {
            m[(i, j)] = x / norm * r;
        }
    }
    m
}

/// Nengo 4's scattered points (see the module docs).
fn scattered(n: usize, d: usize, surface: bool, s: &mut Stream) -> DMatrix<f64> {
    if d == 1 {
        return scattered_line(n, surface, s);
    }
    let cube = quasirandom(n, if surface { d - 1 } else { d }, s);
    let mut mapped = DMatrix::from_fn(n, d, |_, _| 0.0);
    let mut row = vec![0.0; d];
    for i in 0..n {
        let c: Vec<f64> = (0..d - 1).map(|j| cube[(i, j)]).collect();
        tfww(&c, &mut row);
        let r = if surface {
            1.0
        } else {
            cube[(i, d - 1)].powf(1.0 / d as f64)
        };
        for j in 0..d {
            mapped[(i, j)] = row[j] * r;
        }
    }
    mapped * random_orthogonal(d, s)
}

/// One dimension: signs on the surface; in the ball two tiled halves, one
/// positive and one negative, shuffled together.
fn scattered_line(n: usize, surface: bool, s: &mut Stream) -> DMatrix<f64> {
    let v: Vec<f64> = if surface {
        let z = quasirandom(n, 1, s);
        z.iter()
            .map(|&x| if x < 0.5 { -1.0 } else { 1.0 })
            .collect()
    } else {
        let pos = quasirandom(n / 2, 1, s);
        let neg = quasirandom(n - n / 2, 1, s);
        let mut v: Vec<f64> = pos.iter().copied().chain(neg.iter().map(|x| -x)).collect();
        shuffle(&mut v, s);
        v
    };
    DMatrix::from_vec(n, 1, v)
}

/// `n` points of the R_d sequence in the unit cube [0, 1)^d with a random
/// offset, in random order (Nengo's `QuasirandomSequence`).
pub fn quasirandom(n: usize, d: usize, s: &mut Stream) -> DMatrix<f64> {
    let offset: Vec<f64> = (0..d).map(|_| s.uniform()).collect();
    let alpha: Vec<f64> = if d == 1 {
        // Tiled evenly: k / n.
        vec![1.0 / n.max(1) as f64]
    } else {
        let inv = 1.0 / generalised_golden_ratio(d);
        (1..=d).map(|j| inv.powi(j as i32)).collect()
    };
    // In one dimension the sequence starts at k = 0, else at k = 1.
    let first = usize::from(d > 1);
    let mut rows: Vec<usize> = (0..n).collect();
    shuffle(&mut rows, s);
    DMatrix::from_fn(n, d, |i, j| {
        let k = (rows[i] + first) as f64;
        (offset[j] + k * alpha[j]) % 1.0
    })
}

/// The positive root of x^(d+1) = x + 1 (Newton from 1).
fn generalised_golden_ratio(d: usize) -> f64 {
    let mut x = 1.0_f64;
    for _ in 0..100 {
        let dx = (x.powi(d as i32 + 1) - x - 1.0) / ((d + 1) as f64 * x.powi(d as i32) - 1.0);
        x -= dx;
        if dx.abs() < 1e-10 {
            return x;
        }
    }
    panic!("the generalised golden ratio of {d} dimensions did not converge");
}

/// Fisher-Yates shuffle with draws from `s`.
fn shuffle<T>(v: &mut [T], s: &mut Stream) {
    for i in (1..v.len()).rev() {
        let j = s.below(i as u32 + 1) as usize;
        v.swap(i, j);
    }
}

/// Maps a point `c` of the unit cube [0, 1)^(s-1) to the point `x` on the
/// unit sphere in s = x.len() >= 2 dimensions (Tashiro-Fang-Wang-Wong; Fang
/// & Wang 1994, sec. 4.3 and eq. 1.5.28 for odd s): uniform in, uniform out.
fn tfww(c: &[f64], x: &mut [f64]) {
    let s = x.len();
    debug_assert_eq!(c.len(), s - 1);
    let tau = 2.0 * std::f64::consts::PI;
    if s == 2 {
        x[0] = (tau * c[0]).cos();
        x[1] = (tau * c[0]).sin();
        return;
    }
    let even = s & 1 == 0;
    let m = s / 2;
    // g_0 = 0 <= g_1 <= ... <= g_m = 1; the squared radii of m planes are
    // their differences.
    let mut g = vec![0.0; m + 1];
    g[m] = 1.0;
    for j in (1..m).rev() {
        let e = if even {
            1.0 / j as f64
        } else {
            2.0 / (2 * j + 1) as f64
        };
        g[j] = g[j + 1] * c[j - 1].powf(e);
    }
    let r: Vec<f64> = (0..m).map(|k| (g[k + 1] - g[k]).sqrt()).collect();
    let phi = &c[m - 1..];
    if even {
        for k in 0..m {
            x[2 * k] = r[k] * (tau * phi[k]).cos();
            x[2 * k + 1] = r[k] * (tau * phi[k]).sin();
        }
    } else {
        let f = 2.0 * r[0] * (phi[0] * (1.0 - phi[0])).sqrt();
        x[0] = r[0] * (1.0 - 2.0 * phi[0]);
        x[1] = f * (tau * phi[1]).cos();
        x[2] = f * (tau * phi[1]).sin();
        for k in 1..m {
            x[2 * k + 1] = r[k] * (tau * phi[k + 1]).cos();
            x[2 * k + 2] = r[k] * (tau * phi[k + 1]).sin();
        }
    }
}

/// A random rotation of `d` dimensions, uniform over the orthogonal group
/// (Haar): the Q of a Gaussian matrix's QR factorisation, its columns'
/// signs fixed by R's diagonal.
pub fn random_orthogonal(d: usize, s: &mut Stream) -> DMatrix<f64> {
    let g = DMatrix::from_fn(d, d, |_, _| s.normal());
    let qr = g.qr();
    let (mut q, r) = (qr.q(), qr.r());
    for j in 0..d {
        if r[(j, j)] < 0.0 {
            q.column_mut(j).neg_mut();
        }
    }
    q
}

#[cfg(test)]
mod tests;
