//! `brainsim submit`: turn a config and a job layout into a Slurm batch
//! script (`OUT/job.sbatch`, `script.rs`) and submit it with `sbatch
//! --parsable`, recording the job in `OUT/job.json`. Everything is checked
//! before anything is written: the arguments (`request.rs`), the config
//! (the loader of `brainsim run` and `check`), the memory estimate against
//! `--mem` and the partition's nodes, the output directory and `sbatch`
//! itself. Bad input: one line, exit 2, nothing written.
//!
//! Decisions (README, "Running on a cluster"):
//! - Launcher: `--launcher srun|mpirun`; by default `srun` when `srun
//!   --mpi=list` offers `pmix` (preferred: Open MPI speaks it) or `pmi2`,
//!   with that plugin, else `mpirun` (an MPI whose ranks cannot get their
//!   rank from Slurm). srun gets `--cpus-per-task` and the script exports
//!   `SRUN_CPUS_PER_TASK` (srun >= 22.05 no longer inherits it); mpirun gets
//!   `--map-by ppr:R:node --bind-to none`.
//! - Signals: `--signal=B:TERM@margin` (default 120 s, at most half the time
//!   limit) goes to the batch shell only. The shell runs the step in the
//!   background, waits, and its trap forwards the request as SIGUSR1, which
//!   srun and mpirun pass on to every rank unchanged (a TERM to srun kills
//!   the ranks, mpirun kills them a second after a TERM); brainsim treats
//!   SIGUSR1 like SIGTERM (`cluster/src/signals.rs`).
//! - Checkpoints (`--checkpoint-every`): `--requeue`; the script resumes when
//!   `OUT/checkpoints` holds a checkpoint, and when the step exits 3 (stopped
//!   at a checkpoint) with a newer checkpoint than it started from, it
//!   requeues itself (`scontrol requeue Incomplete`). Without checkpoints:
//!   `--no-requeue`, a stopped run ends `interrupted`.
//! - Memory: `--mem` defaults to the estimate of the ranks of the fullest
//!   node (`brainsim check`'s, block placement of ranks on nodes) plus 10 %,
//!   in MiB; refused when an explicit `--mem` or the partition's smallest
//!   node (`sinfo`) is below the estimate.
//! - Output directory: an earlier run there is refused unless `--overwrite`,
//!   except one that checkpoints and did not finish (the job resumes it);
//!   a directory used by a live run or an active job is refused.

mod request;
pub(crate) mod script;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use brainsim_cluster::estimate::{estimate_ranks, EstimateError, RunShape};
use brainsim_cluster::memory::available_bytes;
use brainsim_io::config;
use brainsim_io::job_record::{JobRecord, SCRIPT_FILE};
use brainsim_io::metadata::RunMetadata;
use brainsim_io::outdir::OutputDir;
use brainsim_partition::Partitioner;

use crate::slurm;
use script::{JobScript, Launcher};

const MIB: f64 = (1u64 << 20) as f64;
const GIB: f64 = (1u64 << 30) as f64;
/// Share added to the estimate for the default `--mem`.
const MEM_HEADROOM: f64 = 0.10;
/// The node memory (MiB) sinfo reports when `RealMemory` is not configured.
const UNTRACKED_MIB: u64 = 1;

/// Which launcher the job uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LauncherChoice {
    /// srun with the best MPI plugin it offers (pmix, else pmi2).
    Srun,
    /// mpirun inside the allocation.
    Mpirun,
}

