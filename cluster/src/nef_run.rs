//! Running a built NEF model (`brainsim_sim::nef::Built`, from a config or
//! any other reader) into an output directory: the directory claimed as
//! for a spiking run (`outdir`: lock, an earlier run refused unless
//! `--overwrite`, no symbolic links), the configs and a `running`
//! `metadata.json` written, the steps run, the probes written to
//! `probes.h5` (`brainsim_io::nef_probes`), and the metadata marked
//! `finished`. A run that fails leaves `failed` metadata and no probe
//! file; one that dies leaves `running` metadata and no probe file.
//!
//! On several ranks (MPI), chunks are placed by the partitioner
//! (`brainsim_partition::NefGraph`), every rank steps its chunks and the
//! partial decoded sums cross as graded coupling (`NefSim::on_ranks`);
//! rank 0 alone claims the directory and writes (the other ranks learn of
//! a refusal through `agree`), and gathers the probes. Results are
//! bit-identical for any ranks x threads x partitioner.

use std::path::PathBuf;
use std::time::Instant;

use brainsim_io::metadata::{RunMetadata, Segment};
use brainsim_io::nef_probes::{write_probes, ProbeDataset, ProbeRows, PROBES_FILE};
use brainsim_io::outdir::OutputDir;
use brainsim_partition::{NefGraph, Partitioner};
use brainsim_sim::comm::Reduce;
use brainsim_sim::nef::{Built, NefSim};
use brainsim_sim::Comm;

use crate::agree::agree;
use crate::driver::RunError;
use crate::memory::peak_rss_bytes;

/// A built NEF model and where and how to run it.
pub struct NefRunRequest<'a> {
    /// The model.
    pub built: &'a Built,
    /// The probe file's datasets (`ProbeDataset::one_per_probe` for one
    /// per probe).
    pub datasets: &'a [ProbeDataset],
    /// Steps to run.
    pub steps: u64,
    /// The step (ms), as written (the model's own `dt` is in seconds).
    pub dt_ms: f64,
    /// Steps x dt (ms), as written.
    pub t_stop_ms: f64,
    /// Output directory.
    pub out_dir: PathBuf,
    /// Replace an earlier run found there.
    pub overwrite: bool,
    /// The config file as named on the command line (for the metadata).
    pub config_file: String,
    /// Its text (`config.toml`) and the text as run (`config.effective.toml`).
    pub config_text: &'a str,
    /// See `config_text`.
    pub effective_text: &'a str,
    /// Threads of the global pool.
    pub threads: usize,
    /// Wall seconds the build took.
    pub build_seconds: f64,
    /// The ranks.
    pub comm: &'a dyn Comm,
    /// How chunks are placed on the ranks.
    pub partitioner: Partitioner,
}

/// Runs `req` (see the module docs): the finished metadata (on rank 0;
/// the others return theirs unwritten), or why not.
pub fn run_nef(req: NefRunRequest) -> Result<RunMetadata, RunError> {
    let comm = req.comm;
    let root = comm.rank() == 0;
    let dir = OutputDir::new(&req.out_dir);
    let claimed = if root {
        claim(&req, &dir).map(Some)
    } else {
        Ok(None)
    };
    let mut said = None;
    let _lock = agree(comm, claimed, &mut |m| said = Some(m.to_string()))
        .map_err(|_| RunError::Refused(said.take()))?;
    let started = Instant::now();
    let mut meta = initial_metadata(&req);
    let wrote = if root {
        dir.write_configs(req.config_text, req.effective_text)
            .and_then(|()| meta.write(dir.path()))
            .map_err(|e| format!("{}: {e}", dir.path().display()))
    } else {
        Ok(())
    };
    let mut said = None;
    agree(comm, wrote, &mut |m| said = Some(m.to_string()))
        .map_err(|_| RunError::Failed(said.take().unwrap_or_else(|| "rank 0 failed".into())))?;
    let t0 = Instant::now();
    let (widths, records) = simulate(req.built, req.steps, comm, req.partitioner)
        .map_err(|e| RunError::Failed(format!("partitioning failed: {e}")))?;
    meta.simulate_seconds = t0.elapsed().as_secs_f64();
    meta.peak_rss_bytes = comm.all_reduce(peak_rss_bytes(), Reduce::Max);
    if !root {
        return Ok(meta);
    }
    let rows: Vec<ProbeRows> = widths
        .iter()
        .zip(&records)
        .map(|(&width, rows)| ProbeRows { width, rows })
        .collect();
    let spec = &req.built.spec;
    if let Err(e) = write_probes(dir.path(), spec, req.datasets, &rows, req.steps, req.dt_ms) {
        return Err(failed(&dir, &mut meta, e.to_string()));
    }
    let t_sim = req.t_stop_ms / 1000.0;
    meta.t_valid_ms = req.t_stop_ms;
    meta.real_time_factor = meta.simulate_seconds / t_sim.max(1e-12);
    meta.status = "finished".into();
    if let Some(seg) = meta.segments.last_mut() {
        seg.end_step = req.steps;
        seg.status = meta.status.clone();
        seg.wall_seconds = started.elapsed().as_secs_f64() + req.build_seconds;
    }
    meta.write(dir.path())
        .map_err(|e| RunError::Failed(format!("{}: {e}", dir.path().display())))?;
    Ok(meta)
}

