//! Plastic synapses: weights (and short-term state) that change while the
//! network runs, with NEST 3.10's semantics — `stdp_synapse`,
//! `stdp_pl_synapse_hom`, `stdp_nn_symm_synapse`, `tsodyks2_synapse`.
//!
//! - `time`: spike stamps and delays as NEST's millisecond doubles.
//! - `history`: a post-synaptic neuron's spike history and K_minus trace
//!   (NEST's archiving node).
//! - `rules`: the update at a pre-synaptic spike.
//! - `recent`: a chunk's histories, with each neuron's newest entries in
//!   one flat array.
//! - `memo`: remembered pow/exp results (the same doubles, fewer calls).
//! - `models`: the synapse models a config can name, with NEST's
//!   parameters and defaults.
//! - `store`: one plastic projection's synapses onto a chunk, and delivery;
//!   `index` finds a spike's row, `sink` adds transmitted weights to the
//!   ring, `pl_hom` is `stdp_pl_synapse_hom`'s fast path.
//! - `loaded`: initial weights from a weights file, matched to the
//!   generated synapses.
//! - `snapshot`: the stores' and histories' checkpoint state.

pub mod history;
pub mod index;
pub mod loaded;
pub mod memo;
pub mod models;
pub mod pl_hom;
pub mod recent;
pub mod rules;
pub mod sink;
pub mod snapshot;
pub mod store;
pub mod time;

pub use history::History;
pub use recent::Histories;
pub use rules::{Delay, PreSpike, RowState, Rule};
pub use snapshot::{HistoryState, PlasticChunkState, StoreState};
pub use store::{PlasticStore, Target};
pub use time::Clock;
