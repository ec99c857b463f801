//! `brainsim`: the thin command-line front end. Parses arguments, calls the
//! library crates, prints. Exit codes: 0 success, 1 failure while running,
//! 2 bad input (configuration or arguments), 3 stopped by SIGTERM/SIGINT/SIGUSR1
//! with the outputs closed (and a checkpoint written when checkpoints are
//! on: `brainsim resume` continues), 130 a second signal.
//! `submit` and `status` (with `slurm`) are the batch-system side: a Slurm
//! script written and submitted, and one screen about a run; `sweep` runs a
//! config's variants locally or as a Slurm job array.

#![warn(missing_docs)]

mod analyze;
mod check;
mod models;
mod nef_check;
mod nef_memory;
mod partition;
mod progress;
mod readout;
mod resume;
mod run;
mod run_nef;
mod slurm;
mod status;
mod submit;
mod sweep;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "brainsim",
    version,
    about = "Simulate large spiking neural networks (TOML in, SONATA HDF5 out)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build and simulate the network of CONFIG, writing spikes, reports and metadata to --out.
    /// Under `mpirun -np P` it runs on P ranks (use `--bind-to none` with threads); alone, on one.
    Run(run::Args),
    /// Continue the run in OUT from its newest valid checkpoint (or --checkpoint FILE) on any ranks x threads, into the same directory; --t-stop may extend a finished run. Exit codes as for run.
    Resume(resume::Args),
    /// Print how CONFIG would be placed on P ranks (imbalance, edge cut, predicted spike messages per rank, minimum delay over the cut), without building the network.
    Partition {
        /// Network description (TOML).
        config: PathBuf,
        /// Number of MPI ranks to place the chunks on.
        #[arg(long)]
        ranks: usize,
        /// metis, round_robin or block (see `run --partitioner`).
        #[arg(long, default_value = "metis")]
        partitioner: brainsim_partition::Partitioner,
    },
    /// Validate CONFIG and print every rank's estimated peak memory with its breakdown (synapses, row indexes, rings, scratch, ...), without building the network or starting MPI.
    Check {
        /// Network description (TOML).
        config: PathBuf,
        /// Number of MPI ranks the run would use.
        #[arg(long, default_value_t = 1)]
        ranks: usize,
        /// metis, round_robin or block (see `run --partitioner`).
        #[arg(long, default_value = "metis")]
        partitioner: brainsim_partition::Partitioner,
        /// Threads per rank (default: as `run` chooses them).
        #[arg(long)]
        threads: Option<usize>,
        /// Count the final weights' gather on rank 0, as `run --save-weights` (also when the config's [simulation] save_weights = true).
        #[arg(long)]
        save_weights: bool,
    },
    /// Per-population rate, CV of inter-spike intervals and Fano factor of a run's spikes.h5, plus a raster plot;
    /// per-neuron rates and first-spike latencies over windows, and the decoding of a rate or latency encoder.
    Analyze(analyze::Args),
    /// Write a Slurm batch script for CONFIG (OUT/job.sbatch) and submit it with sbatch; prints the job id.
    /// The job stops the run before the time limit and, with --checkpoint-every, requeues itself until it is finished.
    Submit(submit::Args),
    /// One screen about the run in OUT: Slurm job and state, biological time done, real-time factor and ETA,
    /// segments, checkpoints on disk, whether the outputs are finished. Also for runs started by hand.
    Status(status::Args),
    /// A parameter sweep: the variants of CONFIG over the cartesian product of the --set values, checked, written to
    /// DIR/<index>/config.toml with the table DIR/sweep.csv, and submitted as one Slurm job array (or run one after
    /// another with --local). `brainsim analyze DIR` then prints one row per variant and population.
    Sweep(sweep::Args),
    /// List the neuron models, or show one model's parameters (unit, default, range), state variables and receptors.
    Models {
        /// A model name (e.g. iaf_psc_alpha); without it, all names.
        name: Option<String>,
    },
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match cli.command {
        Command::Run(args) => run::main(args),
        Command::Resume(args) => resume::main(args),
        Command::Partition {
            config,
            ranks,
            partitioner,
        } => partition::main(&config, ranks, partitioner),
        Command::Check {
            config,
            ranks,
            partitioner,
            threads,
            save_weights,
        } => check::main(check::CheckArgs {
            config: &config,
            ranks,
            partitioner,
            threads,
            save_weights,
        }),
        Command::Analyze(args) => analyze::main(&args),
        Command::Submit(args) => submit::main(args),
        Command::Status(args) => status::main(&args),
        Command::Sweep(args) => sweep::main(args),
        Command::Models { name } => models::main(name.as_deref()),
    }
}
