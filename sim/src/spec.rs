//! The validated network specification: what the network *is*.
//!
//! A `NetworkSpec` can only be obtained through validation (see `io::config`),
//! so every value here is already checked: sizes > 0, times on the grid, delays
//! at least dt, parameters finite and in range. Units are NEST's: ms, mV, pA, pF, Hz.
//! gids are assigned population by population in file order, starting at 0.

use std::collections::BTreeMap;

/// Parameter values by NEST name (e.g. `tau_m`), as given in the config.
pub type ParamMap = BTreeMap<String, f64>;

#[derive(Clone, Debug, PartialEq)]
pub struct SimulationSpec {
    /// Integration step (ms).
    pub dt: f64,
    /// End of the simulation (ms); the run covers [0, t_stop).
    pub t_stop: f64,
    /// Master seed (Philox key word 0).
    pub seed: u32,
    /// Threads requested in the config (the CLI may override).
    pub threads: Option<usize>,
    /// Neurons per chunk, the unit of placement and of threading.
    pub chunk_size: usize,
}

impl SimulationSpec {
    /// Number of whole steps in [0, t_stop).
    pub fn n_steps(&self) -> u64 {
        (self.t_stop / self.dt).round() as u64
    }
    /// A time in ms rounded to the step grid.
    pub fn steps(&self, t_ms: f64) -> u64 {
        (t_ms / self.dt).round() as u64
    }
}

/// An initial value of a state variable, per neuron.
#[derive(Clone, Debug, PartialEq)]
pub enum InitialValue {
    Constant(f64),
    Uniform { low: f64, high: f64 },
    Normal { mean: f64, std: f64 },
}

#[derive(Clone, Debug, PartialEq)]
pub struct PopulationSpec {
    pub name: String,
    pub size: u32,
    /// First gid of the population; gids are first_gid..first_gid+size.
    pub first_gid: u32,
    /// Registered model name (see `model::registry`).
    pub model: String,
    /// Model parameters (NEST names), already checked by the model.
    pub params: ParamMap,
    /// Initial values by state-variable name (checked against the model).
    pub initial: BTreeMap<String, InitialValue>,
    /// Expected firing rate (Hz), used by partitioners only.
    pub expected_rate: Option<f64>,
}

impl PopulationSpec {
    pub fn gids(&self) -> std::ops::Range<u32> {
        self.first_gid..self.first_gid + self.size
    }
}

/// How sources and targets are paired (NEST's `conn_spec` rules).
#[derive(Clone, Debug, PartialEq)]
pub enum ConnRule {
    AllToAll,
    OneToOne,
    FixedIndegree { indegree: u64 },
    FixedOutdegree { outdegree: u64 },
    FixedTotalNumber { n: u64 },
    PairwiseBernoulli { p: f64 },
}

/// A value drawn per synapse. Weights are redrawn until they keep the sign of
/// the distribution's location; delays are redrawn until >= dt (see `dist`).
#[derive(Clone, Debug, PartialEq)]
pub enum Distribution {
    Constant(f64),
    Normal { mean: f64, std: f64 },
    Uniform { low: f64, high: f64 },
    Lognormal { mu: f64, sigma: f64 },
}

/// Which input port of the target model a synapse drives.
#[derive(Clone, Debug, PartialEq)]
pub enum Receptor {
    /// NEST's convention for `iaf_psc_*`: weight >= 0 excitatory, < 0 inhibitory.
    BySign,
    /// Index into the target model's receptor list.
    Index(usize),
}

#[derive(Clone, Debug, PartialEq)]
pub struct ProjectionSpec {
    /// Population indices.
    pub source: usize,
    pub target: usize,
    pub rule: ConnRule,
    pub allow_autapses: bool,
    pub allow_multapses: bool,
    /// pA.
    pub weight: Distribution,
    /// ms.
    pub delay: Distribution,
    pub receptor: Receptor,
}

#[derive(Clone, Debug, PartialEq)]
pub enum StimulusKind {
    /// An independent Poisson train per target neuron (as NEST's poisson_generator).
    PoissonGenerator { rate: f64, weight: f64, delay: f64 },
    /// Constant current (pA) during [start, stop) ms.
    DcGenerator {
        amplitude: f64,
        start: f64,
        stop: f64,
    },
    /// Spikes at the given times (ms, on the grid), the same to every target.
    SpikeGenerator {
        spike_times: Vec<f64>,
        weight: f64,
        delay: f64,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct StimulusSpec {
    pub kind: StimulusKind,
    /// Population index.
    pub target: usize,
    /// Node ids within the population (0-based); `None` = all.
    pub node_ids: Option<Vec<u32>>,
    pub receptor: Receptor,
}

#[derive(Clone, Debug, PartialEq)]
pub enum RecordSpec {
    Spikes {
        /// Population indices.
        populations: Vec<usize>,
        /// When given, only these global gids (sorted, unique, inside
        /// `populations`) are recorded.
        gids: Option<Vec<u32>>,
    },
    State {
        /// Report name: files are `<name>_<variable>.h5`.
        name: String,
        population: usize,
        variables: Vec<String>,
        /// Node ids within the population (0-based), sorted, unique.
        node_ids: Vec<u32>,
        /// Sampling interval (ms, a whole number of steps).
        interval: f64,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct NetworkSpec {
    pub simulation: SimulationSpec,
    pub populations: Vec<PopulationSpec>,
    pub projections: Vec<ProjectionSpec>,
    pub stimuli: Vec<StimulusSpec>,
    pub records: Vec<RecordSpec>,
}

impl NetworkSpec {
    pub fn n_neurons(&self) -> u64 {
        self.populations.iter().map(|p| u64::from(p.size)).sum()
    }
    /// Population index of a gid.
    pub fn population_of(&self, gid: u32) -> usize {
        self.populations
            .partition_point(|p| p.first_gid + p.size <= gid)
    }
}

#[cfg(test)]
pub(crate) mod test_specs;
