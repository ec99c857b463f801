//! What a neuron model declares about itself: its parameters (NEST name,
//! unit, default, valid range), its per-neuron state (name, unit, whether it
//! can be recorded or initialised, whether it is stored relative to a
//! parameter) and its receptors (what a weight means to each). The rest of
//! the simulator reads these tables; nothing outside `model/` knows which
//! model it is handling.

use super::ParamError;
use crate::spec::ParamMap;

/// The values a parameter may take.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Range {
    /// Any finite value.
    Any,
    /// > 0.
    Positive,
    /// >= 0.
    NonNegative,
    /// >= 0 and a whole number of steps (`dt`): durations counted in steps.
    Steps,
}

/// One model parameter.
#[derive(Clone, Copy, Debug)]
pub struct Param {
    /// NEST's name.
    pub name: &'static str,
    /// SONATA/NEST unit string (`mV`, `pA`, `nS`, `pF`, `ms`, `1`).
    pub unit: &'static str,
    /// NEST's default.
    pub default: f64,
    /// Valid values.
    pub range: Range,
    /// NEST's message when the value is out of range (empty: none).
    pub nest: &'static str,
}

impl Param {
    /// A parameter that takes any finite value.
    pub const fn any(name: &'static str, unit: &'static str, default: f64) -> Self {
        Self {
            name,
            unit,
            default,
            range: Range::Any,
            nest: "",
        }
    }

    /// A parameter restricted to `range`, with NEST's message `nest`.
    pub const fn ranged(
        name: &'static str,
        unit: &'static str,
        default: f64,
        range: Range,
        nest: &'static str,
    ) -> Self {
        Self {
            name,
            unit,
            default,
            range,
            nest,
        }
    }

    /// Checks `value` against the range (`dt` for `Steps`).
    pub fn check(&self, value: f64, dt: f64) -> Result<(), ParamError> {
        let fail = |what: String| {
            let nest = if self.nest.is_empty() {
                String::new()
            } else {
                format!(" (NEST: {})", self.nest)
            };
            Err(ParamError::new(self.name, format!("{what}{nest}")))
        };
        if !value.is_finite() {
            return fail(format!("must be finite, got {value}"));
        }
        match self.range {
            Range::Any => Ok(()),
            Range::Positive if value <= 0.0 => fail(format!("must be > 0, got {value}")),
            Range::NonNegative | Range::Steps if value < 0.0 => {
                fail(format!("must be >= 0, got {value}"))
            }
            Range::Steps => {
                let steps = value / dt;
                if (steps - steps.round()).abs() > 1e-9 * steps.max(1.0) {
                    fail(format!("must be a multiple of dt = {dt} ms, got {value}"))
                } else {
                    Ok(())
                }
            }
            _ => Ok(()),
        }
    }
}

/// One per-neuron state variable.
#[derive(Clone, Copy, Debug)]
pub struct StateVar {
    /// NEST's recordable name (`V_m` first in every model that has one).
    pub name: &'static str,
    /// SONATA unit string.
    pub unit: &'static str,
    /// Whether `record` and `initial` may name it (hidden counters may not,
    /// but checkpoints still save them: they are state).
    pub public: bool,
    /// Stored relative to this parameter (e.g. V_m relative to `E_L`): what
    /// is read or written is `stored + param`.
    pub relative_to: Option<&'static str>,
    /// Exists once per receptor: reading it needs the receptors' inputs kept
    /// apart (no lane merging).
    pub per_receptor: bool,
}

impl StateVar {
    /// A public variable stored as it is.
    pub const fn new(name: &'static str, unit: &'static str) -> Self {
        Self {
            name,
            unit,
            public: true,
            relative_to: None,
            per_receptor: false,
        }
    }

    /// A public variable stored relative to parameter `param`.
    pub const fn relative(name: &'static str, unit: &'static str, param: &'static str) -> Self {
        Self {
            relative_to: Some(param),
            ..Self::new(name, unit)
        }
    }

    /// A public variable that belongs to one receptor.
    pub const fn receptor(name: &'static str, unit: &'static str) -> Self {
        Self {
            per_receptor: true,
            ..Self::new(name, unit)
        }
    }

    /// A hidden variable (refractory counters and the like).
    pub const fn hidden(name: &'static str, unit: &'static str) -> Self {
        Self {
            public: false,
            ..Self::new(name, unit)
        }
    }
}

/// What the weight of a synapse onto a receptor is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReceptorKind {
    /// A current jump or amplitude (pA), of either sign.
    Current,
    /// A conductance increment (nS), >= 0: chosen by sign, the magnitude of
    /// the weight is used (NEST's convention); named, a negative weight is
    /// bad input.
    Conductance,
    /// A jump of the membrane potential (mV), of either sign.
    Voltage,
    /// Each arriving event counts 1 whatever its weight (NEST's
    /// `parrot_neuron`).
    Count,
    /// A dimensionless input of either sign, added to the neuron's input
    /// current as it is (Nengo's neurons, whose currents have no unit).
    Dimensionless,
}

impl ReceptorKind {
    /// The unit of a weight onto this kind of receptor.
    pub fn weight_unit(self) -> &'static str {
        match self {
            ReceptorKind::Current => "pA",
            ReceptorKind::Conductance => "nS",
            ReceptorKind::Voltage => "mV",
            ReceptorKind::Count | ReceptorKind::Dimensionless => "1",
        }
    }
}

/// One input port of a model.
#[derive(Clone, Copy, Debug)]
pub struct ReceptorDecl {
    /// The name a projection's `receptor` uses.
    pub name: &'static str,
    /// What its weights are.
    pub kind: ReceptorKind,
}

impl ReceptorDecl {
    /// A receptor called `name` of kind `kind`.
    pub const fn new(name: &'static str, kind: ReceptorKind) -> Self {
        Self { name, kind }
    }
}

/// `given` completed with the defaults of `params`; an unknown name is an
/// error (values are checked by `Param::check`).
pub fn complete(model: &str, params: &[Param], given: &ParamMap) -> Result<ParamMap, ParamError> {
    for name in given.keys() {
        if !params.iter().chain(ARCHIVING).any(|p| p.name == name) {
            let known: Vec<&str> = params.iter().map(|p| p.name).collect();
            return Err(ParamError::new(
                name,
                format!(
                    "unknown parameter of model {model} (known: {})",
                    known.join(", ")
                ),
            ));
        }
    }
    let archiving = ARCHIVING
        .iter()
        .filter_map(|p| given.get(p.name).map(|&v| (p.name.to_string(), v)));
    Ok(params
        .iter()
        .map(|p| {
            (
                p.name.to_string(),
                given.get(p.name).copied().unwrap_or(p.default),
            )
        })
        .chain(archiving)
        .collect())
}

/// Parameters every model takes besides its own, as every NEST neuron that
/// can be the target of a spike-timing-dependent synapse (an "archiving
/// node") does: kept in the population's parameters only when given, read
/// by the plastic synapses onto it (`plastic`).
pub const ARCHIVING: &[Param] = &[Param::ranged(
    "tau_minus",
    "ms",
    20.0,
    Range::Positive,
    "Tau_minus must be > 0.",
)];
