//! Each neuron's input current from its ensemble's input: the scaled
//! encoders times the decoded input, plus gain times the current of
//! connections ending on the neurons.
//!
//! Invariant (the same bits as Nengo's and as before the column layout):
//! neuron i's dot product adds encoders[i, k] * u[k] for k = 0, 1, ...
//! left to right from the first product, as `Iterator::sum` adds; its sign
//! at zero does not matter, because the step adds 0.0 first
//! (`NengoLif::step`). The loops run over neurons, one dimension at a
//! time, so they vectorise.

use super::{Chunk, CHUNK};
use crate::nef::net::Built;

/// What the neurons' currents are made of (borrowed from `NefSim`).
pub(super) struct Inputs<'s> {
    /// Scaled encoders per ensemble, column-major (neuron, dimension).
    pub(super) encoders: &'s [Vec<f64>],
    /// Each ensemble's decoded input.
    pub(super) ens_in: &'s [Vec<f64>],
    /// Where connections end on an ensemble's neurons, their currents.
    pub(super) neuron_in: &'s [Option<Vec<f64>>],
}

impl Inputs<'_> {
    /// The currents of chunk `ch`'s neurons into `x` (one per neuron).
    pub(super) fn encode(&self, net: &Built, ch: &Chunk, x: &mut [f64]) {
        debug_assert!(x.len() == ch.range.len() && x.len() <= CHUNK);
        let e = ch.ens;
        let n_e = net.ensembles[e].n_neurons();
        let first = ch.range.start - ch.ens_start;
        let (enc, u) = (&self.encoders[e][..], &self.ens_in[e][..]);
        crate::twice::call_at!(crate::twice::widest();
            encode, encode_avx2, encode_avx512(x, enc, n_e, first, u));
        if self.ens_in[e].is_empty() {
            x.fill(0.0);
        }
        if let Some(nin) = &self.neuron_in[e] {
            let gain = &net.ensembles[e].gain[first..first + x.len()];
            let nin = &nin[first..first + x.len()];
            for ((x, g), c) in x.iter_mut().zip(gain).zip(nin) {
                *x += g * c;
            }
        }
    }
}

// The encoded input of neurons `first..first + x.len()` of an ensemble of
// `n_e` neurons (encoders column-major, a dimension's column contiguous)
// for its input `u`, into `x`: the dimensions in order, the first one set
// (see the invariant). Portable, AVX2 and AVX-512 from one body
// (`crate::twice`).
crate::twice::portable_and_avx2! {
    fn encode / encode_avx2 / encode_avx512(x: &mut [f64], enc: &[f64], n_e: usize, first: usize, u: &[f64]) {
        for (k, &u) in u.iter().enumerate() {
            let col = &enc[k * n_e + first..][..x.len()];
            if k == 0 {
                x.iter_mut().zip(col).for_each(|(x, c)| *x = c * u);
            } else {
                x.iter_mut().zip(col).for_each(|(x, c)| *x += c * u);
            }
        }
    }
}
