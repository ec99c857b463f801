//! The synapse store of one chunk: incoming synapses grouped by source gid,
//! 8 bytes per synapse.
//!
//! Each synapse holds `offset` = (delay * L + lane) * n + target, its
//! position in the chunk's ring buffer relative to the slot of the spike's step
//! (L lanes, n neurons; the lane is the receptor, or 0 for all when the
//! model merges receptors), and the weight in fixed point (i32, 2^-k pA).
//! Delivery is one add and one conditional wrap per synapse: no unpacking.
//! Rows are found through a `RowIndex` over source gids: dense (one entry
//! per gid of the network, one load per look-up) when at least 1/8 of all
//! gids are sources of the chunk, sparse (sorted source list, binary search)
//! otherwise — so a chunk of a huge, modular network does not pay O(N).
//!
//! Invariant behind the fixed-point scale: one ring entry (slot, lane,
//! neuron) receives at most one event per synapse of that neuron (a source
//! spikes at most once per step) plus the step's device events, so its sum is
//! bounded by the sum of |w| over the neuron's synapses plus the devices' most
//! in one step. `k` is the largest exponent (<= 24) for which that
//! bound fits in i32 for every neuron of the chunk: no sum can overflow.

use crate::bigbuf::{BigBuf, Zeroable};
use crate::connect::RawSynapse;

#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(C)]
pub struct Synapse {
    pub offset: u32,
    /// Weight in units of 2^-k pA (see `SynapseStore::fixed_scale`).
    pub weight: i32,
}

const _: () = assert!(std::mem::size_of::<Synapse>() == 8);
// SAFETY: two integers, no padding: all-zero bytes are a valid Synapse.
unsafe impl Zeroable for Synapse {}

/// Where each source's row starts in `synapses`.
#[derive(Debug)]
enum RowIndex {
    /// Row of gid g: `row_start[g]..row_start[g + 1]` (n_gids + 1 entries).
    Dense(Vec<u32>),
    /// Row of `sources[i]`: `row_start[i]..row_start[i + 1]`; sources sorted.
    Sparse {
        sources: Vec<u32>,
        row_start: Vec<u32>,
    },
}

/// A chunk whose sources are fewer than 1/SPARSE_BELOW of all gids gets a
/// sparse row index.
const SPARSE_BELOW: usize = 8;

#[derive(Debug)]
pub struct SynapseStore {
    rows: RowIndex,
    synapses: BigBuf<Synapse>,
    pub min_delay: u32,
    pub max_delay: u32,
    /// 2^k: fixed-point units per pA.
    pub fixed_scale: f64,
}

/// Largest fixed-point exponent used (resolution 2^-24 pA, about 6e-8 pA).
const MAX_SCALE_EXP: i32 = 24;

/// The scale 2^k such that `bound` pA (and anything below) fits in i32.
fn fixed_scale_for(bound: f64) -> f64 {
    if bound <= 0.0 {
        return 2f64.powi(MAX_SCALE_EXP);
    }
    let k = ((f64::from(i32::MAX) / bound).log2().floor() as i32).min(MAX_SCALE_EXP);
    2f64.powi(k)
}

impl Default for SynapseStore {
    fn default() -> Self {
        Self::build(&[], 0, 0, 1, &[])
    }
}

impl SynapseStore {
    /// Packs `raw` into rows by source. `n_sources` = number of gids; `n_lanes`
    /// ring lanes per neuron (1: every receptor shares lane 0, else lane =
    /// receptor); `device_bound[t]` = the most the chunk's devices add to
    /// target t in one step (pA), part of the fixed-point bound (may be empty).
    pub fn build(
        raw: &[RawSynapse],
        n_sources: usize,
        n_targets: u32,
        n_lanes: u32,
        device_bound: &[f64],
    ) -> Self {
        let mut row_start = vec![0u32; n_sources + 1];
        for s in raw {
            row_start[s.source as usize + 1] += 1;
        }
        for i in 0..n_sources {
            row_start[i + 1] += row_start[i];
        }
        let mut fill: Vec<u32> = row_start[..n_sources].to_vec();
        let mut bound = vec![0.0f64; n_targets as usize];
        for (b, d) in bound.iter_mut().zip(device_bound) {
            *b += d;
        }
        for s in raw {
            bound[s.target as usize] += f64::from(s.weight).abs();
        }
        let fixed_scale = fixed_scale_for(bound.iter().copied().fold(0.0, f64::max));
        drop(bound);
        let mut synapses = BigBuf::<Synapse>::zeroed(raw.len());
        let (mut min_delay, mut max_delay) = (u32::MAX, 0);
        for s in raw {
            min_delay = min_delay.min(s.delay_steps);
            max_delay = max_delay.max(s.delay_steps);
            let lane = if n_lanes == 1 {
                0
            } else {
                u64::from(s.receptor)
            };
            let offset = (u64::from(s.delay_steps) * u64::from(n_lanes) + lane)
                * u64::from(n_targets)
                + u64::from(s.target);
            let pos = &mut fill[s.source as usize];
            let weight = (f64::from(s.weight) * fixed_scale).round() as i32;
            synapses[*pos as usize] = Synapse {
                offset: offset as u32,
                weight,
            };
            *pos += 1;
        }
        let n_used = row_start.windows(2).filter(|w| w[0] < w[1]).count();
        let rows = if n_used * SPARSE_BELOW < n_sources {
            let sources: Vec<u32> = (0..n_sources as u32)
                .filter(|&g| row_start[g as usize] < row_start[g as usize + 1])
                .collect();
            let mut starts: Vec<u32> = sources.iter().map(|&g| row_start[g as usize]).collect();
            starts.push(row_start[n_sources]);
            RowIndex::Sparse {
                sources,
                row_start: starts,
            }
        } else {
            RowIndex::Dense(row_start)
        };
        Self {
            rows,
            synapses,
            min_delay,
            max_delay,
            fixed_scale,
        }
    }

