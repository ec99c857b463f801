//! The groups of a `brainsim-nengo` file (`/ensembles`, `/nodes`,
//! `/connections`, `/probes`, members named `0`, `1`, ... in order) read
//! into the parts of `Built::prebuilt`. Shapes and indices are checked
//! here, where the error can name the dataset; how the parts fit together
//! (a probe fed by one connection, ...) is checked by `Built::prebuilt`.

use std::ops::Range;

use brainsim_sim::nef::net::BuiltConnection;
use brainsim_sim::nef::{
    Built, LifRate, Lowpass, NodeOutput, Post, Pre, PrebuiltEnsemble, ProbeOf, ProbeSpec,
};
use hdf5::Group;
use nalgebra::DMatrix;

use super::{NengoFileError, Reader};

type R<T> = Result<T, NengoFileError>;

/// The network in the groups under `root` of a file of `version`, run
/// with steps of `dt` (s).
pub(super) fn read_parts(r: &Reader, root: &Group, dt: f64, version: i64) -> R<Built> {
    let ensembles = members(r, root, "ensembles")?
        .iter()
        .map(|g| ensemble(r, g))
        .collect::<R<Vec<_>>>()?;
    let nodes = members(r, root, "nodes")?
        .iter()
        .map(|g| node(r, g, dt, version))
        .collect::<R<Vec<_>>>()?;
    let probe_groups = members(r, root, "probes")?;
    let sizes = Sizes {
        ens: ensembles.iter().map(|e| e.encoders.shape()).collect(),
        nodes: nodes.iter().map(|(_, _, d)| *d).collect(),
        passthrough: nodes
            .iter()
            .map(|(_, o, _)| matches!(o, NodeOutput::Passthrough { .. }))
            .collect(),
        n_probes: probe_groups.len(),
    };
    let mut connections = Vec::new();
    let mut full_post = Vec::new();
    for g in members(r, root, "connections")? {
        let (c, full) = connection(r, &g, &sizes)?;
        connections.push(c);
        full_post.push(full);
    }
    let probes = probe_groups
        .iter()
        .map(|g| probe(r, g, &sizes, &full_post))
        .collect::<R<Vec<_>>>()?;
    let nodes = nodes.into_iter().map(|(n, o, _)| (n, o)).collect();
    Built::prebuilt(dt, ensembles, nodes, connections, probes).map_err(|e| NengoFileError {
        path: r.path.to_path_buf(),
        at: "/".into(),
        what: e.0,
    })
}

/// The members `0`, `1`, ... of group `name`.
fn members(r: &Reader, root: &Group, name: &str) -> R<Vec<Group>> {
    let g = r.group(root, name)?;
    let n = g.len() as usize;
    (0..n).map(|i| r.group(&g, &i.to_string())).collect()
}

/// Sizes that connections and probes are checked against.
struct Sizes {
    /// (neurons, dimensions) per ensemble.
    ens: Vec<(usize, usize)>,
    /// Dimensions per node.
    nodes: Vec<usize>,
    /// Per node: whether it is a passthrough node (the only kind that takes
    /// input).
    passthrough: Vec<bool>,
    n_probes: usize,
}

fn ensemble(r: &Reader, g: &Group) -> R<PrebuiltEnsemble> {
    let name = r.attr_str(g, "name")?;
    let min_voltage = r.attr_f64(g, "min_voltage")?;
    if min_voltage != 0.0 {
        return Err(r.err(g, "min_voltage", format!("is {min_voltage}: only 0 is run")));
    }
    let (shape, enc) = r.floats(g, "encoders", 2)?;
    let (n, d) = (shape[0], shape[1]);
    let (scaled, _) = r.floats(g, "scaled_encoders", 2)?;
    if scaled != shape {
        return Err(r.err(
            g,
            "scaled_encoders",
            format!("has shape {scaled:?}, encoders {shape:?}"),
        ));
    }
    let refractory = r.vector(g, "refractory_time", n)?;
    if refractory.iter().any(|&t| t != 0.0) {
        return Err(r.err(
            g,
            "refractory_time",
            "must be 0 at t = 0 (the run starts so)",
        ));
    }
    Ok(PrebuiltEnsemble {
        neuron: LifRate {
            tau_rc: r.attr_f64(g, "tau_rc")?,
            tau_ref: r.attr_f64(g, "tau_ref")?,
            amplitude: r.attr_f64(g, "amplitude")?,
        },
        radius: r.attr_f64(g, "radius")?,
        encoders: DMatrix::from_row_slice(n, d, &enc),
        gain: r.vector(g, "gain", n)?,
        bias: r.vector(g, "bias", n)?,
        max_rates: r.vector(g, "max_rates", n)?,
        intercepts: r.vector(g, "intercepts", n)?,
        initial_voltage: r.vector(g, "voltage", n)?,
        name,
    })
}

