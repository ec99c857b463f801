//! Memory estimate of a network before anything is allocated, so a run that
//! cannot fit is refused with the estimate instead of dying half-way.

use crate::connect::expected_synapses;
use crate::layout;
use crate::model;
use crate::spec::NetworkSpec;

#[derive(Clone, Debug, PartialEq)]
pub struct MemoryEstimate {
    pub synapses: f64,
    pub bytes: f64,
}

/// Expected peak bytes on one rank holding a `fraction` of the chunks, with
/// `threads` chunks being built at once.
pub fn estimate(spec: &NetworkSpec, fraction: f64, threads: usize) -> MemoryEstimate {
    let synapses: f64 = (0..spec.projections.len())
        .map(|p| expected_synapses(spec, p))
        .sum();
    let n = spec.n_neurons() as f64;
    let n_chunks = layout::chunks(spec).len() as f64;
    let per_neuron: f64 = spec
        .populations
        .iter()
        .map(|p| {
            let m = model::lookup(&p.model);
            let state = m.map(|m| m.bytes_per_neuron).unwrap_or(64) as f64;
            // Ring buffer: 2 receptors x up to 64 slots x 8 bytes, plus input scratch.
            (state + 2.0 * 64.0 * 8.0 + 32.0) * f64::from(p.size)
        })
        .sum();
    // Synapses (8 B) + row index (4 B per gid per chunk) + build scratch of the
    // chunks in flight (12 B per synapse of a chunk).
    let per_chunk_syn = if n_chunks > 0.0 {
        synapses / n_chunks
    } else {
        0.0
    };
    let bytes = fraction * (synapses * 8.0 + n_chunks * (n + 1.0) * 4.0 + per_neuron)
        + threads as f64 * per_chunk_syn * 12.0 * 2.0;
    MemoryEstimate { synapses, bytes }
}
