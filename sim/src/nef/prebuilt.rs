//! A network built elsewhere (by Nengo, read from an export file) made into
//! a `Built` without solving anything: ensembles given with their encoders,
//! gains, biases and initial voltages, connections as weight matrices with
//! their filters' discrete coefficients, and probes. `Built::prebuilt`
//! checks that the parts fit together (indices in range, shapes, every
//! probe of a value fed by exactly one connection) so that `NefSim` can run
//! the result without a panic. Connections may run into and out of
//! passthrough nodes (`NodeOutput::Passthrough`): their paths are folded
//! into direct connections first (`passthrough_built`), and a probe of a
//! passthrough node records the sum of the paths into it.
//!
//! The description part of the result (`Built::spec`) carries what the run
//! reads: the step, the ensembles' sizes, radii and neuron constants, the
//! nodes and the probes. Its `connections` are empty (there is no
//! description to keep: `ProbeOf::Connection(c)` indexes
//! `Built::connections`), its seed 0 (nodes are tables or constants), and
//! each ensemble's distributions are the given values.

use super::net::{Built, BuiltConnection, NetSpec, Post, Pre, ProbeOf, ProbeSpec};
use super::{Ensemble, EnsembleParams, LifRate, NefError, NodeOutput, Scalar};
use nalgebra::DMatrix;

/// An ensemble as built (Nengo's `BuiltEnsemble` plus the neurons' state).
#[derive(Clone, Debug, PartialEq)]
pub struct PrebuiltEnsemble {
    /// Its name.
    pub name: String,
    /// The neurons' constants (s, and the amplitude).
    pub neuron: LifRate,
    /// The radius (scaled encoders are encoders x gain / radius).
    pub radius: f64,
    /// Unit encoders, one row per neuron (`n x d`).
    pub encoders: DMatrix<f64>,
    /// Per neuron: gain.
    pub gain: Vec<f64>,
    /// Per neuron: bias.
    pub bias: Vec<f64>,
    /// Per neuron: rate (Hz) at the encoded input 1 (kept, not used to run).
    pub max_rates: Vec<f64>,
    /// Per neuron: intercept (kept, not used to run).
    pub intercepts: Vec<f64>,
    /// Per neuron: voltage at t = 0.
    pub initial_voltage: Vec<f64>,
}

impl PrebuiltEnsemble {
    /// Its parts' sizes and values, or what is wrong.
    fn check(&self) -> Result<(), NefError> {
        let (n, d) = self.encoders.shape();
        if n == 0 || d == 0 {
            return Err(NefError::new("an ensemble needs neurons and dimensions"));
        }
        for (what, v) in [
            ("gain", &self.gain),
            ("bias", &self.bias),
            ("max_rates", &self.max_rates),
            ("intercepts", &self.intercepts),
            ("initial voltages", &self.initial_voltage),
        ] {
            if v.len() != n {
                return Err(NefError::new(format!(
                    "{what}: {} values for {n} neurons",
                    v.len()
                )));
            }
        }
        let l = &self.neuron;
        if !(l.tau_rc > 0.0 && l.tau_ref >= 0.0 && l.amplitude > 0.0 && self.radius > 0.0) {
            return Err(NefError::new(
                "tau_rc, amplitude and radius must be > 0, tau_ref >= 0",
            ));
        }
        Ok(())
    }

    /// The ensemble and the description the run reads.
    fn split(self) -> ((String, EnsembleParams), Ensemble) {
        let (n, d) = self.encoders.shape();
        let mut p = EnsembleParams::new(n, d);
        p.radius = self.radius;
        p.neuron = self.neuron;
        p.max_rates = Scalar::Values(self.max_rates.clone());
        p.intercepts = Scalar::Values(self.intercepts.clone());
        p.initial_voltage = Scalar::Values(self.initial_voltage.clone());
        p.n_eval_points = Some(0);
        let e = Ensemble {
            encoders: self.encoders,
            gain: self.gain,
            bias: self.bias,
            max_rates: self.max_rates,
            intercepts: self.intercepts,
            eval_points: DMatrix::zeros(0, d),
            radius: self.radius,
            initial_voltage: self.initial_voltage,
        };
        ((self.name, p), e)
    }
}

