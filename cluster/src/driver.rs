//! The distributed run driver, the same on every rank: check the memory
//! estimate, build this rank's shard (its chunks of the decomposition), run
//! the epoch loop with the MPI exchange, stream spikes and state reports to
//! SONATA files, keep the metadata (see DESIGN.md for the output scheme).
//!
//! Output contract: nothing is created before the configuration and the memory
//! estimate pass. `metadata.json` (rank 0 only) says `running` until every
//! file is closed, then `finished`; the HDF5 files are flushed about once per
//! wall second, so a crash leaves everything up to the last flush readable.
//! With one rank, spikes go straight to `spikes.h5`; with several, each rank
//! writes `spikes.rank<R>.h5` and rank 0 merges them at the end.
//!
//! Invariant: every rank takes the same branches in the same order around the
//! collectives (build, setup, one exchange and, with reports, one gather per
//! epoch, the final gathers); every decision before them depends only on the
//! spec and the rank count.

use std::fs;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use brainsim_io::config::{ConfigError, LoadedConfig};
use brainsim_io::metadata::{PopulationSummary, RunMetadata};
use brainsim_io::sonata_report::ReportWriter;
use brainsim_io::sonata_spikes::SpikeWriter;
use brainsim_partition::{decompose, Partitioner};
use brainsim_sim::estimate::estimate;
use brainsim_sim::spec::{NetworkSpec, RecordSpec};
use brainsim_sim::{connect, layout, EpochOutput, Exchange, Network};

use crate::exchange::MpiExchange;
use crate::memory;
use crate::merge::{merge_spike_files, part_path};
use crate::mpi_context::MpiContext;
use crate::stats::{fold_into, RankStats};

const FLUSH_EVERY: Duration = Duration::from_secs(1);

pub struct RunRequest<'a> {
    pub config: &'a LoadedConfig,
    /// The spec to run (the config's, with command-line overrides applied).
    pub spec: NetworkSpec,
    pub out_dir: PathBuf,
    pub threads: usize,
    pub partitioner: Partitioner,
    pub mpi: &'a MpiContext,
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
    let est = estimate(&req.spec, 1.0 / req.mpi.size() as f64, req.threads);
    // The same decision on every rank: the smallest availability of any rank.
    let available = req
        .mpi
        .all_min_u64(memory::available_bytes().unwrap_or(u64::MAX));
    if available == u64::MAX {
        return Ok(());
    }
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

/// What the spikes record asks for.
struct Recorded {
    /// (name, first gid, size) of each recorded population.
    pops: Vec<(String, u32, u32)>,
    is_recorded: Vec<bool>,
    /// The recorded gid subset, sorted, if there is one.
    gids: Option<Vec<u32>>,
}

impl Recorded {
    fn new(spec: &NetworkSpec) -> Self {
        let (recorded, gids): (Vec<usize>, Option<Vec<u32>>) = spec
            .records
            .iter()
            .find_map(|r| match r {
                RecordSpec::Spikes { populations, gids } => {
                    Some((populations.clone(), gids.clone()))
                }
                _ => None,
            })
            .unwrap_or_default();
        let pops = recorded
            .iter()
            .map(|&p| {
                let pop = &spec.populations[p];
                (pop.name.clone(), pop.first_gid, pop.size)
            })
            .collect();
        let mut is_recorded = vec![false; spec.populations.len()];
        for &p in &recorded {
            is_recorded[p] = true;
        }
        Self {
            pops,
            is_recorded,
            gids,
        }
    }

    /// Is the spike of `gid` (in population `pop`) recorded?
    fn wants(&self, pop: usize, gid: u32) -> bool {
        self.is_recorded[pop]
            && self
                .gids
                .as_ref()
                .is_none_or(|g| g.binary_search(&gid).is_ok())
    }
}

/// Rank 0's state report writers, one per (record, variable).
fn create_report_writers(
    spec: &NetworkSpec,
    net: &Network,
    dir: &std::path::Path,
    meta: &mut RunMetadata,
) -> Result<Vec<ReportWriter>, RunError> {
    let dt = spec.simulation.dt;
    let mut writers = Vec::new();
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
        writers.push(w);
    }
    Ok(writers)
}

