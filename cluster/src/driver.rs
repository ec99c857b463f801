//! The run driver: check the memory estimate, build the shard, run the epoch
//! loop, stream spikes and state reports to SONATA files, keep the metadata.
//!
//! Output contract: nothing is created before the configuration and the memory
//! estimate pass. `metadata.json` says `running` until every file is closed,
//! then `finished`; the HDF5 files are flushed about once per wall second, so
//! a crash leaves everything up to the last flush readable.

use std::collections::BTreeMap;
use std::fs;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use brainsim_io::config::{ConfigError, LoadedConfig};
use brainsim_io::metadata::{PopulationSummary, RunMetadata};
use brainsim_io::sonata_report::ReportWriter;
use brainsim_io::sonata_spikes::SpikeWriter;
use brainsim_sim::estimate::estimate;
use brainsim_sim::spec::{NetworkSpec, RecordSpec};
use brainsim_sim::{connect, EpochOutput, InProcess, Network};

use crate::memory;

const FLUSH_EVERY: Duration = Duration::from_secs(1);

pub struct RunRequest<'a> {
    pub config: &'a LoadedConfig,
    /// The spec to run (the config's, with command-line overrides applied).
    pub spec: NetworkSpec,
    pub out_dir: PathBuf,
    pub threads: usize,
}

#[derive(Debug)]
pub enum RunError {
    /// Bad input: exit code 2.
    Config(ConfigError),
    /// Anything that failed while running: exit code 1.
    Failed(String),
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::Config(e) => write!(f, "{e}"),
            RunError::Failed(m) => write!(f, "{m}"),
        }
    }
}

/// Where the run is, for a progress display.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    pub step: u64,
    pub n_steps: u64,
    pub dt: f64,
    pub wall_seconds: f64,
}

fn failed(what: impl std::fmt::Display) -> RunError {
    RunError::Failed(what.to_string())
}

/// Refuses a network whose estimated memory exceeds what is available.
pub fn check_memory(req: &RunRequest) -> Result<(), RunError> {
    let est = estimate(&req.spec, 1.0, req.threads);
    let Some(available) = memory::available_bytes() else {
        return Ok(());
    };
    if est.bytes > available as f64 {
        // Name the projection that contributes most synapses.
        let biggest = (0..req.spec.projections.len()).max_by(|&a, &b| {
            connect::expected_synapses(&req.spec, a)
                .total_cmp(&connect::expected_synapses(&req.spec, b))
        });
        let field = biggest
            .map(|p| format!("projection[{p}]"))
            .unwrap_or_else(|| "population[0].size".into());
        let gib = |b: f64| b / (1u64 << 30) as f64;
        return Err(RunError::Config(req.config.error_at(
            &field,
            format!(
                "the network needs an estimated {:.1} GiB ({:.3e} synapses), more than the {:.1} GiB available; reduce `scale` or the network",
                gib(est.bytes),
                est.synapses,
                gib(available as f64)
            ),
        )));
    }
    Ok(())
}

