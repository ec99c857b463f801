//! `[[nef.connection]]` to the library's `ConnectionSpec`s. `pre` and
//! `post` are names (`names`; a node is a target only if it is a
//! passthrough node); `function` a name of the library (identity,
//! square, product, abs) or a table `{ points = [[..]], values = [[..]] }`;
//! `transform` a number (times the identity) or rows (`size_out x
//! size_mid`, Nengo's shape); `synapse` a lowpass time constant in ms or
//! "none" (default 5 ms); `pre_slice = [start, stop]` (Python's
//! `start:stop`).
//!
//! Sizes are checked here, so the message names the key: the source gives
//! `mid` values (its slice, through the function for an ensemble), the
//! transform must take `mid` and give what the target takes.
//!
//! Arrays (invariant the expansion relies on: an array's ensembles are
//! consecutive, ensemble k holding values k d .. (k + 1) d): a connection
//! into or out of an array is the full transform cut into one block per
//! (source ensemble, target ensemble); blocks that are all zero are left
//! out. The function of a connection out of an array applies to each
//! ensemble, as EnsembleArray.add_output.

use brainsim_sim::nef::{ConnectionSpec, Function, NodeOutput, Post, Pre, Transform};
use nalgebra::DMatrix;
use std::ops::Range;
use toml::Value;

use super::names::{Named, Names, Ref};
use super::raw::RawConnection;
use super::shapes::{kind, matrix, number, synapse};
use crate::config::values::{invalid, join, Check};

/// A side of a connection: pieces of (endpoint, its values' range in the
/// side's full vector).
struct Side<T> {
    pieces: Vec<(T, Range<usize>)>,
    /// Values of the whole side.
    size: usize,
}

/// One config connection's `ConnectionSpec`s.
pub(crate) fn connection(
    at: &str,
    r: &RawConnection,
    names: &Names,
    spec: &brainsim_sim::nef::NetSpec,
) -> Check<Vec<ConnectionSpec>> {
    let pre = names.resolve(&join(at, "pre"), &r.pre)?;
    let post = names.resolve(&join(at, "post"), &r.post)?;
    takes_input(at, r, post, spec)?;
    let function = match &r.function {
        None => Function::Identity,
        Some(v) => function(&join(at, "function"), v)?,
    };
    let from_ensemble = matches!(pre, Ref::Thing(Named::Ensemble(_) | Named::Array { .. }));
    if r.function.is_some() && !from_ensemble {
        return invalid(
            join(at, "function"),
            "a function is decoded from an ensemble (`pre` names none)",
        );
    }
    let (pre_side, slice) = pre_side(at, r, pre, &function, spec)?;
    let post_side = post_side(post, spec);
    let mid = pre_side.size;
    let t = match &r.transform {
        None => Transform::Scalar(1.0),
        Some(v) => transform(&join(at, "transform"), v)?,
    };
    let full = match &t {
        Transform::Scalar(s) => {
            if post_side.size != mid {
                return invalid(
                    join(at, "transform"),
                    format!("a scalar transform maps the {mid} values of `{}` to {mid}, but `{}` takes {}; give a matrix of {} rows x {mid} columns", r.pre, r.post, post_side.size, post_side.size),
                );
            }
            DMatrix::identity(mid, mid) * *s
        }
        Transform::Matrix(m) => {
            if m.ncols() != mid || m.nrows() != post_side.size {
                return invalid(
                    join(at, "transform"),
                    format!("{} rows x {} columns, but `{}` takes {} values and `{}` gives {mid} (rows x columns = target x source)", m.nrows(), m.ncols(), r.post, post_side.size, r.pre),
                );
            }
            m.clone()
        }
    };
    let syn = synapse(&join(at, "synapse"), r.synapse.as_ref(), Some(5.0))?;
    let single = pre_side.pieces.len() == 1 && post_side.pieces.len() == 1;
    let mut out = Vec::new();
    for (p, cols) in &pre_side.pieces {
        for (q, rows) in &post_side.pieces {
            let block = full
                .view((rows.start, cols.start), (rows.len(), cols.len()))
                .into_owned();
            if !single && block.iter().all(|&x| x == 0.0) {
                continue;
            }
            let mut c = ConnectionSpec::new(*p, *q);
            c.pre_slice = slice.clone();
            c.function = function.clone();
            c.transform = if single {
                t.clone()
            } else {
                Transform::Matrix(block)
            };
            c.synapse = syn;
            out.push(c);
        }
    }
    Ok(out)
}

