#![warn(missing_docs)]

//! brainsim's input/output layer — the only crate touching HDF5.
//!
//! Config files -> validated `NetworkSpec` (raw serde mirror, then validation
//! with file:line:field errors), or an NEF model's `NetSpec` (`config::nef`)
//! and its probe file (`nef_probes`); SONATA spike files and state reports (streamed
//! in chunks; a crash leaves everything up to the last flush readable); the
//! streaming spike reader, the `analyze` statistics and the raster plot; the
//! run metadata record; the output directory's file names and its policy for
//! an earlier run's files (`outdir`); checkpoint files, written atomically and
//! checksummed (`checkpoint`); the live progress record (`progress_record`)
//! and the batch job record (`job_record`) that `brainsim status` reads;
//! Nengo models exported by `scripts/nengo_export.py` (`nengo_file`). See
//! DESIGN.md.

pub mod analyze;
pub mod checkpoint;
pub mod config;
pub mod job_record;
pub mod json_file;
pub mod metadata;
pub mod nef_probes;
pub mod nengo_file;
pub mod outdir;
pub mod progress_record;
pub mod raster;
pub mod sonata_report;
pub mod sonata_spikes;
pub mod spike_reader;
pub mod weight_report;
pub mod weights;
