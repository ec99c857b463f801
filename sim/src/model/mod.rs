//! Neuron models: one small trait, one file per model, one registry line each.
//!
//! A model instance holds the state of one *chunk* of neurons as
//! structure-of-arrays, so the per-step call costs one dynamic dispatch per chunk,
//! not per neuron. Adding a model = a new file exporting a `ModelInfo` plus one
//! entry in `MODELS`.

use crate::spec::ParamMap;

pub mod alif;
pub mod iaf_psc_exp;
mod propagators;

/// The state of a chunk of neurons of one model, advanced one step at a time.
pub trait NeuronModel: Send {
    /// Advance all neurons by one step.
    ///
    /// `input` is `[lane][neuron]` (lanes as given to `build`: one per
    /// receptor, or one for all): the summed weights (pA) of the events
    /// arriving at the end of this step. `i_stim` is the external current (pA)
    /// held constant during the step. Indices of neurons that crossed threshold
    /// are appended to `spiked` in increasing order.
    fn update(&mut self, input: &[f64], i_stim: &[f64], spiked: &mut Vec<u32>);
    /// Value of state variable `var` (index into `ModelInfo::state_vars`) of neuron `i`.
    fn get(&self, var: usize, i: usize) -> f64;
    /// Set state variable `var` of neuron `i` (used for initial values).
    fn set(&mut self, var: usize, i: usize, value: f64);
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

/// What the rest of the simulator knows about a model.
pub struct ModelInfo {
    /// NEST-style model name used in configs.
    pub name: &'static str,
    /// Receptor names; synapses address them by index.
    pub receptors: &'static [&'static str],
    /// State variables that can be recorded and initialised. `V_m` first.
    pub state_vars: &'static [&'static str],
    /// The unit of each state variable, in the order of `state_vars` (SONATA
    /// unit strings: `mV`, `pA`, `nS`, `1` for dimensionless).
    pub state_units: &'static [&'static str],
    /// Parameter names with their NEST defaults.
    pub defaults: &'static [(&'static str, f64)],
    /// Check a parameter set (already merged with defaults).
    pub check: fn(&ParamMap, dt: f64) -> Result<(), ParamError>,
    /// A chunk of `n` neurons at the default initial state whose input comes
    /// in `lanes` lanes: `receptors.len()`, or 1 when `merge_receptors` holds
    /// and no `receptor_vars` is recorded or initialised.
    pub build: fn(&ParamMap, dt: f64, n: usize, lanes: usize) -> Box<dyn NeuronModel>,
    /// True when every receptor's input feeds dynamics that are the same
    /// linear filter (e.g. equal synaptic time constants): then their events
    /// can share one ring lane, halving the ring. The model must integrate
    /// the summed input the same way whether it comes in one lane or in one
    /// per receptor, so that recording a receptor variable (which needs the
    /// lanes apart) never changes the results.
    pub merge_receptors: fn(&ParamMap) -> bool,
    /// State variables that exist per receptor (need one lane per receptor).
    pub receptor_vars: &'static [&'static str],
    /// Bytes of state per neuron (for the memory estimate).
    pub bytes_per_neuron: usize,
}

impl ModelInfo {
    /// `params` completed with the model's defaults; unknown names are an error.
    pub fn with_defaults(&self, params: &ParamMap) -> Result<ParamMap, ParamError> {
        for name in params.keys() {
            if !self.defaults.iter().any(|(d, _)| d == name) {
                let known: Vec<&str> = self.defaults.iter().map(|(d, _)| *d).collect();
                return Err(ParamError::new(
                    name,
                    format!(
                        "unknown parameter of model {} (known: {})",
                        self.name,
                        known.join(", ")
                    ),
                ));
            }
        }
        let mut full: ParamMap = self
            .defaults
            .iter()
            .map(|(k, v)| (k.to_string(), *v))
            .collect();
        full.extend(params.iter().map(|(k, v)| (k.clone(), *v)));
        Ok(full)
    }

    /// Index of state variable `var` in `state_vars`.
    pub fn state_index(&self, var: &str) -> Option<usize> {
        self.state_vars.iter().position(|v| *v == var)
    }

    /// The declared unit of state variable `var`.
    pub fn unit_of(&self, var: &str) -> Option<&'static str> {
        self.state_index(var).map(|i| self.state_units[i])
    }

    /// Index of receptor `name` in `receptors`.
    pub fn receptor_index(&self, name: &str) -> Option<usize> {
        self.receptors.iter().position(|r| *r == name)
    }

    /// Input lanes of a population with `params` whose recorded or
    /// initialised state variables are `vars` (see `build`).
    pub fn lanes<'a>(&self, params: &ParamMap, mut vars: impl Iterator<Item = &'a str>) -> usize {
        if (self.merge_receptors)(params) && !vars.any(|v| self.receptor_vars.contains(&v)) {
            1
        } else {
            self.receptors.len()
        }
    }
}

/// The registry: every model the simulator can host.
pub static MODELS: &[&ModelInfo] = &[&iaf_psc_exp::INFO, &alif::INFO];

/// The registered model called `name`.
pub fn lookup(name: &str) -> Option<&'static ModelInfo> {
    MODELS.iter().copied().find(|m| m.name == name)
}

/// The names of all registered models, in registry order.
pub fn model_names() -> Vec<&'static str> {
    MODELS.iter().map(|m| m.name).collect()
}

/// Checks shared by the leaky integrate-and-fire family (NEST's messages).
pub(crate) fn check_lif(p: &ParamMap, dt: f64) -> Result<(), ParamError> {
    for (name, v) in p {
        if !v.is_finite() {
            return Err(ParamError::new(name, format!("must be finite, got {v}")));
        }
    }
    for name in ["C_m", "tau_m", "tau_syn_ex", "tau_syn_in"] {
        if p[name] <= 0.0 {
            return Err(ParamError::new(
                name,
                format!("must be > 0, got {}", p[name]),
            ));
        }
    }
    if p["t_ref"] < 0.0 {
        return Err(ParamError::new(
            "t_ref",
            format!("must be >= 0, got {}", p["t_ref"]),
        ));
    }
    let steps = p["t_ref"] / dt;
    if (steps - steps.round()).abs() > 1e-9 * steps.max(1.0) {
        return Err(ParamError::new(
            "t_ref",
            format!("must be a multiple of dt = {dt} ms"),
        ));
    }
    if p["V_reset"] >= p["V_th"] {
        return Err(ParamError::new(
            "V_reset",
            format!("must be < V_th ({} >= {})", p["V_reset"], p["V_th"]),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_variable_declares_a_unit() {
        for m in MODELS {
            assert_eq!(m.state_vars.len(), m.state_units.len(), "{}", m.name);
            assert_eq!(m.unit_of("V_m"), Some("mV"), "{}", m.name);
            assert!(m.state_units.iter().all(|u| !u.is_empty()), "{}", m.name);
        }
        assert_eq!(lookup("alif").unwrap().unit_of("a"), Some("1"));
        assert_eq!(
            lookup("iaf_psc_exp").unwrap().unit_of("I_syn_in"),
            Some("pA")
        );
    }
}
