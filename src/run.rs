//! `brainsim run`: start MPI (one rank without `mpirun`), load and validate
//! the config, apply overrides, run, summarise.
//!
//! Every rank parses the config and the arguments, so bad input is detected
//! on every rank identically: all of them exit with code 2, only rank 0
//! prints. A failure while running ends every rank (MPI abort) with the
//! failing rank's message; so does a panic (hook installed with > 1 rank).

use std::path::PathBuf;
use std::process::ExitCode;

use brainsim_cluster::{MpiContext, RunError, RunRequest};
use brainsim_io::config;
use brainsim_partition::Partitioner;
use brainsim_sim::NetworkSpec;

use crate::progress::Bar;

#[derive(clap::Args)]
pub struct Args {
    /// Network description (TOML).
    pub config: PathBuf,
    /// Output directory (default: out/<config name>).
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
    /// Do not draw the progress bar even on a terminal.
    #[arg(long)]
    pub quiet: bool,
}

fn env_count(name: &str) -> Option<usize> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

/// Threads per rank: --threads, else the config's, else RAYON_NUM_THREADS,
/// else SLURM_CPUS_PER_TASK, else all cores.
fn thread_count(args: &Args, from_config: Option<usize>) -> usize {
    args.threads
        .or(from_config)
        .or_else(|| env_count("RAYON_NUM_THREADS"))
        .or_else(|| env_count("SLURM_CPUS_PER_TASK"))
        .or_else(|| std::thread::available_parallelism().ok().map(|n| n.get()))
        .unwrap_or(1)
        .max(1)
}

/// Bad input: every rank finds it, rank 0 says it. No rank exits before
/// rank 0 has printed (mpirun stops the job at the first non-zero exit).
/// Agrees on bad input across ranks. A rank that found bad input must not
/// exit alone: the others would wait for it in their next collective. So all
/// ranks learn (one all-min) the lowest rank that found bad input; that rank
/// prints its one-line message, and every rank exits with code 2.
fn agree<T>(mpi: &MpiContext, outcome: Result<T, String>) -> Result<T, ExitCode> {
    let mine = if outcome.is_err() {
        mpi.rank() as u64
    } else {
        u64::MAX
    };
    let first = mpi.all_min_u64(mine);
    match outcome {
        Ok(v) if first == u64::MAX => Ok(v),
        outcome => {
            if let Err(message) = outcome {
                if first == mpi.rank() as u64 {
                    eprintln!("{message}");
                }
            }
            // Let the message out before any rank exits (mpirun may then
            // stop the others).
            mpi.barrier();
            Err(ExitCode::from(2))
        }
    }
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
        spec.simulation.t_stop = t;
    }
    if let Some(s) = args.seed {
        spec.simulation.seed = s;
    }
    if args.threads == Some(0) {
        return Err("brainsim: --threads: must be >= 1".into());
    }
    Ok((loaded, spec))
}

pub fn main(args: Args) -> ExitCode {
    let mpi = MpiContext::init();
    if mpi.size() > 1 {
        brainsim_cluster::install_panic_hook(mpi.rank());
    }
    let code = run_on_rank(&mpi, args);
    drop(mpi);
    code
}

fn run_on_rank(mpi: &MpiContext, args: Args) -> ExitCode {
    let (loaded, spec) = match agree(mpi, validated(&args)) {
        Ok(v) => v,
        Err(code) => return code,
    };
    let threads = thread_count(&args, spec.simulation.threads);
    if let Err(e) = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build_global()
    {
        return fail(mpi, &format!("cannot start {threads} threads: {e}"));
    }
    let out_dir = args.out.clone().unwrap_or_else(|| {
        let stem = args
            .config
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "run".into());
        PathBuf::from("out").join(stem)
    });
    let mut bar = Bar::new(args.quiet || mpi.rank() != 0);
    let req = RunRequest {
        config: &loaded,
        spec,
        out_dir: out_dir.clone(),
        threads,
        partitioner: args.partitioner,
        mpi,
    };
    match brainsim_cluster::run(req, &mut |p| bar.update(p)) {
        Ok(_) if mpi.rank() != 0 => ExitCode::SUCCESS,
        Ok(meta) => {
            let bio_s = meta.t_stop_ms / 1000.0;
            println!(
                "brainsim {} — {} ({} neurons, {} synapses, {} rank(s) x {} thread(s), {})",
                meta.brainsim_version,
                meta.config_file,
                meta.neurons,
                meta.synapses,
                meta.ranks,
                meta.threads,
                meta.partitioner
            );
            println!("  build time        {:>10.3} s", meta.build_seconds);
            println!(
                "  simulation time   {:>10.3} s for {:.1} ms biological time",
                meta.simulate_seconds, meta.t_stop_ms
            );
            println!("  real-time factor  {:>10.3}", meta.real_time_factor);
            println!("  spikes            {:>10}", meta.spikes);
            println!(
                "  synaptic events   {:>10.3e} /s wall ({:.3e} /s per thread)",
                meta.synaptic_events as f64 / meta.simulate_seconds.max(1e-9),
                meta.synaptic_events as f64 / meta.simulate_seconds.max(1e-9) / meta.threads as f64
            );
            println!(
                "  peak RSS          {:>10.1} MiB, {:.2} bytes/synapse",
                meta.peak_rss_bytes as f64 / 1048576.0,
                meta.bytes_per_synapse
            );
            for p in &meta.populations {
                println!(
                    "  rate {:<12} {:>10.3} Hz ({} spikes, {} neurons)",
                    p.name, p.rate_hz, p.spikes, p.size
                );
            }
            let _ = bio_s;
            println!("  output            {}", out_dir.display());
            ExitCode::SUCCESS
        }
        Err(RunError::Config(e)) => agree::<()>(mpi, Err(e.to_string()))
            .err()
            .unwrap_or(ExitCode::from(2)),
        Err(RunError::Failed(m)) => fail(mpi, &format!("run failed: {m}")),
    }
}

/// A failure on this rank: alone, exit 1; with other ranks, end them all.
fn fail(mpi: &MpiContext, message: &str) -> ExitCode {
    if mpi.size() > 1 {
        mpi.abort(message, 1);
    }
    eprintln!("brainsim: {message}");
    ExitCode::from(1)
}