impl Built {
    /// A network from its built parts (see the module docs): steps of `dt`
    /// seconds, `ensembles`, `nodes`, `connections` (each probe of a decoded
    /// value or node fed by one with `Post::Probe`; `Post::Node` into
    /// passthrough nodes, folded away) and `probes`. Fails, naming the
    /// part, when they do not fit together.
    pub fn prebuilt(
        dt: f64,
        ensembles: Vec<PrebuiltEnsemble>,
        nodes: Vec<(String, NodeOutput)>,
        connections: Vec<BuiltConnection>,
        mut probes: Vec<ProbeSpec>,
    ) -> Result<Built, NefError> {
        if !(dt > 0.0 && dt.is_finite()) {
            return Err(NefError::new(format!("dt {dt} s: must be > 0")));
        }
        for e in &ensembles {
            e.check()
                .map_err(|err| NefError::new(format!("ensemble `{}`: {err}", e.name)))?;
        }
        let mut node_dims = Vec::with_capacity(nodes.len());
        for (name, out) in &nodes {
            let d = out
                .dimensions()
                .map_err(|err| NefError::new(format!("node `{name}`: {err}")))?;
            node_dims.push(d);
        }
        let connections = super::passthrough_built::fold(&nodes, connections, &mut probes)?;
        let passthrough = nodes
            .iter()
            .map(|(_, o)| matches!(o, NodeOutput::Passthrough { .. }))
            .collect::<Vec<_>>();
        let (params, built): (Vec<_>, Vec<_>) =
            ensembles.into_iter().map(PrebuiltEnsemble::split).unzip();
        let sizes = Sizes {
            params: &params,
            node_dims: &node_dims,
            passthrough: &passthrough,
        };
        for (i, c) in connections.iter().enumerate() {
            sizes
                .check_connection(c, probes.len())
                .map_err(|err| NefError::new(format!("connection {i}: {err}")))?;
        }
        for (k, p) in probes.iter().enumerate() {
            sizes
                .check_probe(k, p, &connections)
                .map_err(|err| NefError::new(format!("probe `{}`: {err}", p.name)))?;
        }
        Ok(Built {
            spec: NetSpec {
                dt,
                seed: 0,
                ensembles: params,
                nodes,
                connections: Vec::new(),
                probes,
            },
            ensembles: built,
            connections,
        })
    }
}

/// The sizes a connection or probe is checked against.
struct Sizes<'a> {
    params: &'a [(String, EnsembleParams)],
    node_dims: &'a [usize],
    /// Per node: whether it is a passthrough node (a probe of it is fed by
    /// its folded paths, any number).
    passthrough: &'a [bool],
}

