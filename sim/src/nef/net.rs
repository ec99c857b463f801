//! An NEF network as a user describes it (`NetSpec`: ensembles, nodes,
//! connections, probes, the step and the seed, in Nengo's units: seconds)
//! and as it is built (`Built`): every ensemble's neurons, and every
//! connection reduced to one dense weight matrix from its source's output
//! to its target's input plus an optional lowpass filter — Nengo's own
//! build, where a decoded connection's weights are transform x decoders^T
//! (`size_out x n_pre`). Factored execution follows from that shape: a
//! decoded connection costs n_pre x size_out per step (and only the columns
//! of neurons that spiked), its target's encoders n_post x size_out, never
//! n_pre x n_post. Probes of decoded values are built as connections into
//! a probe, as Nengo builds them.

use super::function::Function;
use super::node::NodeOutput;
use super::synapse::Lowpass;
use super::{decoders, targets, Ensemble, EnsembleParams, LstsqL2, NefError};
use nalgebra::DMatrix;
use rayon::prelude::*;
use std::ops::Range;

/// Where a connection starts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Pre {
    /// A node's output.
    Node(usize),
    /// An ensemble's decoded value (through the connection's function).
    Ensemble(usize),
    /// An ensemble's neurons' spike outputs (amplitude / dt per spike).
    Neurons(usize),
}

/// Where a connection ends.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Post {
    /// An ensemble's input (encoded by its scaled encoders).
    Ensemble(usize),
    /// An ensemble's neurons' currents (times each neuron's gain).
    Neurons(usize),
    /// A probe's filter (probes of decoded values and nodes, built here).
    Probe(usize),
    /// A passthrough node (folded away before the build: `passthrough`).
    Node(usize),
    /// Nothing: a connection whose output only probes read
    /// (`ProbeOf::Connection`; Nengo's connection into a passthrough node).
    Sink,
}

/// A connection's transform: Nengo's scalar (times the identity) or matrix
/// (`size_out x size_mid`).
#[derive(Clone, Debug, PartialEq)]
pub enum Transform {
    /// s I.
    Scalar(f64),
    /// The matrix.
    Matrix(DMatrix<f64>),
}

/// A connection as described.
#[derive(Clone, Debug, PartialEq)]
pub struct ConnectionSpec {
    /// Source.
    pub pre: Pre,
    /// Target.
    pub post: Post,
    /// Nengo's `pre_slice` for nodes and ensembles: only these of the
    /// source's values (before the function); `None`: all.
    pub pre_slice: Option<Range<usize>>,
    /// For `Pre::Ensemble`: what is decoded (else ignored).
    pub function: Function,
    /// Applied after the function.
    pub transform: Transform,
    /// Lowpass time constant (s); `None`: no filter (only from nodes).
    pub synapse: Option<f64>,
    /// The decoder solver.
    pub solver: LstsqL2,
}

impl ConnectionSpec {
    /// `pre` to `post` with Nengo's defaults: identity function, transform
    /// 1, Lowpass(0.005), LstsqL2(reg = 0.1).
    pub fn new(pre: Pre, post: Post) -> Self {
        Self {
            pre,
            post,
            pre_slice: None,
            function: Function::Identity,
            transform: Transform::Scalar(1.0),
            synapse: Some(0.005),
            solver: LstsqL2::default(),
        }
    }
}

/// What a probe records each step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ProbeOf {
    /// An ensemble's decoded value (identity decoders).
    Decoded(usize),
    /// A node's output.
    Node(usize),
    /// An ensemble's spike outputs (amplitude / dt in the step of a spike).
    Spikes(usize),
    /// An ensemble's voltages.
    Voltage(usize),
    /// A connection's output (after its synapse; Nengo's
    /// `Probe(conn, "output")`), through the probe's own synapse.
    Connection(usize),
}

/// A probe as described.
#[derive(Clone, Debug, PartialEq)]
pub struct ProbeSpec {
    /// Its name in the output.
    pub name: String,
    /// What it records.
    pub of: ProbeOf,
    /// Lowpass (s) for decoded values and nodes; `None`: unfiltered.
    pub synapse: Option<f64>,
}

/// An NEF network as described (times in seconds).
#[derive(Clone, Debug, PartialEq)]
pub struct NetSpec {
    /// Step (s).
    pub dt: f64,
    /// Seed of every draw.
    pub seed: u32,
    /// Ensembles, by name.
    pub ensembles: Vec<(String, EnsembleParams)>,
    /// Nodes, by name.
    pub nodes: Vec<(String, NodeOutput)>,
    /// Connections.
    pub connections: Vec<ConnectionSpec>,
    /// Probes.
    pub probes: Vec<ProbeSpec>,
}

