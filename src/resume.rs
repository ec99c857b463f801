//! `brainsim resume OUT`: continue a run from a checkpoint, on any number of
//! ranks and threads, into the same output directory.
//!
//! Everything is checked on every rank before anything changes (bad input:
//! one line, exit 2, the directory as it was): OUT holds a run
//! (`metadata.json`, `config.effective.toml`), the checkpoint reads (the
//! newest valid one of `OUT/checkpoints`, falling back past corrupt ones,
//! or `--checkpoint FILE` exactly), it belongs to this config (the
//! network's key and fingerprint; the message gives both config hashes),
//! and the run's end (`--t-stop`, which may extend a finished run) is after
//! it. The driver then cuts the outputs back to the checkpoint's step and
//! appends from there (cluster's `resume.rs`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use brainsim_cluster::checkpointing::checkpoint_dir;
use brainsim_cluster::{MemoryLimit, ResumePoint, World};
use brainsim_io::checkpoint::{self, config_hash};
use brainsim_io::config;
use brainsim_io::metadata::RunMetadata;
use brainsim_partition::Partitioner;
use brainsim_sim::checkpoint::NetworkKey;

use crate::run::{check_threads, checkpoint_policy, execute, refuse, set_t_stop, Launch};

#[derive(clap::Args)]
pub struct Args {
    /// The output directory of the run to continue.
    pub out: PathBuf,
    /// Run until this time (ms); later than the run's own t_stop extends it (default: the run's t_stop).
    #[arg(long = "t-stop")]
    pub t_stop: Option<f64>,
    /// Worker threads per rank (default as for `run`).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Placement of chunks on ranks: metis, round_robin or block (default: the run's own).
    #[arg(long)]
    pub partitioner: Option<Partitioner>,
    /// Resume from this checkpoint file instead of the newest valid one in OUT/checkpoints.
    #[arg(long, value_name = "FILE")]
    pub checkpoint: Option<PathBuf>,
    /// Write checkpoints every MS from here on (default: as the run did).
    #[arg(long = "checkpoint-every", value_name = "MS")]
    pub checkpoint_every: Option<f64>,
    /// Checkpoints kept on disk (default: as the run did, else 2).
    #[arg(long = "checkpoint-keep", value_name = "K")]
    pub checkpoint_keep: Option<usize>,
    /// Do not draw the progress bar even on a terminal.
    #[arg(long)]
    pub quiet: bool,
    /// Run even if the memory estimate exceeds what is available.
    #[arg(long)]
    pub force: bool,
}

pub fn main(args: Args) -> ExitCode {
    let world = match World::start() {
        Ok(w) => w,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    match refuse(world.comm(), validated(&args)) {
        Ok(launch) => execute(&world, launch),
        Err(code) => code,
    }
}

/// The checkpoint to continue from: `--checkpoint FILE`, else the newest
/// valid one of `OUT/checkpoints`.
fn find_checkpoint(out: &Path, given: Option<&Path>) -> Result<ResumePoint, String> {
    let start = std::time::Instant::now();
    let file = match given {
        Some(f) => f.to_path_buf(),
        None => {
            let dir = checkpoint_dir(out);
            match checkpoint::latest_valid(&dir) {
                Ok(Some((path, _))) => path,
                Ok(None) => {
                    return Err(format!(
                        "brainsim: {}: no checkpoint to resume from",
                        dir.display()
                    ))
                }
                Err(e) => return Err(format!("brainsim: {e}")),
            }
        }
    };
    let (states, meta) = checkpoint::read(&file).map_err(|e| format!("brainsim: {e}"))?;
    Ok(ResumePoint {
        states,
        meta,
        file,
        read_seconds: start.elapsed().as_secs_f64(),
    })
}

/// Everything `resume` needs, checked (see the module doc).
fn validated(args: &Args) -> Result<Launch, String> {
    let out = &args.out;
    let earlier = RunMetadata::read(out).map_err(|e| {
        format!(
            "brainsim: {}: not a brainsim output directory (metadata.json: {e})",
            out.display()
        )
    })?;
    let config_path = out.join("config.effective.toml");
    let loaded = config::load(&config_path).map_err(|e| e.to_string())?;
    let mut spec = loaded.spec.clone();
    if let Some(t) = args.t_stop {
        set_t_stop(&mut spec, t)?;
    }
    check_threads(args.threads)?;
    let point = find_checkpoint(out, args.checkpoint.as_deref())?;
    check_fits(&point, &loaded, &spec, &config_path)?;
    let partitioner = match args.partitioner {
        Some(p) => p,
        None => earlier.partitioner.parse().unwrap_or(Partitioner::Metis),
    };
    let checkpoint = checkpoint_policy(
        loaded.checkpoint,
        args.checkpoint_every,
        args.checkpoint_keep,
        spec.simulation.dt,
    )?;
    Ok(Launch {
        loaded,
        spec,
        out_dir: out.clone(),
        overwrite: false,
        threads: args.threads,
        partitioner,
        quiet: args.quiet,
        memory: if args.force {
            MemoryLimit::Unchecked
        } else {
            MemoryLimit::Available
        },
        checkpoint,
        resume: Some(point),
    })
}

/// The checkpoint belongs to this run's config, and the run ends after it.
fn check_fits(
    point: &ResumePoint,
    loaded: &config::LoadedConfig,
    spec: &brainsim_sim::NetworkSpec,
    config_path: &Path,
) -> Result<(), String> {
    let file = point.file.display();
    let key = NetworkKey::of(spec, point.states.network.ring_horizon);
    point.states.network.check(&key).map_err(|e| {
        format!(
            "brainsim: {file}: written by a different config: {e} (its config hash {:016x}, {} has {:016x})",
            point.meta.config_hash,
            config_path.display(),
            config_hash(&loaded.text)
        )
    })?;
    let dt = spec.simulation.dt;
    let t_ckpt = point.states.step as f64 * dt;
    let n_steps = (spec.simulation.t_stop / dt).round() as u64;
    if point.states.step > n_steps {
        return Err(format!(
            "brainsim: {file}: the checkpoint is at t = {t_ckpt} ms, after t_stop = {} ms; give a later --t-stop",
            spec.simulation.t_stop
        ));
    }
    if point.states.step == n_steps {
        return Err(format!(
            "brainsim: {file}: nothing to resume: the checkpoint is at t_stop = {t_ckpt} ms; give a later --t-stop to extend the run"
        ));
    }
    Ok(())
}
