//! The validated network specification: what the network *is*.
//!
//! A `NetworkSpec` can only be obtained through validation (see `io::config`),
//! so every value here is already checked: sizes > 0, times on the grid, delays
//! at least dt, parameters finite and in range. Units are NEST's: ms, mV, pA, pF, Hz.
//! gids are assigned population by population in file order, starting at 0.

use std::collections::BTreeMap;

/// Parameter values by NEST name (e.g. `tau_m`), as given in the config.
pub type ParamMap = BTreeMap<String, f64>;

/// The `[simulation]` table: time grid, seed, threads and chunk size.
#[derive(Clone, Debug, PartialEq)]
pub struct SimulationSpec {
    /// Integration step (ms).
    pub dt: f64,
    /// End of the simulation (ms); the run covers [0, t_stop).
    pub t_stop: f64,
    /// Master seed (Philox key word 0, see `rng::Stream`).
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
    /// The same value for every neuron.
    Constant(f64),
    /// Uniform on [low, high).
    Uniform {
        /// Lower bound.
        low: f64,
        /// Upper bound.
        high: f64,
    },
    /// Normal with mean and standard deviation.
    Normal {
        /// Mean.
        mean: f64,
        /// Standard deviation.
        std: f64,
    },
}

/// One `[[population]]`: neurons of one model with their parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct PopulationSpec {
    /// Unique name (`[A-Za-z0-9_]`, an HDF5 group name in the outputs).
    pub name: String,
    /// Number of neurons (after `scale`), > 0.
    pub size: u32,
    /// First gid of the population; gids are first_gid..first_gid+size.
    pub first_gid: u32,
    /// Registered model name (see `model::MODELS`, `model::lookup`).
    pub model: String,
    /// Model parameters (NEST names), already checked by the model.
    pub params: ParamMap,
    /// Initial values by state-variable name (checked against the model).
    pub initial: BTreeMap<String, InitialValue>,
    /// Expected firing rate (Hz), used by partitioners only.
    pub expected_rate: Option<f64>,
}

impl PopulationSpec {
    /// The population's gids, `first_gid..first_gid + size`.
    pub fn gids(&self) -> std::ops::Range<u32> {
        self.first_gid..self.first_gid + self.size
    }
}

/// How sources and targets are paired (NEST's `conn_spec` rules).
#[derive(Clone, Debug, PartialEq)]
pub enum ConnRule {
    /// Every source onto every target.
    AllToAll,
    /// Source i onto target i (equal sizes).
    OneToOne,
    /// Each target gets exactly `indegree` sources.
    FixedIndegree {
        /// Synapses per target.
        indegree: u64,
    },
    /// Each source gets exactly `outdegree` targets.
    FixedOutdegree {
        /// Synapses per source.
        outdegree: u64,
    },
    /// Exactly `n` synapses in the whole projection.
    FixedTotalNumber {
        /// Total synapses (after `scale`).
        n: u64,
    },
    /// Each (source, target) pair independently with probability `p`.
    PairwiseBernoulli {
        /// Connection probability, in [0, 1].
        p: f64,
    },
}

/// A value drawn per synapse. Weights are redrawn until they keep the sign of
/// the distribution's location; delays are redrawn until >= dt (see `dist`).
#[derive(Clone, Debug, PartialEq)]
pub enum Distribution {
    /// The same value for every synapse (draws no random number).
    Constant(f64),
    /// Normal with mean and standard deviation.
    Normal {
        /// Mean.
        mean: f64,
        /// Standard deviation.
        std: f64,
    },
    /// Uniform on [low, high).
    Uniform {
        /// Lower bound.
        low: f64,
        /// Upper bound.
        high: f64,
    },
    /// exp(mu + sigma * N(0, 1)).
    Lognormal {
        /// Mean of the underlying normal.
        mu: f64,
        /// Standard deviation of the underlying normal.
        sigma: f64,
    },
}

/// Which input port of the target model a synapse drives.
#[derive(Clone, Debug, PartialEq)]
pub enum Receptor {
    /// NEST's convention for `iaf_psc_*`: weight >= 0 excitatory, < 0 inhibitory.
    BySign,
    /// Index into the target model's receptor list.
    Index(usize),
}

