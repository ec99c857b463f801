//! The distributed run driver, the same on every rank, as named steps:
//! check the memory estimate, open the output directory, build this rank's
//! shard, create the sinks, run the epoch loop, close the sinks, gather the
//! ranks' figures, finalize the sinks (merge) and write the metadata.
//!
//! Output contract: nothing is created before the configuration and the memory
//! estimate pass. `metadata.json` (rank 0 only) says `running` until every
//! file is closed, then `finished`; the sinks are flushed about once per
//! wall second, so a crash leaves everything up to the last flush readable.
//!
//! Invariant: every rank takes the same branches in the same order around the
//! collectives (memory check, the shard's build and setup, one exchange and
//! the sinks' gathers per epoch, the final gather and barrier); every decision
//! before them depends only on the spec and the rank count.

use std::fs;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use brainsim_io::config::{ConfigError, LoadedConfig};
use brainsim_io::metadata::RunMetadata;
use brainsim_io::outdir::OutputDir;
use brainsim_partition::Partitioner;
use brainsim_sim::comm::Comm;
use brainsim_sim::spec::NetworkSpec;
use brainsim_sim::EpochOutput;

use crate::estimate::RunShape;
use crate::memory::{check_memory, MemoryLimit};
use crate::shard::{self, Shard};
use crate::sink::{ReportSink, Sink, SpikeSink};
use crate::stats::{self, RankStats};

/// How often the sinks are flushed (wall time).
const FLUSH_EVERY: Duration = Duration::from_secs(1);

/// What to run, where, and on which ranks.
pub struct RunRequest<'a> {
    /// The configuration as loaded (its text and path, for errors and the copy).
    pub config: &'a LoadedConfig,
    /// The spec to run (the config's, with command-line overrides applied).
    pub spec: NetworkSpec,
    /// The output directory.
    pub out_dir: PathBuf,
    /// Worker threads per rank (the caller has built the pool).
    pub threads: usize,
    /// How chunks are placed on ranks.
    pub partitioner: Partitioner,
    /// The ranks of this run.
    pub comm: &'a dyn Comm,
    /// When to refuse for lack of memory (`--force`, `--max-memory`).
    pub memory: MemoryLimit,
}

/// Why a run did not finish.
#[derive(Debug)]
pub enum RunError {
    /// Bad input: exit code 2.
    Config(ConfigError),
    /// Anything that failed while running: exit code 1.
    Failed(String),
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::Config(e) => write!(f, "{e}"),
            RunError::Failed(m) => write!(f, "{m}"),
        }
    }
}

/// Where the run is, for a progress display.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    /// Steps done.
    pub step: u64,
    /// Steps of the whole run.
    pub n_steps: u64,
    /// The time step (ms).
    pub dt: f64,
    /// Wall seconds since the simulation started.
    pub wall_seconds: f64,
}

fn failed(what: impl std::fmt::Display) -> RunError {
    RunError::Failed(what.to_string())
}

/// Runs the whole simulation (collective over all ranks) and returns the
/// final metadata (complete on rank 0; the other ranks' is partial).
pub fn run(req: RunRequest, progress: &mut dyn FnMut(Progress)) -> Result<RunMetadata, RunError> {
    let (comm, spec) = (req.comm, &req.spec);
    let shape = RunShape {
        ranks: comm.size(),
        threads: req.threads,
        partitioner: req.partitioner,
    };
    let placed = check_memory(req.config, spec, comm, shape, req.memory)?;
    let dir = OutputDir::new(&req.out_dir);
    let mut meta = open_output(&req, &dir)?;
    meta.memory_estimate_bytes_per_rank = placed.ranks.iter().map(|r| r.bytes() as u64).collect();
    let mut shard =
        shard::build_placed(spec, comm, req.partitioner, placed.decomposition).map_err(failed)?;
    let mut sinks = create_sinks(spec, &shard, &dir, comm.rank(), comm.size())?;
    meta.outputs = sinks.iter().flat_map(|s| s.outputs()).collect();
    let (spikes_per_population, simulate_seconds) =
        simulate(spec, &mut shard, &mut sinks, comm, progress)?;
    for s in &mut sinks {
        s.close().map_err(failed)?;
    }
    let mine = RankStats::of(&shard, spikes_per_population, simulate_seconds);
    let gathered = comm.gather_f64(&mine.pack());
    let _ = fs::remove_file(dir.pid_file(comm.rank()));
    // Every rank's files are closed once every rank has passed this barrier.
    comm.barrier();
    for s in &mut sinks {
        s.finalize(comm).map_err(failed)?;
    }
    if comm.rank() == 0 {
        let ranks = RankStats::unpack_all(&gathered, spec.populations.len());
        stats::finish_metadata(&mut meta, &ranks, spec, &shard.net);
        meta.write(dir.path())
            .map_err(|e| failed(format!("{}: {e}", dir.path().display())))?;
    }
    Ok(meta)
}

