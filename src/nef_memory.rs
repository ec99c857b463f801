//! The memory check of an NEF run: what its probes will record (a row of
//! f64 per step each; rank 0 holds every record whole after gathering,
//! and its own share of the neuron probes before), against what this
//! node has available after the build (MemAvailable), or against
//! `--max-memory` per rank; `--force` skips it. A run that would not fit is
//! refused before it starts, in one line naming the config and the largest
//! probe, with exit 2, and writes nothing. Every rank decides on its own
//! figures and the ranks agree (`refuse`), so they refuse together.

use brainsim_cluster::memory::available_bytes;
use brainsim_cluster::{MemoryLimit, World};
use brainsim_sim::nef::{probe_record_bytes, Built};
use std::process::ExitCode;

use crate::run::{refuse, Args};

/// Refuses (exit 2, one line) a run of `steps` steps of `built` whose
/// records would not fit (see the module docs).
pub(crate) fn check(world: &World, args: &Args, built: &Built, steps: u64) -> Result<(), ExitCode> {
    let verdict = args.memory_limit().and_then(|limit| {
        let per_probe = probe_record_bytes(built, steps);
        // Rank 0: its own rows while running, then every record whole.
        let need = 2.0 * per_probe.iter().sum::<f64>();
        let (limit, whose) = match limit {
            MemoryLimit::Unchecked => return Ok(()),
            MemoryLimit::PerRank(max) => (max as f64, "--max-memory"),
            MemoryLimit::Available => match available_bytes() {
                Some(a) => (a as f64, "available"),
                None => return Ok(()),
            },
        };
        if need <= limit {
            return Ok(());
        }
        let (k, largest) = per_probe
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .expect("records that need memory come from a probe");
        Err(format!(
            "brainsim: {}: the probes would record an estimated {} over {steps} steps (the largest, probe `{}`: {}), more than the {} {whose}; shorten t_stop, probe fewer neurons, or see --max-memory and --force",
            args.config.display(),
            size(need),
            built.spec.probes[k].name,
            size(*largest),
            size(limit)
        ))
    });
    refuse(world.comm(), verdict)
}

/// `b` bytes in GiB, or in MiB below one GiB.
fn size(b: f64) -> String {
    let mib = b / (1u64 << 20) as f64;
    if mib >= 1024.0 {
        format!("{:.2} GiB", mib / 1024.0)
    } else {
        format!("{mib:.2} MiB")
    }
}
