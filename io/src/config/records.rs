//! Validation of `[[record]]` tables: at most one `spikes` record (default:
//! every population; optionally only some global `gids`), any number of
//! uniquely named `state` records (variables of the population's model, node
//! ids, a sampling interval on the dt grid).
//! Without any `[[record]]` (weight recordings, `weight_records`, aside)
//! the spikes of every population are recorded.

use brainsim_sim::spec::RecordSpec;

use super::raw::RawRecord;
use super::validate::Ctx;
use super::values::{self, invalid, join, positive, Check};

pub(crate) fn records(ctx: &Ctx, raw: &[RawRecord]) -> Check<Vec<RecordSpec>> {
    if raw.iter().all(|r| r.kind == "weights") {
        return Ok(vec![RecordSpec::Spikes {
            populations: (0..ctx.pops.len()).collect(),
            gids: None,
        }]);
    }
    let mut out = Vec::with_capacity(raw.len());
    let mut spikes_at: Option<usize> = None;
    for (i, r) in raw.iter().enumerate() {
        let at = format!("record[{i}]");
        let record = match r.kind.as_str() {
            "spikes" => {
                if let Some(j) = spikes_at {
                    return invalid(
                        join(&at, "type"),
                        format!("only one spikes record is allowed (also record[{j}])"),
                    );
                }
                spikes_at = Some(i);
                values::only_keys(
                    &at,
                    &r.present_keys(),
                    &["populations", "gids"],
                    "a spikes record",
                )?;
                let record = spikes_record(ctx, &at, r.populations.as_deref())?;
                match &r.gids {
                    None => record,
                    Some(gids) => with_gids(ctx, &at, record, gids, r.populations.is_some())?,
                }
            }
            "state" => {
                let allowed = ["name", "population", "variables", "node_ids", "interval"];
                values::only_keys(&at, &r.present_keys(), &allowed, "a state record")?;
                let record = state_record(ctx, &at, r)?;
                if let RecordSpec::State { name, .. } = &record {
                    let taken = out
                        .iter()
                        .any(|o| matches!(o, RecordSpec::State { name: n, .. } if n == name));
                    if taken {
                        return invalid(
                            join(&at, "name"),
                            format!("another state record is already named {name:?}"),
                        );
                    }
                }
                record
            }
            // Checked once the projections are known (`weight_records`).
            "weights" => continue,
            other => {
                return invalid(
                    join(&at, "type"),
                    format!("unknown record type {other:?} (types: spikes, state, weights)"),
                );
            }
        };
        out.push(record);
    }
    Ok(out)
}

fn spikes_record(ctx: &Ctx, at: &str, names: Option<&[String]>) -> Check<RecordSpec> {
    let Some(names) = names else {
        return Ok(RecordSpec::Spikes {
            populations: (0..ctx.pops.len()).collect(),
            gids: None,
        });
    };
    if names.is_empty() {
        return invalid(
            join(at, "populations"),
            "must not be empty (omit it to record every population)",
        );
    }
    let mut populations = Vec::with_capacity(names.len());
    for (k, name) in names.iter().enumerate() {
        let pop = ctx.population(&format!("{at}.populations[{k}]"), name)?;
        if populations.contains(&pop) {
            return invalid(
                format!("{at}.populations[{k}]"),
                format!("population {name:?} is listed twice"),
            );
        }
        populations.push(pop);
    }
    Ok(RecordSpec::Spikes {
        populations,
        gids: None,
    })
}

/// Restricts a spikes record to global `gids`: each must exist (and lie in
/// the listed populations when `populations` was given); without
/// `populations`, the populations are those holding the gids.
fn with_gids(
    ctx: &Ctx,
    at: &str,
    record: RecordSpec,
    gids: &[i64],
    explicit_pops: bool,
) -> Check<RecordSpec> {
    let RecordSpec::Spikes {
        mut populations, ..
    } = record
    else {
        unreachable!("spikes_record returns a spikes record")
    };
    if gids.is_empty() {
        return invalid(
            join(at, "gids"),
            "must not be empty (omit it to record every neuron)",
        );
    }
    let total: i64 = ctx.pops.iter().map(|p| i64::from(p.size)).sum();
    let owner = |g: i64| {
        ctx.pops
            .iter()
            .position(|p| g >= i64::from(p.first_gid) && g < i64::from(p.first_gid + p.size))
    };
    let mut out = Vec::with_capacity(gids.len());
    for (k, &g) in gids.iter().enumerate() {
        let Some(pop) = owner(g) else {
            return invalid(
                format!("{at}.gids[{k}]"),
                format!("gid {g} does not exist (the network has gids 0..{total})"),
            );
        };
        if explicit_pops && !populations.contains(&pop) {
            return invalid(
                format!("{at}.gids[{k}]"),
                format!(
                    "gid {g} belongs to population {:?}, which is not in `populations`",
                    ctx.pops[pop].name
                ),
            );
        }
        out.push(g as u32);
    }
    out.sort_unstable();
    out.dedup();
    if !explicit_pops {
        populations = (0..ctx.pops.len())
            .filter(|&p| out.iter().any(|&g| owner(i64::from(g)) == Some(p)))
            .collect();
    }
    Ok(RecordSpec::Spikes {
        populations,
        gids: Some(out),
    })
}

fn state_record(ctx: &Ctx, at: &str, r: &RawRecord) -> Check<RecordSpec> {
    let name = values::name(&join(at, "name"), r.name.as_deref().unwrap_or("state"))?;
    let Some(pop_name) = &r.population else {
        return invalid(
            join(at, "population"),
            "a state record requires `population`",
        );
    };
    let population = ctx.population(&join(at, "population"), pop_name)?;
    let info = ctx.model(population);
    let Some(vars) = &r.variables else {
        return invalid(join(at, "variables"), "a state record requires `variables`");
    };
    if vars.is_empty() {
        return invalid(
            join(at, "variables"),
            "must list at least one state variable",
        );
    }
    for (k, var) in vars.iter().enumerate() {
        let field = format!("{at}.variables[{k}]");
        values::state_var(&field, info, var)?;
        if vars[..k].contains(var) {
            return invalid(field, format!("variable {var:?} is listed twice"));
        }
    }
    let node_ids = match &r.node_ids {
        Some(ids) => ctx.node_ids(&join(at, "node_ids"), population, ids)?,
        None => (0..ctx.pops[population].size).collect(),
    };
    let dt = ctx.sim.dt;
    let interval = match r.interval {
        Some(v) => {
            let field = join(at, "interval");
            let v = positive(&field, v)?;
            if v < dt {
                return invalid(
                    field,
                    format!("interval {v} ms is shorter than dt = {dt} ms"),
                );
            }
            if !values::on_grid(v, dt) {
                return invalid(
                    field,
                    format!("interval {v} ms is not a whole multiple of dt = {dt} ms"),
                );
            }
            v
        }
        // 1 ms, or the nearest whole number of steps (at least one).
        None if values::on_grid(1.0, dt) => 1.0,
        None => (1.0 / dt).round().max(1.0) * dt,
    };
    Ok(RecordSpec::State {
        name,
        population,
        variables: vars.clone(),
        node_ids,
        interval,
    })
}
