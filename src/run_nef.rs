//! `brainsim run` of an NEF model — a config with `[nef]` tables, or a
//! Nengo export (`.h5`, README "Models from Nengo"): load and validate,
//! apply --t-stop (and --seed for a config), build (decoders solved; its
//! wall time printed), run with `brainsim_cluster::nef_run::run_nef`,
//! summarise.
//! Bad input, including a model the library cannot build, is one line and
//! exit code 2 before the output directory is touched. Under mpirun every
//! rank builds the model and steps its chunks (`--partitioner`).

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use brainsim_cluster::nef_run::{run_nef, NefRunRequest};
use brainsim_cluster::{RunError, World};
use brainsim_io::config::nef::{self, NefConfig};
use brainsim_io::metadata::RunMetadata;
use brainsim_io::nef_probes::ProbeDataset;
use brainsim_sim::nef::Built;

use crate::run::{check_threads, default_out_dir, default_threads, refuse, Args};

/// Whether the file at `path` is an NEF config (an unreadable file is not:
/// the spiking path reports it).
pub fn is_nef_file(path: &Path) -> bool {
    std::fs::read_to_string(path).is_ok_and(|t| nef::is_nef(&t))
}

/// The config with the overrides applied, or the one-line error.
fn validated(args: &Args) -> Result<NefConfig, String> {
    let mut c = nef::load(&args.config).map_err(|e| e.to_string())?;
    if let Some(t) = args.t_stop {
        c.set_t_stop(t)
            .map_err(|m| format!("brainsim: --t-stop: {m}"))?;
    }
    if let Some(s) = args.seed {
        c.spec.seed = s;
    }
    check_threads(args.threads)?;
    unoffered(args)?;
    Ok(c)
}

/// The refusal of flags that NEF runs do not offer.
fn unoffered(args: &Args) -> Result<(), String> {
    for (given, flag) in [
        (args.checkpoint_every.is_some(), "--checkpoint-every"),
        (args.checkpoint_keep.is_some(), "--checkpoint-keep"),
        (args.save_weights, "--save-weights"),
    ] {
        if given {
            return Err(format!("brainsim: {flag}: not offered for NEF models yet"));
        }
    }
    Ok(())
}

/// A model ready to run, with what the run writes about it.
struct Prepared {
    built: Built,
    datasets: Vec<ProbeDataset>,
    steps: u64,
    dt_ms: f64,
    t_stop_ms: f64,
    text: String,
    effective: String,
    build_seconds: f64,
}

/// Whether `path` names a Nengo export (`.h5`) rather than a config.
pub fn is_export(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "h5" || e == "hdf5")
}

/// `brainsim run` of an NEF config or a Nengo export.
pub fn main(args: Args) -> ExitCode {
    let world = match World::start() {
        Ok(w) => w,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let prepared = if is_export(&args.config) {
        prepare_export(&world, &args)
    } else {
        prepare_config(&world, &args)
    };
    match prepared {
        Ok(p) => execute(&world, &args, p),
        Err(code) => code,
    }
}

/// Starts the global pool of `threads`.
fn start_threads(world: &World, threads: usize) -> Result<(), ExitCode> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build_global()
        .map_err(|e| world.fail(&format!("cannot start {threads} threads: {e}")))
}

/// An NEF config loaded, checked on every rank, built.
fn prepare_config(world: &World, args: &Args) -> Result<Prepared, ExitCode> {
    let config = refuse(world.comm(), validated(args))?;
    start_threads(world, default_threads(args.threads.or(config.threads)))?;
    let t0 = Instant::now();
    let built = config.build().map_err(|e| {
        eprintln!("{e}");
        ExitCode::from(2)
    })?;
    let build_seconds = t0.elapsed().as_secs_f64();
    let effective = config.effective_text().map_err(|m| world.fail(&m))?;
    Ok(Prepared {
        datasets: config.datasets.clone(),
        steps: config.steps(),
        dt_ms: config.dt_ms,
        t_stop_ms: config.t_stop_ms,
        text: config.text.clone(),
        effective,
        build_seconds,
        built,
    })
}

