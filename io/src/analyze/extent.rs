//! The valid extent of a run: how much biological time its spike file holds
//! completely, whether or not the run finished.
//!
//! In order of trust: the `/spikes` attribute `valid_until_ms` of the spike file
//! (written at every flush); else, for a run whose metadata is not `finished`, the
//! metadata's `t_valid_ms` (also updated at each flush); else, for a finished run,
//! its `t_stop_ms`. A run that is not finished and has neither (a writer predating
//! both) is taken to extend to its last valid spike — a lower bound of the time it
//! completed, so its rates are upper bounds. Without metadata and without
//! `valid_until_ms` the extent is unknown (the caller needs a window end).

use crate::metadata::RunMetadata;
use crate::sonata_spikes::IoError;
use crate::spike_reader::SpikeFile;

/// Where an `Extent` comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExtentSource {
    /// The spike file's `/spikes` attribute `valid_until_ms`.
    SpikeFile,
    /// `t_valid_ms` of `metadata.json` (run not finished).
    Metadata,
    /// `t_stop_ms` of `metadata.json` (run finished).
    TStop,
    /// The last valid spike of any population (run not finished, no other record).
    LastSpike,
}

impl ExtentSource {
    /// A few words for messages, e.g. "valid_until_ms of the spike file".
    pub fn describe(self) -> &'static str {
        match self {
            ExtentSource::SpikeFile => "valid_until_ms of spikes.h5",
            ExtentSource::Metadata => "t_valid_ms of metadata.json",
            ExtentSource::TStop => "t_stop of metadata.json",
            ExtentSource::LastSpike => "the last spike in spikes.h5 (no flush record)",
        }
    }
}

/// The biological time (0, t_valid_ms] a spike file holds completely.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Extent {
    /// End of the valid time (ms).
    pub t_valid_ms: f64,
    /// Where it was read.
    pub source: ExtentSource,
}

/// The valid extent of a run from its spike file and, if there is one, its
/// metadata (module docs); None if it cannot be told (no metadata and no
/// `valid_until_ms`). An error if the spike file cannot be read.
pub fn valid_extent(
    file: &SpikeFile,
    meta: Option<&RunMetadata>,
) -> Result<Option<Extent>, IoError> {
    let extent = |t_valid_ms, source| Some(Extent { t_valid_ms, source });
    if let Some(t) = file.valid_until_ms()? {
        return Ok(extent(t, ExtentSource::SpikeFile));
    }
    let Some(meta) = meta else {
        return Ok(None);
    };
    if meta.is_finished() {
        return Ok(extent(meta.t_stop_ms, ExtentSource::TStop));
    }
    if meta.t_valid_ms > 0.0 {
        return Ok(extent(meta.t_valid_ms, ExtentSource::Metadata));
    }
    let mut last = 0.0f64;
    for pop in file.populations() {
        if let Some(t) = file.last_timestamp(&pop)? {
            last = last.max(t);
        }
    }
    Ok(extent(last, ExtentSource::LastSpike))
}