/// Runs `built` for `steps` steps on `comm`'s ranks, chunks placed by
/// `how`: each probe's width and rows (whole on rank 0, empty elsewhere).
/// The only caller of `NefSim`; collective.
pub fn simulate(
    built: &Built,
    steps: u64,
    comm: &dyn Comm,
    how: Partitioner,
) -> Result<(Vec<usize>, Vec<Vec<f64>>), String> {
    let owner = NefGraph::new(built).place(comm.size(), how)?;
    let mut sim = NefSim::on_ranks(built, comm, &owner);
    sim.run(steps);
    let n = built.spec.probes.len();
    let widths = (0..n).map(|k| sim.width(k)).collect();
    let records = (0..n).map(|k| sim.collect(k)).collect();
    Ok((widths, records))
}

/// The directory's checks before anything is written, then what an
/// earlier run left cleared (with `--overwrite`).
fn claim(req: &NefRunRequest, dir: &OutputDir) -> Result<brainsim_io::outdir::RunLock, String> {
    dir.create()?;
    let lock = dir.lock()?;
    dir.refuse_previous_run(req.overwrite)?;
    dir.refuse_symlinks([
        "config.toml",
        "config.effective.toml",
        PROBES_FILE,
        "metadata.json",
    ])?;
    dir.clear_previous_run();
    let _ = std::fs::remove_file(dir.path().join(PROBES_FILE));
    let _ = std::fs::remove_file(dir.path().join(format!("{PROBES_FILE}.tmp")));
    Ok(lock)
}

/// `running` metadata of the run about to start.
fn initial_metadata(req: &NefRunRequest) -> RunMetadata {
    let spec = &req.built.spec;
    let neurons = req
        .built
        .ensembles
        .iter()
        .map(|e| e.n_neurons() as u64)
        .sum();
    let weights = req
        .built
        .connections
        .iter()
        .map(|c| c.stored() as u64)
        .sum();
    RunMetadata {
        status: "running".into(),
        brainsim_version: env!("CARGO_PKG_VERSION").into(),
        config_file: req.config_file.clone(),
        ranks: req.comm.size(),
        threads: req.threads,
        partitioner: req.partitioner.name().into(),
        seed: spec.seed,
        dt_ms: req.dt_ms,
        t_stop_ms: req.t_stop_ms,
        neurons,
        synapses: weights,
        synapses_per_rank: vec![weights],
        build_seconds: req.build_seconds,
        outputs: vec![PROBES_FILE.to_string()],
        segments: vec![Segment {
            ranks: req.comm.size(),
            threads: req.threads,
            partitioner: req.partitioner.name().into(),
            status: "running".into(),
            build_seconds: req.build_seconds,
            ..Default::default()
        }],
        ..Default::default()
    }
}

/// Marks the run failed in its metadata (best effort) and says why.
fn failed(dir: &OutputDir, meta: &mut RunMetadata, why: String) -> RunError {
    meta.status = "failed".into();
    meta.error = Some(why.clone());
    if let Some(seg) = meta.segments.last_mut() {
        seg.status = meta.status.clone();
    }
    let _ = meta.write(dir.path());
    RunError::Failed(why)
}