/// Samples (record, step, column, value) flattened to f64 for the gather.
fn pack_samples(samples: &[brainsim_sim::chunk::Sample], out: &mut Vec<f64>) {
    out.clear();
    for s in samples {
        out.extend_from_slice(&[
            f64::from(s.record),
            s.step as f64,
            f64::from(s.column),
            s.value,
        ]);
    }
}

/// Writes gathered samples (any rank order) as frames, one per (report, step).
fn write_frames(packed: &[f64], writers: &mut [ReportWriter]) -> Result<(), RunError> {
    let mut samples: Vec<(u32, u64, u32, f64)> = packed
        .chunks_exact(4)
        .map(|w| (w[0] as u32, w[1] as u64, w[2] as u32, w[3]))
        .collect();
    samples.sort_unstable_by_key(|s| (s.0, s.1, s.2));
    let mut frame: Vec<f32> = Vec::new();
    let mut i = 0;
    while i < samples.len() {
        let (r, step) = (samples[i].0, samples[i].1);
        frame.clear();
        while i < samples.len() && samples[i].0 == r && samples[i].1 == step {
            frame.push(samples[i].3 as f32);
            i += 1;
        }
        writers[r as usize].append_frame(&frame).map_err(failed)?;
    }
    Ok(())
}

/// Runs the whole simulation (collective over all ranks) and returns the
/// final metadata (complete on rank 0; the other ranks' is partial).
pub fn run(req: RunRequest, progress: &mut dyn FnMut(Progress)) -> Result<RunMetadata, RunError> {
    check_memory(&req)?;
    let mpi = req.mpi;
    let (rank, ranks) = (mpi.rank(), mpi.size());
    let spec = &req.spec;
    let dir = &req.out_dir;
    let io_err = |e: std::io::Error| failed(format!("{}: {e}", dir.display()));
    fs::create_dir_all(dir).map_err(|e| {
        failed(format!(
            "{}: cannot create output directory: {e}",
            dir.display()
        ))
    })?;
    let mut meta = RunMetadata {
        status: "running".into(),
        brainsim_version: env!("CARGO_PKG_VERSION").into(),
        config_file: req.config.path.display().to_string(),
        ranks,
        threads: req.threads,
        partitioner: req.partitioner.name().into(),
        seed: spec.simulation.seed,
        dt_ms: spec.simulation.dt,
        t_stop_ms: spec.simulation.t_stop,
        neurons: spec.n_neurons(),
        ..Default::default()
    };
    if rank == 0 {
        // A previous run's results must not survive looking like this run's.
        let _ = fs::remove_file(dir.join("metadata.json"));
        let _ = fs::remove_file(dir.join("spikes.h5"));
        if let Ok(entries) = fs::read_dir(dir) {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if name.starts_with("spikes.rank")
                    || name.starts_with("rank") && name.ends_with(".pid")
                {
                    let _ = fs::remove_file(e.path());
                }
            }
        }
        fs::write(dir.join("config.toml"), &req.config.text).map_err(io_err)?;
        meta.write(dir).map_err(io_err)?;
    }
    // Nothing of this run may be created before rank 0 has cleared the old one.
    mpi.barrier();
    let pid_file = dir.join(format!("rank{rank}.pid"));
    fs::write(&pid_file, format!("{}\n", std::process::id())).map_err(io_err)?;

    let recorded = Recorded::new(spec);
    let pops = &recorded.pops;
    let spikes_path = if ranks == 1 {
        dir.join("spikes.h5")
    } else {
        part_path(dir, rank)
    };
    let mut spike_writer = if pops.is_empty() {
        None
    } else {
        Some(SpikeWriter::create(&spikes_path, pops).map_err(failed)?)
    };

    let chunks = layout::chunks(spec);
    let decomposition = decompose(spec, &chunks, ranks, req.partitioner).map_err(failed)?;
    let mut ex = MpiExchange::new(mpi);
    let build_start = Instant::now();
    let mut net = Network::build(
        spec,
        &|c| decomposition.rank_of_chunk(c.index) == rank,
        &mut ex,
    );
    // Delay-aware exchange: the epoch is the minimum delay over the synapses
    // that cross ranks (local spikes are delivered every `min_delay`).
    let cross = net.min_delay_from(&|g| decomposition.rank_of_gid(g) != rank);
    net.set_epoch_steps(ex.all_min(cross));
    ex.setup(
        &net.needed_sources(),
        &|g| decomposition.rank_of_gid(g),
        spec.n_neurons() as usize,
        net.epoch_steps(),
    );
    let build_seconds = build_start.elapsed().as_secs_f64();

    let dt = spec.simulation.dt;
    let has_reports = !net.reports.is_empty();
    let mut report_writers = if rank == 0 {
        create_report_writers(spec, &net, dir, &mut meta)?
    } else {
        Vec::new()
    };
    if !pops.is_empty() {
        meta.outputs.insert(0, "spikes.h5".into());
    }

    let mut out = EpochOutput::default();
    let mut per_pop = vec![0u64; spec.populations.len()];
    let mut buffer: Vec<(f64, u32)> = Vec::new();
    let mut packed: Vec<f64> = Vec::new();
    let sim_start = Instant::now();
    let mut last_flush = Instant::now();
    while net.run_epoch(&mut ex, &mut out) {
        buffer.clear();
        for sp in &out.spikes {
            let p = spec.population_of(sp.gid);
            per_pop[p] += 1;
            if recorded.wants(p, sp.gid) {
                buffer.push(((sp.step + 1) as f64 * dt, sp.gid));
            }
        }
        if let Some(w) = spike_writer.as_mut() {
            w.append(&buffer).map_err(failed)?;
        }
        if has_reports {
            pack_samples(&out.samples, &mut packed);
            let all = if ranks == 1 {
                std::mem::take(&mut packed)
            } else {
                mpi.gather_varcount_f64(&packed)
            };
            if rank == 0 {
                write_frames(&all, &mut report_writers)?;
            }
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
        if rank == 0 {
            progress(Progress {
                step: net.step,
                n_steps: net.n_steps,
                dt,
                wall_seconds: sim_start.elapsed().as_secs_f64(),
            });
        }
    }
    let simulate_seconds = sim_start.elapsed().as_secs_f64();
    if let Some(w) = spike_writer.take() {
        w.finish().map_err(failed)?;
    }
    for w in report_writers {
        w.finish().map_err(failed)?;
    }

    let mine = RankStats {
        synapses: net.n_synapses(),
        synapse_bytes: net.synapse_bytes(),
        spikes_sent: ex.spikes_sent,
        bytes_sent: ex.bytes_sent,
        events: net.events(),
        peak_rss_bytes: memory::peak_rss_bytes(),
        build_seconds,
        simulate_seconds,
        timers: net.timers.clone(),
        spikes_per_population: per_pop,
    };
    let gathered = mpi.gather_f64(&mine.pack());
    let _ = fs::remove_file(&pid_file);
    // Every part file is closed once every rank has passed the gather.
    if rank != 0 {
        return Ok(meta);
    }
    if ranks > 1 && !pops.is_empty() {
        let parts: Vec<PathBuf> = (0..ranks).map(|r| part_path(dir, r)).collect();
        merge_spike_files(&parts, &dir.join("spikes.h5"), pops).map_err(failed)?;
        for p in &parts {
            let _ = fs::remove_file(p);
        }
    }
    let per_pop = fold_into(
        &mut meta,
        &RankStats::unpack_all(&gathered, spec.populations.len()),
    );
    let t_sec = spec.simulation.t_stop / 1000.0;
    meta.min_delay_steps = net.min_delay;
    meta.max_delay_steps = net.max_delay;
    meta.epoch_steps = net.epoch_steps();
    meta.real_time_factor = meta.simulate_seconds / t_sec;
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
    meta.write(dir).map_err(io_err)?;
    Ok(meta)
}