/// One `[[projection]]`: synapses from one population onto another.
#[derive(Clone, Debug, PartialEq)]
pub struct ProjectionSpec {
    /// Source population index.
    pub source: usize,
    /// Target population index.
    pub target: usize,
    /// How sources and targets are paired.
    pub rule: ConnRule,
    /// Whether a neuron may connect to itself (source == target population).
    pub allow_autapses: bool,
    /// Whether a (source, target) pair may get more than one synapse.
    pub allow_multapses: bool,
    /// pA.
    pub weight: Distribution,
    /// ms.
    pub delay: Distribution,
    /// The target model's input port.
    pub receptor: Receptor,
    /// Plasticity (`synapse_model`); None: static synapses.
    pub plastic: Option<PlasticSpec>,
    /// Synapses regenerated from the RNG at each spike instead of stored
    /// (`connect::procedural`); never with `FixedIndegree` or `plastic`.
    pub procedural: bool,
    /// Initial weights read from a weights file (`weights_from`); only
    /// with `plastic`.
    pub weights_from: Option<LoadedWeights>,
}

/// The initial weights of a plastic projection, read from a weights file
/// (`weights_from`; `plastic::loaded` matches them to the generated
/// synapses): one edge per synapse, in the canonical order of weight
/// files — by source gid, then target gid, then the synapse's place in its
/// source's row.
#[derive(Clone, PartialEq, Default)]
pub struct LoadedWeights {
    /// The file (absolute path once read), for messages.
    pub file: String,
    /// (source gid, target gid, delay steps, weight), canonical order.
    pub edges: std::sync::Arc<Vec<(u32, u32, u32, f64)>>,
}

impl std::fmt::Debug for LoadedWeights {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "LoadedWeights({:?}, {} edges)",
            self.file,
            self.edges.len()
        )
    }
}

/// A plastic projection's rule and the initial state of its rows (the
/// values NEST keeps per synapse that depend only on the source's spikes).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PlasticSpec {
    /// The rule with its parameters.
    pub rule: crate::plastic::Rule,
    /// Initial pre-synaptic trace (`Kplus`, STDP rules).
    pub kplus: f64,
    /// Initial utilisation (`u`, tsodyks2).
    pub u: f64,
    /// Initial resources (`x`, tsodyks2).
    pub x: f64,
}

/// What a stimulus device does, with its parameters.
#[derive(Clone, Debug, PartialEq)]
pub enum StimulusKind {
    /// An independent Poisson train per target neuron (as NEST's poisson_generator).
    PoissonGenerator {
        /// Rate per target (Hz).
        rate: f64,
        /// Weight of each event (pA).
        weight: f64,
        /// Delay from emission to arrival (ms).
        delay: f64,
    },
    /// Constant current (pA) during [start, stop) ms.
    DcGenerator {
        /// Current (pA).
        amplitude: f64,
        /// Start (ms).
        start: f64,
        /// Stop (ms).
        stop: f64,
    },
    /// Spikes at the given times (ms, on the grid), the same to every target.
    SpikeGenerator {
        /// Spike times (ms), sorted.
        spike_times: Vec<f64>,
        /// Weight of each event (pA).
        weight: f64,
        /// Delay from spike to arrival (ms).
        delay: f64,
    },
    /// An independent Poisson train per target whose rate is piecewise
    /// constant (NEST's inhomogeneous_poisson_generator): `rate_values[k]`
    /// from `rate_times[k]` on, 0 before the first time. Rate k drives the
    /// spikes stamped in \[rate_times\[k\], rate_times\[k + 1\]).
    InhomogeneousPoissonGenerator {
        /// Times of the rate changes (ms, on the grid, >= 0, strictly increasing).
        rate_times: Vec<f64>,
        /// Rate from each time on (Hz, >= 0).
        rate_values: Vec<f64>,
        /// Weight of each event (pA).
        weight: f64,
        /// Delay from emission to arrival (ms).
        delay: f64,
    },
    /// A piecewise constant current (NEST's step_current_generator):
    /// `amplitude_values[k]` from `amplitude_times[k] + delay` on, 0 before.
    StepCurrentGenerator {
        /// Times of the amplitude changes (ms, on the grid, >= 0, strictly increasing).
        amplitude_times: Vec<f64>,
        /// Current from each time on (pA).
        amplitude_values: Vec<f64>,
        /// Delay from the generator to the membrane (ms), as NEST's connection delay.
        delay: f64,
    },
    /// A spike_generator replaying a SONATA spikes file: each node id of the
    /// file's population gets its own train (the spec's `node_ids` are the
    /// node ids with spikes, in the same order as `trains`).
    SpikeTrains {
        /// The file the trains were read from (as resolved by the config reader).
        file: String,
        /// The population of the file that was read.
        population: String,
        /// Per target node id (within the target population), its spike
        /// times (ms, on the grid, sorted); node ids ascending.
        trains: Vec<(u32, Vec<f64>)>,
        /// Weight of each event (pA).
        weight: f64,
        /// Delay from spike to arrival (ms).
        delay: f64,
    },
    /// Rate coding: target k reads component c(k) of the table's vector in
    /// effect and fires Poisson spikes at max(0, gain * x + offset) Hz
    /// (stamped in \[times\[j\], times\[j + 1\]) for vector j; none before the first).
    RateEncoder {
        /// The input vectors over time and the component of each target.
        table: InputTable,
        /// Hz per unit of x.
        gain: f64,
        /// Hz.
        offset: f64,
        /// Weight of each event (pA).
        weight: f64,
        /// Delay from emission to arrival (ms).
        delay: f64,
    },
    /// Latency coding: at each table time t_j, target k fires one spike at
    /// t_j + tau * ln(x / (x - threshold)) (rounded to the nearest step) if
    /// its component x exceeds `threshold`, none otherwise, and none that
    /// would fall at or after the next table time.
    LatencyEncoder {
        /// The input vectors over time and the component of each target.
        table: InputTable,
        /// Time constant (ms, > 0).
        tau: f64,
        /// Threshold (>= 0, in the units of x).
        threshold: f64,
        /// Weight of each event (pA).
        weight: f64,
        /// Delay from spike to arrival (ms).
        delay: f64,
    },
}

