//! Every connection's update after the neurons: the weighted sum of this
//! step (its chunks' partial sums added in chunk order, or its node's
//! product), through its filter, and through a transform kept apart
//! (`BuiltConnection::after`). Connections update in parallel: each one
//! reads the shared partial sums and node outputs and writes only its own
//! state, and its arithmetic does not depend on who runs it, so the result
//! is the same for any number of threads.

use super::node_products::{self, add_columns};
use super::Steps;
use crate::nef::net::Pre;
use rayon::prelude::*;

impl Steps<'_> {
    /// Sums the chunks' partials in chunk order, adds node sources, and
    /// steps every filter (see the module docs).
    pub(super) fn update_connections(&mut self) {
        let net = self.net;
        let (wiring, nodes) = (&self.wiring, &self.nodes);
        let (partials, partial_at) = (&self.partials, &self.partial_at);
        self.conn_x
            .par_iter_mut()
            .zip(self.conn_mid.par_iter_mut())
            .zip(self.node_kept.par_iter_mut())
            .zip(self.conn_sum.par_iter_mut())
            .enumerate()
            .with_min_len(64)
            .for_each(|(c, (((x, mid), kept), sum))| {
                let conn = &net.connections[c];
                if let (None, Pre::Node(_)) = (conn.filter, conn.pre) {
                    return; // computed by `inputs` this step
                }
                if let (Pre::Ensemble(e) | Pre::Neurons(e), None) = (conn.pre, &conn.after) {
                    if wiring.chunks_of[e].len() == 1 {
                        // One chunk: its partial sums are the sum (0 + p is
                        // p, as no partial sum is -0: each starts at +0).
                        let at = wiring.offset[c].expect("a connection from an ensemble has one");
                        let k = wiring.chunks_of[e].start;
                        let p = &partials[partial_at[k] + at..][..x.len()];
                        match conn.filter {
                            Some(f) => f.step(x, p),
                            None => x.copy_from_slice(p),
                        }
                        return;
                    }
                }
                sum.fill(0.0);
                match conn.pre {
                    Pre::Node(_) => node_products::add(kept, conn, nodes, sum),
                    Pre::Ensemble(e) | Pre::Neurons(e) => {
                        let at = wiring.offset[c].expect("a connection from an ensemble has one");
                        for k in wiring.chunks_of[e].clone() {
                            let p = &partials[partial_at[k] + at..];
                            for (s, v) in sum.iter_mut().zip(p) {
                                *s += v;
                            }
                        }
                    }
                }
                let state = if conn.after.is_some() {
                    &mut *mid
                } else {
                    &mut *x
                };
                match conn.filter {
                    Some(f) => f.step(state, sum),
                    None => state.copy_from_slice(sum),
                }
                if let Some(t) = &conn.after {
                    x.fill(0.0);
                    add_columns(t, mid, x);
                }
            });
    }
}
