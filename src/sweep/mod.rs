//! `brainsim sweep`: a parameter sweep over one config. Owns the expansion
//! of `--set KEY=V1,V2,...` into variants (`expand`), their validation, the
//! sweep directory (`DIR/<index>/config.toml`, `DIR/sweep.csv`), running the
//! variants one after another (`--local`) or as one Slurm job array (the
//! script of `brainsim submit` with `--array`, `DIR/job.sbatch` and
//! `DIR/job.json`), and the summary `brainsim analyze DIR` prints for a
//! sweep directory (`summary`).
//!
//! Everything is checked before anything is written: the `--set`s against
//! the config (path, type), every variant with the loader of `brainsim run`,
//! the job options as `submit` checks them, `sbatch` in PATH and the sweep
//! directory (refused when it exists and is not empty, unless
//! `--overwrite`). Bad input: one line, exit 2, nothing written.

mod expand;
pub mod summary;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use brainsim_io::config::{self, LoadedConfig};
use brainsim_partition::Partitioner;

use crate::submit::{self, LauncherChoice};
use expand::Axis;

/// The sweep table's file name in the sweep directory.
pub const SWEEP_CSV: &str = "sweep.csv";

/// `brainsim sweep` arguments.
#[derive(clap::Args)]
pub struct Args {
    /// Network description (TOML) the variants are made from.
    pub config: PathBuf,
    /// KEY=V1,V2,...: a dotted path into the config (tables by key, [[arrays]] by index from 0, e.g. projection.2.weight, simulation.seed, population.0.params.tau_m) and its values as TOML values (strings in quotes), each of the type of the value it replaces. Repeatable: the variants are the cartesian product, the first --set varying slowest.
    #[arg(long = "set", value_name = "KEY=V1,V2,...", required = true)]
    pub sets: Vec<String>,
    /// Sweep directory (default: out/<config name>_sweep): DIR/<index>/config.toml, DIR/<index>/out, DIR/sweep.csv.
    // The doc comment is the --help text, kept as printed: not HTML.
    #[allow(rustdoc::invalid_html_tags)]
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Run the variants here, one after another (`brainsim run`), instead of submitting a job array.
    #[arg(long, conflicts_with_all = ["nodes", "ranks_per_node", "time", "partition", "account", "mem", "checkpoint_every", "signal_margin", "launcher", "sbatch_args", "dry_run"])]
    pub local: bool,
    /// Nodes per variant (job array task).
    #[arg(long, required_unless_present = "local")]
    pub nodes: Option<u64>,
    /// MPI ranks per node.
    #[arg(long = "ranks-per-node", required_unless_present = "local")]
    pub ranks_per_node: Option<u64>,
    /// Threads per rank (= CPUs per task); with --local, the run's --threads.
    #[arg(long, required_unless_present = "local")]
    pub threads: Option<u64>,
    /// Wall-time limit of each variant, HH:MM:SS or D-HH:MM:SS.
    #[arg(long, required_unless_present = "local")]
    pub time: Option<String>,
    /// Slurm partition.
    #[arg(long)]
    pub partition: Option<String>,
    /// Slurm account.
    #[arg(long)]
    pub account: Option<String>,
    /// Memory per node, Slurm's format (e.g. 4000M, 64G). Default: the estimate of one node's ranks of the largest variant + 10 %.
    #[arg(long)]
    pub mem: Option<String>,
    /// Checkpoint every MS of biological time; a task then requeues itself after a stop before the time limit and resumes.
    #[arg(long = "checkpoint-every", value_name = "MS")]
    pub checkpoint_every: Option<f64>,
    /// Seconds before the time limit when a task's run is asked to stop (default 120, at most half the limit).
    #[arg(long = "signal-margin", value_name = "S")]
    pub signal_margin: Option<u64>,
    /// srun or mpirun (default as for submit).
    #[arg(long, value_enum)]
    pub launcher: Option<LauncherChoice>,
    /// One more #SBATCH option, verbatim (repeatable).
    #[arg(long = "sbatch-arg", value_name = "ARG", allow_hyphen_values = true)]
    pub sbatch_args: Vec<String>,
    /// Chunk placement on ranks (see `run --partitioner`).
    #[arg(long, default_value = "metis")]
    pub partitioner: Partitioner,
    /// Use a sweep directory that is not empty: rewrite the variants and sweep.csv, and replace the variants' earlier runs.
    #[arg(long)]
    pub overwrite: bool,
    /// Print the job array's script; write and submit nothing.
    #[arg(long = "dry-run")]
    pub dry_run: bool,
}

