//! Decoders: Nengo's default solver, `LstsqL2` with its `Cholesky`
//! subsolver. For activities A (eval points x neurons) and targets Y (eval
//! points x outputs), sigma = reg * max(A) and the decoders D solve
//! (A^T A + m sigma^2 I) D = A^T Y, m the number of eval points, through the
//! Cholesky factor of the left side; with fewer eval points than neurons,
//! as Nengo, the m x m system (A A^T + m sigma^2 I) Z = Y and D = A^T Z
//! instead. Dense algebra: nalgebra (`sim/DESIGN.md`, "NEF").

use super::ensemble::Ensemble;
use super::lif_rate::LifRate;
use super::NefError;
use nalgebra::DMatrix;

/// Least squares with L2 regularisation (Nengo's `LstsqL2`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LstsqL2 {
    /// The regularisation as a fraction of the largest activity (Nengo's
    /// default 0.1).
    pub reg: f64,
}

impl Default for LstsqL2 {
    fn default() -> Self {
        Self { reg: 0.1 }
    }
}

impl LstsqL2 {
    /// The decoders (neurons x outputs) of activities `a` (points x neurons)
    /// for targets `y` (points x outputs).
    pub fn solve(&self, a: &DMatrix<f64>, y: &DMatrix<f64>) -> Result<DMatrix<f64>, NefError> {
        let (m, n) = a.shape();
        if y.nrows() != m {
            return Err(NefError::new(format!(
                "{} targets for {m} eval points",
                y.nrows()
            )));
        }
        let sigma = self.reg * a.max();
        let lambda = m as f64 * (sigma * sigma);
        if m < n {
            let mut g = a * a.transpose();
            add_to_diagonal(&mut g, lambda);
            Ok(a.tr_mul(&cholesky_solve(g, y.clone())?))
        } else {
            // transpose() * (not tr_mul): the product goes through
            // matrixmultiply's blocked gemm, 5x faster at 750 x 50.
            let at = a.transpose();
            let mut g = &at * a;
            add_to_diagonal(&mut g, lambda);
            cholesky_solve(g, &at * y)
        }
    }
}

/// Adds `lambda` to every diagonal entry of the square `g`.
fn add_to_diagonal(g: &mut DMatrix<f64>, lambda: f64) {
    for i in 0..g.nrows() {
        g[(i, i)] += lambda;
    }
}

/// X with G X = B, G symmetric positive definite.
fn cholesky_solve(g: DMatrix<f64>, b: DMatrix<f64>) -> Result<DMatrix<f64>, NefError> {
    let chol = nalgebra::linalg::Cholesky::new(g)
        .ok_or_else(|| NefError::new("the regularised Gram matrix is not positive definite"))?;
    Ok(chol.solve(&b))
}

/// The targets of `f` at every eval point of `ens` (points x outputs).
pub fn targets(
    ens: &Ensemble,
    outputs: usize,
    f: impl Fn(&[f64]) -> Vec<f64>,
) -> Result<DMatrix<f64>, NefError> {
    let p = &ens.eval_points;
    let mut y = DMatrix::zeros(p.nrows(), outputs);
    let mut x = vec![0.0; p.ncols()];
    for k in 0..p.nrows() {
        for (j, v) in x.iter_mut().enumerate() {
            *v = p[(k, j)];
        }
        let out = f(&x);
        if out.len() != outputs {
            return Err(NefError::new(format!(
                "the function gave {} values, not {outputs}",
                out.len()
            )));
        }
        for (j, v) in out.into_iter().enumerate() {
            y[(k, j)] = v;
        }
    }
    Ok(y)
}

/// The decoders (neurons x outputs) of `ens` for `targets` at its eval
/// points (Nengo's `build_decoders` for a connection from an ensemble).
/// Fails as Nengo's when no eval point makes any neuron fire.
pub fn decoders(
    ens: &Ensemble,
    neuron: &LifRate,
    targets: &DMatrix<f64>,
    solver: &LstsqL2,
) -> Result<DMatrix<f64>, NefError> {
    let a = ens.activities(neuron, &ens.eval_points);
    if a.iter().all(|&x| x == 0.0) {
        return Err(NefError::new(
            "no eval point makes any neuron fire: the activities are all zero",
        ));
    }
    solver.solve(&a, targets)
}