/// A connection as built: `weights` (`size_out x size_in`) from its
/// source's output to its target's input, and its filter.
#[derive(Clone, Debug, PartialEq)]
pub struct BuiltConnection {
    /// Source.
    pub pre: Pre,
    /// Target.
    pub post: Post,
    /// Column j: what one unit of source output j adds to the target
    /// (for a node: of its output `pre_slice.start + j`), or, with `after`,
    /// to the value that `after` maps to the target.
    pub weights: DMatrix<f64>,
    /// A decoded connection whose transform has more rows than columns
    /// keeps it apart (decided; `sim/DESIGN.md`, "NEF"): `weights` are the
    /// decoders, the connection's filter runs on the decoded value, and
    /// this transform maps the filtered value to the target. A spike then
    /// costs a row of decoders, not of the larger product, and fewer values
    /// cross ranks.
    pub after: Option<DMatrix<f64>>,
    /// The node outputs read (all of them unless sliced).
    pub pre_slice: Range<usize>,
    /// The filter, if any.
    pub filter: Option<Lowpass>,
}

impl BuiltConnection {
    /// Values it gives its target per step.
    pub fn size_out(&self) -> usize {
        self.after
            .as_ref()
            .map_or(self.weights.nrows(), |t| t.nrows())
    }

    /// Numbers it stores (weights and a kept-apart transform).
    pub fn stored(&self) -> usize {
        self.weights.len() + self.after.as_ref().map_or(0, |t| t.len())
    }
}

/// An NEF network as built.
#[derive(Clone, Debug)]
pub struct Built {
    /// The description it was built from.
    pub spec: NetSpec,
    /// Its ensembles.
    pub ensembles: Vec<Ensemble>,
    /// Connections: the described ones, then one per probe of a decoded
    /// value or node (`Post::Probe`).
    pub connections: Vec<BuiltConnection>,
}

impl NetSpec {
    /// Size of a source's output, and the range of it that is read.
    pub(super) fn pre_size(&self, c: &ConnectionSpec) -> Result<(usize, Range<usize>), NefError> {
        let full = match c.pre {
            Pre::Node(k) => self.nodes[k].1.dimensions()?,
            Pre::Ensemble(e) => self.ensembles[e].1.dimensions,
            Pre::Neurons(e) => self.ensembles[e].1.n_neurons,
        };
        let slice = c.pre_slice.clone().unwrap_or(0..full);
        if slice.is_empty()
            || slice.end > full
            || matches!(c.pre, Pre::Neurons(_)) && slice != (0..full)
        {
            return Err(NefError::new(format!(
                "pre_slice {slice:?} of a source of {full} values (neurons are not sliced)"
            )));
        }
        let mid = match c.pre {
            Pre::Ensemble(_) => c.function.size_out(slice.len())?,
            _ => slice.len(),
        };
        Ok((mid, slice))
    }

    /// Size of a target's input (`None` for a probe: whatever comes).
    fn post_size(&self, post: Post) -> Option<usize> {
        match post {
            Post::Ensemble(e) => Some(self.ensembles[e].1.dimensions),
            Post::Neurons(e) => Some(self.ensembles[e].1.n_neurons),
            Post::Node(k) => self.nodes[k].1.dimensions().ok(),
            Post::Probe(_) | Post::Sink => None,
        }
    }

    /// Builds every ensemble and connection (decoders solved here), or says
    /// which part is wrong. Passthrough nodes are folded away first.
    pub fn build(&self) -> Result<Built, NefError> {
        for (i, c) in self.connections.iter().enumerate() {
            if let Post::Node(k) = c.post {
                if !matches!(self.nodes[k].1, NodeOutput::Passthrough { .. }) {
                    return Err(NefError::new(format!(
                        "connection {i}: node `{}` takes no input (only passthrough nodes do)",
                        self.nodes[k].0
                    )));
                }
            }
        }
        super::passthrough::fold(self)?.build_folded()
    }

