//! Poisson counts by inversion of a table: the draw of every Poisson
//! generator's count per step and target (`PoissonInput`), one 32-bit word
//! each (`sample`).

/// Poisson(lambda) by inversion against a precomputed CDF in 32-bit fixed
/// point, started from a guide table (Chen & Asau) indexed by the top bits of
/// the uniform, so a draw is one lookup and rarely a comparison: the walk of
/// the CDF from 0 costs a mispredicted branch per draw.
#[derive(Clone, Debug)]
pub struct PoissonTable {
    thresholds: Vec<u64>,
    guide: Vec<u8>,
}

const GUIDE_BITS: u32 = 10;

impl PoissonTable {
    /// The table of Poisson(`lambda`), at most 255 counts (the last one takes
    /// the rest of the tail).
    pub fn new(lambda: f64) -> Self {
        let mut thresholds = Vec::new();
        let mut pk = (-lambda).exp();
        let mut cdf = pk;
        let mut k = 0.0;
        loop {
            let t = (cdf * 4_294_967_296.0).min(4_294_967_296.0) as u64;
            thresholds.push(t);
            if t >= 4_294_967_296 || (cdf > 0.5 && pk < 1e-12) {
                break;
            }
            k += 1.0;
            pk *= lambda / k;
            cdf += pk;
        }
        // Everything above the last threshold maps to the last count.
        *thresholds.last_mut().unwrap() = u64::MAX;
        thresholds.truncate(255);
        *thresholds.last_mut().unwrap() = u64::MAX;
        // guide[j] = the smallest k whose threshold exceeds the bucket's lowest u.
        let guide = (0..1u64 << GUIDE_BITS)
            .map(|j| {
                let lowest = j << (32 - GUIDE_BITS);
                thresholds.iter().position(|&t| t > lowest).unwrap() as u8
            })
            .collect();
        Self { thresholds, guide }
    }

    /// Bytes the table holds on the heap.
    pub fn bytes(&self) -> usize {
        self.thresholds.len() * 8 + self.guide.len()
    }

    /// The largest count the table can return.
    pub fn max_count(&self) -> u32 {
        self.thresholds.len() as u32 - 1
    }

    /// The count for the uniform 32-bit `word`.
    #[inline]
    pub fn sample(&self, word: u32) -> u32 {
        let u = u64::from(word);
        let mut k = usize::from(self.guide[(word >> (32 - GUIDE_BITS)) as usize]);
        while u >= self.thresholds[k] {
            k += 1;
        }
        k as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Stream;

    #[test]
    fn poisson_table_matches_the_pmf() {
        let lambda = 2.0;
        let table = PoissonTable::new(lambda);
        let mut s = Stream::new(9, 9, 9, 9);
        let n = 1_000_000;
        let mut hist = [0u32; 12];
        for _ in 0..n {
            let k = table.sample(s.next_u32()) as usize;
            hist[k.min(11)] += 1;
        }
        let mut pk = (-lambda).exp();
        for (k, &h) in hist.iter().enumerate().take(8) {
            let expected = pk * n as f64;
            assert!(
                (f64::from(h) - expected).abs() < 5.0 * expected.sqrt() + 1.0,
                "k={k}: {h} vs {expected}"
            );
            pk *= lambda / (k + 1) as f64;
        }
    }
}
