//! The distributed run driver, the same on every rank, as named steps:
//! check the memory estimate, open the output directory (`output.rs`), build
//! this rank's shard (and take back the checkpoint a resumed run continues
//! from, `resume.rs`), create the sinks, run the epoch loop (writing
//! checkpoints, `checkpointing/`), close the sinks, gather the ranks'
//! figures, finalize the sinks (merge) and write the metadata.
//!
//! Output contract: nothing is created before the configuration, the memory
//! estimate and the output directory pass. `metadata.json` (rank 0) says
//! `running` (with `t_valid_ms`, the time flushed so far) until every file is
//! closed, then `finished`, or `interrupted` when a signal stopped the run
//! (outputs closed up to the agreed step), or `failed` with the error. The
//! sinks are flushed about once per wall second, each recording where its
//! valid data end, so a crash leaves everything up to the last flush
//! readable and marked. With checkpoints on, one is written at each due
//! epoch boundary, at the end of the run, and at the step a signal stops
//! it — always after the sinks were flushed.
//!
//! Invariant: every rank takes the same branches in the same order around the
//! collectives (memory check, the output directory's barrier, the shard's
//! build and setup, one exchange and the sinks' gathers per epoch, the final
//! gather and barrier); every decision before them depends only on the spec
//! and the rank count.

use std::fs;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use brainsim_io::config::effective::effective_text;
use brainsim_io::config::{CheckpointSpec, ConfigError, LoadedConfig};
use brainsim_io::metadata::RunMetadata;
use brainsim_io::outdir::OutputDir;
use brainsim_partition::{Decomposition, Partitioner};
use brainsim_sim::comm::{Comm, Reduce};
use brainsim_sim::spec::NetworkSpec;
use brainsim_sim::EpochOutput;

use crate::checkpointing::Checkpointer;
use crate::estimate::RunShape;
use crate::memory::{check_memory, MemoryLimit};
use crate::output::{mark_failed, open_output};
use crate::resume::ResumePoint;
use crate::shard::{self, Shard};
use crate::signals::{stop_check_epochs, stop_requested};
use crate::sink::{ReportSink, Sink, SpikeSink};
use crate::stats::{self, RankStats};
use crate::weight_record::WeightRecorder;

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
    /// Replace an earlier run found in `out_dir` (else it is refused).
    pub overwrite: bool,
    /// Worker threads per rank (the caller has built the pool).
    pub threads: usize,
    /// How chunks are placed on ranks.
    pub partitioner: Partitioner,
    /// The ranks of this run.
    pub comm: &'a dyn Comm,
    /// When to refuse for lack of memory (`--force`, `--max-memory`).
    pub memory: MemoryLimit,
    /// When to write checkpoints (none: never).
    pub checkpoint: Option<CheckpointSpec>,
    /// The checkpoint to continue from (`brainsim resume`): the output
    /// directory holds the run it belongs to.
    pub resume: Option<ResumePoint>,
    /// Write the final weights of every plastic projection
    /// (`--save-weights`, `[simulation] save_weights`).
    pub save_weights: bool,
}