#[derive(clap::Args)]
pub struct Args {
    /// Network description (TOML); checked as `brainsim check` does before anything is written.
    pub config: PathBuf,
    /// Output directory (default: out/<config name>); job.sbatch, job.json and slurm-<job>.out go there too.
    // The doc comment is the --help text, kept as printed: not HTML.
    #[allow(rustdoc::invalid_html_tags)]
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Nodes.
    #[arg(long)]
    pub nodes: u64,
    /// MPI ranks per node.
    #[arg(long = "ranks-per-node")]
    pub ranks_per_node: u64,
    /// Threads per rank (= CPUs per task).
    #[arg(long)]
    pub threads: u64,
    /// Wall-time limit, HH:MM:SS or D-HH:MM:SS.
    #[arg(long)]
    pub time: String,
    /// Slurm partition.
    #[arg(long)]
    pub partition: Option<String>,
    /// Slurm account.
    #[arg(long)]
    pub account: Option<String>,
    /// Memory per node, Slurm's format (e.g. 4000M, 64G; 0 = all of it). Default: the memory estimate of one node's ranks + 10 %; refused when the estimate exceeds it.
    #[arg(long)]
    pub mem: Option<String>,
    /// Write a checkpoint every MS of biological time; the job then requeues itself after a stop before the time limit and resumes until the run is finished.
    #[arg(long = "checkpoint-every", value_name = "MS")]
    pub checkpoint_every: Option<f64>,
    /// Seconds before the time limit when the run is asked to stop (Slurm's --signal=B:TERM@S). Default 120, at most half the time limit.
    #[arg(long = "signal-margin", value_name = "S")]
    pub signal_margin: Option<u64>,
    /// srun or mpirun. Default: srun when `srun --mpi=list` offers pmix or pmi2, else mpirun.
    #[arg(long, value_enum)]
    pub launcher: Option<LauncherChoice>,
    /// One more #SBATCH option, verbatim, after brainsim's own (repeatable), e.g. --sbatch-arg=--qos=debug.
    #[arg(long = "sbatch-arg", value_name = "ARG", allow_hyphen_values = true)]
    pub sbatch_args: Vec<String>,
    /// Chunk placement on ranks (see `run --partitioner`).
    #[arg(long, default_value = "metis")]
    pub partitioner: Partitioner,
    /// Replace an earlier run in the output directory (its first start runs with --overwrite).
    #[arg(long)]
    pub overwrite: bool,
    /// Print the script; write and submit nothing.
    #[arg(long = "dry-run")]
    pub dry_run: bool,
}

/// A job ready to be written and submitted.
struct Plan {
    script: JobScript,
    out: PathBuf,
    record: JobRecord,
}

