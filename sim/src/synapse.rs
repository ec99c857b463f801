//! The synapse store of one chunk: incoming synapses grouped by source gid,
//! 8 bytes per synapse.
//!
//! Each synapse holds `offset` = (delay * R + receptor) * n + target, its
//! position in the chunk's ring buffer relative to the slot of the spike's step
//! (R receptors, n neurons), and the weight in fixed point (i32, 2^-k pA).
//! Delivery is one add and one conditional wrap per synapse: no unpacking.
//! Rows are indexed by global source gid (`row_start` has n_global + 1
//! entries; see DESIGN.md).
//!
//! Invariant behind the fixed-point scale: one ring entry (slot, receptor,
//! neuron) receives at most one event per synapse of that neuron (a source
//! spikes at most once per step), so its sum is bounded by the sum of |w| over
//! the neuron's synapses. `k` is the largest exponent (<= 24) for which that
//! bound fits in i32 for every neuron of the chunk: no sum can overflow.

use crate::connect::RawSynapse;

#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(C)]
pub struct Synapse {
    pub offset: u32,
    /// Weight in units of 2^-k pA (see `SynapseStore::fixed_scale`).
    pub weight: i32,
}

const _: () = assert!(std::mem::size_of::<Synapse>() == 8);

#[derive(Debug)]
pub struct SynapseStore {
    row_start: Vec<u32>,
    synapses: Vec<Synapse>,
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
        Self::build(Vec::new(), 0, 0, 1)
    }
}

impl SynapseStore {
    /// Packs `raw` (consumed) into rows by source. `n_sources` = number of gids.
    pub fn build(raw: Vec<RawSynapse>, n_sources: usize, n_targets: u32, n_receptors: u32) -> Self {
        let mut row_start = vec![0u32; n_sources + 1];
        for s in &raw {
            row_start[s.source as usize + 1] += 1;
        }
        for i in 0..n_sources {
            row_start[i + 1] += row_start[i];
        }
        let mut fill: Vec<u32> = row_start[..n_sources].to_vec();
        let mut bound = vec![0.0f64; n_targets as usize];
        for s in &raw {
            bound[s.target as usize] += f64::from(s.weight).abs();
        }
        let fixed_scale = fixed_scale_for(bound.iter().copied().fold(0.0, f64::max));
        drop(bound);
        let mut synapses = vec![
            Synapse {
                offset: 0,
                weight: 0
            };
            raw.len()
        ];
        let (mut min_delay, mut max_delay) = (u32::MAX, 0);
        for s in &raw {
            min_delay = min_delay.min(s.delay_steps);
            max_delay = max_delay.max(s.delay_steps);
            let offset = (u64::from(s.delay_steps) * u64::from(n_receptors)
                + u64::from(s.receptor))
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
        Self {
            row_start,
            synapses,
            min_delay,
            max_delay,
            fixed_scale,
        }
    }

    #[inline]
    pub fn row(&self, source: u32) -> &[Synapse] {
        let s = source as usize;
        &self.synapses[self.row_start[s] as usize..self.row_start[s + 1] as usize]
    }

    /// Positions of `source`'s row in `synapses()`.
    #[inline]
    pub fn row_range(&self, source: u32) -> (u32, u32) {
        let s = source as usize;
        (self.row_start[s], self.row_start[s + 1])
    }

    /// Source gids whose row is non-empty, in increasing order.
    pub fn sources(&self) -> impl Iterator<Item = u32> + '_ {
        self.row_start
            .windows(2)
            .enumerate()
            .filter(|(_, w)| w[0] < w[1])
            .map(|(s, _)| s as u32)
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
        self.synapses.capacity() * 8 + self.row_start.capacity() * 4
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
        let store = SynapseStore::build(vec![syn(7, 0), syn(2, 1), syn(7, 1)], 10, 2, 1);
        assert_eq!(store.sources().collect::<Vec<_>>(), vec![2, 7]);
        assert_eq!(SynapseStore::default().sources().count(), 0);
    }
}
