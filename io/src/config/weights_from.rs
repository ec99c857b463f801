//! `weights_from = "path.h5"` of a plastic `[[projection]]`: its initial
//! weights from a weights file (`weights::write_weights`, written by
//! `--save-weights`), read once the config is valid (`load_weight_files`,
//! called by `config::parse`).
//!
//! - The path is relative to the config file's directory; the spec keeps
//!   the absolute path (which `config.effective.toml` writes).
//! - Refused here, one line naming the file and what differs: a missing or
//!   unreadable file; populations or synapse model other than the
//!   projection's; a node id beyond its population; a delay that is not a
//!   whole number (>= 1) of steps of this dt; a weight that is negative or
//!   not finite; edges not in the canonical order of weight files.
//! - Whether the edges are exactly the projection's generated synapses
//!   (same pairs, same delays, same order) is checked by the run before
//!   anything is built (`Network::check_loaded_weights`): it needs the
//!   connectivity.

use std::path::Path;
use std::sync::Arc;

use brainsim_sim::spec::{LoadedWeights, NetworkSpec};

use super::raw::RawProjection;
use super::spike_file::one_line;
use super::values::{invalid, join, on_grid, Check};
use crate::weights::read_weights;

/// The projection's `weights_from` (not read yet), checked: only on a
/// plastic projection, not empty.
pub(crate) fn given(at: &str, r: &RawProjection, plastic: bool) -> Check<Option<LoadedWeights>> {
    let Some(file) = &r.weights_from else {
        return Ok(None);
    };
    let field = join(at, "weights_from");
    if !plastic {
        return invalid(
            field,
            "initial weights from a file need a plastic synapse_model (static weights are drawn)",
        );
    }
    if file.is_empty() {
        return invalid(field, "must not be empty");
    }
    Ok(Some(LoadedWeights {
        file: file.clone(),
        edges: Arc::default(),
    }))
}

/// Reads the weights file of every projection with `weights_from`
/// (relative paths from `base`).
pub(crate) fn load_weight_files(spec: &mut NetworkSpec, base: &Path) -> Check<()> {
    for i in 0..spec.projections.len() {
        let Some(w) = &spec.projections[i].weights_from else {
            continue;
        };
        let field = join(&format!("projection[{i}]"), "weights_from");
        let path = std::path::absolute(base.join(&w.file)).unwrap_or_else(|_| base.join(&w.file));
        let shown = path.display().to_string();
        if !path.is_file() {
            return invalid(field, format!("{shown}: no such file"));
        }
        let edges =
            read_edges(spec, i, &path).or_else(|m| invalid(&field, format!("{shown}: {m}")))?;
        spec.projections[i].weights_from = Some(LoadedWeights {
            file: shown,
            edges: Arc::new(edges),
        });
    }
    Ok(())
}

/// The file's edges as (source gid, target gid, delay steps, weight), or
/// what is wrong with them for projection `i`.
fn read_edges(
    spec: &NetworkSpec,
    i: usize,
    path: &Path,
) -> Result<Vec<(u32, u32, u32, f64)>, String> {
    let t = read_weights(path).map_err(|e| one_line(&e.to_string()))?;
    let p = &spec.projections[i];
    let (src, tgt) = (&spec.populations[p.source], &spec.populations[p.target]);
    let model = p.plastic.map(|x| x.rule.name()).unwrap_or_default();
    for (what, file, ours) in [
        ("source_population", &t.source_population, &src.name),
        ("target_population", &t.target_population, &tgt.name),
        ("synapse_model", &t.synapse_model, &model.to_string()),
    ] {
        if file != ours {
            return Err(format!(
                "{what} is {file:?}, projection[{i}]'s is {ours:?} (a file of another projection?)"
            ));
        }
    }
    let dt = spec.simulation.dt;
    let mut out = Vec::with_capacity(t.rows.len());
    for (k, &(s, g, d, w)) in t.rows.iter().enumerate() {
        if s >= u64::from(src.size) || g >= u64::from(tgt.size) {
            return Err(format!(
                "edge {k}: node {s} -> {g} is outside the populations ({} and {} neurons)",
                src.size, tgt.size
            ));
        }
        if !(d >= dt && on_grid(d, dt)) {
            return Err(format!(
                "edge {k}: delay {d} ms is not a whole number of steps of dt = {dt} ms"
            ));
        }
        if !(w.is_finite() && w >= 0.0) {
            return Err(format!("edge {k}: weight {w} is not a finite weight >= 0"));
        }
        let edge = (
            src.first_gid + s as u32,
            tgt.first_gid + g as u32,
            spec.simulation.steps(d) as u32,
            w,
        );
        if let Some(prev) = out.last() {
            let prev: &(u32, u32, u32, f64) = prev;
            if (prev.0, prev.1) > (edge.0, edge.1) {
                return Err(format!(
                    "edge {k}: the edges are not sorted by (source, target), the order weight files are written in"
                ));
            }
        }
        out.push(edge);
    }
    Ok(out)
}