    #[inline]
    pub fn row(&self, source: u32) -> &[Synapse] {
        let (a, b) = self.row_range(source);
        &self.synapses[a as usize..b as usize]
    }

    /// Positions of `source`'s row in `synapses()` (empty if it has none).
    #[inline]
    pub fn row_range(&self, source: u32) -> (u32, u32) {
        match &self.rows {
            RowIndex::Dense(row_start) => match row_start.get(source as usize + 1) {
                Some(&end) => (row_start[source as usize], end),
                None => (0, 0),
            },
            RowIndex::Sparse { sources, row_start } => match sources.binary_search(&source) {
                Ok(i) => (row_start[i], row_start[i + 1]),
                Err(_) => (0, 0),
            },
        }
    }

    /// Source gids whose row is non-empty, in increasing order.
    pub fn sources(&self) -> Box<dyn Iterator<Item = u32> + '_> {
        match &self.rows {
            RowIndex::Dense(row_start) => Box::new(
                row_start
                    .windows(2)
                    .enumerate()
                    .filter(|(_, w)| w[0] < w[1])
                    .map(|(s, _)| s as u32),
            ),
            RowIndex::Sparse { sources, .. } => Box::new(sources.iter().copied()),
        }
    }

    /// True if rows are found by binary search over the chunk's sources.
    pub fn is_sparse(&self) -> bool {
        matches!(self.rows, RowIndex::Sparse { .. })
    }

    pub fn synapses(&self) -> &[Synapse] {
        &self.synapses
    }

    pub fn len(&self) -> usize {
        self.synapses.len()
    }

    pub fn is_empty(&self) -> bool {
        self.synapses.is_empty()
    }

    /// Bytes held (synapses plus the row index).
    pub fn bytes(&self) -> usize {
        let index = match &self.rows {
            RowIndex::Dense(row_start) => row_start.capacity() * 4,
            RowIndex::Sparse { sources, row_start } => {
                (sources.capacity() + row_start.capacity()) * 4
            }
        };
        self.synapses.bytes() + index
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_the_non_empty_rows_in_order() {
        let syn = |source, target| RawSynapse {
            source,
            target,
            receptor: 0,
            delay_steps: 1,
            weight: 1.0,
        };
        let store = SynapseStore::build(&[syn(7, 0), syn(2, 1), syn(7, 1)], 10, 2, 1, &[]);
        assert_eq!(store.sources().collect::<Vec<_>>(), vec![2, 7]);
        assert_eq!(SynapseStore::default().sources().count(), 0);
    }

    /// The same synapses indexed densely (many sources) and sparsely (few
    /// sources among many gids) give the same rows for every gid.
    #[test]
    fn dense_and_sparse_indexes_find_the_same_rows() {
        let syn = |source, target, delay_steps| RawSynapse {
            source,
            target,
            receptor: 0,
            delay_steps,
            weight: 1.0,
        };
        let raw: Vec<RawSynapse> = (0..40u32)
            .map(|k| syn((k * 37) % 97 + 3, k % 5, 1 + k % 3))
            .collect();
        let dense = SynapseStore::build(&raw, 100, 5, 1, &[]);
        let sparse = SynapseStore::build(&raw, 100_000, 5, 1, &[]);
        assert!(!dense.is_sparse() && sparse.is_sparse());
        assert_eq!(
            dense.sources().collect::<Vec<_>>(),
            sparse.sources().collect::<Vec<_>>()
        );
        for g in 0..100_000u32 {
            let expected: Vec<(u32, u32)> = raw
                .iter()
                .filter(|s| s.source == g)
                .map(|s| (s.target, s.delay_steps))
                .collect();
            for store in [&sparse, &dense] {
                let mut got: Vec<(u32, u32)> = store
                    .row(g)
                    .iter()
                    .map(|s| (s.offset % 5, s.offset / 5))
                    .collect();
                got.sort_unstable();
                let mut want = expected.clone();
                want.sort_unstable();
                assert_eq!(got, want, "gid {g}");
            }
        }
        assert!(sparse.bytes() < 100_000);
    }
}
