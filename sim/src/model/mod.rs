//! Neuron models: one small trait, one file per model, one registry line each.
//!
//! A model instance holds the state of one *chunk* of neurons as
//! structure-of-arrays, so the per-step call costs one dynamic dispatch per chunk,
//! not per neuron. Adding a model = a new file exporting a `ModelInfo` plus one
//! entry in `MODELS`.

use crate::spec::{ParamMap, Receptor};

pub mod aeif_cond_exp;
pub mod alif;
pub mod decl;
pub mod dynamics;
pub mod iaf_cond_exp;
pub mod iaf_psc_alpha;
pub mod iaf_psc_delta;
pub mod iaf_psc_exp;
pub mod izhikevich;
pub mod lif;
pub mod nengo_lif;
pub mod parrot_neuron;
mod propagators;
pub mod rkf45;
pub mod soa;

pub use decl::{Param, Range, ReceptorDecl, ReceptorKind, StateVar};
pub use dynamics::Dynamics;

/// The state of a chunk of neurons of one model, advanced one step at a time.
pub trait NeuronModel: Send + Sync {
    /// Advance all neurons by one step.
    ///
    /// `input` is `[lane][neuron]` (lanes as given to `build`: one per
    /// receptor, or one for all): the summed weights (pA) of the events
    /// arriving at the end of this step, in the receptors' units. `i_stim` is
    /// the external current (pA) held constant during the step. Indices of
    /// neurons that spiked are appended to `spiked` in increasing order (once
    /// per spike).
    fn update(&mut self, input: &[f64], i_stim: &[f64], spiked: &mut Vec<u32>);
    /// Value of state variable `var` (index into `ModelInfo::state`) of neuron
    /// `i`, in its unit (e.g. V_m in mV, not relative to E_L).
    fn get(&self, var: usize, i: usize) -> f64;
    /// Sets state variable `var` of neuron `i` (an initial value) and
    /// re-derives the hidden state that depends on it.
    fn set(&mut self, var: usize, i: usize, value: f64);
    /// The stored value of variable `var` of neuron `i`, bits as they are
    /// (what a checkpoint saves; `restore` puts it back).
    fn raw(&self, var: usize, i: usize) -> f64;
    /// Puts back a value `raw` returned; with every variable of every neuron
    /// restored, the chunk continues bit for bit as the saved one would.
    fn restore(&mut self, var: usize, i: usize, raw: f64);
}

/// A parameter the model refuses: its NEST name and why.
#[derive(Clone, Debug, PartialEq)]
pub struct ParamError {
    /// The parameter's NEST name.
    pub param: String,
    /// What is wrong with it.
    pub message: String,
}

impl ParamError {
    /// An error about parameter `param`.
    pub fn new(param: &str, message: impl Into<String>) -> Self {
        Self {
            param: param.to_string(),
            message: message.into(),
        }
    }
}

/// What the rest of the simulator knows about a model, made from its
/// `Dynamics` declarations by `ModelInfo::of`.
pub struct ModelInfo {
    /// NEST-style model name used in configs.
    pub name: &'static str,
    /// Parameters with units, defaults and ranges.
    pub params: &'static [Param],
    /// Every state variable (hidden ones too), in storage order.
    pub state: &'static [StateVar],
    /// Receptors; synapses address them by index.
    pub receptors: &'static [ReceptorDecl],
    /// Receptors (excitatory, inhibitory) chosen by a weight's sign.
    pub by_sign: Option<(u8, u8)>,
    cross_check: fn(&ParamMap, dt: f64) -> Result<(), ParamError>,
    /// A chunk of `n` neurons at rest whose input comes in `lanes` lanes:
    /// `receptors.len()`, or 1 when `lanes` says so.
    pub build: fn(&ParamMap, dt: f64, n: usize, lanes: usize) -> Box<dyn NeuronModel>,
    merges: fn(&ParamMap) -> bool,
    /// Bytes of state per neuron (for the memory estimate).
    pub bytes_per_neuron: usize,
}

fn build_soa<M: Dynamics>(p: &ParamMap, dt: f64, n: usize, lanes: usize) -> Box<dyn NeuronModel> {
    Box::new(soa::Soa::<M>::new(p, dt, n, lanes))
}

impl ModelInfo {
    /// The description of model `M`.
    pub const fn of<M: Dynamics>() -> Self {
        Self {
            name: M::NAME,
            params: M::PARAMS,
            state: M::STATE,
            receptors: M::RECEPTORS,
            by_sign: M::BY_SIGN,
            cross_check: M::check,
            build: build_soa::<M>,
            merges: M::merges,
            // The state columns and the spike-count scratch.
            bytes_per_neuron: std::mem::size_of::<M::State>() + 1,
        }
    }

    /// `params` completed with the model's defaults; unknown names are an
    /// error (values are checked by `check`).
    pub fn with_defaults(&self, params: &ParamMap) -> Result<ParamMap, ParamError> {
        decl::complete(self.name, self.params, params)
    }

    /// Checks a complete parameter set: ranges, then the model's own checks.
    pub fn check(&self, p: &ParamMap, dt: f64) -> Result<(), ParamError> {
        for d in self.params {
            d.check(p[d.name], dt)?;
        }
        for d in decl::ARCHIVING {
            if let Some(&v) = p.get(d.name) {
                d.check(v, dt)?;
            }
        }
        (self.cross_check)(p, dt)
    }

