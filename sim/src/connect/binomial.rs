//! The number of synapses of a Bernoulli row: Binomial(n, p) drawn by
//! inversion of a table of its distribution function, built once per
//! (n, p) and shared by every row generator that needs it.
//!
//! Invariant: the table is the binomial law to double precision, built with
//! plain f64 arithmetic (no libm), so every machine draws the same counts.
//! Its probabilities come from the ratio recurrence outward from the mode
//! (no underflow for any n <= 2^32), normalised by their sum; entries are
//! dropped only where a geometric bound puts the whole remaining tail below
//! 2^-64 of the total, far below the 2^-53 resolution of the uniform that
//! inverts it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use crate::rng::Stream;

/// Tail mass (relative to the mode's probability) a table may leave out.
const TAIL: f64 = 1.0 / 18_446_744_073_709_551_616.0; // 2^-64

/// Tables by (n, p's bits), shared by every generator of the process.
type Cache = Mutex<HashMap<(u32, u64), Arc<BinomialTable>>>;

/// Binomial(n, p) by inversion: `cdf[j]` is P(K <= lo + j).
#[derive(Debug)]
pub struct BinomialTable {
    /// Smallest count the table can return.
    lo: u32,
    cdf: Vec<f64>,
}

impl BinomialTable {
    /// The table of Binomial(n, p), shared: one per distinct (n, p) in the
    /// process.
    pub fn shared(n: u32, p: f64) -> Arc<Self> {
        static CACHE: OnceLock<Cache> = OnceLock::new();
        let mut cache = CACHE
            .get_or_init(Default::default)
            .lock()
            .expect("not poisoned");
        cache
            .entry((n, p.to_bits()))
            .or_insert_with(|| Arc::new(Self::new(n, p)))
            .clone()
    }

    /// Builds the table of Binomial(n, p) (p outside (0, 1) is a constant).
    pub fn new(n: u32, p: f64) -> Self {
        let constant = |k: u32| Self {
            lo: k,
            cdf: vec![1.0],
        };
        if n == 0 || p <= 0.0 {
            return constant(0);
        }
        if p >= 1.0 {
            return constant(n);
        }
        let (nf, odds) = (f64::from(n), p / (1.0 - p));
        // P(k + 1) / P(k) = (n - k) / (k + 1) * p / (1 - p).
        let up = |k: u32| (nf - f64::from(k)) / f64::from(k + 1) * odds;
        let mode = ((nf + 1.0) * p) as u32;
        let mode = mode.min(n);
        // Upward from the mode: ratios fall, so beyond k the tail is at most
        // f(k) / (1 - up(k)) once up(k) < 1.
        let mut above = vec![];
        let (mut k, mut f) = (mode, 1.0f64);
        while k < n {
            let r = up(k);
            if r < 1.0 && f * r / (1.0 - r) < TAIL {
                break;
            }
            f *= r;
            k += 1;
            above.push(f);
        }
        // Downward: P(k - 1) / P(k) = 1 / up(k - 1), also falling.
        let mut below = vec![];
        let (mut k, mut f) = (mode, 1.0f64);
        while k > 0 {
            let r = 1.0 / up(k - 1);
            if r < 1.0 && f * r / (1.0 - r) < TAIL {
                break;
            }
            f *= r;
            k -= 1;
            below.push(f);
        }
        let lo = mode - below.len() as u32;
        let pmf: Vec<f64> = below
            .iter()
            .rev()
            .copied()
            .chain(std::iter::once(1.0))
            .chain(above)
            .collect();
        let total: f64 = pmf.iter().sum();
        let mut acc = 0.0;
        let mut cdf: Vec<f64> = pmf
            .iter()
            .map(|&f| {
                acc += f;
                acc / total
            })
            .collect();
        // Every uniform is below 1: the last entry takes what rounding left.
        *cdf.last_mut().expect("the mode") = 1.0;
        Self { lo, cdf }
    }

    /// A count, from one 53-bit uniform of `s` (two words).
    #[inline]
    pub fn draw(&self, s: &mut Stream) -> u32 {
        let u = s.uniform();
        if u < self.cdf[0] {
            return self.lo;
        }
        self.lo + self.cdf.partition_point(|&c| c <= u) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::BinomialTable;

    /// P(K = k) of Binomial(n, p) for every k, from log sums (f64 ln and
    /// exp): an independent route to the table's probabilities.
    fn pmf(n: u32, p: f64) -> Vec<f64> {
        let mut ln_choose = 0.0;
        (0..=n)
            .map(|k| {
                if k > 0 {
                    ln_choose += (f64::from(n - k + 1) / f64::from(k)).ln();
                }
                (ln_choose + f64::from(k) * p.ln() + f64::from(n - k) * (1.0 - p).ln()).exp()
            })
            .collect()
    }

    #[test]
    fn table_is_the_binomial_law() {
        for (n, p) in [
            (1250u32, 0.1),
            (2047, 0.0005),
            (2048, 0.0915),
            (600, 0.7),
            (1, 0.3),
            (65536, 0.5),
        ] {
            let t = BinomialTable::new(n, p);
            let exact = pmf(n, p);
            let mut prev = 0.0;
            for (j, &c) in t.cdf.iter().enumerate() {
                let k = t.lo + j as u32;
                let want = exact[k as usize];
                let got = c - prev;
                // The log sums above lose up to |ln P| x 2^-52 per term (1e-10
                // at n = 65536); the table's differences of sums lose 1e-16
                // of the largest probability.
                assert!(
                    (got - want).abs() < 1e-9 * want + 1e-15,
                    "n {n} p {p} k {k}: {got} vs {want}"
                );
                prev = c;
            }
            // What the table leaves out is negligible on both sides.
            let left: f64 = exact[..t.lo as usize].iter().sum();
            let right: f64 = exact[t.lo as usize + t.cdf.len()..].iter().sum();
            assert!(
                left < 1e-18 && right < 1e-18,
                "n {n} p {p}: tails {left} {right}"
            );
        }
        let edge = |n, p| {
            let t = BinomialTable::new(n, p);
            (t.lo, t.cdf.len())
        };
        assert_eq!(edge(100, 0.0), (0, 1));
        assert_eq!(edge(100, 1.0), (100, 1));
        assert_eq!(edge(0, 0.5), (0, 1));
    }
}
