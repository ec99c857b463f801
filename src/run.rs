//! `brainsim run`: start the ranks (MPI under a launcher, else one
//! in-process rank without MPI), load and validate the config, apply
//! overrides, run, summarise. An NEF config goes to `run_nef` instead.
//!
//! Every rank parses the config and the arguments; the ranks agree on bad
//! input (`brainsim_cluster::agree`): all of them exit with code 2, the lowest
//! rank that found it prints. A failure while running ends every rank (MPI
//! abort) with the failing rank's message; so does a panic (hook installed
//! with > 1 rank).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use brainsim_cluster::{agree, MemoryLimit, ResumePoint, RunError, RunRequest, World};
use brainsim_io::config;
use brainsim_io::metadata::RunMetadata;
use brainsim_partition::Partitioner;
use brainsim_sim::Comm;
use brainsim_sim::NetworkSpec;

use crate::progress::Bar;

#[derive(clap::Args)]
pub struct Args {
    /// Network description (TOML).
    pub config: PathBuf,
    /// Output directory (default: out/<config name>).
    // The doc comment is the --help text, kept as printed: not HTML.
    #[allow(rustdoc::invalid_html_tags)]
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Worker threads per rank (default: config `threads`, else RAYON_NUM_THREADS, else SLURM_CPUS_PER_TASK, else all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Override `simulation.t_stop` (ms).
    #[arg(long = "t-stop")]
    pub t_stop: Option<f64>,
    /// Override `simulation.seed`.
    #[arg(long)]
    pub seed: Option<u32>,
    /// Placement of chunks on MPI ranks: metis (chunk graph split by METIS: balanced, fewest spike messages), round_robin (chunk i on rank i % P, as NEST) or block (contiguous ranges balanced by neurons).
    #[arg(long, default_value = "metis")]
    pub partitioner: Partitioner,
    /// Replace the earlier run found in the output directory (only the files it wrote); without it such a directory is refused.
    #[arg(long)]
    pub overwrite: bool,
    /// Do not draw the progress bar even on a terminal.
    #[arg(long)]
    pub quiet: bool,
    /// Run even if the memory estimate exceeds what is available.
    #[arg(long)]
    pub force: bool,
    /// Memory each rank may use (GiB), instead of the node's MemAvailable shared by its ranks: refuse if a rank's estimate exceeds it.
    #[arg(long = "max-memory", value_name = "GIB")]
    pub max_memory: Option<f64>,
    // The doc comments are the --help text, kept as printed.
    #[allow(rustdoc::invalid_html_tags, rustdoc::broken_intra_doc_links)]
    /// Write a checkpoint (OUT/checkpoints/t<step>.h5) every MS of biological time, at the end, and when SIGTERM/SIGINT stops the run (overrides the config's [checkpoint] every).
    #[arg(long = "checkpoint-every", value_name = "MS")]
    pub checkpoint_every: Option<f64>,
    #[allow(rustdoc::broken_intra_doc_links)]
    /// Checkpoints kept on disk, the newest (default: the config's [checkpoint] keep, else 2).
    #[arg(long = "checkpoint-keep", value_name = "K")]
    pub checkpoint_keep: Option<usize>,
    /// Write the final weights of every plastic projection to OUT/weights_<source>_<target>_<i>.h5 (as the config's [simulation] save_weights = true; default: not written).
    #[arg(long = "save-weights")]
    pub save_weights: bool,
}

impl Args {
    /// The memory check asked for, or the one-line error.
    pub(crate) fn memory_limit(&self) -> Result<MemoryLimit, String> {
        match (self.force, self.max_memory) {
            (true, _) => Ok(MemoryLimit::Unchecked),
            (false, None) => Ok(MemoryLimit::Available),
            (false, Some(g)) if g.is_finite() && g > 0.0 => {
                Ok(MemoryLimit::PerRank((g * (1u64 << 30) as f64) as u64))
            }
            (false, Some(g)) => Err(format!(
                "brainsim: --max-memory: must be a positive number of GiB, got {g}"
            )),
        }
    }
}

fn env_count(name: &str) -> Option<usize> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

/// `given`, else RAYON_NUM_THREADS, else SLURM_CPUS_PER_TASK, else all cores.
pub(crate) fn default_threads(given: Option<usize>) -> usize {
    given
        .or_else(|| env_count("RAYON_NUM_THREADS"))
        .or_else(|| env_count("SLURM_CPUS_PER_TASK"))
        .or_else(|| std::thread::available_parallelism().ok().map(|n| n.get()))
        .unwrap_or(1)
        .clamp(1, config::MAX_THREADS)
}

/// `t` (--t-stop) on the step grid of `spec`, or the one-line error.
pub(crate) fn set_t_stop(spec: &mut NetworkSpec, t: f64) -> Result<(), String> {
    if !(t.is_finite() && t > 0.0) {
        return Err(format!(
            "brainsim: --t-stop: must be a positive number of ms, got {t}"
        ));
    }
    spec.simulation.t_stop = config::t_stop_on_grid(t, spec.simulation.dt)
        .map_err(|m| format!("brainsim: --t-stop: {m}"))?;
    Ok(())
}

/// --threads within 1..=MAX_THREADS when given.
pub(crate) fn check_threads(threads: Option<usize>) -> Result<(), String> {
    match threads {
        Some(0) => Err("brainsim: --threads: must be >= 1".into()),
        Some(n) if n > config::MAX_THREADS => Err(format!(
            "brainsim: --threads: at most {} per rank, got {n}",
            config::MAX_THREADS
        )),
        _ => Ok(()),
    }
}

/// The checkpoint policy: the config's `[checkpoint]` with --checkpoint-every
/// and --checkpoint-keep applied, or the one-line error.
pub(crate) fn checkpoint_policy(
    from_config: Option<config::CheckpointSpec>,
    every: Option<f64>,
    keep: Option<usize>,
    dt: f64,
) -> Result<Option<config::CheckpointSpec>, String> {
    let mut policy = from_config;
    if let Some(ms) = every {
        let steps = config::checkpoint_every_steps(ms, dt)
            .map_err(|m| format!("brainsim: --checkpoint-every: {m}"))?;
        policy = Some(config::CheckpointSpec {
            every_ms: ms,
            every_steps: steps,
            keep: policy.map_or(config::DEFAULT_KEEP, |p| p.keep),
        });
    }
    if let Some(k) = keep {
        let Some(p) = policy.as_mut() else {
            return Err("brainsim: --checkpoint-keep: checkpoints are off (give --checkpoint-every or [checkpoint] every)".into());
        };
        if !(1..=1_000_000).contains(&k) {
            return Err(format!(
                "brainsim: --checkpoint-keep: must be in 1..=1000000, got {k}"
            ));
        }
        p.keep = k;
    }
    Ok(policy)
}

/// What `run` and `resume` hand to `execute` once the input is valid.
pub(crate) struct Launch {
    pub loaded: config::LoadedConfig,
    pub spec: NetworkSpec,
    pub out_dir: PathBuf,
    pub overwrite: bool,
    pub threads: Option<usize>,
    pub partitioner: Partitioner,
    pub quiet: bool,
    pub memory: MemoryLimit,
    pub checkpoint: Option<config::CheckpointSpec>,
    pub resume: Option<ResumePoint>,
}

/// The config with the command-line overrides applied, or the one-line error.
fn validated(args: &Args) -> Result<Launch, String> {
    let mut loaded = config::load(&args.config).map_err(|e| e.to_string())?;
    // config.effective.toml then says so too.
    loaded.save_weights |= args.save_weights;
    let mut spec = loaded.spec.clone();
    if let Some(t) = args.t_stop {
        set_t_stop(&mut spec, t)?;
    }
    if let Some(s) = args.seed {
        spec.simulation.seed = s;
    }
    check_threads(args.threads)?;
    let memory = args.memory_limit()?;
    let checkpoint = checkpoint_policy(
        loaded.checkpoint,
        args.checkpoint_every,
        args.checkpoint_keep,
        spec.simulation.dt,
    )?;
    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(|| default_out_dir(&args.config));
    Ok(Launch {
        loaded,
        spec,
        out_dir,
        overwrite: args.overwrite,
        threads: args.threads,
        partitioner: args.partitioner,
        quiet: args.quiet,
        memory,
        checkpoint,
        resume: None,
    })
}

pub fn main(args: Args) -> ExitCode {
    if crate::run_nef::is_export(&args.config) || crate::run_nef::is_nef_file(&args.config) {
        return crate::run_nef::main(args);
    }
    let world = match World::start() {
        Ok(w) => w,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    run_on_rank(&world, args)
}

/// Bad input found on any rank: every rank exits 2, the lowest one says why.
pub(crate) fn refuse<T>(comm: &dyn Comm, outcome: Result<T, String>) -> Result<T, ExitCode> {
    agree(comm, outcome, &mut |m| eprintln!("{m}")).map_err(|_| ExitCode::from(2))
}

fn run_on_rank(world: &World, args: Args) -> ExitCode {
    match refuse(world.comm(), validated(&args)) {
        Ok(launch) => execute(world, launch),
        Err(code) => code,
    }
}

/// Runs (or resumes) a validated request on this rank: the thread pool,
/// the driver, the summary and the exit code.
pub(crate) fn execute(world: &World, launch: Launch) -> ExitCode {
    let comm = world.comm();
    let threads = default_threads(launch.threads.or(launch.spec.simulation.threads));
    if let Err(e) = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build_global()
    {
        return world.fail(&format!("cannot start {threads} threads: {e}"));
    }
    let mut bar = Bar::new(launch.quiet || comm.rank() != 0).with_record(&launch.out_dir);
    let out_dir = launch.out_dir.clone();
    let req = RunRequest {
        config: &launch.loaded,
        spec: launch.spec,
        out_dir: launch.out_dir,
        overwrite: launch.overwrite,
        threads,
        partitioner: launch.partitioner,
        comm,
        memory: launch.memory,
        checkpoint: launch.checkpoint,
        resume: launch.resume,
        save_weights: launch.loaded.save_weights,
    };
    let checkpoints = req.checkpoint.is_some();
    brainsim_cluster::signals::install();
    match brainsim_cluster::run(req, &mut |p| bar.update(p)) {
        Ok(meta) => finished(comm, &meta, &out_dir, checkpoints),
        Err(RunError::Config(e)) => refuse::<()>(comm, Err(e.to_string()))
            .err()
            .unwrap_or(ExitCode::from(2)),
        Err(RunError::Refused(message)) => {
            if let Some(m) = message {
                eprintln!("{m}");
            }
            ExitCode::from(2)
        }
        Err(RunError::Failed(m)) => world.fail(&format!("run failed: {m}")),
    }
}

/// The summary (rank 0) and the exit code of a run that ended in order:
/// 0 finished, `INTERRUPTED` when a signal stopped it.
fn finished(comm: &dyn Comm, meta: &RunMetadata, out_dir: &Path, checkpoints: bool) -> ExitCode {
    if comm.rank() == 0 {
        print_summary(meta, out_dir);
    }
    if meta.status != "interrupted" {
        return ExitCode::SUCCESS;
    }
    if comm.rank() == 0 {
        let how = if checkpoints {
            format!(
                "a checkpoint was written; continue with `brainsim resume {}`",
                out_dir.display()
            )
        } else {
            "no checkpoint (checkpoints are off)".to_string()
        };
        eprintln!(
            "brainsim: interrupted by a signal at t = {} ms; outputs closed and marked interrupted; {how}",
            meta.t_valid_ms
        );
    }
    ExitCode::from(INTERRUPTED)
}

/// Exit code of a run stopped by SIGINT/SIGTERM with its outputs closed
/// (and, with checkpoints on, a checkpoint of the step it stopped at).
const INTERRUPTED: u8 = 3;

/// `out/<config file stem>`.
pub(crate) fn default_out_dir(config: &Path) -> PathBuf {
    let stem = config
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "run".into());
    PathBuf::from("out").join(stem)
}

/// "N synapses", or with procedural projections "N stored + M procedural
/// (expected) synapses".
fn synapse_count(meta: &RunMetadata) -> String {
    if meta.procedural_synapses > 0.0 {
        format!(
            "{} stored + {:.3e} procedural (expected) synapses",
            meta.synapses, meta.procedural_synapses
        )
    } else {
        format!("{} synapses", meta.synapses)
    }
}

/// The summary's build time, simulation time and real-time factor lines
/// (spiking and NEF runs alike).
pub(crate) fn timing_lines(o: &mut String, meta: &RunMetadata) {
    use std::fmt::Write as _;
    let _ = writeln!(o, "  build time        {:>10.3} s", meta.build_seconds);
    let _ = writeln!(
        o,
        "  simulation time   {:>10.3} s for {:.1} ms biological time",
        meta.simulate_seconds, meta.t_valid_ms
    );
    let _ = writeln!(o, "  real-time factor  {:>10.3}", meta.real_time_factor);
}

/// The run's summary on stdout (rank 0). A closed or full stdout is not an
/// error of the run: the results are in the output directory.
fn print_summary(meta: &RunMetadata, out_dir: &Path) {
    use std::fmt::Write as _;
    let mut o = String::new();
    let _ = writeln!(
        o,
        "brainsim {} — {} ({} neurons, {}, {} rank(s) x {} thread(s), {})",
        meta.brainsim_version,
        meta.config_file,
        meta.neurons,
        synapse_count(meta),
        meta.ranks,
        meta.threads,
        meta.partitioner
    );
    timing_lines(&mut o, meta);
    let _ = writeln!(o, "  spikes            {:>10}", meta.spikes);
    // Events of all ranks, so per thread over ranks x threads per rank.
    let events_per_s = meta.synaptic_events as f64 / meta.simulate_seconds.max(1e-9);
    let _ = writeln!(
        o,
        "  synaptic events   {:>10.3e} /s wall ({:.3e} /s per thread)",
        events_per_s,
        events_per_s / (meta.threads * meta.ranks).max(1) as f64
    );
    let _ = writeln!(
        o,
        "  peak RSS          {:>10.1} MiB, {:.2} bytes/synapse",
        meta.peak_rss_bytes as f64 / 1048576.0,
        meta.bytes_per_synapse
    );
    for p in &meta.populations {
        let _ = writeln!(
            o,
            "  rate {:<12} {:>10.3} Hz ({} spikes, {} neurons)",
            p.name, p.rate_hz, p.spikes, p.size
        );
    }
    let _ = writeln!(o, "  output            {}", out_dir.display());
    let _ = std::io::Write::write_all(&mut std::io::stdout(), o.as_bytes());
}
