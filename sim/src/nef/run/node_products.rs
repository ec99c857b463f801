//! What each connection from a node carries: its weights times the node's
//! output, recomputed only in a step whose node output differs from the
//! one it was last computed for (a constant node, the usual input of a
//! Nengo model, costs its product once per run instead of once per step).
//!
//! Invariant: a product is kept together with the very output values (bit
//! for bit) it was computed from, so a kept product is the product that
//! would be computed again.

use crate::nef::net::{Built, BuiltConnection, Pre};
use nalgebra::DMatrix;

/// Per connection from a node: the outputs last multiplied, and the
/// product (`None` for other connections and before the first step).
pub(super) type Kept = Option<(Vec<f64>, Vec<f64>)>;

/// None computed yet, for the connections of `net`.
pub(super) fn none_kept(net: &Built) -> Vec<Kept> {
    vec![None; net.connections.len()]
}

/// Adds the product of connection `conn` (from a node; `kept`: its own)
/// for the node output `out` to `y`.
pub(super) fn add(kept: &mut Kept, conn: &BuiltConnection, out: &[f64], y: &mut [f64]) {
    debug_assert!(matches!(conn.pre, Pre::Node(_)));
    let x = &out[conn.pre_slice.clone()];
    let same = |seen: &[f64]| seen.iter().zip(x).all(|(a, b)| a.to_bits() == b.to_bits());
    let first = kept.is_none();
    let (seen, product) =
        kept.get_or_insert_with(|| (x.to_vec(), vec![0.0; conn.weights.nrows()]));
    if first || !same(seen) {
        seen.copy_from_slice(x);
        product.fill(0.0);
        add_columns(&conn.weights, x, product);
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