/// A node's name, its output (a table as a piecewise output from t = dt
/// on, or a passthrough node's sum of its inputs) and its dimensions.
fn node(r: &Reader, g: &Group, dt: f64, version: i64) -> R<(String, NodeOutput, usize)> {
    let name = r.attr_str(g, "name")?;
    // Version 1 has tables only, and no `kind`.
    let kind = match version {
        1 => "output".to_string(),
        _ => r.attr_str(g, "kind")?,
    };
    match kind.as_str() {
        "output" => {}
        "passthrough" => {
            let d = r.attr_index(g, "size_in")?;
            if d == 0 {
                return Err(r.err(g, "size_in", "is 0, must be > 0"));
            }
            return Ok((name, NodeOutput::Passthrough { dimensions: d }, d));
        }
        k => {
            let what = format!("is `{k}`, expected `output` or `passthrough`");
            return Err(r.err(g, "kind", what));
        }
    }
    let (shape, v) = r.floats(g, "output", 2)?;
    if shape[0] == 0 || shape[1] == 0 {
        return Err(r.err(g, "output", format!("has shape {shape:?}: no values")));
    }
    let times = (1..=shape[0]).map(|n| n as f64 * dt).collect();
    let values = v.chunks(shape[1]).map(<[f64]>::to_vec).collect();
    Ok((name, NodeOutput::Piecewise { times, values }, shape[1]))
}

/// A synapse: `none`, or `lowpass` with Nengo's coefficients; with its tau.
fn synapse(r: &Reader, g: &Group) -> R<Option<(f64, Lowpass)>> {
    match r.attr_str(g, "synapse")?.as_str() {
        "none" => Ok(None),
        "lowpass" => {
            let tau = r.attr_f64(g, "tau")?;
            if tau.is_nan() || tau <= 0.0 {
                return Err(r.err(g, "tau", format!("is {tau}, must be > 0 (s)")));
            }
            let (a, b) = (r.attr_f64(g, "a")?, r.attr_f64(g, "b")?);
            Ok(Some((tau, Lowpass { a, b })))
        }
        s => Err(r.err(
            g,
            "synapse",
            format!("is `{s}`, expected `none` or `lowpass`"),
        )),
    }
}

/// An ensemble's or node's index attribute, checked against `count`.
fn index(r: &Reader, g: &Group, name: &str, count: usize, what: &str) -> R<usize> {
    let i = r.attr_index(g, name)?;
    if i >= count {
        return Err(r.err(g, name, format!("no {what} {i} ({count} in the file)")));
    }
    Ok(i)
}

/// A connection's source: what it is, the size of its output (what
/// `pre_slice` indexes) and the columns of its widened weights.
fn source(r: &Reader, g: &Group, s: &Sizes) -> R<(Pre, usize, usize)> {
    let n_ens = s.ens.len();
    Ok(match r.attr_str(g, "pre_kind")?.as_str() {
        "node" => {
            let k = index(r, g, "pre", s.nodes.len(), "node")?;
            (Pre::Node(k), s.nodes[k], s.nodes[k])
        }
        "ensemble" => {
            let e = index(r, g, "pre", n_ens, "ensemble")?;
            (Pre::Ensemble(e), s.ens[e].1, s.ens[e].0)
        }
        "neurons" => {
            let e = index(r, g, "pre", n_ens, "ensemble")?;
            (Pre::Neurons(e), s.ens[e].0, s.ens[e].0)
        }
        k => {
            let what = format!("is `{k}`, expected node, ensemble or neurons");
            return Err(r.err(g, "pre_kind", what));
        }
    })
}

