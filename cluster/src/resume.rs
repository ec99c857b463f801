//! What a resumed run does before its first step, on top of a fresh run's
//! start: the checkpoint it continues from (`ResumePoint`), and rank 0's
//! preparation of the spike output (`prepare_spikes`).
//!
//! The spike output after a resume: `spikes.h5` holds exactly the spikes
//! before the checkpoint's step (times <= t_ckpt), and every rank — one or
//! several — writes the segment's spikes into its own `spikes.rank<R>.h5`;
//! at the end rank 0 merges `spikes.h5` and the parts into a new
//! `spikes.h5` (the SpikeSink's `finalize`). A state report is reopened by
//! rank 0 and cut back to its frames before the step (`frames_before`).
//!
//! Invariant (what `prepare_spikes` relies on): every spike file the run
//! wrote is sorted by time and marks its valid prefix; spikes up to the
//! checkpoint's time were flushed before the checkpoint was written, so
//! they are in `spikes.h5` (up to its `valid_until_ms`) and in the parts
//! (after it): a crash at any point after the checkpoint, even in the final
//! merge, leaves them there. The union is taken without duplicates by
//! reading each part only after `spikes.h5`'s valid time.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use brainsim_io::checkpoint::CheckpointMeta;
use brainsim_io::outdir::OutputDir;
use brainsim_io::spike_reader::SpikeFile;
use brainsim_sim::checkpoint::ChunkStates;

use crate::merge::{merge_spike_windows, PartWindow};

/// The checkpoint a run continues from.
pub struct ResumePoint {
    /// The network's state at the checkpoint's step.
    pub states: ChunkStates,
    /// The checkpoint's metadata (spikes written, config).
    pub meta: CheckpointMeta,
    /// The checkpoint file.
    pub file: PathBuf,
    /// Wall seconds it took to find and read the file.
    pub read_seconds: f64,
}

/// Frames of a report sampled every `interval_steps` that were taken
/// before `step`: samples are taken after each step s with (s + 1) a
/// multiple of the interval.
pub fn frames_before(step: u64, interval_steps: u64) -> usize {
    (step / interval_steps.max(1)) as usize
}

/// The spike part files (`spikes.rank<R>.h5`) in `dir`, of any rank count.
fn part_files(dir: &OutputDir) -> Vec<PathBuf> {
    let mut parts: Vec<(usize, PathBuf)> = std::fs::read_dir(dir.path())
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let r = name.strip_prefix("spikes.rank")?.strip_suffix(".h5")?;
            Some((r.parse().ok()?, e.path()))
        })
        .collect();
    parts.sort();
    parts.into_iter().map(|(_, p)| p).collect()
}

/// Rank 0, before anything else changes: makes `spikes.h5` hold exactly the
/// spikes up to `t_ckpt_ms` (see the module doc) and removes the parts.
/// The merge goes to a temporary file whose counts per population must
/// equal the checkpoint's `written`; only then is it renamed into place.
/// An error leaves the directory as it was.
pub fn prepare_spikes(
    dir: &OutputDir,
    pops: &[(String, u32, u32)],
    t_ckpt_ms: f64,
    written: &BTreeMap<String, u64>,
) -> Result<(), String> {
    if pops.is_empty() {
        return Ok(());
    }
    let fail = |p: &Path, e: &dyn std::fmt::Display| format!("{}: {e}", p.display());
    let spikes = dir.spikes();
    let mut windows = Vec::new();
    let mut base_valid = f64::NEG_INFINITY;
    if spikes.exists() {
        let f = SpikeFile::open(&spikes).map_err(|e| e.to_string())?;
        base_valid = f
            .valid_until_ms()
            .map_err(|e| e.to_string())?
            .unwrap_or(f64::INFINITY);
        windows.push(PartWindow {
            path: spikes.clone(),
            after_ms: f64::NEG_INFINITY,
            until_ms: t_ckpt_ms.min(base_valid),
        });
    }
    let parts = part_files(dir);
    windows.extend(parts.iter().map(|p| PartWindow {
        path: p.clone(),
        after_ms: base_valid,
        until_ms: t_ckpt_ms,
    }));
    let tmp = dir.path().join(".spikes.resume.h5.tmp");
    merge_spike_windows(&windows, &tmp, pops, t_ckpt_ms).map_err(|e| e.to_string())?;
    let check = check_counts(&tmp, pops, written);
    if let Err(m) = check {
        let _ = std::fs::remove_file(&tmp);
        return Err(fail(&spikes, &m));
    }
    std::fs::rename(&tmp, &spikes).map_err(|e| fail(&spikes, &e))?;
    for p in parts {
        let _ = std::fs::remove_file(p);
    }
    Ok(())
}

