//! The final weights of every plastic projection, one file each
//! (io's `weights`), written when asked (`--save-weights`, `[simulation]
//! save_weights`): at the end of a run every rank sends its synapses of
//! the projection to rank 0 (one `gather_f64`: source, target, delay steps
//! and weight, exact as f64), which writes them with node ids within their
//! populations and delays in ms, in the canonical edge order. The helpers
//! serve the weight recordings too (`weight_record`).
//!
//! Invariant: every rank calls `write_plastic_weights` once, after the last
//! epoch, with the same projections in the same order (collective), or no
//! rank does.

use brainsim_io::outdir::OutputDir;
use brainsim_io::weights::{file_name, write_weights, WeightTable};
use brainsim_partition::Decomposition;
use brainsim_sim::comm::Comm;
use brainsim_sim::model::{self, ReceptorKind};
use brainsim_sim::plastic::Clock;
use brainsim_sim::spec::{NetworkSpec, Receptor};
use brainsim_sim::Network;

use crate::agree::agree;
use crate::driver::RunError;

/// The weight files of `spec` (names in the output directory).
pub fn weight_files(spec: &NetworkSpec) -> Vec<String> {
    plastic(spec)
        .map(|i| {
            let p = &spec.projections[i];
            let (s, t) = (
                &spec.populations[p.source].name,
                &spec.populations[p.target].name,
            );
            file_name(s, t, i)
        })
        .collect()
}

fn plastic(spec: &NetworkSpec) -> impl Iterator<Item = usize> + '_ {
    (0..spec.projections.len()).filter(|&i| spec.projections[i].plastic.is_some())
}

/// The unit of the weights of projection `i`: its target receptor's.
fn units(spec: &NetworkSpec, i: usize) -> &'static str {
    let p = &spec.projections[i];
    let Some(m) = model::lookup(&spec.populations[p.target].model) else {
        return "";
    };
    let r = match p.receptor {
        Receptor::Index(r) => r,
        Receptor::BySign => m.by_sign.map_or(0, |(ex, _)| usize::from(ex)),
    };
    match m.receptors.get(r).map(|r| r.kind) {
        Some(ReceptorKind::Conductance) => "nS",
        Some(ReceptorKind::Voltage) => "mV",
        _ => "pA",
    }
}

/// Projection `i`'s weight table without rows, at `t_ms`.
pub(crate) fn table_of(spec: &NetworkSpec, i: usize, t_ms: f64) -> WeightTable {
    let p = &spec.projections[i];
    let rule = p.plastic.map(|x| x.rule);
    WeightTable {
        source_population: spec.populations[p.source].name.clone(),
        target_population: spec.populations[p.target].name.clone(),
        synapse_model: rule.map(|r| r.name()).unwrap_or_default().to_string(),
        projection: i as u64,
        t_ms,
        units: units(spec, i).to_string(),
        rows: Vec::new(),
    }
}

/// Gathered synapses of projection `i` (source gid, target gid, delay
/// steps, weight; packed by 4) as rows with node ids within their
/// populations and delays in ms, in the gathered order.
pub(crate) fn node_rows(spec: &NetworkSpec, i: usize, packed: &[f64]) -> Vec<(u64, u64, f64, f64)> {
    let clock = Clock::new(spec.simulation.dt);
    let p = &spec.projections[i];
    let (src, tgt) = (&spec.populations[p.source], &spec.populations[p.target]);
    let node = |gid: f64, first: u32| u64::from(gid as u32 - first);
    packed
        .chunks_exact(4)
        .map(|r| {
            let delay = clock.delay_ms(r[2] as u64);
            (
                node(r[0], src.first_gid),
                node(r[1], tgt.first_gid),
                delay,
                r[3],
            )
        })
        .collect()
}

/// This rank's synapses of projection `i`, packed by 4 for a gather.
pub(crate) fn pack(synapses: &[(u32, u32, u32, f64)]) -> Vec<f64> {
    // Exactly sized (a flat_map's collect would grow by doubling).
    let mut out = Vec::with_capacity(4 * synapses.len());
    for &(s, t, d, w) in synapses {
        out.extend([f64::from(s), f64::from(t), f64::from(d), w]);
    }
    out
}

/// Collective: gathers and (rank 0) writes the weights of every plastic
/// projection of `net` at its current step.
pub fn write_plastic_weights(
    spec: &NetworkSpec,
    net: &Network,
    dir: &OutputDir,
    comm: &dyn Comm,
) -> Result<(), String> {
    for (i, file) in plastic(spec).zip(weight_files(spec)) {
        // One copy of the synapses at a time, dropped as soon as the next
        // is made: at the end of a large plastic run they are the largest
        // thing in memory (plastic Brunel's peak RSS was this, not the run).
        let packed = pack(&net.plastic_weights(i));
        let all = comm.gather_f64(&packed);
        drop(packed);
        if comm.rank() != 0 {
            continue;
        }
        let mut table = table_of(spec, i, net.step as f64 * spec.simulation.dt);
        table.rows = node_rows(spec, i, &all);
        drop(all);
        write_weights(&dir.path().join(file), &mut table).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Collective, before anything is created: every projection's loaded
/// weights (`weights_from`) match the synapses this rank's chunks generate
/// (`Network::check_loaded_weights`); else the ranks agree on refusing
/// (exit code 2, one line naming the file and the first difference).
pub fn check_weights_from(
    spec: &NetworkSpec,
    placement: &Decomposition,
    comm: &dyn Comm,
) -> Result<(), RunError> {
    // The same on every rank: all ranks take this branch, or none.
    if spec.projections.iter().all(|p| p.weights_from.is_none()) {
        return Ok(());
    }
    let rank = comm.rank();
    let outcome =
        Network::check_loaded_weights(spec, &|c| placement.rank_of_chunk(c.index) == rank);
    let mut said = None;
    let agreed = agree(comm, outcome, &mut |m| said = Some(m.to_string()));
    agreed.map_err(|_| RunError::Refused(said))
}