/// Why a run did not finish.
#[derive(Debug)]
pub enum RunError {
    /// Bad input found alike on every rank: exit code 2 (the caller makes
    /// the ranks agree on who reports it).
    Config(ConfigError),
    /// Bad input the ranks have already agreed on: exit code 2; the message
    /// is on the rank that reports it (None on the others).
    Refused(Option<String>),
    /// Anything that failed while running: exit code 1.
    Failed(String),
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::Config(e) => write!(f, "{e}"),
            RunError::Refused(m) => write!(f, "{}", m.as_deref().unwrap_or("refused")),
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
/// final metadata (complete on rank 0; the other ranks' is partial). Its
/// status is `finished`, or `interrupted` when a signal stopped the run.
pub fn run(req: RunRequest, progress: &mut dyn FnMut(Progress)) -> Result<RunMetadata, RunError> {
    let comm = req.comm;
    let shape = RunShape {
        ranks: comm.size(),
        threads: req.threads,
        partitioner: req.partitioner,
        save_weights: req.save_weights,
    };
    let placed = check_memory(req.config, &req.spec, comm, shape, req.memory)?;
    crate::weights::check_weights_from(&req.spec, &placed.decomposition, comm)?;
    let dir = OutputDir::new(&req.out_dir);
    let (mut meta, lock) = open_output(&req, &dir)?;
    meta.memory_estimate_bytes_per_rank = placed.ranks.iter().map(|r| r.bytes() as u64).collect();
    let result =
        run_opened(&req, &dir, &mut meta, placed.decomposition, progress).map_err(one_line);
    if let Err(RunError::Failed(m)) = &result {
        mark_failed(&dir, &mut meta, comm.rank(), m);
        let _ = fs::remove_file(dir.pid_file(comm.rank()));
    }
    drop(lock);
    result.map(|()| meta)
}

/// A failure as one line (HDF5's messages span several).
fn one_line(e: RunError) -> RunError {
    match e {
        RunError::Failed(m) => RunError::Failed(m.split_whitespace().collect::<Vec<_>>().join(" ")),
        other => other,
    }
}

/// The run after its directory is open: build (and restore), simulate,
/// close, gather, finalize, and (rank 0) the final metadata.
fn run_opened(
    req: &RunRequest,
    dir: &OutputDir,
    meta: &mut RunMetadata,
    decomposition: Decomposition,
    progress: &mut dyn FnMut(Progress),
) -> Result<(), RunError> {
    let (comm, spec) = (req.comm, &req.spec);
    let started = Instant::now();
    let mut shard =
        shard::build_placed(spec, comm, req.partitioner, decomposition).map_err(failed)?;
    let build_seconds = started.elapsed().as_secs_f64();
    let mut load_seconds = 0.0;
    if let Some(point) = &req.resume {
        let restoring = Instant::now();
        let at =
            |e: brainsim_sim::CheckpointError| failed(format!("{}: {e}", point.file.display()));
        shard.net.restore(&point.states).map_err(at)?;
        load_seconds = point.read_seconds + restoring.elapsed().as_secs_f64();
    }
    let resume_step = req.resume.as_ref().map(|p| p.states.step);
    let mut sinks = create_sinks(spec, &shard, dir, comm, resume_step)?;
    let records = &req.config.weight_records;
    let mut recorder = WeightRecorder::create(spec, records, &shard.net, dir, comm, resume_step)
        .map_err(failed)?;
    let mut checkpointer = create_checkpointer(req, dir, shard.net.step)?;
    let mut looped = Loop {
        sinks: &mut sinks,
        recorder: &mut recorder,
        checkpointer: checkpointer.as_mut(),
        dir,
        meta,
        comm,
    };
    let looped = looped.simulate(spec, &mut shard, progress)?;
    if req.save_weights {
        crate::weights::write_plastic_weights(spec, &shard.net, dir, comm).map_err(failed)?;
    }
    recorder.close().map_err(failed)?;
    for s in &mut sinks {
        s.close().map_err(failed)?;
    }
    let mine = RankStats::of(&shard, looped.spikes_per_population, looped.seconds);
    let gathered = comm.gather_f64(&mine.pack());
    let _ = fs::remove_file(dir.pid_file(comm.rank()));
    // Every rank's files are closed once every rank has passed this barrier.
    comm.barrier();
    for s in &mut sinks {
        s.finalize(comm).map_err(failed)?;
    }
    meta.status = if looped.stopped {
        "interrupted"
    } else {
        "finished"
    }
    .into();
    let slowest = |x: f64| comm.all_reduce(x.to_bits(), Reduce::Max);
    let (build_seconds, load_seconds) = (slowest(build_seconds), slowest(load_seconds));
    if let Some(seg) = meta.segments.last_mut() {
        seg.end_step = shard.net.step;
        seg.wall_seconds = started.elapsed().as_secs_f64();
        seg.status = meta.status.clone();
        seg.build_seconds = f64::from_bits(build_seconds);
        seg.checkpoint_load_seconds = f64::from_bits(load_seconds);
        if let Some(cost) = checkpointer.as_ref().map(|c| c.cost) {
            seg.checkpoints_written = cost.count;
            seg.checkpoint_write_seconds = cost.seconds;
            seg.checkpoint_file_seconds = cost.background_seconds;
            seg.checkpoint_state_bytes = cost.state_bytes;
        }
    }
    if comm.rank() == 0 {
        let ranks = RankStats::unpack_all(&gathered, spec.populations.len());
        stats::finish_metadata(meta, &ranks, spec, &shard.net);
        meta.write(dir.path())
            .map_err(|e| failed(format!("{}: {e}", dir.path().display())))?;
    }
    Ok(())
}

/// The run's checkpoint writer, when checkpoints are on; the next one is
/// due at the first multiple of the interval after `step`.
fn create_checkpointer(
    req: &RunRequest,
    dir: &OutputDir,
    step: u64,
) -> Result<Option<Checkpointer>, RunError> {
    let Some(policy) = &req.checkpoint else {
        return Ok(None);
    };
    let text = effective_text(req.config, &req.spec.simulation, Some(policy)).map_err(failed)?;
    let base = req
        .resume
        .as_ref()
        .map(|p| p.meta.spikes_written.clone())
        .unwrap_or_default();
    let c = Checkpointer::new(
        &req.spec,
        policy,
        dir.path(),
        text,
        step,
        base,
        req.comm.rank(),
    )
    .map_err(failed)?;
    Ok(Some(c))
}

/// The run's sinks: spikes (if recorded), then state reports (if any);
/// resuming at `resume_step`, they continue the files already there.
fn create_sinks(
    spec: &NetworkSpec,
    shard: &Shard,
    dir: &OutputDir,
    comm: &dyn Comm,
    resume_step: Option<u64>,
) -> Result<Vec<Box<dyn Sink>>, RunError> {
    let (rank, ranks) = (comm.rank(), comm.size());
    let mut sinks: Vec<Box<dyn Sink>> = Vec::new();
    let resumed = resume_step.is_some();
    if let Some(s) = SpikeSink::create(spec, dir, rank, ranks, resumed).map_err(failed)? {
        sinks.push(Box::new(s));
    }
    let reports = &shard.net.reports;
    if let Some(s) = ReportSink::create(spec, reports, dir, rank, resume_step).map_err(failed)? {
        sinks.push(Box::new(s));
    }
    Ok(sinks)
}

/// What the epoch loop leaves.
struct Looped {
    /// Local spikes per population.
    spikes_per_population: Vec<u64>,
    /// Wall seconds of the loop.
    seconds: f64,
    /// A signal stopped the run before t_stop.
    stopped: bool,
}

/// What the epoch loop writes to, besides the network.
struct Loop<'l> {
    sinks: &'l mut [Box<dyn Sink>],
    recorder: &'l mut WeightRecorder,
    checkpointer: Option<&'l mut Checkpointer>,
    dir: &'l OutputDir,
    meta: &'l mut RunMetadata,
    comm: &'l dyn Comm,
}

