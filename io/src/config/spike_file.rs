//! The trains of a `spike_generator` with `spikes_file`, read once the
//! config is valid (`load_spike_files`, called by `config::parse`): a SONATA
//! spikes file (`/spikes/<population>/{timestamps,node_ids}`, as brainsim,
//! bmtk or NEST's SONATA output write it), only its valid rows.
//!
//! - The path is relative to the config file's directory (absolute paths as
//!   given); the spec keeps the absolute path, which `config.effective.toml`
//!   writes so a run's directory re-runs from anywhere.
//! - `population` names the file's population; without it the file must
//!   hold exactly one.
//! - Node id n of the file drives node n of the target population: an id
//!   beyond the population is bad input, as are a missing or unreadable
//!   file or dataset and a time that is not finite or negative.
//! - Times on the dt grid (to 1e-6 of a step) are kept; others are rounded
//!   up to the end of their step (NEST's spike_generator with
//!   allow_offgrid_times). Each node's train is sorted; times past t_stop
//!   are kept and never delivered.

use std::collections::BTreeMap;
use std::path::Path;

use brainsim_sim::spec::{NetworkSpec, StimulusKind};

use super::values::{invalid, join, on_grid, Check};
use crate::spike_reader::SpikeFile;

/// Spikes read per HDF5 hyperslab.
const READ_CHUNK: usize = 1 << 20;

/// One line for a config error, whatever the HDF5 library said.
pub(super) fn one_line(message: &str) -> String {
    let parts: Vec<&str> = message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    parts.join("; ")
}

/// Reads the trains of every spike_generator with `spikes_file` of `spec`
/// (relative paths from `base`), setting their targets (`node_ids`: the
/// node ids with spikes).
pub(crate) fn load_spike_files(spec: &mut NetworkSpec, base: &Path) -> Check<()> {
    let dt = spec.simulation.dt;
    for i in 0..spec.stimuli.len() {
        let target = spec.stimuli[i].target;
        let (pop_name, size) = {
            let p = &spec.populations[target];
            (p.name.clone(), p.size)
        };
        let st = &mut spec.stimuli[i];
        let StimulusKind::SpikeTrains {
            file,
            population,
            trains,
            ..
        } = &mut st.kind
        else {
            continue;
        };
        let at = format!("stimulus[{i}]");
        let path = std::path::absolute(base.join(&*file)).unwrap_or_else(|_| base.join(&*file));
        if !path.is_file() {
            let message = format!("{}: no such file", path.display());
            return invalid(join(&at, "spikes_file"), message);
        }
        let f = SpikeFile::open(&path)
            .or_else(|e| invalid(join(&at, "spikes_file"), one_line(&e.to_string())))?;
        *population = choose_population(&at, &f, population)?;
        let target = Target {
            name: &pop_name,
            size,
            dt,
        };
        let read = read_trains(&at, &f, population, &target)?;
        st.node_ids = Some(read.iter().map(|(n, _)| *n).collect());
        *trains = read;
        *file = path.display().to_string();
    }
    Ok(())
}

/// The file's population to read: the one named, else the only one.
fn choose_population(at: &str, f: &SpikeFile, named: &str) -> Check<String> {
    let pops = f.populations();
    let path = f.path().display();
    if !named.is_empty() {
        if pops.iter().any(|p| p == named) {
            return Ok(named.to_string());
        }
        return invalid(
            join(at, "population"),
            format!(
                "{path} has no population {named:?} (populations: {})",
                pops.join(", ")
            ),
        );
    }
    match pops.as_slice() {
        [only] => Ok(only.clone()),
        [] => invalid(
            join(at, "spikes_file"),
            format!("{path} has no spike populations (no group under /spikes)"),
        ),
        _ => invalid(
            join(at, "spikes_file"),
            format!(
                "{path} has populations {}; set `population` to choose one",
                pops.join(", ")
            ),
        ),
    }
}

/// The target population, as the checks of the file's spikes see it.
struct Target<'a> {
    name: &'a str,
    size: u32,
    dt: f64,
}

/// Every valid spike of population `pop`, as sorted trains per node id
/// (ascending), each time on the grid (see the module docs).
fn read_trains(at: &str, f: &SpikeFile, pop: &str, target: &Target) -> Check<Vec<(u32, Vec<f64>)>> {
    let field = join(at, "spikes_file");
    let path = f.path().display().to_string();
    let mut by_node: BTreeMap<u32, Vec<f64>> = BTreeMap::new();
    let mut problem: Option<String> = None;
    let read = f.for_each_chunk(pop, READ_CHUNK, |ts, ids| {
        for (&t, &id) in ts.iter().zip(ids) {
            if id >= u64::from(target.size) {
                problem = Some(format!(
                    "{path}: /spikes/{pop}/node_ids: node id {id} is outside the target population {:?} ({} neurons, node ids 0..={})",
                    target.name,
                    target.size,
                    target.size - 1
                ));
            } else if !(t.is_finite() && t >= 0.0) {
                problem = Some(format!(
                    "{path}: /spikes/{pop}/timestamps: spike time {t} ms of node {id} is not a finite time >= 0"
                ));
            }
            if problem.is_some() {
                return Err(crate::sonata_spikes::IoError::invalid(f.path(), "stop"));
            }
            let on = if on_grid(t, target.dt) {
                t
            } else {
                (t / target.dt).ceil() * target.dt
            };
            by_node.entry(id as u32).or_default().push(on);
        }
        Ok(())
    });
    if let Some(p) = problem {
        return invalid(field, p);
    }
    if let Err(e) = read {
        return invalid(field, one_line(&e.to_string()));
    }
    Ok(by_node
        .into_iter()
        .map(|(n, mut t)| {
            t.sort_by(f64::total_cmp);
            (n, t)
        })
        .collect())
}
