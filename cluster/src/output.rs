//! Opening a run's output directory on every rank, and keeping its
//! `metadata.json` honest: `running` with the time flushed so far,
//! `finished`, `interrupted` or `failed` (with the error).
//!
//! Invariant: nothing of the new run is written before every rank has agreed
//! that the directory may be used — rank 0 took the lock, found no earlier
//! run (or `--overwrite`), no symbolic link where an output goes, and every
//! rank sees rank 0's lock file (one shared directory). A refusal is bad
//! input on every rank (exit 2) and leaves the directory as it was.

use brainsim_io::config::effective::effective_text;
use brainsim_io::metadata::{RunMetadata, Segment};
use brainsim_io::outdir::{OutputDir, RunLock};
use brainsim_sim::comm::Reduce;
use brainsim_sim::network::reports;

use crate::agree::agree;
use crate::driver::{RunError, RunRequest};
use crate::resume::prepare_spikes;
use crate::sink::recorded_populations;

/// The metadata of a run that has just started, and its new segment: a
/// resumed run keeps the earlier segments and checkpoints (rank 0 reads
/// them), a fresh one starts its list.
fn initial_metadata(req: &RunRequest, dir: &OutputDir) -> RunMetadata {
    let earlier = match (&req.resume, req.comm.rank()) {
        (Some(_), 0) => RunMetadata::read(dir.path()).ok(),
        _ => None,
    };
    let mut meta = fresh_metadata(req);
    let start_step = req.resume.as_ref().map_or(0, |p| p.states.step);
    if let Some(old) = earlier {
        meta.config_file = old.config_file;
        meta.segments = old.segments;
        meta.checkpoints = old.checkpoints;
    }
    meta.t_valid_ms = start_step as f64 * req.spec.simulation.dt;
    meta.segments.push(Segment {
        start_step,
        end_step: start_step,
        checkpoint: req.resume.as_ref().map(|p| relative_name(dir, &p.file)),
        ranks: meta.ranks,
        threads: meta.threads,
        partitioner: meta.partitioner.clone(),
        wall_seconds: 0.0,
        status: "running".into(),
        ..Default::default()
    });
    meta
}

/// `file` relative to the output directory when it is inside it.
fn relative_name(dir: &OutputDir, file: &std::path::Path) -> String {
    file.strip_prefix(dir.path())
        .unwrap_or(file)
        .display()
        .to_string()
}

/// The metadata of the run's layout and network, nothing run yet.
fn fresh_metadata(req: &RunRequest) -> RunMetadata {
    let sim = &req.spec.simulation;
    RunMetadata {
        status: "running".into(),
        brainsim_version: env!("CARGO_PKG_VERSION").into(),
        config_file: req.config.path.display().to_string(),
        ranks: req.comm.size(),
        threads: req.threads,
        partitioner: req.partitioner.name().into(),
        seed: sim.seed,
        dt_ms: sim.dt,
        t_stop_ms: sim.t_stop,
        neurons: req.spec.n_neurons(),
        procedural_synapses: brainsim_sim::connect::expected_procedural_synapses(&req.spec),
        outputs: planned_outputs(req),
        ..Default::default()
    }
}

/// The result files this run will write (for metadata and `--overwrite`).
fn planned_outputs(req: &RunRequest) -> Vec<String> {
    let records_spikes = req
        .spec
        .records
        .iter()
        .any(|r| matches!(r, brainsim_sim::spec::RecordSpec::Spikes { .. }));
    let spikes = records_spikes.then(|| "spikes.h5".to_string());
    let reports = reports(&req.spec)
        .into_iter()
        .map(|r| OutputDir::report_name(&r.name, &r.variable));
    let weights = if req.save_weights {
        crate::weights::weight_files(&req.spec)
    } else {
        Vec::new()
    };
    let recorded = crate::weight_record::record_files(&req.spec, &req.config.weight_records);
    spikes
        .into_iter()
        .chain(reports)
        .chain(weights)
        .chain(recorded)
        .collect()
}

