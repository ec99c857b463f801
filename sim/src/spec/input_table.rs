//! The table of input vectors over time that drives the rate and latency
//! encoders: vector j is in effect from `times[j]` until the next time (the
//! last one until the end of the run), and each target of the device reads
//! one component of it.
//!
//! Targets are numbered by their position k in the device's target list
//! (node ids ascending; all neurons of the population when the stimulus has
//! no `node_ids`). Target k reads component `components[k]` when the mapping
//! is given, else `k % dim`. `brainsim analyze --decode` groups neurons by the
//! same function, so the encoder and the read-out always agree.

/// Input vectors over time and the component each target reads.
#[derive(Clone, Debug, PartialEq)]
pub struct InputTable {
    /// When each vector starts (ms, on the grid, >= 0, strictly increasing).
    pub times: Vec<f64>,
    /// One vector per time, all of the same length (`dim`, >= 1), finite.
    pub values: Vec<Vec<f64>>,
    /// The component of each target (one per target, each < `dim`); `None`:
    /// target k reads `k % dim`.
    pub components: Option<Vec<u32>>,
}

impl InputTable {
    /// Length of the vectors.
    pub fn dim(&self) -> usize {
        self.values.first().map_or(0, Vec::len)
    }

    /// The component read by the device's k-th target.
    pub fn component(&self, k: usize) -> usize {
        match &self.components {
            Some(c) => c[k] as usize,
            None => k % self.dim().max(1),
        }
    }

    /// The vector in effect at time `t` (ms): the last one starting at or
    /// before it; `None` before the first.
    pub fn vector_at(&self, t: f64) -> Option<usize> {
        self.times.partition_point(|&s| s <= t).checked_sub(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components_wrap_unless_mapped_and_vectors_hold_until_the_next_time() {
        let mut t = InputTable {
            times: vec![0.0, 10.0, 25.0],
            values: vec![vec![1.0, 2.0, 3.0]; 3],
            components: None,
        };
        assert_eq!(t.dim(), 3);
        let c: Vec<usize> = (0..7).map(|k| t.component(k)).collect();
        assert_eq!(c, [0, 1, 2, 0, 1, 2, 0]);
        t.components = Some(vec![2, 2, 0]);
        assert_eq!((t.component(0), t.component(2)), (2, 0));
        assert_eq!(t.vector_at(-1.0), None);
        assert_eq!(t.vector_at(0.0), Some(0));
        assert_eq!(t.vector_at(9.9), Some(0));
        assert_eq!(t.vector_at(10.0), Some(1));
        assert_eq!(t.vector_at(1e9), Some(2));
    }
}
