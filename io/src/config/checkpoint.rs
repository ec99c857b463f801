//! `[checkpoint]`: how often a run writes a checkpoint (`every`, ms of
//! biological time, a whole number of steps) and how many it keeps on disk
//! (`keep`, default `DEFAULT_KEEP`). The table is not part of the network:
//! it changes nothing a checkpoint must match, so a resumed run may use
//! other values (`brainsim run --checkpoint-every` overrides it).

use super::raw::RawCheckpoint;
use super::values::{int_in, invalid, positive, Check};

/// Checkpoints kept when `keep` is not given: the newest and one before it,
/// so a checkpoint damaged after it was written still leaves one to resume.
pub const DEFAULT_KEEP: usize = 2;

/// When a run writes checkpoints.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CheckpointSpec {
    /// Interval between two checkpoints (ms), as given.
    pub every_ms: f64,
    /// The interval in steps (>= 1): a checkpoint is written at the first
    /// epoch boundary at or after each multiple of it.
    pub every_steps: u64,
    /// Checkpoints kept on disk (>= 1; the oldest are removed).
    pub keep: usize,
}

/// `every` ms as a whole number of steps of `dt`, or what is wrong with it.
pub fn checkpoint_every_steps(every: f64, dt: f64) -> Result<u64, String> {
    if !(every.is_finite() && every > 0.0) {
        return Err(format!("must be a positive number of ms, got {every}"));
    }
    let steps = (every / dt).round();
    if (every / dt - steps).abs() > 1e-6 || steps < 1.0 {
        return Err(format!(
            "must be a whole number of steps of dt = {dt} ms, got {every}"
        ));
    }
    if steps > super::MAX_STEPS {
        return Err(format!("{every} ms is more than 2^48 steps"));
    }
    Ok(steps as u64)
}

/// The `[checkpoint]` table checked against the step `dt`.
pub(crate) fn validate(raw: Option<&RawCheckpoint>, dt: f64) -> Check<Option<CheckpointSpec>> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    let every_ms = positive("checkpoint.every", raw.every)?;
    let every_steps = match checkpoint_every_steps(every_ms, dt) {
        Ok(s) => s,
        Err(m) => return invalid("checkpoint.every", m),
    };
    let keep = match raw.keep {
        Some(k) => int_in("checkpoint.keep", k, 1, 1_000_000)? as usize,
        None => DEFAULT_KEEP,
    };
    Ok(Some(CheckpointSpec {
        every_ms,
        every_steps,
        keep,
    }))
}