/// Rank 0's checks before anything is written: the lock, an earlier run
/// (which a resume continues), symbolic links; then, resuming, the spike
/// output cut back to the checkpoint (`prepare_spikes`, which changes
/// nothing when it fails).
fn claim(req: &RunRequest, dir: &OutputDir) -> Result<RunLock, String> {
    dir.create()?;
    let lock = dir.lock()?;
    if req.resume.is_none() {
        dir.refuse_previous_run(req.overwrite)?;
    }
    let ranks = req.comm.size();
    let parts: Vec<String> = (0..ranks)
        .flat_map(|r| [format!("spikes.rank{r}.h5"), format!("rank{r}.pid")])
        .collect();
    let fixed = ["config.toml", "config.effective.toml"].map(String::from);
    let outputs = planned_outputs(req);
    dir.refuse_symlinks(
        outputs
            .iter()
            .chain(&parts)
            .chain(&fixed)
            .map(String::as_str),
    )?;
    if let Some(point) = &req.resume {
        let t = point.states.step as f64 * req.spec.simulation.dt;
        let pops = recorded_populations(&req.spec);
        prepare_spikes(dir, &pops, t, &point.meta.spikes_written)
            .map_err(|e| format!("brainsim: {e}"))?;
    }
    Ok(lock)
}

/// Collective. Claims the directory (see the module invariant), then rank 0
/// clears an earlier run (with `--overwrite`) and writes the configs and the
/// `running` metadata, and every rank its pid file. Returns the metadata and,
/// on rank 0, the lock to hold until the end.
pub fn open_output(
    req: &RunRequest,
    dir: &OutputDir,
) -> Result<(RunMetadata, Option<RunLock>), RunError> {
    let comm = req.comm;
    let claimed = if comm.rank() == 0 {
        claim(req, dir).map(Some)
    } else {
        Ok(None)
    };
    let mut said = None;
    let lock = agree(comm, claimed, &mut |m| said = Some(m.to_string()))
        .map_err(|_| RunError::Refused(said.take()))?;
    // One shared directory: every rank must read rank 0's lock nonce.
    let nonce = dir.lock_nonce().unwrap_or(u64::MAX);
    if comm.all_reduce(nonce, Reduce::Min) != comm.all_reduce(nonce, Reduce::Max) {
        let message = format!(
            "brainsim: {}: the ranks do not see the same output directory (no shared filesystem?); use a directory every node sees",
            dir.path().display()
        );
        return Err(RunError::Refused((comm.rank() == 0).then_some(message)));
    }
    let meta = initial_metadata(req, dir);
    if comm.rank() == 0 {
        write_start(req, dir, &meta).map_err(RunError::Failed)?;
    }
    comm.barrier();
    let pid = format!("{}\n", std::process::id());
    std::fs::write(dir.pid_file(comm.rank()), pid)
        .map_err(|e| RunError::Failed(format!("{}: {e}", dir.pid_file(comm.rank()).display())))?;
    Ok((meta, lock))
}

/// Rank 0: clears an earlier run, writes both configs and the metadata; a
/// resumed run rewrites only the effective config (its `t_stop` and
/// checkpoint settings may be new) and the metadata.
fn write_start(req: &RunRequest, dir: &OutputDir, meta: &RunMetadata) -> Result<(), String> {
    let io_err = |e: std::io::Error| format!("{}: {e}", dir.path().display());
    let effective = effective_text(req.config, &req.spec.simulation, req.checkpoint.as_ref())?;
    if req.resume.is_some() {
        dir.write_effective_config(&effective).map_err(io_err)?;
    } else {
        dir.clear_previous_run();
        dir.write_configs(&req.config.text, &effective)
            .map_err(io_err)?;
    }
    meta.write(dir.path()).map_err(io_err)
}

/// Records a failure in `metadata.json` (any rank: with several ranks the
/// failing one writes it, then ends the job).
pub fn mark_failed(dir: &OutputDir, meta: &mut RunMetadata, rank: usize, message: &str) {
    meta.status = "failed".into();
    meta.error = Some(if meta.ranks > 1 {
        format!("rank {rank}: {message}")
    } else {
        message.to_string()
    });
    let _ = meta.write(dir.path());
}
