//! `brainsim run` of an NEF model (a config with `[nef]` tables): load and
//! validate, apply --t-stop and --seed, build (decoders solved; its wall
//! time printed), run with `brainsim_cluster::nef_run::run_nef`, summarise.
//! Bad input, including a model the library cannot build, is one line and
//! exit code 2 before the output directory is touched. One rank only for
//! now: under mpirun with more ranks, one line and exit 2.

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use brainsim_cluster::nef_run::{check_ranks, run_nef, NefRunRequest};
use brainsim_cluster::{RunError, World};
use brainsim_io::config::nef::{self, NefConfig};
use brainsim_io::metadata::RunMetadata;

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
    for (given, flag) in [
        (args.checkpoint_every.is_some(), "--checkpoint-every"),
        (args.checkpoint_keep.is_some(), "--checkpoint-keep"),
        (args.save_weights, "--save-weights"),
    ] {
        if given {
            return Err(format!("brainsim: {flag}: not offered for NEF models yet"));
        }
    }
    Ok(c)
}

/// `brainsim run` of an NEF config.
pub fn main(args: Args) -> ExitCode {
    let world = match World::start() {
        Ok(w) => w,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let comm = world.comm();
    let checked = check_ranks(comm).and_then(|()| validated(&args));
    let config = match refuse(comm, checked) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let threads = default_threads(args.threads.or(config.threads));
    if let Err(e) = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build_global()
    {
        return world.fail(&format!("cannot start {threads} threads: {e}"));
    }
    let t0 = Instant::now();
    let built = match config.build() {
        Ok(b) => b,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let build_seconds = t0.elapsed().as_secs_f64();
    let effective = match config.effective_text() {
        Ok(t) => t,
        Err(m) => return world.fail(&m),
    };
    println!(
        "brainsim: built {} ensembles ({} neurons), {} connections in {build_seconds:.3} s; running {} steps",
        built.ensembles.len(),
        built.ensembles.iter().map(|e| e.n_neurons()).sum::<usize>(),
        config.spec.connections.len(),
        config.steps()
    );
    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(|| default_out_dir(&args.config));
    let req = NefRunRequest {
        built: &built,
        datasets: &config.datasets,
        steps: config.steps(),
        dt_ms: config.dt_ms,
        t_stop_ms: config.t_stop_ms,
        out_dir: out_dir.clone(),
        overwrite: args.overwrite,
        config_file: args.config.display().to_string(),
        config_text: &config.text,
        effective_text: &effective,
        threads,
        build_seconds,
        comm,
    };
    match run_nef(req) {
        Ok(meta) => {
            print_summary(&meta, &config, &out_dir);
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

/// `brainsim check` of an NEF config: validated and built (decoders
/// solved), what it builds printed; bad input as for `run`.
pub fn check(path: &Path, ranks: usize) -> ExitCode {
    let config = match nef::load(path) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    if ranks > 1 {
        eprintln!("brainsim: --ranks {ranks}: an NEF model runs on one rank for now");
        return ExitCode::from(2);
    }
    let t0 = Instant::now();
    let built = match config.build() {
        Ok(b) => b,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let spec = &config.spec;
    let weights: usize = built.connections.iter().map(|c| c.weights.len()).sum();
    println!(
        "brainsim check — {} (NEF model, built in {:.3} s)",
        path.display(),
        t0.elapsed().as_secs_f64()
    );
    println!(
        "  {} ensembles, {} neurons, {} nodes",
        built.ensembles.len(),
        built.ensembles.iter().map(|e| e.n_neurons()).sum::<usize>(),
        spec.nodes.len()
    );
    println!(
        "  {} connections ({} more feed probes), {weights} weights",
        spec.connections.len(),
        built.connections.len() - spec.connections.len()
    );
    println!(
        "  {} probes -> probes.h5; {} steps of {} ms",
        config.datasets.len(),
        config.steps(),
        config.dt_ms
    );
    ExitCode::SUCCESS
}

/// The run's summary on stdout.
fn print_summary(meta: &RunMetadata, config: &NefConfig, out_dir: &Path) {
    use std::fmt::Write as _;
    let mut o = String::new();
    let _ = writeln!(
        o,
        "brainsim {} — {} (NEF: {} neurons, {} ensembles, {} probes, 1 rank x {} thread(s))",
        meta.brainsim_version,
        meta.config_file,
        meta.neurons,
        config.spec.ensembles.len(),
        config.datasets.len(),
        meta.threads
    );
    let _ = writeln!(o, "  build time        {:>10.3} s", meta.build_seconds);
    let _ = writeln!(
        o,
        "  simulation time   {:>10.3} s for {:.1} ms biological time",
        meta.simulate_seconds, meta.t_valid_ms
    );
    let _ = writeln!(o, "  real-time factor  {:>10.3}", meta.real_time_factor);
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
