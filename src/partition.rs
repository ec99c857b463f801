//! `brainsim partition`: load and validate the config, compute the chunk graph
//! and the decomposition onto P ranks, print what it is predicted to cost
//! (imbalance, edge cut, remote spike messages per rank, minimum delay over
//! the cut). Nothing is built, nothing is written, MPI is not started.

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use brainsim_io::config;
use brainsim_partition::{decompose, ChunkGraph, Partitioner, Report};
use brainsim_sim::layout;

/// The most ranks a placement is computed for (the report keeps a few
/// numbers per rank).
const MAX_RANKS: usize = 1 << 20;

pub fn main(config_path: &Path, ranks: usize, how: Partitioner) -> ExitCode {
    if ranks == 0 || ranks > MAX_RANKS {
        eprintln!("brainsim: --ranks: must be in 1..={MAX_RANKS}, got {ranks}");
        return ExitCode::from(2);
    }
    if crate::run_nef::is_nef_file(config_path) {
        return crate::nef_check::partition(config_path, ranks, how);
    }
    let loaded = match config::load(config_path) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let spec = &loaded.spec;
    let t0 = Instant::now();
    let chunks = layout::chunks(spec);
    let graph = ChunkGraph::from_spec(spec, &chunks);
    let t_graph = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let d = match decompose(spec, &chunks, ranks, how) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("brainsim: partitioning failed: {e}");
            return ExitCode::from(1);
        }
    };
    let t_part = t1.elapsed().as_secs_f64();
    let report = Report::new(&graph, &d);
    let synapses: f64 = graph.incoming.iter().sum();
    let text = format!(
        "brainsim partition — {} ({} neurons, {:.3e} expected synapses) onto {} rank(s), {}\n  time               chunk graph {t_graph:.3} s, partitioning {t_part:.3} s\n{report}",
        config_path.display(),
        spec.n_neurons(),
        synapses,
        ranks,
        how
    );
    // A closed stdout is the reader's choice, not an error (no panic).
    let _ = std::io::Write::write_all(&mut std::io::stdout(), text.as_bytes());
    ExitCode::SUCCESS
}