/// The metadata of a run that has just started.
fn initial_metadata(req: &RunRequest) -> RunMetadata {
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
        ..Default::default()
    }
}

/// Collective. Creates the output directory; rank 0 clears an earlier run's
/// results and writes the config and the `running` metadata; then (after a
/// barrier, so nothing of this run is cleared) every rank writes its pid file.
fn open_output(req: &RunRequest, dir: &OutputDir) -> Result<RunMetadata, RunError> {
    let comm = req.comm;
    let io_err = |e: std::io::Error| failed(format!("{}: {e}", dir.path().display()));
    dir.create().map_err(failed)?;
    let meta = initial_metadata(req);
    if comm.rank() == 0 {
        dir.clear_previous_run();
        dir.write_config(&req.config.text).map_err(io_err)?;
        meta.write(dir.path()).map_err(io_err)?;
    }
    comm.barrier();
    let pid = format!("{}\n", std::process::id());
    fs::write(dir.pid_file(comm.rank()), pid).map_err(io_err)?;
    Ok(meta)
}

/// The run's sinks: spikes (if recorded), then state reports (if any).
fn create_sinks(
    spec: &NetworkSpec,
    shard: &Shard,
    dir: &OutputDir,
    rank: usize,
    ranks: usize,
) -> Result<Vec<Box<dyn Sink>>, RunError> {
    let mut sinks: Vec<Box<dyn Sink>> = Vec::new();
    if let Some(s) = SpikeSink::create(spec, dir, rank, ranks).map_err(failed)? {
        sinks.push(Box::new(s));
    }
    if let Some(s) = ReportSink::create(spec, &shard.net.reports, dir, rank).map_err(failed)? {
        sinks.push(Box::new(s));
    }
    Ok(sinks)
}

/// The epoch loop: run, count spikes per population, hand each epoch to the
/// sinks, flush them about once per second, report progress (rank 0).
/// Returns the local spikes per population and the wall seconds.
fn simulate(
    spec: &NetworkSpec,
    shard: &mut Shard,
    sinks: &mut [Box<dyn Sink>],
    comm: &dyn Comm,
    progress: &mut dyn FnMut(Progress),
) -> Result<(Vec<u64>, f64), RunError> {
    let mut out = EpochOutput::default();
    let mut per_pop = vec![0u64; spec.populations.len()];
    let start = Instant::now();
    let mut last_flush = Instant::now();
    while shard.net.run_epoch(&mut shard.exchange, &mut out) {
        for sp in &out.spikes {
            per_pop[spec.population_of(sp.gid)] += 1;
        }
        for s in sinks.iter_mut() {
            s.record(&out, comm).map_err(failed)?;
        }
        if last_flush.elapsed() >= FLUSH_EVERY {
            for s in sinks.iter_mut() {
                s.flush().map_err(failed)?;
            }
            last_flush = Instant::now();
        }
        if comm.rank() == 0 {
            progress(Progress {
                step: shard.net.step,
                n_steps: shard.net.n_steps,
                dt: spec.simulation.dt,
                wall_seconds: start.elapsed().as_secs_f64(),
            });
        }
    }
    Ok((per_pop, start.elapsed().as_secs_f64()))
}
