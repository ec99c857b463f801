//! Who feeds whom in a built NEF network, indexed once before the run so
//! that a step touches only what it uses: each ensemble's outgoing
//! connections (in connection order: a chunk's partial sums come in this
//! order), where each one's partial sum sits in a chunk's block of them,
//! the size of that block, each ensemble's chunks, and the connection
//! behind each probe of a value.

use super::net::{Built, Post, Pre};
use std::ops::Range;

/// The indexes (see the module docs).
#[derive(Clone, Debug)]
pub struct Wiring {
    /// Per ensemble: the connections leaving it (decoded or from neurons).
    pub outgoing: Vec<Vec<usize>>,
    /// Per connection from an ensemble: where its partial sum starts in a
    /// chunk's block (the sizes of the connections before it in
    /// `outgoing[e]`).
    pub offset: Vec<Option<usize>>,
    /// Per ensemble: the size of a chunk's block of partial sums.
    pub block: Vec<usize>,
    /// Per ensemble: its chunks (indices into the run's chunk list).
    pub chunks_of: Vec<Range<usize>>,
    /// Per probe of a value: the connections that feed it, summed in this
    /// order (one, or one per path into a probed passthrough node).
    pub probe_conn: Vec<Vec<usize>>,
}

impl Wiring {
    /// The indexes of `net`, whose ensemble `e` has `chunks[e]` chunks
    /// (numbered in ensemble order).
    pub fn new(net: &Built, chunks: &[usize]) -> Self {
        let mut outgoing = vec![Vec::new(); net.ensembles.len()];
        let mut offset = vec![None; net.connections.len()];
        let mut block = vec![0; net.ensembles.len()];
        for (c, conn) in net.connections.iter().enumerate() {
            if let Pre::Ensemble(e) | Pre::Neurons(e) = conn.pre {
                offset[c] = Some(block[e]);
                block[e] += conn.weights.nrows();
                outgoing[e].push(c);
            }
        }
        let mut chunks_of = Vec::with_capacity(chunks.len());
        let mut next = 0;
        for &n in chunks {
            chunks_of.push(next..next + n);
            next += n;
        }
        let mut probe_conn = vec![Vec::new(); net.spec.probes.len()];
        for (c, conn) in net.connections.iter().enumerate() {
            if let Post::Probe(k) = conn.post {
                probe_conn[k].push(c);
            }
        }
        Self {
            outgoing,
            offset,
            block,
            chunks_of,
            probe_conn,
        }
    }
}
