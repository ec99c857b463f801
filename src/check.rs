//! `brainsim check`: load and validate the config, place its chunks on P
//! ranks as `run` would, and print every rank's memory estimate with its
//! breakdown — without building anything and without MPI. Bad input: the
//! one-line error and exit code 2, as `run`. An NEF model is validated and
//! built instead (`nef_check::check`).

use std::path::Path;
use std::process::ExitCode;

use brainsim_cluster::estimate::{
    estimate_ranks, EstimateError, Estimates, RankEstimate, RunShape,
};
use brainsim_cluster::memory::available_bytes;
use brainsim_io::config;
use brainsim_partition::Partitioner;

const MIB: f64 = (1u64 << 20) as f64;
const GIB: f64 = (1u64 << 30) as f64;

/// What `brainsim check` was asked.
pub struct CheckArgs<'a> {
    /// The config file.
    pub config: &'a Path,
    /// Ranks to place the chunks on.
    pub ranks: usize,
    /// How.
    pub partitioner: Partitioner,
    /// Threads per rank (None: as `run` chooses).
    pub threads: Option<usize>,
    /// As `run --save-weights`.
    pub save_weights: bool,
}

pub fn main(args: CheckArgs) -> ExitCode {
    if args.ranks == 0 || args.threads == Some(0) {
        eprintln!("brainsim: --ranks and --threads: must be >= 1");
        return ExitCode::from(2);
    }
    if crate::run_nef::is_nef_file(args.config) {
        return crate::nef_check::check(args.config, args.ranks, args.partitioner);
    }
    let loaded = match config::load(args.config) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let spec = &loaded.spec;
    let shape = RunShape {
        ranks: args.ranks,
        threads: crate::run::default_threads(args.threads.or(spec.simulation.threads)),
        partitioner: args.partitioner,
        save_weights: args.save_weights || loaded.save_weights,
    };
    let available = available_bytes();
    let est = match estimate_ranks(spec, shape, available.map(|a| a as f64)) {
        Ok(e) => e,
        Err(EstimateError::Partitioner(m)) => {
            eprintln!("brainsim: partitioning failed: {m}");
            return ExitCode::from(1);
        }
        Err(EstimateError::GraphTooLarge(b)) => {
            eprintln!(
                "{}: the chunk graph for metis alone needs an estimated {:.1} GiB, more than the memory available here; use --partitioner block or round_robin",
                args.config.display(),
                b / GIB
            );
            return ExitCode::from(2);
        }
    };
    let synapses: f64 = est.ranks.iter().map(|r| r.synapses).sum();
    let procedural = brainsim_sim::connect::expected_procedural_synapses(spec);
    let procedural = if procedural > 0.0 {
        format!(" stored + {procedural:.3e} procedural")
    } else {
        String::new()
    };
    println!(
        "brainsim check — {} ({} neurons, {:.3e}{procedural} expected synapses) on {} rank(s) x {} thread(s), {}",
        args.config.display(),
        spec.n_neurons(),
        synapses,
        shape.ranks,
        shape.threads,
        shape.partitioner
    );
    for r in &est.ranks {
        print_rank(r);
    }
    print_summary(&est, available);
    ExitCode::SUCCESS
}

/// One rank: its totals, then each component with its phase.
fn print_rank(r: &RankEstimate) {
    println!(
        "  rank {}: {} neurons, {:.3e} synapses, estimated peak {:.1} MiB",
        r.rank,
        r.neurons,
        r.synapses,
        r.bytes() / MIB
    );
    for c in &r.breakdown.components {
        println!(
            "    {:<18} {:>10.1} MiB  {}",
            c.name,
            c.bytes / MIB,
            c.phase.name()
        );
    }
}

/// Delays, layouts, and whether the ranks would fit on this machine.
fn print_summary(est: &Estimates, available: Option<u64>) {
    let net = &est.network;
    let n = net.per_chunk.len();
    let packed = net.per_chunk.iter().filter(|e| e.packed).count();
    let dense = net.per_chunk.iter().filter(|e| e.dense_index).count();
    println!(
        "  delays up to {} steps: {} ring slots; packed synapses in {packed} of {n} chunks, dense row index in {dense}",
        net.max_delay_steps, net.ring_slots
    );
    println!("  peak = always + the largest of partition, build, run");
    let need: f64 = est.ranks.iter().map(|r| r.bytes()).sum();
    if let Some(a) = available {
        let verdict = if need <= a as f64 {
            "fit"
        } else {
            "do not fit"
        };
        println!(
            "  all ranks on this machine: {:.2} GiB of the {:.2} GiB available — they {verdict}",
            need / GIB,
            a as f64 / GIB
        );
    }
}
