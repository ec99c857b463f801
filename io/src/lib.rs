//! brainsim's input/output layer — the only crate touching HDF5.
//!
//! Config files -> validated `NetworkSpec` (raw serde mirror, then validation
//! with file:line:field errors); SONATA spike files and state reports (streamed
//! in chunks, flushed so a crash leaves what was written readable); streaming
//! readers and the `analyze` statistics and raster plot; run metadata.

pub mod analyze;
pub mod config;
pub mod metadata;
pub mod outdir;
pub mod raster;
pub mod sonata_report;
pub mod sonata_spikes;
pub mod spike_reader;
