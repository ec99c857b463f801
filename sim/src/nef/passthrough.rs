//! Passthrough nodes (Nengo's `Node(size_in=d)` with no output function:
//! its output is the sum of what its connections bring), removed before a
//! network is built by folding every path through them into direct
//! connections, as Nengo's `remove_passthrough_nodes` does: a connection
//! `i` into passthrough node k followed by a connection `o` out of it is
//! the connection from i's source with i's function, transform
//! `T_o S_o T_i` (S_o: the rows of k's output that `o` reads) and the one
//! synapse of the two (two filters in series are refused: they are not one
//! lowpass). A probe of a passthrough node is a connection out of it into
//! the probe, so it becomes one connection into the probe per path, and the
//! probe records their sum.
//!
//! Timing is Nengo's: a passthrough node adds no delay, so the folded
//! connection carries in the step what the path would have carried.
//! Folding changes connection indices; `ProbeOf::Connection` follows the
//! connections it kept, and refuses a probe of a folded one.

use super::net::{ConnectionSpec, NetSpec, Post, Pre, ProbeOf, Transform};
use super::node::NodeOutput;
use super::NefError;
use nalgebra::DMatrix;

/// Whether node `k` of `spec` is a passthrough node.
fn is_passthrough(spec: &NetSpec, k: usize) -> bool {
    matches!(spec.nodes[k].1, NodeOutput::Passthrough { .. })
}

/// `spec` without connections into or out of passthrough nodes (see the
/// module doc), or why a path cannot be folded.
pub fn fold(spec: &NetSpec) -> Result<NetSpec, NefError> {
    // Only passthrough nodes take input (checked by `NetSpec::build`).
    let pass = |c: &ConnectionSpec| {
        matches!(c.pre, Pre::Node(k) if is_passthrough(spec, k)) || matches!(c.post, Post::Node(_))
    };
    if !spec.connections.iter().any(pass) {
        return Ok(spec.clone());
    }
    let mut kept = Vec::new();
    let mut index = vec![None; spec.connections.len()];
    for (i, c) in spec.connections.iter().enumerate() {
        if !pass(c) {
            index[i] = Some(kept.len());
            kept.push(c.clone());
        }
    }
    // Paths out of passthrough nodes into something else, still to fold
    // (a path into another passthrough node is part of the paths out of
    // that one); probes of passthrough nodes are such paths into their
    // probe.
    let mut open: Vec<ConnectionSpec> = spec
        .connections
        .iter()
        .filter(|c| matches!(c.pre, Pre::Node(k) if is_passthrough(spec, k)))
        .filter(|c| !matches!(c.post, Post::Node(_)))
        .cloned()
        .collect();
    for (p, probe) in spec.probes.iter().enumerate() {
        if let ProbeOf::Node(k) = probe.of {
            if is_passthrough(spec, k) {
                let mut c = ConnectionSpec::new(Pre::Node(k), Post::Probe(p));
                c.synapse = probe.synapse;
                open.push(c);
            }
        }
    }
    let limit = spec.nodes.len() + 1;
    let mut depth = vec![0; open.len()];
    while let Some(o) = open.pop() {
        let d = depth.pop().expect("one depth per path");
        if d > limit {
            return Err(NefError::new("passthrough nodes connected in a cycle"));
        }
        let Pre::Node(k) = o.pre else { unreachable!() };
        for i in spec.connections.iter().filter(|c| c.post == Post::Node(k)) {
            let c = compose(spec, i, &o)?;
            if matches!(c.pre, Pre::Node(j) if is_passthrough(spec, j)) {
                open.push(c);
                depth.push(d + 1);
            } else {
                kept.push(c);
            }
        }
    }
    let mut probes = spec.probes.clone();
    for p in &mut probes {
        if let ProbeOf::Connection(c) = p.of {
            let Some(n) = index.get(c).copied().flatten() else {
                return Err(NefError::new(format!(
                    "probe `{}`: connection {c} goes through a passthrough node; probe the node instead",
                    p.name
                )));
            };
            p.of = ProbeOf::Connection(n);
        }
    }
    Ok(NetSpec {
        connections: kept,
        probes,
        ..spec.clone()
    })
}

/// `i` (into passthrough node k) then `o` (out of k) as one connection.
fn compose(
    spec: &NetSpec,
    i: &ConnectionSpec,
    o: &ConnectionSpec,
) -> Result<ConnectionSpec, NefError> {
    let (mid, _) = spec.pre_size(i)?;
    let k_size = match o.pre {
        Pre::Node(k) => spec.nodes[k].1.dimensions()?,
        _ => unreachable!("o leaves a node"),
    };
    let t_i = matrix(&i.transform, mid);
    if t_i.nrows() != k_size || t_i.ncols() != mid {
        return Err(NefError::new(format!(
            "a connection into a passthrough node of {k_size} dimensions has a {}x{} transform for {mid} values",
            t_i.nrows(),
            t_i.ncols()
        )));
    }
    let rows = o.pre_slice.clone().unwrap_or(0..k_size);
    if rows.is_empty() || rows.end > k_size {
        return Err(NefError::new(format!(
            "pre_slice {rows:?} of a passthrough node of {k_size} dimensions"
        )));
    }
    let read = t_i.rows(rows.start, rows.len()).into_owned();
    let t_o = matrix(&o.transform, rows.len());
    if t_o.ncols() != rows.len() {
        return Err(NefError::new(format!(
            "the transform has {} columns, the passthrough node gives {} values",
            t_o.ncols(),
            rows.len()
        )));
    }
    let synapse = match (i.synapse, o.synapse) {
        (Some(_), Some(_)) => {
            return Err(NefError::new(
                "two synapses in series through a passthrough node (give one of the connections synapse = none)",
            ))
        }
        (a, b) => a.or(b),
    };
    Ok(ConnectionSpec {
        pre: i.pre,
        post: o.post,
        pre_slice: i.pre_slice.clone(),
        function: i.function.clone(),
        transform: Transform::Matrix(t_o * read),
        synapse,
        solver: i.solver,
    })
}

/// A transform as a matrix, for `mid` input values.
fn matrix(t: &Transform, mid: usize) -> DMatrix<f64> {
    match t {
        Transform::Scalar(s) => DMatrix::identity(mid, mid) * *s,
        Transform::Matrix(m) => m.clone(),
    }
}
