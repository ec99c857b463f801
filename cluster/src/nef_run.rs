//! Running a built NEF model (`brainsim_sim::nef::Built`, from a config or
//! any other reader) into an output directory: the directory claimed as
//! for a spiking run (`outdir`: lock, an earlier run refused unless
//! `--overwrite`, no symbolic links), the configs and a `running`
//! `metadata.json` written, the steps run, the probes written to
//! `probes.h5` (`brainsim_io::nef_probes`), and the metadata marked
//! `finished`. A run that fails leaves `failed` metadata and no probe
//! file; one that dies leaves `running` metadata and no probe file.
//!
//! One rank for now (`check_ranks`). The simulation itself is one function,
//! `simulate`, the only caller of `NefSim`: the place where the run across
//! ranks goes.

use std::path::PathBuf;
use std::time::Instant;

use brainsim_io::metadata::{RunMetadata, Segment};
use brainsim_io::nef_probes::{write_probes, ProbeDataset, ProbeRows, PROBES_FILE};
use brainsim_io::outdir::OutputDir;
use brainsim_sim::nef::{Built, NefSim};
use brainsim_sim::Comm;

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
}

/// The one-line refusal of a run on more than one rank.
pub fn check_ranks(comm: &dyn Comm) -> Result<(), String> {
    match comm.size() {
        1 => Ok(()),
        n => Err(format!(
            "brainsim: an NEF model runs on one rank for now, not {n}; run it without mpirun (threads: --threads)"
        )),
    }
}

/// Runs `req` (see the module docs): the finished metadata, or why not.
pub fn run_nef(req: NefRunRequest) -> Result<RunMetadata, RunError> {
    check_ranks(req.comm).map_err(|m| RunError::Refused(Some(m)))?;
    let dir = OutputDir::new(&req.out_dir);
    let _lock = claim(&req, &dir).map_err(|m| RunError::Refused(Some(m)))?;
    let started = Instant::now();
    let mut meta = initial_metadata(&req);
    let wrote = (|| {
        dir.write_configs(req.config_text, req.effective_text)?;
        meta.write(dir.path())
    })();
    wrote.map_err(|e| RunError::Failed(format!("{}: {e}", dir.path().display())))?;
    let t0 = Instant::now();
    let (widths, records) = simulate(req.built, req.steps, req.comm);
    meta.simulate_seconds = t0.elapsed().as_secs_f64();
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
    meta.peak_rss_bytes = peak_rss_bytes();
    meta.peak_rss_bytes_per_rank = vec![meta.peak_rss_bytes];
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

/// Runs `built` for `steps` steps: each probe's width and rows. The only
/// caller of `NefSim` (one rank; `comm` for the run across ranks).
pub fn simulate(built: &Built, steps: u64, _comm: &dyn Comm) -> (Vec<usize>, Vec<Vec<f64>>) {
    let mut sim = NefSim::new(built);
    sim.run(steps);
    let n = built.spec.probes.len();
    let widths = (0..n).map(|k| sim.width(k)).collect();
    let records = (0..n).map(|k| sim.record(k).to_vec()).collect();
    (widths, records)
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
        .map(|c| c.weights.len() as u64)
        .sum();
    RunMetadata {
        status: "running".into(),
        brainsim_version: env!("CARGO_PKG_VERSION").into(),
        config_file: req.config_file.clone(),
        ranks: 1,
        threads: req.threads,
        partitioner: "none".into(),
        seed: spec.seed,
        dt_ms: req.dt_ms,
        t_stop_ms: req.t_stop_ms,
        neurons,
        synapses: weights,
        synapses_per_rank: vec![weights],
        build_seconds: req.build_seconds,
        outputs: vec![PROBES_FILE.to_string()],
        segments: vec![Segment {
            ranks: 1,
            threads: req.threads,
            partitioner: "none".into(),
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