impl Sizes<'_> {
    fn ensemble(&self, e: usize) -> Result<&EnsembleParams, NefError> {
        self.params
            .get(e)
            .map(|(_, p)| p)
            .ok_or_else(|| NefError::new(format!("no ensemble {e}")))
    }

    /// Its source, target, weights' shape, slice and filter.
    fn check_connection(&self, c: &BuiltConnection, n_probes: usize) -> Result<(), NefError> {
        let cols = match c.pre {
            Pre::Node(k) => {
                let d = *self
                    .node_dims
                    .get(k)
                    .ok_or_else(|| NefError::new(format!("no node {k}")))?;
                if c.pre_slice.is_empty() || c.pre_slice.end > d {
                    return Err(NefError::new(format!(
                        "pre_slice {:?} of a node of {d} values",
                        c.pre_slice
                    )));
                }
                c.pre_slice.len()
            }
            Pre::Ensemble(e) | Pre::Neurons(e) => self.ensemble(e)?.n_neurons,
        };
        let rows = match c.post {
            Post::Ensemble(e) => Some(self.ensemble(e)?.dimensions),
            Post::Neurons(e) => Some(self.ensemble(e)?.n_neurons),
            Post::Probe(k) if k >= n_probes => return Err(NefError::new(format!("no probe {k}"))),
            Post::Probe(_) | Post::Sink => None,
            // `passthrough_built::fold` leaves none (it refuses or folds each).
            Post::Node(k) => unreachable!("a connection into node {k} after folding"),
        };
        let (r, k) = c.weights.shape();
        if let Some(t) = c.after.as_ref().filter(|t| t.ncols() != r) {
            return Err(NefError::new(format!(
                "weights of {r} x {k} and a transform after them of {} x {}",
                t.nrows(),
                t.ncols()
            )));
        }
        let out = c.size_out();
        if k != cols || rows.is_some_and(|n| n != out) {
            return Err(NefError::new(format!(
                "weights of {r} x {k}{}, the source gives {cols} values{}",
                c.after.as_ref().map_or(String::new(), |t| format!(
                    " (then {} x {})",
                    t.nrows(),
                    t.ncols()
                )),
                rows.map_or(String::new(), |n| format!(", the target takes {n}"))
            )));
        }
        let unfiltered_ok =
            matches!(c.pre, Pre::Node(_)) || matches!(c.post, Post::Probe(_) | Post::Sink);
        match c.filter {
            None if !unfiltered_ok => Err(NefError::new(
                "a connection from an ensemble into an ensemble needs a synapse",
            )),
            Some(f) if !(f.a.is_finite() && f.b.is_finite()) => {
                Err(NefError::new("filter coefficients must be finite"))
            }
            _ => Ok(()),
        }
    }

    /// Its target, synapse, and the connection feeding it.
    fn check_probe(
        &self,
        k: usize,
        p: &ProbeSpec,
        connections: &[BuiltConnection],
    ) -> Result<(), NefError> {
        let fed: Vec<&BuiltConnection> = connections
            .iter()
            .filter(|c| c.post == Post::Probe(k))
            .collect();
        let source = match p.of {
            ProbeOf::Decoded(e) => Some((Pre::Ensemble(e), self.ensemble(e)?.dimensions)),
            ProbeOf::Node(n) if self.passthrough.get(n) == Some(&true) => {
                let width = self.node_dims[n];
                return match fed
                    .iter()
                    .find(|c| c.size_out() != width || c.filter.is_some() != p.synapse.is_some())
                {
                    Some(_) => Err(NefError::new(
                        "a path into it has another width or disagrees on the synapse",
                    )),
                    None => Ok(()),
                };
            }
            ProbeOf::Node(n) if n < self.node_dims.len() => Some((Pre::Node(n), self.node_dims[n])),
            ProbeOf::Node(n) => return Err(NefError::new(format!("no node {n}"))),
            ProbeOf::Spikes(e) | ProbeOf::Voltage(e) if p.synapse.is_some() => {
                self.ensemble(e)?;
                return Err(NefError::new("spikes and voltages are recorded unfiltered"));
            }
            ProbeOf::Spikes(e) | ProbeOf::Voltage(e) => self.ensemble(e).map(|_| None)?,
            ProbeOf::Connection(c) if c < connections.len() => None,
            ProbeOf::Connection(c) => return Err(NefError::new(format!("no connection {c}"))),
        };
        match (source, fed.as_slice()) {
            (None, []) => Ok(()),
            (None, _) => Err(NefError::new(
                "a connection ends on a probe that is not fed",
            )),
            (Some((pre, width)), [c])
                if c.pre == pre
                    && c.size_out() == width
                    && c.filter.is_some() == p.synapse.is_some() =>
            {
                Ok(())
            }
            (Some(_), [_]) => Err(NefError::new(
                "its connection comes from another source, has another width \
                 or disagrees on the synapse",
            )),
            (Some(_), _) => Err(NefError::new(format!(
                "{} connections feed it, it needs one",
                fed.len()
            ))),
        }
    }
}

#[cfg(test)]
mod tests;
