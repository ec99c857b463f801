//! Initial weights from a weights file (`weights_from`, a trained network
//! reused): the file's edges are matched to the synapses a chunk generates
//! for the projection, and each synapse takes its edge's weight as an f64,
//! exactly as saved.
//!
//! Invariant (the canonical edge order, shared with the weight files):
//! edges are sorted by (source gid, target gid), and edges with the same
//! pair keep the order of the synapses in their source's row. A chunk's
//! synapses of one projection are generated in an order that depends on
//! the spec alone (never on ranks or threads), and `PlasticStore::build`
//! sorts them by source stably, so the k-th synapse of a pair in row order
//! is the pair's k-th edge of the file. The match is complete when, in
//! addition, every chunk holds exactly the file's edges onto its neurons
//! (`Onto`): then every edge of the file is taken by one synapse.

use std::collections::HashMap;

use crate::connect::RawSynapse;
use crate::spec::LoadedWeights;

/// How many edges of a file end on each target (index within the target
/// population), to check that a chunk generated exactly the file's edges
/// onto its neurons.
pub struct Onto {
    /// Edges per target node.
    pub per_target: Vec<u32>,
    /// The target population's first gid.
    pub first_gid: u32,
}

impl Onto {
    /// Counts `w`'s edges per target of a population of `size` neurons
    /// starting at `first_gid` (edges outside it were refused on loading).
    pub fn new(w: &LoadedWeights, first_gid: u32, size: u32) -> Self {
        let mut per_target = vec![0u32; size as usize];
        for e in w.edges.iter() {
            if let Some(c) = per_target.get_mut((e.1 - first_gid) as usize) {
                *c += 1;
            }
        }
        Onto {
            per_target,
            first_gid,
        }
    }

    /// Edges onto gids `first..first + len`.
    pub fn count(&self, first: u32, len: u32) -> u64 {
        let a = (first - self.first_gid) as usize;
        self.per_target[a..a + len as usize]
            .iter()
            .map(|&c| u64::from(c))
            .sum()
    }
}

/// The weight of each of `own` (one projection's synapses onto the chunk
/// of `len` neurons from `first` gid, already sorted by source, stably),
/// taken from `w`; or a one-line description of the first difference.
pub fn match_weights(
    w: &LoadedWeights,
    onto: &Onto,
    first: u32,
    len: u32,
    own: &[RawSynapse],
) -> Result<Vec<f64>, String> {
    let expected = onto.count(first, len);
    if expected != own.len() as u64 {
        return Err(format!(
            "{} edges end on nodes {}..{} of the target population, the projection generates {} there (is it the file of this projection, with the same seed and connection rule?)",
            expected,
            first - onto.first_gid,
            first - onto.first_gid + len,
            own.len()
        ));
    }
    let edges = &w.edges[..];
    let mut seen: HashMap<(u32, u32), usize> = HashMap::new();
    let mut out = Vec::with_capacity(own.len());
    for s in own {
        let pair = (s.source, first + s.target);
        let start = edges.partition_point(|e| (e.0, e.1) < pair);
        let k = seen.entry(pair).or_insert(0);
        let at = start + *k;
        *k += 1;
        let Some(e) = edges.get(at).filter(|e| (e.0, e.1) == pair) else {
            return Err(format!(
                "the projection generates a synapse from gid {} to gid {} that the file does not hold (is it the file of this projection, with the same seed and connection rule?)",
                pair.0, pair.1
            ));
        };
        if e.2 != s.delay_steps {
            return Err(format!(
                "edge {at} (gid {} -> gid {}) has a delay of {} steps, the projection's synapse {} steps",
                pair.0, pair.1, e.2, s.delay_steps
            ));
        }
        out.push(e.3);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn syn(source: u32, target: u32, delay_steps: u32) -> RawSynapse {
        RawSynapse {
            source,
            target,
            receptor: 0,
            delay_steps,
            weight: 1.0,
        }
    }

    fn file(edges: Vec<(u32, u32, u32, f64)>) -> LoadedWeights {
        LoadedWeights {
            file: "w.h5".into(),
            edges: std::sync::Arc::new(edges),
        }
    }

    #[test]
    fn multapses_take_their_edges_in_row_order() {
        // Chunk of gids 10..12; the file's edges are in canonical order.
        let w = file(vec![
            (0, 10, 1, 0.1),
            (0, 11, 2, 0.2),
            (0, 11, 3, 0.3),
            (5, 10, 1, 0.5),
        ]);
        let onto = Onto::new(&w, 10, 2);
        let own = [syn(0, 1, 2), syn(0, 0, 1), syn(0, 1, 3), syn(5, 0, 1)];
        let got = match_weights(&w, &onto, 10, 2, &own).unwrap();
        assert_eq!(got, [0.2, 0.1, 0.3, 0.5]);
    }

    #[test]
    fn differences_are_named() {
        let w = file(vec![(0, 10, 1, 0.1), (1, 10, 1, 0.2)]);
        let onto = Onto::new(&w, 10, 1);
        let e = match_weights(&w, &onto, 10, 1, &[syn(0, 0, 1)]).unwrap_err();
        assert!(e.starts_with("2 edges end on nodes 0..1"), "{e}");
        let e = match_weights(&w, &onto, 10, 1, &[syn(0, 0, 1), syn(2, 0, 1)]).unwrap_err();
        assert!(e.contains("from gid 2 to gid 10"), "{e}");
        let e = match_weights(&w, &onto, 10, 1, &[syn(0, 0, 1), syn(1, 0, 4)]).unwrap_err();
        assert!(
            e.contains("delay of 1 steps, the projection's synapse 4"),
            "{e}"
        );
    }
}
