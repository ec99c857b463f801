//! The nodes' outputs of each step, and what each connection from a node
//! carries: its weights times the node's output, recomputed only in a
//! step whose node output differs from the previous step's (a constant
//! node, the usual input of a Nengo model, costs its products once per run
//! instead of once per step).
//!
//! Invariant: every connection from a node takes its product (`add`)
//! exactly once per step, so "the node's output changed since the last
//! step" is "it differs from the output the kept product was computed
//! from", and a kept product is the product that would be computed again.

use crate::nef::net::{Built, BuiltConnection, NetSpec, Pre};
use nalgebra::DMatrix;

/// Every node's output of this step, and of the next once `prepare`d.
///
/// Invariant: `prepare` for step n + 1 runs after `eval` for step n (it
/// compares with `out`) and reads nothing else, so it may run alongside
/// the step's parallel part, which does not touch the nodes.
pub(super) struct NodeOutputs {
    /// This step's output per node.
    pub(super) out: Vec<Vec<f64>>,
    /// The next step's output, and whether it differs from `out`, when
    /// `next_step` is that step (0: none prepared).
    next: Vec<Vec<f64>>,
    next_changed: Vec<bool>,
    next_step: u64,
    /// Per node: whether `out` differs (bit for bit) from the previous
    /// step's, or this is the first step.
    pub(super) changed: Vec<bool>,
}

impl NodeOutputs {
    /// Before the first step, for the nodes of `spec`.
    pub(super) fn new(spec: &NetSpec) -> Self {
        let out: Vec<Vec<f64>> = spec
            .nodes
            .iter()
            .map(|(_, o)| vec![0.0; o.dimensions().expect("built nodes are valid")])
            .collect();
        Self {
            next: out.clone(),
            next_changed: vec![true; out.len()],
            next_step: 0,
            changed: vec![true; out.len()],
            out,
        }
    }

    /// Makes `out` every node's output for step `step` (the first is 1):
    /// the prepared one, or evaluated now.
    pub(super) fn eval(&mut self, spec: &NetSpec, step: u64) {
        if self.next_step != step {
            self.prepare(spec, step);
        }
        std::mem::swap(&mut self.out, &mut self.next);
        std::mem::swap(&mut self.changed, &mut self.next_changed);
        self.next_step = 0;
    }

    /// Evaluates every node for step `step`, the one after `out`'s (or the
    /// first), into `next` (see the invariant).
    pub(super) fn prepare(&mut self, spec: &NetSpec, step: u64) {
        for (k, (_, node)) in spec.nodes.iter().enumerate() {
            node.eval(step, spec.dt, spec.seed, k, &mut self.next[k]);
            let same = self.next[k]
                .iter()
                .zip(&self.out[k])
                .all(|(a, b)| a.to_bits() == b.to_bits());
            self.next_changed[k] = step == 1 || !same;
        }
        self.next_step = step;
    }
}

/// Per connection from a node: its product, once computed (`None` for
/// other connections and before the first step).
pub(super) type Kept = Option<Vec<f64>>;

/// None computed yet, for the connections of `net`.
pub(super) fn none_kept(net: &Built) -> Vec<Kept> {
    vec![None; net.connections.len()]
}

/// Adds the product of connection `conn` (from node k; `kept`: its own) for
/// this step's node outputs `nodes` to `y`.
pub(super) fn add(kept: &mut Kept, conn: &BuiltConnection, nodes: &NodeOutputs, y: &mut [f64]) {
    let Pre::Node(k) = conn.pre else {
        unreachable!("a connection from a node")
    };
    let stale = kept.is_none() || nodes.changed[k];
    let product = kept.get_or_insert_with(|| vec![0.0; conn.weights.nrows()]);
    if stale {
        product.fill(0.0);
        add_columns(
            &conn.weights,
            &nodes.out[k][conn.pre_slice.clone()],
            product,
        );
    }
    for (y, v) in y.iter_mut().zip(product.iter()) {
        *y += v;
    }
}

/// Adds `m` times `x` to `y`, column by column in order.
pub(super) fn add_columns(m: &DMatrix<f64>, x: &[f64], y: &mut [f64]) {
    let rows = m.nrows();
    // Column-major: column j is contiguous (vectorised loop).
    for (col, &v) in m.as_slice().chunks_exact(rows.max(1)).zip(x) {
        for (y, w) in y.iter_mut().zip(col) {
            *y += w * v;
        }
    }
}