/// A sweep ready to be written.
struct Sweep {
    dir: PathBuf,
    axes: Vec<Axis>,
    /// Each variant's TOML text and loaded config.
    variants: Vec<(String, LoadedConfig)>,
}

/// Runs `brainsim sweep`.
pub fn main(args: Args) -> ExitCode {
    let sweep = match prepare(&args) {
        Ok(s) => s,
        Err(m) => return bad_input(&m),
    };
    let job = if args.local {
        None
    } else {
        let loaded: Vec<LoadedConfig> = sweep.variants.iter().map(|v| v.1.clone()).collect();
        match submit::prepare_array(&submit_args(&args, &sweep.dir), &loaded) {
            Ok(j) => Some(j),
            Err(m) => return bad_input(&m),
        }
    };
    if let Some((script, _)) = &job {
        if args.dry_run {
            print!("{}", script.render());
            return ExitCode::SUCCESS;
        }
    }
    let fresh = match check_dir(&sweep.dir, args.overwrite) {
        Ok(fresh) => fresh,
        Err(m) => return bad_input(&m),
    };
    if let Err(m) = write(&sweep) {
        eprintln!("{m}");
        return ExitCode::from(1);
    }
    let Some((script, record)) = job else {
        return run_local(&sweep, &args);
    };
    let follow = format!("brainsim analyze {}", sweep.dir.display());
    let code = submit::write_and_submit(&sweep.dir, &script.render(), record, &follow);
    if fresh && !sweep.dir.join(brainsim_io::job_record::JOB_FILE).exists() {
        // Not submitted: leave nothing that looks like a sweep behind.
        let _ = std::fs::remove_dir_all(&sweep.dir);
    }
    code
}

fn bad_input(message: &str) -> ExitCode {
    eprintln!("{message}");
    ExitCode::from(2)
}

/// Parses and checks the `--set`s, builds and validates every variant.
fn prepare(args: &Args) -> Result<Sweep, String> {
    let axes = args
        .sets
        .iter()
        .map(|s| expand::parse_set(s))
        .collect::<Result<Vec<_>, _>>()?;
    let path = &args.config;
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: cannot read the config file: {e}", path.display()))?;
    let mut base: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        config::parse(path, &text)
            .err()
            .map_or_else(|| e.message().to_string(), |c| c.to_string())
    })?;
    let config_dir = std::path::absolute(
        path.parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new(".")),
    )
    .map_err(|e| format!("brainsim: {}: {e}", path.display()))?;
    absolute_spike_files(&mut base, &config_dir);
    let axes = expand::check_axes(&base, axes)?;
    let dir = std::path::absolute(args.out.clone().unwrap_or_else(|| default_dir(path)))
        .map_err(|e| format!("brainsim: --out: {e}"))?;
    let n = expand::count(&axes);
    let mut variants = Vec::with_capacity(n);
    for i in 0..n {
        let table = expand::variant(&base, &axes, i);
        let text = toml::to_string(&table)
            .map_err(|e| format!("brainsim: sweep variant {i}: cannot write it as TOML: {e}"))?;
        let file = dir.join(i.to_string()).join("config.toml");
        let loaded = config::parse(&file, &text).map_err(|e| variant_error(&axes, i, path, &e))?;
        variants.push((text, loaded));
    }
    Ok(Sweep {
        dir,
        axes,
        variants,
    })
}

/// The one line for a variant the loader refused: about the `--set` when
/// its key is not in the config file and the loader does not know it
/// (misspelt), else about the variant.
fn variant_error(axes: &[Axis], i: usize, config: &Path, e: &config::ConfigError) -> String {
    let what = if e.field.is_empty() {
        e.message.clone()
    } else {
        format!("{}: {}", e.field, e.message)
    };
    let unknown = e.message.contains("unknown");
    if let Some(a) = axes
        .iter()
        .find(|a| unknown && a.added && a.field() == e.field)
    {
        return format!(
            "brainsim: --set {}: not a key of {}: {what}",
            a.key,
            config.display()
        );
    }
    format!(
        "brainsim: sweep variant {i} of {} ({}): {what}",
        expand::count(axes),
        expand::describe(axes, i)
    )
}

/// `out/<config stem>_sweep`.
fn default_dir(config: &Path) -> PathBuf {
    let stem = config
        .file_stem()
        .map_or_else(|| "config".into(), |s| s.to_string_lossy().into_owned());
    PathBuf::from("out").join(format!("{stem}_sweep"))
}

