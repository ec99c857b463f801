//! `brainsim run`: start the ranks (MPI under a launcher, else one
//! in-process rank without MPI), load and validate the config, apply
//! overrides, run, summarise.
//!
//! Every rank parses the config and the arguments; the ranks agree on bad
//! input (`brainsim_cluster::agree`): all of them exit with code 2, the lowest
//! rank that found it prints. A failure while running ends every rank (MPI
//! abort) with the failing rank's message; so does a panic (hook installed
//! with > 1 rank).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use brainsim_cluster::{agree, MemoryLimit, RunError, RunRequest, World};
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
}

impl Args {
    /// The memory check asked for, or the one-line error.
    fn memory_limit(&self) -> Result<MemoryLimit, String> {
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

/// Threads per rank: --threads, else the config's, else RAYON_NUM_THREADS,
/// else SLURM_CPUS_PER_TASK, else all cores.
fn thread_count(args: &Args, from_config: Option<usize>) -> usize {
    default_threads(args.threads.or(from_config))
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

/// The config with the command-line overrides applied, or the one-line error.
fn validated(args: &Args) -> Result<(config::LoadedConfig, NetworkSpec), String> {
    let loaded = config::load(&args.config).map_err(|e| e.to_string())?;
    let mut spec = loaded.spec.clone();
    if let Some(t) = args.t_stop {
        if !(t.is_finite() && t > 0.0) {
            return Err(format!(
                "brainsim: --t-stop: must be a positive number of ms, got {t}"
            ));
        }
        spec.simulation.t_stop = config::t_stop_on_grid(t, spec.simulation.dt)
            .map_err(|m| format!("brainsim: --t-stop: {m}"))?;
    }
    if let Some(s) = args.seed {
        spec.simulation.seed = s;
    }
    match args.threads {
        Some(0) => return Err("brainsim: --threads: must be >= 1".into()),
        Some(n) if n > config::MAX_THREADS => {
            return Err(format!(
                "brainsim: --threads: at most {} per rank, got {n}",
                config::MAX_THREADS
            ))
        }
        _ => {}
    }
    args.memory_limit()?;
    Ok((loaded, spec))
}

pub fn main(args: Args) -> ExitCode {
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
fn refuse<T>(comm: &dyn Comm, outcome: Result<T, String>) -> Result<T, ExitCode> {
    agree(comm, outcome, &mut |m| eprintln!("{m}")).map_err(|_| ExitCode::from(2))
}

fn run_on_rank(world: &World, args: Args) -> ExitCode {
    let comm = world.comm();
    let (loaded, spec) = match refuse(comm, validated(&args)) {
        Ok(v) => v,
        Err(code) => return code,
    };
    let threads = thread_count(&args, spec.simulation.threads);
    if let Err(e) = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build_global()
    {
        return world.fail(&format!("cannot start {threads} threads: {e}"));
    }
    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(|| default_out_dir(&args.config));
    let mut bar = Bar::new(args.quiet || comm.rank() != 0).with_record(&out_dir);
    let req = RunRequest {
        config: &loaded,
        spec,
        out_dir: out_dir.clone(),
        overwrite: args.overwrite,
        threads,
        partitioner: args.partitioner,
        comm,
        memory: args.memory_limit().unwrap_or_default(),
    };
    brainsim_cluster::signals::install();
    match brainsim_cluster::run(req, &mut |p| bar.update(p)) {
        Ok(meta) => {
            if comm.rank() == 0 {
                print_summary(&meta, &out_dir);
            }
            if meta.status == "interrupted" {
                if comm.rank() == 0 {
                    eprintln!(
                        "brainsim: interrupted by a signal at t = {} ms; outputs closed and marked interrupted",
                        meta.t_valid_ms
                    );
                }
                return ExitCode::from(INTERRUPTED);
            }
            ExitCode::SUCCESS
        }
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

/// Exit code of a run stopped by SIGINT/SIGTERM with its outputs closed.
const INTERRUPTED: u8 = 3;

/// `out/<config file stem>`.
pub(crate) fn default_out_dir(config: &Path) -> PathBuf {
    let stem = config
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "run".into());
    PathBuf::from("out").join(stem)
}

/// The run's summary on stdout (rank 0). A closed or full stdout is not an
/// error of the run: the results are in the output directory.
fn print_summary(meta: &RunMetadata, out_dir: &Path) {
    use std::fmt::Write as _;
    let mut o = String::new();
    let _ = writeln!(
        o,
        "brainsim {} — {} ({} neurons, {} synapses, {} rank(s) x {} thread(s), {})",
        meta.brainsim_version,
        meta.config_file,
        meta.neurons,
        meta.synapses,
        meta.ranks,
        meta.threads,
        meta.partitioner
    );
    let _ = writeln!(o, "  build time        {:>10.3} s", meta.build_seconds);
    let _ = writeln!(
        o,
        "  simulation time   {:>10.3} s for {:.1} ms biological time",
        meta.simulate_seconds, meta.t_valid_ms
    );
    let _ = writeln!(o, "  real-time factor  {:>10.3}", meta.real_time_factor);
    let _ = writeln!(o, "  spikes            {:>10}", meta.spikes);
    let events_per_s = meta.synaptic_events as f64 / meta.simulate_seconds.max(1e-9);
    let _ = writeln!(
        o,
        "  synaptic events   {:>10.3e} /s wall ({:.3e} /s per thread)",
        events_per_s,
        events_per_s / meta.threads as f64
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
