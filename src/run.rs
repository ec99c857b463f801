//! `brainsim run`: load and validate the config, apply overrides, run, summarise.

use std::path::PathBuf;
use std::process::ExitCode;

use brainsim_cluster::{RunError, RunRequest};
use brainsim_io::config;

use crate::progress::Bar;

pub struct Args {
    pub config: PathBuf,
    pub out: Option<PathBuf>,
    pub threads: Option<usize>,
    pub t_stop: Option<f64>,
    pub seed: Option<u32>,
    pub quiet: bool,
}

/// Threads: --threads, else the config's, else RAYON_NUM_THREADS, else all cores.
fn thread_count(args: &Args, from_config: Option<usize>) -> usize {
    args.threads
        .or(from_config)
        .or_else(|| {
            std::env::var("RAYON_NUM_THREADS")
                .ok()
                .and_then(|v| v.parse().ok())
        })
        .or_else(|| std::thread::available_parallelism().ok().map(|n| n.get()))
        .unwrap_or(1)
        .max(1)
}

fn bad_argument(message: &str) -> ExitCode {
    eprintln!("brainsim: {message}");
    ExitCode::from(2)
}

pub fn main(args: Args) -> ExitCode {
    let loaded = match config::load(&args.config) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let mut spec = loaded.spec.clone();
    if let Some(t) = args.t_stop {
        if !(t.is_finite() && t > 0.0) {
            return bad_argument(&format!(
                "--t-stop: must be a positive number of ms, got {t}"
            ));
        }
        spec.simulation.t_stop = t;
    }
    if let Some(s) = args.seed {
        spec.simulation.seed = s;
    }
    if args.threads == Some(0) {
        return bad_argument("--threads: must be >= 1");
    }
    let threads = thread_count(&args, spec.simulation.threads);
    if let Err(e) = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build_global()
    {
        eprintln!("brainsim: cannot start {threads} threads: {e}");
        return ExitCode::from(1);
    }
    let out_dir = args.out.clone().unwrap_or_else(|| {
        let stem = args
            .config
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "run".into());
        PathBuf::from("out").join(stem)
    });
    let mut bar = Bar::new(args.quiet);
    let req = RunRequest {
        config: &loaded,
        spec,
        out_dir: out_dir.clone(),
        threads,
    };
    match brainsim_cluster::run(req, &mut |p| bar.update(p)) {
        Ok(meta) => {
            let bio_s = meta.t_stop_ms / 1000.0;
            println!(
                "brainsim {} — {} ({} neurons, {} synapses, {} thread(s))",
                meta.brainsim_version, meta.config_file, meta.neurons, meta.synapses, meta.threads
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
        Err(RunError::Config(e)) => {
            eprintln!("{e}");
            ExitCode::from(2)
        }
        Err(RunError::Failed(m)) => {
            eprintln!("brainsim: run failed: {m}");
            ExitCode::from(1)
        }
    }
}