/// A connection's target and the size of its input (`None`: a probe, which
/// takes what comes).
fn target(r: &Reader, g: &Group, s: &Sizes) -> R<(Post, Option<usize>)> {
    let n_ens = s.ens.len();
    Ok(match r.attr_str(g, "post_kind")?.as_str() {
        "ensemble" => {
            let e = index(r, g, "post", n_ens, "ensemble")?;
            (Post::Ensemble(e), Some(s.ens[e].1))
        }
        "neurons" => {
            let e = index(r, g, "post", n_ens, "ensemble")?;
            (Post::Neurons(e), Some(s.ens[e].0))
        }
        "probe" => (Post::Probe(index(r, g, "post", s.n_probes, "probe")?), None),
        "node" => {
            let k = index(r, g, "post", s.nodes.len(), "node")?;
            if !s.passthrough[k] {
                let what = format!("node {k} is not a passthrough node: it takes no input");
                return Err(r.err(g, "post", what));
            }
            (Post::Node(k), Some(s.nodes[k]))
        }
        k => {
            let what = format!("is `{k}`, expected ensemble, neurons, node or probe");
            return Err(r.err(g, "post_kind", what));
        }
    })
}

/// A connection, widened to its source's and target's full sizes, and
/// whether its `post_slice` is the whole target.
fn connection(r: &Reader, g: &Group, s: &Sizes) -> R<(BuiltConnection, bool)> {
    let (pre, full_in, cols) = source(r, g, s)?;
    let (post, rows) = target(r, g, s)?;
    let pre_ix = r.indices(g, "pre_slice", full_in)?;
    let (shape, w) = r.floats(g, "weights", 2)?;
    let post_ix = r.indices(g, "post_slice", rows.unwrap_or(shape[0]))?;
    // A decoded connection's columns are the source's neurons, else the
    // values its pre_slice names.
    let decoded = matches!(pre, Pre::Ensemble(_));
    let want_cols = if decoded { cols } else { pre_ix.len() };
    if shape != [post_ix.len(), want_cols] {
        let what = format!(
            "has shape {shape:?}, expected [{}, {want_cols}] (post_slice, source)",
            post_ix.len()
        );
        return Err(r.err(g, "weights", what));
    }
    let rows = rows.unwrap_or(shape[0]);
    if matches!(post, Post::Probe(_)) && post_ix.iter().enumerate().any(|(i, &j)| i != j) {
        let what = "a connection into a probe takes all its values";
        return Err(r.err(g, "post_slice", what));
    }
    let mut weights = DMatrix::zeros(rows, cols);
    for (i, &row) in post_ix.iter().enumerate() {
        for j in 0..want_cols {
            let col = if decoded { j } else { pre_ix[j] };
            weights[(row, col)] = w[i * want_cols + j];
        }
    }
    let pre_slice: Range<usize> = 0..cols;
    let filter = synapse(r, g)?.map(|(_, f)| f);
    let full = post_ix.len() == rows;
    let c = BuiltConnection {
        pre,
        post,
        weights,
        after: None,
        pre_slice,
        filter,
    };
    Ok((c, full))
}

fn probe(r: &Reader, g: &Group, s: &Sizes, full_post: &[bool]) -> R<ProbeSpec> {
    let name = r.attr_str(g, "name")?;
    let kind = r.attr_str(g, "target_kind")?;
    let attribute = r.attr_str(g, "attribute")?;
    let n_ens = s.ens.len();
    let of = match (kind.as_str(), attribute.as_str()) {
        ("ensemble", "decoded_output") => {
            ProbeOf::Decoded(index(r, g, "target", n_ens, "ensemble")?)
        }
        ("node", "output") => ProbeOf::Node(index(r, g, "target", s.nodes.len(), "node")?),
        ("neurons", "spikes") => ProbeOf::Spikes(index(r, g, "target", n_ens, "ensemble")?),
        ("neurons", "voltage") => ProbeOf::Voltage(index(r, g, "target", n_ens, "ensemble")?),
        ("connection", "output") => {
            let c = index(r, g, "target", full_post.len(), "connection")?;
            if !full_post[c] {
                return Err(r.err(
                    g,
                    "target",
                    "probes of connections with a post_slice are not run",
                ));
            }
            ProbeOf::Connection(c)
        }
        (k, a) => return Err(r.err(g, "attribute", format!("cannot probe `{a}` of a `{k}`"))),
    };
    let synapse = synapse(r, g)?.map(|(tau, _)| tau);
    Ok(ProbeSpec { name, of, synapse })
}
