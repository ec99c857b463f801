//! `brainsim check` and `brainsim partition` of an NEF model (a config
//! with `[nef]` tables): validated and built (decoders solved), what it
//! builds, and the placement of its chunks on `--ranks` ranks with what
//! crosses per step (`brainsim_partition::NefReport`). Nothing is written,
//! MPI is not started.

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use brainsim_io::config::nef;
use brainsim_partition::{NefGraph, NefReport, Partitioner};
use brainsim_sim::nef::Built;

/// The placement of `built`'s chunks on `ranks` ranks by `how`, as text.
fn placement(built: &Built, ranks: usize, how: Partitioner) -> Result<String, String> {
    let t0 = Instant::now();
    let graph = NefGraph::new(built);
    let owner = graph.place(ranks, how)?;
    let report = NefReport::new(&graph, &owner, ranks);
    Ok(format!(
        "  placement          {} chunks, {} graph edges onto {ranks} rank(s), {how} ({:.3} s)\n{report}",
        graph.sizes.len(),
        graph.edges.len(),
        t0.elapsed().as_secs_f64()
    ))
}

/// `brainsim check` of an NEF config: validated and built (decoders
/// solved), what it builds printed; bad input as for `run`.
pub fn check(path: &Path, ranks: usize, how: Partitioner) -> ExitCode {
    let config = match nef::load(path) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let t0 = Instant::now();
    let built = match config.build() {
        Ok(b) => b,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let spec = &config.spec;
    let weights: usize = built.connections.iter().map(|c| c.stored()).sum();
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
    match placement(&built, ranks, how) {
        Ok(report) => {
            println!("{report}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("brainsim: partitioning failed: {e}");
            ExitCode::from(1)
        }
    }
}

/// `brainsim partition` of an NEF config: the model built, its chunk
/// graph placed on `ranks` ranks by `how`, the report printed.
pub fn partition(path: &Path, ranks: usize, how: Partitioner) -> ExitCode {
    let built = match nef::load(path)
        .map_err(|e| e.to_string())
        .and_then(|c| c.build().map_err(|e| e.to_string()))
    {
        Ok(b) => b,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let neurons: usize = built.ensembles.iter().map(|e| e.n_neurons()).sum();
    match placement(&built, ranks, how) {
        Ok(report) => {
            println!(
                "brainsim partition — {} (NEF model, {neurons} neurons) onto {ranks} rank(s), {how}\n{report}",
                path.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("brainsim: partitioning failed: {e}");
            ExitCode::from(1)
        }
    }
}
