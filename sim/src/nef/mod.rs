//! The Neural Engineering Framework's build-time half, as Nengo 4 does it:
//! an ensemble's parameters (`ensemble`: encoders, max rates, intercepts,
//! gains and biases, eval points, initial voltages, with Nengo's defaults
//! and distributions, `dists`), the LIF rate approximation (`lif_rate`),
//! and decoders by Nengo's default solver (`solver`: regularised least
//! squares through a Cholesky factor). The run-time half: the neuron model
//! `model::nengo_lif`, a network's build (`net`, with passthrough nodes
//! folded away, `passthrough`) and its run (`run`), across ranks by graded
//! coupling (`ranks`; `sim/DESIGN.md`, "NEF"). Pure Rust: draws come
//! from the engine's counter-based streams (`Purpose::Nef`), dense algebra
//! from nalgebra. A network built elsewhere (Nengo's own build, exported)
//! enters through `Built::prebuilt` (`prebuilt`; its passthrough nodes
//! folded over the built weights, `passthrough_built`).

pub mod bulk_rates;
pub mod dists;
pub mod ensemble;
pub mod function;
pub mod lif_rate;
pub mod net;
pub mod node;
pub mod passthrough;
pub mod passthrough_built;
pub mod prebuilt;
pub mod ranks;
pub mod run;
pub mod solver;
pub mod synapse;
pub mod wiring;

pub use dists::{Hypersphere, Scalar};
pub use ensemble::{default_n_eval_points, Ensemble, EnsembleParams};
pub use function::Function;
pub use lif_rate::LifRate;
pub use net::{Built, ConnectionSpec, NetSpec, Post, Pre, ProbeOf, ProbeSpec, Transform};
pub use node::NodeOutput;
pub use prebuilt::PrebuiltEnsemble;
pub use ranks::block_placement;
pub use run::{chunk_sizes, probe_record_bytes, NefSim};
pub use solver::{decoders, targets, LstsqL2};
pub use synapse::Lowpass;

/// Why an ensemble or its decoders cannot be built.
#[derive(Clone, Debug, PartialEq)]
pub struct NefError(pub String);

impl NefError {
    /// An error saying `message`.
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

impl std::fmt::Display for NefError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for NefError {}