pub fn main(args: Args) -> ExitCode {
    let plan = match prepare(&args) {
        Ok(p) => p,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let text = plan.script.render();
    if args.dry_run {
        let _ = std::io::Write::write_all(&mut std::io::stdout(), text.as_bytes());
        return ExitCode::SUCCESS;
    }
    submit(plan, &text)
}

/// Checks everything and builds the script; nothing is written.
fn prepare(args: &Args) -> Result<Plan, String> {
    let opts = check_options(args)?;
    let out = out_dir(args)?;
    let config_path = absolute(&args.config, "CONFIG")?;
    let loaded = config::load(&config_path).map_err(|e| e.to_string())?;
    let checkpoint_every = checkpoint_every(args, std::slice::from_ref(&loaded))?;
    let need = node_estimate(args, &loaded.spec, loaded.save_weights)?;
    let mem_line = memory(args, need, opts.mem.as_ref())?;
    check_out_dir(&out, args, checkpoint_every.is_some())?;
    let script = build_script(args, &opts, mem_line, checkpoint_every, &out, None)?;
    let record = record_of(&script);
    Ok(Plan {
        script,
        out,
        record,
    })
}

/// The script and record of a sweep's job array of `variants.len()` tasks
/// (`brainsim sweep`; `args.out` is the sweep directory, `args.config` the
/// swept config): the checks of `submit`, the memory request covering the
/// largest variant. The sweep directory itself is checked by the caller.
pub(crate) fn prepare_array(
    args: &Args,
    variants: &[config::LoadedConfig],
) -> Result<(JobScript, JobRecord), String> {
    let opts = check_options(args)?;
    let out = out_dir(args)?;
    let checkpoint_every = checkpoint_every(args, variants)?;
    let mut need: f64 = 0.0;
    for v in variants {
        need = need.max(node_estimate(args, &v.spec, v.save_weights)?);
    }
    let mem_line = memory(args, need, opts.mem.as_ref())?;
    let n = variants.len() as u64;
    let script = build_script(args, &opts, mem_line, checkpoint_every, &out, Some(n))?;
    let record = record_of(&script);
    Ok((script, record))
}

/// The checked values of the job options.
struct Options {
    time: request::TimeLimit,
    margin: u64,
    mem: Option<request::Mem>,
}

/// The layout, time limit, signal margin, memory and the strings that go
/// into `#SBATCH` lines.
fn check_options(args: &Args) -> Result<Options, String> {
    request::check_layout(args.nodes, args.ranks_per_node, args.threads)?;
    let time = request::parse_time(&args.time)?;
    let margin = request::signal_margin(args.signal_margin, &time)?;
    let mem = args.mem.as_deref().map(request::parse_mem).transpose()?;
    for (arg, v) in [
        ("--partition", &args.partition),
        ("--account", &args.account),
    ] {
        if let Some(v) = v {
            request::check_token(arg, v)?;
        }
    }
    for a in &args.sbatch_args {
        request::check_sbatch_arg(a)?;
    }
    Ok(Options { time, margin, mem })
}

/// `--out` (default out/<config stem>), absolute, fit for an `#SBATCH` line.
fn out_dir(args: &Args) -> Result<PathBuf, String> {
    let out = absolute(
        &args
            .out
            .clone()
            .unwrap_or_else(|| crate::run::default_out_dir(&args.config)),
        "--out",
    )?;
    request::check_out_path(&utf8(&out, "--out")?)?;
    Ok(out)
}

/// `--checkpoint-every` (checked against every config's dt), else the
/// configs' `[checkpoint] every`, which must then agree.
fn checkpoint_every(args: &Args, configs: &[config::LoadedConfig]) -> Result<Option<f64>, String> {
    if let Some(every) = args.checkpoint_every {
        for c in configs {
            config::checkpoint_every_steps(every, c.spec.simulation.dt)
                .map_err(|m| format!("brainsim: --checkpoint-every: {m}"))?;
        }
        return Ok(Some(every));
    }
    let mut everies = configs
        .iter()
        .map(|c| c.checkpoint.as_ref().map(|c| c.every_ms));
    let first = everies.next().flatten();
    if everies.any(|e| e != first) {
        return Err("brainsim: the variants' [checkpoint] every differ; give --checkpoint-every for all of them".into());
    }
    Ok(first)
}

/// The script: launcher, `sbatch` in PATH (unless a dry run), the brainsim
/// executable, and everything checked before.
fn build_script(
    args: &Args,
    opts: &Options,
    mem: Option<(String, String)>,
    checkpoint_every_ms: Option<f64>,
    out: &Path,
    array: Option<u64>,
) -> Result<JobScript, String> {
    let launcher = match args.launcher {
        Some(LauncherChoice::Mpirun) => Launcher::Mpirun,
        Some(LauncherChoice::Srun) => Launcher::Srun(slurm::srun_mpi_plugin()),
        None => slurm::srun_mpi_plugin().map_or(Launcher::Mpirun, |p| Launcher::Srun(Some(p))),
    };
    if !args.dry_run && slurm::find_in_path("sbatch").is_none() {
        return Err("brainsim: sbatch: not found in PATH (submit from a Slurm login node); --dry-run prints the script without submitting".into());
    }
    let brainsim = std::env::current_exe()
        .map_err(|e| format!("brainsim: cannot find its own executable: {e}"))
        .and_then(|p| utf8(&p, "the brainsim executable"))?;
    let config_path = absolute(&args.config, "CONFIG")?;
    Ok(JobScript {
        job_name: job_name(&args.config),
        nodes: args.nodes,
        ranks_per_node: args.ranks_per_node,
        threads: args.threads,
        time: opts.time.text.clone(),
        mem,
        partition: args.partition.clone(),
        account: args.account.clone(),
        signal_margin: opts.margin,
        checkpoint_every_ms,
        launcher,
        sbatch_args: args.sbatch_args.clone(),
        brainsim,
        config: utf8(&config_path, "CONFIG")?,
        out: utf8(out, "--out")?,
        partitioner: args.partitioner.to_string(),
        overwrite: args.overwrite,
        // SAFETY: geteuid has no preconditions and cannot fail.
        as_root: unsafe { libc::geteuid() } == 0,
        array,
    })
}

/// `path` made absolute against the working directory.
fn absolute(path: &Path, arg: &str) -> Result<PathBuf, String> {
    std::path::absolute(path).map_err(|e| format!("brainsim: {arg}: {}: {e}", path.display()))
}

/// `path` as UTF-8 text (it goes into a script).
fn utf8(path: &Path, arg: &str) -> Result<String, String> {
    path.to_str().map(str::to_string).ok_or_else(|| {
        format!(
            "brainsim: {arg}: {} is not valid UTF-8; a batch script cannot name it",
            path.display()
        )
    })
}

/// `brainsim-<config stem>`, with only letters, digits, `_`, `-` and `.`.
fn job_name(config: &Path) -> String {
    let stem = config
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let clean: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_-.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect();
    format!("brainsim-{clean}")
}

/// The `--mem` line for `need` bytes per node (value and the comment saying
/// where it came from; none when the cluster does not track memory), or the
/// refusal when the network does not fit.
fn memory(
    args: &Args,
    need: f64,
    mem: Option<&request::Mem>,
) -> Result<Option<(String, String)>, String> {
    let what = format!(
        "the network needs an estimated {:.2} GiB per node ({} rank(s) x {} thread(s) per node, `brainsim check`)",
        need / GIB,
        args.ranks_per_node,
        args.threads
    );
    if let Some(m) = mem.filter(|m| m.bytes > 0) {
        if need > m.bytes as f64 {
            return Err(format!(
                "brainsim: --mem {}: {what}; ask for more memory or more --nodes",
                m.text
            ));
        }
    }
    let node_mib = slurm::node_memory_mib(args.partition.as_deref());
    if let Some(n) = node_mib.filter(|&n| n > UNTRACKED_MIB && need > n as f64 * MIB) {
        return Err(format!(
            "brainsim: {what}, more than the {:.2} GiB of the partition's smallest node (sinfo); use more --nodes",
            n as f64 * MIB / GIB
        ));
    }
    if let Some(m) = mem {
        return Ok(Some((m.text.clone(), "as given with --mem".into())));
    }
    if node_mib == Some(UNTRACKED_MIB) {
        // Nodes without RealMemory: Slurm would refuse any --mem.
        return Ok(None);
    }
    let mut mib = (need * (1.0 + MEM_HEADROOM) / MIB).ceil() as u64;
    if let Some(n) = node_mib {
        mib = mib.min(n);
    }
    Ok(Some((
        format!("{mib}M"),
        "the memory estimate of one node's ranks (`brainsim check`) + 10 %".into(),
    )))
}

/// The estimated peak bytes of the fullest node: ranks placed on nodes in
/// blocks of `ranks_per_node`, as srun and `mpirun --map-by ppr` do.
fn node_estimate(
    args: &Args,
    spec: &brainsim_sim::NetworkSpec,
    save_weights: bool,
) -> Result<f64, String> {
    let shape = RunShape {
        ranks: (args.nodes * args.ranks_per_node) as usize,
        threads: args.threads as usize,
        partitioner: args.partitioner,
        save_weights,
    };
    let est = match estimate_ranks(spec, shape, available_bytes().map(|a| a as f64)) {
        Ok(e) => e,
        Err(EstimateError::Partitioner(m)) => {
            return Err(format!("brainsim: partitioning failed: {m}"))
        }
        Err(EstimateError::GraphTooLarge(b)) => {
            return Err(format!(
                "brainsim: the chunk graph for metis alone needs an estimated {:.1} GiB, more than the memory available here; use --partitioner block or round_robin",
                b / GIB
            ))
        }
    };
    Ok(est
        .ranks
        .chunks(args.ranks_per_node as usize)
        .map(|node| node.iter().map(|r| r.bytes()).sum::<f64>())
        .fold(0.0, f64::max))
}

/// Refuses an output directory a live run or an active job uses, or that
/// holds an earlier run (unless `--overwrite`, or the job will resume it).
fn check_out_dir(out: &Path, args: &Args, checkpoints: bool) -> Result<(), String> {
    if !out.exists() {
        return Ok(());
    }
    let dir = OutputDir::new(out);
    if let Some(lock) = dir.lock_info().filter(|l| l.alive != Some(false)) {
        return Err(format!(
            "brainsim: {}: in use by a run (host {}, pid {}); wait for it or choose another --out",
            out.display(),
            lock.host,
            lock.pid
        ));
    }
    if let Ok(Some(job)) = brainsim_io::job_record::JobRecord::read(out) {
        if let slurm::JobQuery::Known(info) =
            slurm::query_job(&job.job_id, job.slurm_conf.as_deref())
        {
            if crate::status::is_active(&info.state) {
                return Err(format!(
                    "brainsim: {}: job {} ({}) uses this directory; wait for it, scancel it, or choose another --out",
                    out.display(),
                    job.job_id,
                    info.state
                ));
            }
        }
    }
    let resumable = checkpoints
        && !crate::status::checkpoints(out).is_empty()
        && RunMetadata::read(out).is_ok_and(|m| !m.is_finished());
    if args.overwrite || resumable {
        return Ok(());
    }
    dir.refuse_previous_run(false)
}

/// What job.json records (the id and time are filled in at submission).
fn record_of(s: &JobScript) -> JobRecord {
    JobRecord {
        job_id: String::new(),
        submitted_unix_s: 0,
        script: SCRIPT_FILE.into(),
        config: s.config.clone(),
        nodes: s.nodes,
        ranks_per_node: s.ranks_per_node,
        threads: s.threads,
        time_limit: s.time.clone(),
        launcher: s.launcher.describe(),
        mem: s.mem.as_ref().map(|m| m.0.clone()).unwrap_or_default(),
        checkpoint_every_ms: s.checkpoint_every_ms,
        slurm_conf: std::env::var_os("SLURM_CONF")
            .and_then(|c| std::path::absolute(c).ok())
            .map(|c| c.to_string_lossy().into_owned()),
    }
}

/// Writes the script, submits it, records the job; prints the job id.
fn submit(plan: Plan, text: &str) -> ExitCode {
    if let Err(m) = OutputDir::new(&plan.out).create() {
        eprintln!("{m}");
        return ExitCode::from(1);
    }
    let status = format!("brainsim status {}", plan.out.display());
    write_and_submit(&plan.out, text, plan.record, &status)
}

/// Writes `text` to `dir/job.sbatch` (an existing directory), submits it,
/// records the job in `dir/job.json` and prints its id; `follow` is the
/// command the closing message suggests.
pub(crate) fn write_and_submit(
    dir: &Path,
    text: &str,
    record: JobRecord,
    follow: &str,
) -> ExitCode {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(SCRIPT_FILE);
    let written = std::fs::write(&path, text)
        .and_then(|_| std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)))
        .map_err(|e| format!("brainsim: {}: {e}", path.display()));
    if let Err(m) = written {
        eprintln!("{m}");
        return ExitCode::from(1);
    }
    let id = match slurm::sbatch(&path) {
        Ok(id) => id,
        Err(m) => {
            eprintln!("{m}");
            return ExitCode::from(1);
        }
    };
    let mut record = record;
    record.job_id = id.clone();
    record.submitted_unix_s = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    println!("{id}");
    if let Err(e) = record.write(dir) {
        eprintln!(
            "brainsim: job {id} submitted, but {}/job.json could not be written: {e}",
            dir.display()
        );
        return ExitCode::from(1);
    }
    eprintln!(
        "brainsim: submitted job {id} ({}); follow it with `{follow}`",
        path.display()
    );
    ExitCode::SUCCESS
}