impl Loop<'_> {
    /// The epoch loop: run, count spikes per population (from the chunks'
    /// counters on, so a resumed run counts the whole run), hand each epoch
    /// to the sinks, write due checkpoints, about once per second make the
    /// outputs durable, report progress (rank 0), and stop early when the
    /// ranks agree a signal came (with a checkpoint of that step, if on).
    fn simulate(
        &mut self,
        spec: &NetworkSpec,
        shard: &mut Shard,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<Looped, RunError> {
        let comm = self.comm;
        let mut per_pop = vec![0u64; spec.populations.len()];
        for c in &shard.net.chunks {
            per_pop[c.info.population] += c.spikes;
        }
        let (start, mut last_flush) = (Instant::now(), Instant::now());
        let (mut out, mut epoch, mut stopped) = (EpochOutput::default(), 0u64, false);
        let check_every = stop_check_epochs(shard.net.epoch_steps());
        self.recorder
            .record_due(&mut shard.net, comm)
            .map_err(failed)?;
        // Epochs end at the weight recordings' steps (`weight_record`).
        while !stopped && {
            let until = self.recorder.next_due_after(shard.net.step);
            shard
                .net
                .run_epoch_until(&mut shard.exchange, &mut out, until)
        } {
            for sp in &out.spikes {
                per_pop[spec.population_of(sp.gid)] += 1;
            }
            for s in self.sinks.iter_mut() {
                s.record(&out, comm).map_err(failed)?;
            }
            self.recorder
                .record_due(&mut shard.net, comm)
                .map_err(failed)?;
            epoch += 1;
            if comm.size() == 1 || epoch % check_every == 0 {
                stopped = comm.all_reduce(u64::from(stop_requested()), Reduce::Max) == 1;
            }
            let step = shard.net.step;
            let last = stopped || shard.net.is_done();
            if self
                .checkpointer
                .as_ref()
                .is_some_and(|c| c.due(step) || (last && !c.has(step)))
            {
                // One metadata write (and fsync) for both.
                self.flush_sinks(spec, shard)?;
                self.write_checkpoint(shard)?;
                last_flush = Instant::now();
            } else if last_flush.elapsed() >= FLUSH_EVERY {
                self.flush_outputs(spec, shard)?;
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
        if let (Some(c), 0) = (self.checkpointer.as_mut(), comm.rank()) {
            self.meta.checkpoints = c.wait().map_err(failed)?;
        }
        check_finite(spec, shard)?;
        Ok(Looped {
            spikes_per_population: per_pop,
            seconds: start.elapsed().as_secs_f64(),
            stopped: stopped && !shard.net.is_done(),
        })
    }

    /// Makes the outputs durable up to the current step: the state is
    /// checked for NaN/inf, the sinks flushed (with their valid prefix), and
    /// rank 0's metadata records the time flushed (`t_valid_ms`).
    fn flush_outputs(&mut self, spec: &NetworkSpec, shard: &Shard) -> Result<(), RunError> {
        self.flush_sinks(spec, shard)?;
        self.write_metadata()
    }

    /// `flush_outputs` without writing the metadata (`t_valid_ms` is set).
    fn flush_sinks(&mut self, spec: &NetworkSpec, shard: &Shard) -> Result<(), RunError> {
        check_finite(spec, shard)?;
        for s in self.sinks.iter_mut() {
            s.flush().map_err(failed)?;
        }
        self.recorder.flush().map_err(failed)?;
        self.meta.t_valid_ms = shard.net.step as f64 * spec.simulation.dt;
        Ok(())
    }

    /// Collective, after `flush_sinks`: the checkpoint of this step, and
    /// (rank 0) the metadata with the time flushed and the checkpoints on
    /// disk.
    fn write_checkpoint(&mut self, shard: &mut Shard) -> Result<(), RunError> {
        let Some(c) = self.checkpointer.as_mut() else {
            return Ok(());
        };
        let written: Vec<(String, u64)> = self.sinks.iter().flat_map(|s| s.written()).collect();
        let names = c
            .write(&mut shard.net, &written, self.comm)
            .map_err(failed)?;
        if self.comm.rank() == 0 {
            self.meta.checkpoints = names;
            if let Some(seg) = self.meta.segments.last_mut() {
                seg.end_step = shard.net.step;
            }
        }
        self.write_metadata()
    }

    /// Rank 0 writes the metadata as it stands (not synced: a running
    /// run's updates; the final status is written synced).
    fn write_metadata(&self) -> Result<(), RunError> {
        if self.comm.rank() != 0 {
            return Ok(());
        }
        self.meta
            .write_unsynced(self.dir.path())
            .map_err(|e| failed(format!("{}: {e}", self.dir.path().display())))
    }
}

/// Fails the run when a local neuron's state is NaN or infinite.
fn check_finite(spec: &NetworkSpec, shard: &Shard) -> Result<(), RunError> {
    if let Some((proj, n)) = shard.net.plastic_overflow() {
        let p = &spec.projections[proj];
        return Err(failed(format!(
            "projection[{proj}] ({} -> {}): {n} plastic weights grew beyond {}x the largest initial weight by step {}, the most the ring's fixed point holds; lower lambda or raise the initial weights",
            spec.populations[p.source].name,
            spec.populations[p.target].name,
            brainsim_sim::network::UNBOUNDED_GROWTH,
            shard.net.step
        )));
    }
    match shard.net.first_non_finite() {
        None => Ok(()),
        Some((pop, gid, var)) => {
            let p = &spec.populations[pop];
            Err(failed(format!(
                "population {}: {var} of node {} is not finite by step {} (t = {} ms); check the parameters and weights",
                p.name,
                gid - p.first_gid,
                shard.net.step,
                shard.net.step as f64 * spec.simulation.dt
            )))
        }
    }
}