    /// `build` of a network without passthrough connections.
    fn build_folded(&self) -> Result<Built, NefError> {
        for p in &self.probes {
            if matches!(p.of, ProbeOf::Spikes(_) | ProbeOf::Voltage(_)) && p.synapse.is_some() {
                return Err(NefError::new(format!(
                    "probe `{}`: spikes and voltages are recorded unfiltered (no synapse)",
                    p.name
                )));
            }
            if let ProbeOf::Connection(c) = p.of {
                if c >= self.connections.len() {
                    return Err(NefError::new(format!(
                        "probe `{}`: no connection {c}",
                        p.name
                    )));
                }
            }
        }
        // Ensembles and connections build independently (each draws from
        // its own streams), in parallel; the first error in index order is
        // the one reported, whatever the threads.
        let ensembles = self
            .ensembles
            .par_iter()
            .enumerate()
            .map(|(i, (name, p))| {
                Ensemble::build(p, self.seed, i)
                    .map_err(|e| NefError::new(format!("ensemble `{name}`: {e}")))
            })
            .collect::<Vec<_>>()
            .into_iter()
            .collect::<Result<Vec<_>, _>>()?;
        let mut all = self.connections.clone();
        all.extend(self.probe_connections());
        let connections = all
            .par_iter()
            .enumerate()
            .map(|(i, c)| {
                self.build_connection(c, &ensembles)
                    .map_err(|e| NefError::new(format!("connection {i}: {e}")))
            })
            .collect::<Vec<_>>()
            .into_iter()
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Built {
            spec: self.clone(),
            ensembles,
            connections,
        })
    }

    /// The connections that feed probes of decoded values and nodes (not
    /// of passthrough nodes: folding made theirs).
    fn probe_connections(&self) -> Vec<ConnectionSpec> {
        let mut out = Vec::new();
        for (k, p) in self.probes.iter().enumerate() {
            let pre = match p.of {
                ProbeOf::Decoded(e) => Pre::Ensemble(e),
                // A passthrough node's probe is fed by its folded paths.
                ProbeOf::Node(n) if matches!(self.nodes[n].1, NodeOutput::Passthrough { .. }) => {
                    continue
                }
                ProbeOf::Node(n) => Pre::Node(n),
                ProbeOf::Spikes(_) | ProbeOf::Voltage(_) | ProbeOf::Connection(_) => continue,
            };
            let mut c = ConnectionSpec::new(pre, Post::Probe(k));
            c.synapse = p.synapse;
            out.push(c);
        }
        out
    }

    /// One connection's weights and filter.
    fn build_connection(
        &self,
        c: &ConnectionSpec,
        ensembles: &[Ensemble],
    ) -> Result<BuiltConnection, NefError> {
        let (mid, slice) = self.pre_size(c)?;
        let transform = match &c.transform {
            Transform::Scalar(s) => DMatrix::identity(mid, mid) * *s,
            Transform::Matrix(m) => m.clone(),
        };
        if transform.ncols() != mid {
            return Err(NefError::new(format!(
                "the transform has {} columns, the source gives {mid} values",
                transform.ncols()
            )));
        }
        if let Some(n) = self.post_size(c.post) {
            if transform.nrows() != n {
                return Err(NefError::new(format!(
                    "the transform has {} rows, the target takes {n} values",
                    transform.nrows()
                )));
            }
        }
        let unfiltered_ok =
            matches!(c.pre, Pre::Node(_)) || matches!(c.post, Post::Probe(_) | Post::Sink);
        debug_assert!(!matches!(c.post, Post::Node(_)), "folded before the build");
        if c.synapse.is_none() && !unfiltered_ok {
            return Err(NefError::new(
                "a connection from an ensemble into an ensemble needs a synapse",
            ));
        }
        let (weights, after) = match c.pre {
            Pre::Ensemble(e) => {
                let ens = &ensembles[e];
                let neuron = &self.ensembles[e].1.neuron;
                let d = match &c.function {
                    Function::Table { points, values } => {
                        let a = ens.activities(neuron, points);
                        c.solver.solve(&a, values)?
                    }
                    f => {
                        let y = targets(ens, mid, |x| f.eval(&x[slice.clone()]))?;
                        decoders(ens, neuron, &y, &c.solver)?
                    }
                };
                if transform.nrows() > transform.ncols() {
                    (d.transpose(), Some(transform))
                } else {
                    (transform * d.transpose(), None)
                }
            }
            Pre::Node(_) | Pre::Neurons(_) => (transform, None),
        };
        let filter = match c.synapse {
            Some(tau) if tau > 0.0 => Some(Lowpass::new(tau, self.dt)),
            Some(tau) => return Err(NefError::new(format!("synapse tau {tau} s: must be > 0"))),
            None => None,
        };
        Ok(BuiltConnection {
            pre: c.pre,
            post: c.post,
            weights,
            after,
            pre_slice: slice,
            filter,
        })
    }
}