    /// Index of state variable `var` (hidden ones included).
    pub fn state_index(&self, var: &str) -> Option<usize> {
        self.state.iter().position(|v| v.name == var)
    }

    /// Index of a state variable `record` and `initial` may name.
    pub fn public_index(&self, var: &str) -> Option<usize> {
        self.state_index(var).filter(|&i| self.state[i].public)
    }

    /// Names of the variables `record` and `initial` may name.
    pub fn public_names(&self) -> Vec<&'static str> {
        self.state
            .iter()
            .filter(|v| v.public)
            .map(|v| v.name)
            .collect()
    }

    /// The declared unit of state variable `var`.
    pub fn unit_of(&self, var: &str) -> Option<&'static str> {
        self.state_index(var).map(|i| self.state[i].unit)
    }

    /// Index of receptor `name` in `receptors`.
    pub fn receptor_index(&self, name: &str) -> Option<usize> {
        self.receptors.iter().position(|r| r.name == name)
    }

    /// Names of the receptors.
    pub fn receptor_names(&self) -> Vec<&'static str> {
        self.receptors.iter().map(|r| r.name).collect()
    }

    /// The receptor a weight `w` addressed by `r` drives, and the weight as
    /// that receptor takes it (a conductance chosen by sign takes |w|; an
    /// event counter takes 1).
    pub fn route(&self, r: &Receptor, w: f64) -> (usize, f64) {
        self.router(r).route(w)
    }

    /// `route` for receptor choice `r`, decided once (connection generation
    /// calls it for every synapse).
    pub fn router(&self, r: &Receptor) -> Router {
        let kind = |i: usize| self.receptors.get(i).map(|d| d.kind);
        let (pos, neg) = match (r, self.by_sign) {
            (Receptor::Index(i), _) => (*i, *i),
            (Receptor::BySign, Some((ex, inh))) => (usize::from(ex), usize::from(inh)),
            (Receptor::BySign, None) => (0, 0),
        };
        let take = |k: Option<ReceptorKind>| match k {
            Some(ReceptorKind::Conductance) => Take::Magnitude,
            Some(ReceptorKind::Count) => Take::One,
            _ => Take::AsIs,
        };
        Router {
            pos: (pos, take(kind(pos))),
            neg: (neg, take(kind(neg))),
        }
    }

    /// Input lanes of a population with `params` whose recorded or
    /// initialised state variables are `vars`: 1 when the model merges its
    /// receptors for these parameters and no per-receptor variable is used.
    pub fn lanes<'a>(&self, params: &ParamMap, mut vars: impl Iterator<Item = &'a str>) -> usize {
        let per_receptor = |v: &str| self.state.iter().any(|s| s.name == v && s.per_receptor);
        if self.receptors.len() > 1 && (self.merges)(params) && !vars.any(per_receptor) {
            1
        } else {
            self.receptors.len()
        }
    }
}

/// How a receptor takes a weight.
#[derive(Clone, Copy, Debug)]
enum Take {
    AsIs,
    Magnitude,
    One,
}

/// Where weights of one projection or device go: the receptor (and how it
/// takes the weight) for weights >= 0 and for weights < 0.
#[derive(Clone, Copy, Debug)]
pub struct Router {
    pos: (usize, Take),
    neg: (usize, Take),
}

impl Router {
    /// The receptor weight `w` drives and the weight it takes.
    #[inline]
    pub fn route(&self, w: f64) -> (usize, f64) {
        let (index, take) = if w < 0.0 { self.neg } else { self.pos };
        let w = match take {
            Take::AsIs => w,
            Take::Magnitude => w.abs(),
            Take::One => 1.0,
        };
        (index, w)
    }
}

/// The registry: every model the simulator can host.
pub static MODELS: &[&ModelInfo] = &[
    &iaf_psc_exp::INFO,
    &alif::INFO,
    &iaf_psc_alpha::INFO,
    &iaf_psc_delta::INFO,
    &izhikevich::INFO,
    &parrot_neuron::INFO,
    &iaf_cond_exp::INFO,
    &aeif_cond_exp::INFO,
    &nengo_lif::INFO,
];

/// The registered model called `name`.
pub fn lookup(name: &str) -> Option<&'static ModelInfo> {
    MODELS.iter().copied().find(|m| m.name == name)
}

/// The names of all registered models, in registry order.
pub fn model_names() -> Vec<&'static str> {
    MODELS.iter().map(|m| m.name).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_variable_declares_a_unit() {
        for m in MODELS {
            assert!(m.state.len() <= soa::MAX_STATE, "{}", m.name);
            assert!(m.receptors.len() <= soa::MAX_RECEPTORS, "{}", m.name);
            if m.state_index("V_m").is_some() {
                assert_eq!(m.unit_of("V_m"), Some("mV"), "{}", m.name);
            }
            assert!(m.state.iter().all(|v| !v.unit.is_empty()), "{}", m.name);
        }
        assert_eq!(lookup("alif").unwrap().unit_of("a"), Some("1"));
        assert_eq!(
            lookup("iaf_psc_exp").unwrap().unit_of("I_syn_in"),
            Some("pA")
        );
    }
}