/// Runs the whole simulation on this process and returns the final metadata.
pub fn run(req: RunRequest, progress: &mut dyn FnMut(Progress)) -> Result<RunMetadata, RunError> {
    check_memory(&req)?;
    let spec = &req.spec;
    let dir = &req.out_dir;
    fs::create_dir_all(dir).map_err(|e| {
        failed(format!(
            "{}: cannot create output directory: {e}",
            dir.display()
        ))
    })?;
    // A previous run's results must not survive looking like this run's.
    for stale in ["metadata.json", "spikes.h5"] {
        let _ = fs::remove_file(dir.join(stale));
    }
    fs::write(dir.join("config.toml"), &req.config.text)
        .map_err(|e| failed(format!("{}: {e}", dir.display())))?;

    let mut meta = RunMetadata {
        status: "running".into(),
        brainsim_version: env!("CARGO_PKG_VERSION").into(),
        config_file: req.config.path.display().to_string(),
        ranks: 1,
        threads: req.threads,
        seed: spec.simulation.seed,
        dt_ms: spec.simulation.dt,
        t_stop_ms: spec.simulation.t_stop,
        neurons: spec.n_neurons(),
        ..Default::default()
    };
    meta.write(dir)
        .map_err(|e| failed(format!("{}: {e}", dir.display())))?;

    let (recorded, recorded_gids): (Vec<usize>, Option<Vec<u32>>) = spec
        .records
        .iter()
        .find_map(|r| match r {
            RecordSpec::Spikes { populations, gids } => Some((populations.clone(), gids.clone())),
            _ => None,
        })
        .unwrap_or_default();
    let spikes_path = dir.join("spikes.h5");
    let pops: Vec<(String, u32, u32)> = recorded
        .iter()
        .map(|&p| {
            (
                spec.populations[p].name.clone(),
                spec.populations[p].first_gid,
                spec.populations[p].size,
            )
        })
        .collect();
    let mut spike_writer = if recorded.is_empty() {
        None
    } else {
        Some(SpikeWriter::create(&spikes_path, &pops).map_err(failed)?)
    };
    let mut is_recorded = vec![false; spec.populations.len()];
    for &p in &recorded {
        is_recorded[p] = true;
    }

    let mut ex = InProcess;
    let build_start = Instant::now();
    let mut net = Network::build(spec, &|_| true, &mut ex);
    let build_seconds = build_start.elapsed().as_secs_f64();

    let dt = spec.simulation.dt;
    let mut report_writers = Vec::new();
    for rep in &net.reports {
        let file = format!("{}_{}.h5", rep.name, rep.variable);
        let ids: Vec<u64> = rep.node_ids.iter().map(|&i| u64::from(i)).collect();
        let interval = rep.interval_steps as f64 * dt;
        let units = if rep.variable == "V_m" {
            "mV"
        } else if rep.variable.starts_with("I_") {
            "pA"
        } else {
            "1"
        };
        let w = ReportWriter::create(
            &dir.join(&file),
            &spec.populations[rep.population].name,
            &ids,
            interval,
            interval,
            units,
        )
        .map_err(failed)?;
        meta.outputs.push(file);
        report_writers.push(w);
    }
    if spike_writer.is_some() {
        meta.outputs.insert(0, "spikes.h5".into());
    }

    let mut out = EpochOutput::default();
    let mut per_pop = vec![0u64; spec.populations.len()];
    let mut buffer: Vec<(f64, u32)> = Vec::new();
    let mut frame: Vec<f32> = Vec::new();
    let sim_start = Instant::now();
    let mut last_flush = Instant::now();
    while net.run_epoch(&mut ex, &mut out) {
        buffer.clear();
        for sp in &out.spikes {
            let p = spec.population_of(sp.gid);
            per_pop[p] += 1;
            if is_recorded[p]
                && recorded_gids
                    .as_ref()
                    .is_none_or(|g| g.binary_search(&sp.gid).is_ok())
            {
                buffer.push(((sp.step + 1) as f64 * dt, sp.gid));
            }
        }
        if let Some(w) = spike_writer.as_mut() {
            w.append(&buffer).map_err(failed)?;
        }
        // Samples are sorted by (report, step, column): one frame per (report, step).
        let mut i = 0;
        while i < out.samples.len() {
            let (r, step) = (out.samples[i].record, out.samples[i].step);
            frame.clear();
            while i < out.samples.len() && out.samples[i].record == r && out.samples[i].step == step
            {
                frame.push(out.samples[i].value as f32);
                i += 1;
            }
            report_writers[r as usize]
                .append_frame(&frame)
                .map_err(failed)?;
        }
        if last_flush.elapsed() >= FLUSH_EVERY {
            if let Some(w) = spike_writer.as_mut() {
                w.flush().map_err(failed)?;
            }
            for w in &mut report_writers {
                w.flush().map_err(failed)?;
            }
            last_flush = Instant::now();
        }
        progress(Progress {
            step: net.step,
            n_steps: net.n_steps,
            dt,
            wall_seconds: sim_start.elapsed().as_secs_f64(),
        });
    }
    let simulate_seconds = sim_start.elapsed().as_secs_f64();
    if let Some(w) = spike_writer.take() {
        w.finish().map_err(failed)?;
    }
    for w in report_writers {
        w.finish().map_err(failed)?;
    }

    let t_sec = spec.simulation.t_stop / 1000.0;
    meta.synapses = net.n_synapses();
    meta.synapses_per_rank = vec![meta.synapses];
    meta.bytes_per_synapse = if meta.synapses > 0 {
        net.synapse_bytes() as f64 / meta.synapses as f64
    } else {
        0.0
    };
    meta.min_delay_steps = net.min_delay;
    meta.max_delay_steps = net.max_delay;
    meta.epoch_steps = net.epoch_steps();
    meta.spikes = net.spikes_total;
    meta.synaptic_events = net.events();
    meta.build_seconds = build_seconds;
    meta.simulate_seconds = simulate_seconds;
    meta.real_time_factor = simulate_seconds / t_sec;
    meta.peak_rss_bytes = memory::peak_rss_bytes();
    meta.timers = net
        .timers
        .as_pairs()
        .iter()
        .map(|(k, v)| (k.to_string(), *v))
        .collect::<BTreeMap<_, _>>();
    meta.populations = spec
        .populations
        .iter()
        .zip(&per_pop)
        .map(|(p, &n)| PopulationSummary {
            name: p.name.clone(),
            size: u64::from(p.size),
            spikes: n,
            rate_hz: n as f64 / (f64::from(p.size) * t_sec),
        })
        .collect();
    meta.status = "finished".into();
    meta.write(dir)
        .map_err(|e| failed(format!("{}: {e}", dir.display())))?;
    Ok(meta)
}