/// One `[[stimulus]]`: a device and the neurons it drives.
#[derive(Clone, Debug, PartialEq)]
pub struct StimulusSpec {
    /// The device and its parameters.
    pub kind: StimulusKind,
    /// Population index.
    pub target: usize,
    /// Node ids within the population (0-based); `None` = all.
    pub node_ids: Option<Vec<u32>>,
    /// The target model's input port.
    pub receptor: Receptor,
}

/// One `[[record]]`: what the run writes.
#[derive(Clone, Debug, PartialEq)]
pub enum RecordSpec {
    /// Spikes of some populations (at most one such record).
    Spikes {
        /// Population indices.
        populations: Vec<usize>,
        /// When given, only these global gids (sorted, unique, inside
        /// `populations`) are recorded.
        gids: Option<Vec<u32>>,
    },
    /// State variables of some neurons of one population, sampled.
    State {
        /// Report name: files are `<name>_<variable>.h5`.
        name: String,
        /// Population index.
        population: usize,
        /// State-variable names of the population's model.
        variables: Vec<String>,
        /// Node ids within the population (0-based), sorted, unique.
        node_ids: Vec<u32>,
        /// Sampling interval (ms, a whole number of steps).
        interval: f64,
    },
}

/// The whole validated network: what `io::config` produces and everything
/// else consumes.
#[derive(Clone, Debug, PartialEq)]
pub struct NetworkSpec {
    /// The `[simulation]` table.
    pub simulation: SimulationSpec,
    /// Populations in file order (gids assigned in this order).
    pub populations: Vec<PopulationSpec>,
    /// Projections in file order (the index keys their random streams).
    pub projections: Vec<ProjectionSpec>,
    /// Stimulus devices in file order (the index keys their random streams).
    pub stimuli: Vec<StimulusSpec>,
    /// Records in file order.
    pub records: Vec<RecordSpec>,
}

impl NetworkSpec {
    /// Number of neurons of the network (all populations).
    pub fn n_neurons(&self) -> u64 {
        self.populations.iter().map(|p| u64::from(p.size)).sum()
    }
    /// Population index of a gid.
    pub fn population_of(&self, gid: u32) -> usize {
        self.populations
            .partition_point(|p| p.first_gid + p.size <= gid)
    }
}

mod input_table;
pub use input_table::InputTable;

#[cfg(test)]
pub(crate) mod test_specs;