/// A Nengo export read on every rank (`brainsim_io::nengo_file`); its
/// t_stop unless --t-stop (ms) is given. --seed changes nothing in it
/// (Nengo drew everything) and is refused.
fn prepare_export(world: &World, args: &Args) -> Result<Prepared, ExitCode> {
    let t0 = Instant::now();
    let read = check_threads(args.threads)
        .and_then(|()| unoffered(args))
        .and_then(|()| {
            if args.seed.is_some() {
                return Err("brainsim: --seed: a Nengo export holds Nengo's own draws".into());
            }
            brainsim_io::nengo_file::read(&args.config).map_err(|e| e.to_string())
        });
    let (built, t_stop_s) = refuse(world.comm(), read)?;
    start_threads(world, default_threads(args.threads))?;
    let dt_ms = built.spec.dt * 1000.0;
    let t_stop_ms = args.t_stop.unwrap_or(t_stop_s * 1000.0);
    let steps = (t_stop_ms / dt_ms).round() as u64;
    let text = format!(
        "# brainsim run of the Nengo export {} (dt {dt_ms} ms, t_stop {t_stop_ms} ms)\n",
        args.config.display()
    );
    Ok(Prepared {
        datasets: ProbeDataset::one_per_probe(&built.spec),
        steps,
        dt_ms,
        t_stop_ms,
        effective: text.clone(),
        text,
        build_seconds: t0.elapsed().as_secs_f64(),
        built,
    })
}

/// Runs a prepared model into the output directory and summarises.
fn execute(world: &World, args: &Args, p: Prepared) -> ExitCode {
    if let Err(code) = crate::nef_memory::check(world, args, &p.built, p.steps) {
        return code;
    }
    let comm = world.comm();
    if comm.rank() == 0 {
        print_built(&p.built, p.steps, p.build_seconds);
    }
    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(|| default_out_dir(&args.config));
    let req = NefRunRequest {
        built: &p.built,
        datasets: &p.datasets,
        steps: p.steps,
        dt_ms: p.dt_ms,
        t_stop_ms: p.t_stop_ms,
        out_dir: out_dir.clone(),
        overwrite: args.overwrite,
        config_file: args.config.display().to_string(),
        config_text: &p.text,
        effective_text: &p.effective,
        threads: rayon::current_num_threads(),
        build_seconds: p.build_seconds,
        comm,
        partitioner: args.partitioner,
    };
    match run_nef(req) {
        Ok(meta) => {
            if comm.rank() == 0 {
                print_summary(&meta, &p, &out_dir);
            }
            ExitCode::SUCCESS
        }
        Err(RunError::Config(e)) => {
            eprintln!("{e}");
            ExitCode::from(2)
        }
        Err(RunError::Refused(m)) => {
            if let Some(m) = m {
                eprintln!("{m}");
            }
            ExitCode::from(2)
        }
        Err(RunError::Failed(m)) => world.fail(&format!("run failed: {m}")),
    }
}

/// What was built, before the run.
fn print_built(built: &Built, steps: u64, build_seconds: f64) {
    println!(
        "brainsim: built {} ensembles ({} neurons), {} connections in {build_seconds:.3} s; running {steps} steps",
        built.ensembles.len(),
        built.ensembles.iter().map(|e| e.n_neurons()).sum::<usize>(),
        built.connections.len(),
    );
}

/// The run's summary on stdout.
fn print_summary(meta: &RunMetadata, p: &Prepared, out_dir: &Path) {
    use std::fmt::Write as _;
    let mut o = String::new();
    let _ = writeln!(
        o,
        "brainsim {} — {} (NEF: {} neurons, {} ensembles, {} probes, {} rank(s) x {} thread(s), {})",
        meta.brainsim_version,
        meta.config_file,
        meta.neurons,
        p.built.ensembles.len(),
        p.datasets.len(),
        meta.ranks,
        meta.threads,
        meta.partitioner
    );
    crate::run::timing_lines(&mut o, meta);
    let _ = writeln!(
        o,
        "  peak RSS          {:>10.1} MiB",
        meta.peak_rss_bytes as f64 / 1048576.0
    );
    let _ = writeln!(
        o,
        "  output            {}",
        out_dir.join("probes.h5").display()
    );
    let _ = std::io::Write::write_all(&mut std::io::stdout(), o.as_bytes());
}
