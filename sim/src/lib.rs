//! brainsim's pure core: the validated network spec, neuron models, the
//! counter-based RNG, connection rules, the synapse store, ring buffers,
//! stimulus devices and the epoch loop behind the `Exchange` trait.
//! Depends on rayon and serde only — never on MPI, HDF5 or METIS.

pub mod model;
pub mod philox;
pub mod spec;
