//! brainsim's pure core: the validated network spec, neuron models, the
//! counter-based RNG, connection rules, the synapse store, ring buffers,
//! stimulus devices, the epoch loop behind the `Exchange` trait, its state
//! at an epoch boundary as plain data (`checkpoint`), and the
//! collectives between ranks (`comm`: the `Comm` trait, its in-process
//! backend and the spike exchange written over it; the MPI backend is
//! cluster's), and the build-time half of the Neural Engineering Framework
//! (`nef`: ensembles and decoders as Nengo 4 makes them). Depends on rayon,
//! libc (the huge-page mappings of `bigbuf`) and nalgebra (`nef`'s dense
//! algebra) — never on MPI, HDF5 or METIS. See DESIGN.md and
//! ../ARCHITECTURE.md.

#![warn(missing_docs)]

pub mod bigbuf;
pub mod checkpoint;
pub mod chunk;
pub mod chunk_setup;
pub mod comm;
pub mod connect;
pub mod dist;
pub mod estimate;
pub mod exchange;
pub mod layout;
pub mod model;
pub mod nef;
pub mod network;
pub mod philox;
pub mod plastic;
pub mod ring;
pub mod rng;
pub mod schedule;
pub mod spec;
pub mod stimulus;
pub mod synapse;
mod twice;
pub mod vmath;

pub use checkpoint::{CheckpointError, ChunkStates};
pub use comm::{Comm, LocalComm, Reduce};
pub use exchange::{Exchange, InProcess, Spike};
pub use network::{EpochOutput, Network, Timers};
pub use spec::NetworkSpec;
