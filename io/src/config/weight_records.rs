//! Validation of `[[record]] type = "weights"`: the weights of one plastic
//! projection over time (`weight_report` writes them).
//!
//! - The projection is named by `projection = i` (its index among the
//!   projections after template expansion, the `i` of its weight files) or
//!   by `source` and `target` population names, which must then name
//!   exactly one projection.
//! - Only plastic projections: a static projection's weights never change,
//!   and, as NEST's weight_recorder, a recording of one is refused.
//! - `source_node_ids` / `target_node_ids` (0-based within the
//!   populations, as `node_ids` elsewhere) keep the synapses whose source
//!   and target are listed; absent: all.
//! - `interval` (ms, a positive whole multiple of dt): the weights at t =
//!   0, interval, 2 interval, ... up to t_stop — the weight at t after
//!   every pre-synaptic spike emitted before t (NEST's weight at a spike's
//!   delivery); or `at = "end"`: once, at t_stop. One is required.
//! - At most one weight recording per projection.

use brainsim_sim::spec::NetworkSpec;

use super::raw::RawRecord;
use super::values::{self, invalid, join, positive, Check};

/// One weight recording (see the module doc).
#[derive(Clone, Debug, PartialEq)]
pub struct WeightRecord {
    /// The projection (index in the spec).
    pub projection: usize,
    /// Sources kept (node ids within the source population, sorted); None: all.
    pub source_node_ids: Option<Vec<u32>>,
    /// Targets kept (node ids within the target population, sorted); None: all.
    pub target_node_ids: Option<Vec<u32>>,
    /// Steps between two recordings from step 0; None: only at the end.
    pub interval_steps: Option<u64>,
}

/// The weight recordings among `raw` (spec validated, same indices).
pub(crate) fn weight_records(
    spec: &NetworkSpec,
    scaled: bool,
    raw: &[RawRecord],
) -> Check<Vec<WeightRecord>> {
    let mut out: Vec<(usize, WeightRecord)> = Vec::new();
    for (i, r) in raw.iter().enumerate() {
        if r.kind != "weights" {
            continue;
        }
        let at = format!("record[{i}]");
        let allowed = [
            "projection",
            "source",
            "target",
            "source_node_ids",
            "target_node_ids",
            "interval",
            "at",
        ];
        values::only_keys(&at, &r.present_keys(), &allowed, "a weights record")?;
        let projection = which_projection(spec, &at, r)?;
        if let Some((j, _)) = out.iter().find(|(_, w)| w.projection == projection) {
            return invalid(
                join(&at, "projection"),
                format!("projection[{projection}] is already recorded by record[{j}]"),
            );
        }
        let p = &spec.projections[projection];
        let ids = |key: &str, list: &Option<Vec<i64>>, pop: usize| match list {
            None => Ok(None),
            Some(ids) => {
                let pop = &spec.populations[pop];
                values::node_ids(&join(&at, key), ids, pop.size, &pop.name, scaled).map(Some)
            }
        };
        let record = WeightRecord {
            projection,
            source_node_ids: ids("source_node_ids", &r.source_node_ids, p.source)?,
            target_node_ids: ids("target_node_ids", &r.target_node_ids, p.target)?,
            interval_steps: when(spec, &at, r)?,
        };
        out.push((i, record));
    }
    Ok(out.into_iter().map(|(_, w)| w).collect())
}

/// The plastic projection the record names (see the module doc).
fn which_projection(spec: &NetworkSpec, at: &str, r: &RawRecord) -> Check<usize> {
    let n = spec.projections.len();
    let name = |p: usize| spec.populations[p].name.as_str();
    let i = match (r.projection, &r.source, &r.target) {
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
            return invalid(
                join(at, "projection"),
                "name the projection by `projection` or by `source` and `target`, not both",
            );
        }
        (Some(i), None, None) => {
            if i < 0 || i >= n as i64 {
                return invalid(
                    join(at, "projection"),
                    format!("no projection[{i}]: the config has {n} projections (0..{n})"),
                );
            }
            i as usize
        }
        (None, Some(s), Some(t)) => {
            let found: Vec<usize> = (0..n)
                .filter(|&k| {
                    let p = &spec.projections[k];
                    name(p.source) == s && name(p.target) == t
                })
                .collect();
            match found[..] {
                [k] => k,
                [] => {
                    return invalid(
                        join(at, "source"),
                        format!("no projection from {s:?} to {t:?}"),
                    )
                }
                _ => {
                    return invalid(
                        join(at, "source"),
                        format!("projections {found:?} all go from {s:?} to {t:?}: name one by `projection`"),
                    )
                }
            }
        }
        _ => {
            return invalid(
                join(at, "projection"),
                "a weights record requires `projection` (an index) or both `source` and `target`",
            );
        }
    };
    let p = &spec.projections[i];
    if p.plastic.is_none() {
        return invalid(
            join(at, "projection"),
            format!(
                "projection[{i}] ({} -> {}) is static: its weights never change, and (as NEST's weight_recorder) only plastic projections are recorded",
                name(p.source),
                name(p.target)
            ),
        );
    }
    Ok(i)
}

/// `interval` in steps, or None for `at = "end"`.
fn when(spec: &NetworkSpec, at: &str, r: &RawRecord) -> Check<Option<u64>> {
    let dt = spec.simulation.dt;
    match (r.interval, r.at.as_deref()) {
        (Some(_), Some(_)) => invalid(
            join(at, "at"),
            "give either `interval` or `at = \"end\"`, not both",
        ),
        (None, Some("end")) => Ok(None),
        (None, Some(other)) => invalid(
            join(at, "at"),
            format!("must be \"end\", got {other:?} (for times during the run, use `interval`)"),
        ),
        (None, None) => invalid(
            join(at, "interval"),
            "a weights record requires `interval` (ms) or `at = \"end\"`",
        ),
        (Some(v), None) => {
            let field = join(at, "interval");
            let v = positive(&field, v)?;
            if v < dt || !values::on_grid(v, dt) {
                return invalid(
                    field,
                    format!("interval {v} ms is not a whole multiple of dt = {dt} ms"),
                );
            }
            Ok(Some(spec.simulation.steps(v)))
        }
    }
}