/// The merged file holds `written` spikes of each population.
fn check_counts(
    merged: &Path,
    pops: &[(String, u32, u32)],
    written: &BTreeMap<String, u64>,
) -> Result<(), String> {
    let f = SpikeFile::open(merged).map_err(|e| e.to_string())?;
    for (name, _, _) in pops {
        let (have, want) = (f.n_spikes(name), written.get(name).copied().unwrap_or(0));
        if have != want {
            return Err(format!(
                "holds {have} spikes of population {name} up to the checkpoint, the checkpoint counted {want}; the spike output does not belong to this checkpoint"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use brainsim_io::sonata_spikes::SpikeWriter;

    fn write(path: &Path, pops: &[(String, u32, u32)], spikes: &[(f64, u32)], valid: f64) {
        let mut w = SpikeWriter::create(path, pops).unwrap();
        w.append(spikes).unwrap();
        w.set_valid_until(valid);
        w.finish().unwrap();
    }

    fn read(path: &Path, pop: &str) -> Vec<(u64, u64)> {
        let f = SpikeFile::open(path).unwrap();
        let mut all = Vec::new();
        f.for_each_chunk(pop, 100, |ts, ids| {
            all.extend(ts.iter().zip(ids).map(|(t, &i)| (t.to_bits(), i)));
            Ok(())
        })
        .unwrap();
        all
    }

    /// After a crash in the final merge of a resumed segment: `spikes.h5`
    /// valid to 10 ms, parts holding 5..20 ms (rank 0's up to 10 ms already
    /// in `spikes.h5`). Prepared for a checkpoint at 15 ms, `spikes.h5`
    /// holds every spike up to 15 ms once, and the parts are gone; counts
    /// that do not match leave everything as it was.
    #[test]
    fn the_spike_output_is_cut_back_to_the_checkpoint_without_duplicates() {
        let dir = std::env::temp_dir().join(format!("brainsim-prepare-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let out = OutputDir::new(&dir);
        let pops = vec![("A".to_string(), 0u32, 4u32)];
        let base: Vec<(f64, u32)> = (1..=10).map(|t| (f64::from(t), t as u32 % 2)).collect();
        write(&out.spikes(), &pops, &base, 10.0);
        let part0: Vec<(f64, u32)> = (5..=20).map(|t| (f64::from(t), t as u32 % 2)).collect();
        let part1: Vec<(f64, u32)> = (11..=20)
            .map(|t| (f64::from(t), 2 + t as u32 % 2))
            .collect();
        write(&out.spike_part(0), &pops, &part0, 20.0);
        write(&out.spike_part(1), &pops, &part1, 20.0);
        let wrong = BTreeMap::from([("A".to_string(), 19)]);
        let err = prepare_spikes(&out, &pops, 15.0, &wrong).unwrap_err();
        assert!(err.contains("holds 20 spikes of population A"), "{err}");
        assert!(out.spike_part(0).exists() && read(&out.spikes(), "A").len() == 10);
        let right = BTreeMap::from([("A".to_string(), 20)]);
        prepare_spikes(&out, &pops, 15.0, &right).unwrap();
        let mut want: Vec<(f64, u32)> = base;
        want.extend(
            part0
                .iter()
                .chain(&part1)
                .filter(|s| s.0 > 10.0 && s.0 <= 15.0),
        );
        want.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let want: Vec<(u64, u64)> = want
            .iter()
            .map(|&(t, g)| (t.to_bits(), u64::from(g)))
            .collect();
        assert_eq!(read(&out.spikes(), "A"), want);
        assert!(!out.spike_part(0).exists() && !out.spike_part(1).exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
