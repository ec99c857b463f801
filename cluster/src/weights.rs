//! The final weights of every plastic projection, one file each
//! (io's `weights`): at the end of a run every rank sends its synapses of
//! the projection to rank 0 (one `gather_f64`: source, target, delay steps
//! and weight, exact as f64), which writes them with node ids within their
//! populations and delays in ms.
//!
//! Invariant: every rank calls `write_plastic_weights` once, after the last
//! epoch, with the same projections in the same order (collective).

use brainsim_io::outdir::OutputDir;
use brainsim_io::weights::{file_name, write_weights, WeightTable};
use brainsim_sim::comm::Comm;
use brainsim_sim::model::{self, ReceptorKind};
use brainsim_sim::plastic::Clock;
use brainsim_sim::spec::{NetworkSpec, Receptor};
use brainsim_sim::Network;

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

/// Collective: gathers and (rank 0) writes the weights of every plastic
/// projection of `net` at its current step.
pub fn write_plastic_weights(
    spec: &NetworkSpec,
    net: &Network,
    dir: &OutputDir,
    comm: &dyn Comm,
) -> Result<(), String> {
    let clock = Clock::new(spec.simulation.dt);
    for (i, file) in plastic(spec).zip(weight_files(spec)) {
        let mine: Vec<f64> = net
            .plastic_weights(i)
            .into_iter()
            .flat_map(|(s, t, d, w)| [f64::from(s), f64::from(t), f64::from(d), w])
            .collect();
        let all = comm.gather_f64(&mine);
        if comm.rank() != 0 {
            continue;
        }
        let p = &spec.projections[i];
        let (src, tgt) = (&spec.populations[p.source], &spec.populations[p.target]);
        let rows = all
            .chunks_exact(4)
            .map(|r| {
                let node = |gid: f64, first: u32| u64::from(gid as u32 - first);
                let delay = clock.delay_ms(r[2] as u64);
                (
                    node(r[0], src.first_gid),
                    node(r[1], tgt.first_gid),
                    delay,
                    r[3],
                )
            })
            .collect();
        let rule = p.plastic.map(|x| x.rule);
        let table = WeightTable {
            source_population: src.name.clone(),
            target_population: tgt.name.clone(),
            synapse_model: rule.map(|r| r.name()).unwrap_or_default().to_string(),
            projection: i as u64,
            t_ms: net.step as f64 * spec.simulation.dt,
            units: units(spec, i).to_string(),
            rows,
        };
        write_weights(&dir.path().join(file), &table).map_err(|e| e.to_string())?;
    }
    Ok(())
}