/// The source's pieces (one, or one per ensemble of an array) and the
/// slice each reads.
fn pre_side(
    at: &str,
    r: &RawConnection,
    pre: Ref,
    f: &Function,
    spec: &brainsim_sim::nef::NetSpec,
) -> Check<(Side<Pre>, Option<Range<usize>>)> {
    let field = join(at, "function");
    let size_out = |d: usize| f.size_out(d).or_else(|e| invalid(field.clone(), e.0));
    let (endpoint, full) = match pre {
        Ref::Thing(Named::Node(k)) => {
            let d = spec.nodes[k]
                .1
                .dimensions()
                .or_else(|e| invalid(join(at, "pre"), e.0))?;
            (Pre::Node(k), d)
        }
        Ref::Thing(Named::Ensemble(e)) => (Pre::Ensemble(e), spec.ensembles[e].1.dimensions),
        Ref::Neurons(e) => (Pre::Neurons(e), spec.ensembles[e].1.n_neurons),
        Ref::Thing(Named::Array { first, n, d }) => {
            if r.pre_slice.is_some() {
                return invalid(join(at, "pre_slice"), "a connection out of an array is not sliced; connect from one of its ensembles (`name[k]`)");
            }
            let k = size_out(d)?;
            let pieces = (0..n)
                .map(|i| (Pre::Ensemble(first + i), i * k..(i + 1) * k))
                .collect();
            return Ok((
                Side {
                    pieces,
                    size: n * k,
                },
                None,
            ));
        }
    };
    let slice = match &r.pre_slice {
        None => None,
        Some(s) => Some(pre_slice(
            &join(at, "pre_slice"),
            s,
            full,
            matches!(pre, Ref::Neurons(_)),
        )?),
    };
    let read = slice.as_ref().map_or(full, Range::len);
    let mid = match endpoint {
        Pre::Ensemble(_) => size_out(read)?,
        _ => read,
    };
    Ok((
        Side {
            pieces: vec![(endpoint, 0..mid)],
            size: mid,
        },
        slice,
    ))
}

/// Refuses a target node with an output of its own (only passthrough
/// nodes take input).
fn takes_input(
    at: &str,
    r: &RawConnection,
    post: Ref,
    spec: &brainsim_sim::nef::NetSpec,
) -> Check<()> {
    match post {
        Ref::Thing(Named::Node(k))
            if !matches!(spec.nodes[k].1, NodeOutput::Passthrough { .. }) =>
        {
            invalid(
                join(at, "post"),
                format!(
                    "`{}` is a node with an output of its own: only passthrough nodes take input",
                    r.post
                ),
            )
        }
        _ => Ok(()),
    }
}

/// The target's pieces.
fn post_side(post: Ref, spec: &brainsim_sim::nef::NetSpec) -> Side<Post> {
    let (endpoint, size) = match post {
        Ref::Thing(Named::Ensemble(e)) => (Post::Ensemble(e), spec.ensembles[e].1.dimensions),
        Ref::Neurons(e) => (Post::Neurons(e), spec.ensembles[e].1.n_neurons),
        Ref::Thing(Named::Array { first, n, d }) => {
            let pieces = (0..n)
                .map(|i| (Post::Ensemble(first + i), i * d..(i + 1) * d))
                .collect();
            return Side {
                pieces,
                size: n * d,
            };
        }
        // A passthrough node (the caller refused any other).
        Ref::Thing(Named::Node(k)) => (
            Post::Node(k),
            spec.nodes[k].1.dimensions().unwrap_or_default(),
        ),
    };
    Side {
        pieces: vec![(endpoint, 0..size)],
        size,
    }
}

/// `[start, stop]` within `0..full`, non-empty; neurons are not sliced.
fn pre_slice(field: &str, s: &[i64], full: usize, neurons: bool) -> Check<Range<usize>> {
    if neurons {
        return invalid(field, "neurons are not sliced");
    }
    let [start, stop] = s else {
        return invalid(
            field,
            format!("expected [start, stop], got {} values", s.len()),
        );
    };
    if !(0 <= *start && start < stop && *stop as u64 <= full as u64) {
        return invalid(
            field,
            format!("[{start}, {stop}] is not a non-empty range within the source's {full} values"),
        );
    }
    Ok(*start as usize..*stop as usize)
}

/// A library function by name, or a table of samples.
fn function(field: &str, v: &Value) -> Check<Function> {
    match v {
        Value::String(s) => Function::named(s).map_or_else(
            || invalid(field, format!("unknown function {s:?}; expected one of {:?} or a table {{ points, values }}", Function::NAMES)),
            Ok,
        ),
        Value::Table(t) => {
            if let Some(k) = t.keys().find(|k| !["points", "values"].contains(&k.as_str())) {
                return invalid(join(field, k), format!("unknown key `{k}`; a function table takes `points` and `values`"));
            }
            let get = |k: &str| match t.get(k) {
                Some(x) => matrix(&join(field, k), x),
                None => invalid(field, format!("a function table requires `{k}`")),
            };
            let (points, values) = (get("points")?, get("values")?);
            if points.nrows() != values.nrows() {
                return invalid(join(field, "values"), format!("{} rows for {} points (one row of values per point)", values.nrows(), points.nrows()));
            }
            Ok(Function::Table { points, values })
        }
        other => invalid(field, format!("expected a function name or a table {{ points, values }}, got {}", kind(other))),
    }
}

/// A number (times the identity) or a matrix.
fn transform(field: &str, v: &Value) -> Check<Transform> {
    match v {
        Value::Array(_) => Ok(Transform::Matrix(matrix(field, v)?)),
        other => Ok(Transform::Scalar(number(field, other)?)),
    }
}