/// A relative `spikes_file` of a `[[stimulus]]` made absolute against the
/// config's directory, so the variants (in other directories) read the same
/// file.
fn absolute_spike_files(base: &mut toml::Table, config_dir: &Path) {
    let Some(toml::Value::Array(stimuli)) = base.get_mut("stimulus") else {
        return;
    };
    for s in stimuli.iter_mut().filter_map(toml::Value::as_table_mut) {
        if let Some(toml::Value::String(f)) = s.get_mut("spikes_file") {
            if Path::new(f.as_str()).is_relative() {
                *f = config_dir.join(&*f).to_string_lossy().into_owned();
            }
        }
    }
}

/// The sweep directory: new, empty, or (with `--overwrite`) anything;
/// whether it is new or empty.
fn check_dir(dir: &Path, overwrite: bool) -> Result<bool, String> {
    let non_empty = std::fs::read_dir(dir).is_ok_and(|mut d| d.next().is_some());
    if dir.exists() && !dir.is_dir() {
        return Err(format!(
            "brainsim: --out {}: not a directory",
            dir.display()
        ));
    }
    if non_empty && !overwrite {
        return Err(format!(
            "brainsim: --out {}: not empty (an earlier sweep?); choose another directory or pass --overwrite",
            dir.display()
        ));
    }
    Ok(!non_empty)
}

/// `DIR/<i>/config.toml` and `DIR/sweep.csv`.
fn write(s: &Sweep) -> Result<(), String> {
    let err = |p: &Path, e: std::io::Error| format!("brainsim: {}: {e}", p.display());
    for (i, (text, _)) in s.variants.iter().enumerate() {
        let d = s.dir.join(i.to_string());
        std::fs::create_dir_all(&d).map_err(|e| err(&d, e))?;
        let f = d.join("config.toml");
        std::fs::write(&f, text).map_err(|e| err(&f, e))?;
    }
    let f = s.dir.join(SWEEP_CSV);
    std::fs::write(&f, expand::csv(&s.axes)).map_err(|e| err(&f, e))
}

/// Runs every variant with `brainsim run` as a child process; the exit code
/// of the first that failed, after all of them ran.
fn run_local(s: &Sweep, args: &Args) -> ExitCode {
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("brainsim: cannot find its own executable: {e}");
            return ExitCode::from(1);
        }
    };
    let n = s.variants.len();
    let mut first_failure: Option<(usize, u8)> = None;
    for i in 0..n {
        let d = s.dir.join(i.to_string());
        eprintln!(
            "brainsim: sweep variant {i} of {n} ({})",
            expand::describe(&s.axes, i)
        );
        let mut cmd = std::process::Command::new(&exe);
        cmd.arg("run")
            .arg(d.join("config.toml"))
            .arg("--out")
            .arg(d.join("out"))
            .arg("--quiet")
            .args(["--partitioner", &args.partitioner.to_string()]);
        if let Some(t) = args.threads {
            cmd.args(["--threads", &t.to_string()]);
        }
        if args.overwrite {
            cmd.arg("--overwrite");
        }
        let code = match cmd.status() {
            Ok(st) if st.success() => continue,
            Ok(st) => st.code().map_or(1, |c| u8::try_from(c).unwrap_or(1)),
            Err(e) => {
                eprintln!("brainsim: sweep variant {i}: cannot start brainsim run: {e}");
                1
            }
        };
        eprintln!("brainsim: sweep variant {i} failed (exit code {code})");
        first_failure.get_or_insert((i, code));
    }
    match first_failure {
        None => {
            eprintln!(
                "brainsim: {n} variant(s) finished; summarise them with `brainsim analyze {}`",
                s.dir.display()
            );
            ExitCode::SUCCESS
        }
        Some((i, code)) => {
            eprintln!("brainsim: sweep: variant {i} was the first to fail (exit code {code})");
            ExitCode::from(code)
        }
    }
}

/// The arguments of `submit` for the job array (the caller checked that
/// the layout is given when not `--local`).
fn submit_args(a: &Args, dir: &Path) -> submit::Args {
    submit::Args {
        config: a.config.clone(),
        out: Some(dir.to_path_buf()),
        nodes: a.nodes.unwrap_or(0),
        ranks_per_node: a.ranks_per_node.unwrap_or(0),
        threads: a.threads.unwrap_or(0),
        time: a.time.clone().unwrap_or_default(),
        partition: a.partition.clone(),
        account: a.account.clone(),
        mem: a.mem.clone(),
        checkpoint_every: a.checkpoint_every,
        signal_margin: a.signal_margin,
        launcher: a.launcher,
        sbatch_args: a.sbatch_args.clone(),
        partitioner: a.partitioner,
        overwrite: a.overwrite,
        dry_run: a.dry_run,
    }
}
