//! The functions a decoded connection computes: a named library (Nengo
//! users write these as Python functions; we offer the common ones by name)
//! and a table of samples (Nengo's `function=` array with its own eval
//! points). A function maps a point of the pre ensemble's space (its
//! `dimensions` values) to `size_out` values; decoders are solved for its
//! values at the eval points (`solver::targets`).

use super::NefError;
use nalgebra::DMatrix;

/// What a decoded connection computes.
#[derive(Clone, Debug, PartialEq)]
pub enum Function {
    /// f(x) = x.
    Identity,
    /// f(x)_i = x_i^2.
    Square,
    /// f(x) = x_0 x_1 (a 2-D pre ensemble, one output).
    Product,
    /// f(x)_i = |x_i|.
    Abs,
    /// Values given at given points: `points` (samples x pre dimensions)
    /// replace the ensemble's eval points, `values` (samples x outputs).
    Table {
        /// Where the function is sampled.
        points: DMatrix<f64>,
        /// Its values there.
        values: DMatrix<f64>,
    },
}

impl Function {
    /// The function of `name` in the library, if there is one.
    pub fn named(name: &str) -> Option<Self> {
        Some(match name {
            "identity" => Self::Identity,
            "square" => Self::Square,
            "product" => Self::Product,
            "abs" | "absolute" => Self::Abs,
            _ => return None,
        })
    }

    /// The names `named` knows.
    pub const NAMES: &'static [&'static str] = &["identity", "square", "product", "abs"];

    /// Outputs of the function on a pre ensemble of `d` dimensions, or why
    /// it cannot take such points.
    pub fn size_out(&self, d: usize) -> Result<usize, NefError> {
        match self {
            Self::Identity | Self::Square | Self::Abs => Ok(d),
            Self::Product if d == 2 => Ok(1),
            Self::Product => Err(NefError::new(format!(
                "function `product` takes 2 dimensions, the ensemble has {d}"
            ))),
            Self::Table { points, values } => {
                if points.ncols() != d {
                    return Err(NefError::new(format!(
                        "function table: points have {} columns, the ensemble has {d} dimensions",
                        points.ncols()
                    )));
                }
                if points.nrows() != values.nrows() || points.nrows() == 0 {
                    return Err(NefError::new(format!(
                        "function table: {} points but {} rows of values",
                        points.nrows(),
                        values.nrows()
                    )));
                }
                Ok(values.ncols())
            }
        }
    }

    /// f(x), for the named functions (a table has no value off its points).
    pub fn eval(&self, x: &[f64]) -> Vec<f64> {
        match self {
            Self::Identity => x.to_vec(),
            Self::Square => x.iter().map(|v| v * v).collect(),
            Self::Abs => x.iter().map(|v| v.abs()).collect(),
            Self::Product => vec![x[0] * x[1]],
            Self::Table { .. } => unreachable!("a table is evaluated at its own points"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_library_computes_what_its_names_say() {
        let x = [0.5, -0.25];
        assert_eq!(Function::named("identity").unwrap().eval(&x), x.to_vec());
        assert_eq!(
            Function::named("square").unwrap().eval(&x),
            vec![0.25, 0.0625]
        );
        assert_eq!(Function::named("abs").unwrap().eval(&x), vec![0.5, 0.25]);
        assert_eq!(Function::named("product").unwrap().eval(&x), vec![-0.125]);
        assert!(Function::named("cube").is_none());
        assert!(Function::Product.size_out(3).is_err());
    }

    #[test]
    fn a_table_of_the_wrong_shape_is_refused() {
        let t = Function::Table {
            points: DMatrix::zeros(4, 2),
            values: DMatrix::zeros(3, 1),
        };
        assert!(t.size_out(2).unwrap_err().0.contains("4 points but 3 rows"));
        assert!(t.size_out(3).unwrap_err().0.contains("2 columns"));
    }
}
