//! Validation of everything that drives a population: `[[projection]]` tables
//! (connection rule and its single parameter, the feasibility of the rule for
//! the two population sizes after `scale`, weight and delay distributions,
//! receptor) and `[[stimulus]]` tables (the three generator types, each with its
//! own keys).

use brainsim_sim::spec::{
    ConnRule, Distribution, ProjectionSpec, Receptor, StimulusKind, StimulusSpec,
};

use super::raw::{RawProjection, RawStimulus};
use super::validate::Ctx;
use super::values::{self, finite, int_in, invalid, join, non_negative, required, Check};

const RULES: &[&str] = &[
    "all_to_all",
    "one_to_one",
    "fixed_indegree",
    "fixed_outdegree",
    "fixed_total_number",
    "pairwise_bernoulli",
];

pub(crate) fn projection(ctx: &Ctx, at: &str, r: &RawProjection) -> Check<ProjectionSpec> {
    let source = ctx.population(&join(at, "source"), &r.source)?;
    let target = ctx.population(&join(at, "target"), &r.target)?;
    let allow_autapses = r.allow_autapses.unwrap_or(true);
    let allow_multapses = r.allow_multapses.unwrap_or(true);

    let rule_keys = [
        ("indegree", r.indegree.is_some()),
        ("outdegree", r.outdegree.is_some()),
        ("N", r.n.is_some()),
        ("p", r.p.is_some()),
    ];
    let present: Vec<&str> = rule_keys
        .iter()
        .filter(|(_, on)| *on)
        .map(|(k, _)| *k)
        .collect();
    let allowed: &[&str] = match r.rule.as_str() {
        "all_to_all" | "one_to_one" => &[],
        "fixed_indegree" => &["indegree"],
        "fixed_outdegree" => &["outdegree"],
        "fixed_total_number" => &["N"],
        "pairwise_bernoulli" => &["p"],
        other => {
            return invalid(
                join(at, "rule"),
                format!("unknown rule {other:?} (rules: {})", RULES.join(", ")),
            );
        }
    };
    let owner = format!("rule {:?}", r.rule);
    values::only_keys(at, &present, allowed, &owner)?;

    let (src, tgt) = (&ctx.pops[source], &ctx.pops[target]);
    let (ns, nt) = (u64::from(src.size), u64::from(tgt.size));
    let scaled = if ctx.scale != 1.0 {
        " after scaling"
    } else {
        ""
    };
    // Without autapses a neuron of a self-projection cannot pick itself.
    let own = u64::from(source == target && !allow_autapses);
    let autapse_note = if own == 1 {
        " (excluding itself, allow_autapses = false)"
    } else {
        ""
    };
    let rule = match r.rule.as_str() {
        "all_to_all" => ConnRule::AllToAll,
        "one_to_one" => {
            if ns != nt {
                return invalid(
                    join(at, "rule"),
                    format!(
                        "one_to_one needs populations of equal size, but {:?} has {ns} neurons and {:?} has {nt}{scaled}",
                        src.name, tgt.name
                    ),
                );
            }
            ConnRule::OneToOne
        }
        "fixed_indegree" => {
            let field = join(at, "indegree");
            let k = int_in(&field, required(&field, r.indegree, &owner)?, 0, i64::MAX)? as u64;
            degree_fits(
                &field,
                k,
                ns - own,
                allow_multapses,
                "source",
                &src.name,
                autapse_note,
            )?;
            ConnRule::FixedIndegree { indegree: k }
        }
        "fixed_outdegree" => {
            let field = join(at, "outdegree");
            let k = int_in(&field, required(&field, r.outdegree, &owner)?, 0, i64::MAX)? as u64;
            degree_fits(
                &field,
                k,
                nt - own,
                allow_multapses,
                "target",
                &tgt.name,
                autapse_note,
            )?;
            ConnRule::FixedOutdegree { outdegree: k }
        }
        "fixed_total_number" => {
            let field = join(at, "N");
            let n = int_in(&field, required(&field, r.n, &owner)?, 0, i64::MAX)?;
            let n = (n as f64 * ctx.scale).round() as u64;
            let pairs = ns * nt - own * ns;
            if n > 0 && (pairs == 0 || (!allow_multapses && n > pairs)) {
                return invalid(
                    field,
                    format!("N = {n}{scaled} exceeds the {pairs} possible (source, target) pairs without multapses"),
                );
            }
            ConnRule::FixedTotalNumber { n }
        }
        _ => {
            let field = join(at, "p");
            let p = finite(&field, required(&field, r.p, &owner)?)?;
            if !(0.0..=1.0).contains(&p) {
                return invalid(field, format!("must be a probability in [0, 1], got {p}"));
            }
            let p = p / ctx.scale;
            if p > 1.0 {
                return invalid(
                    field,
                    format!("p / scale = {p} exceeds 1; raise simulation.scale"),
                );
            }
            ConnRule::PairwiseBernoulli { p }
        }
    };

    const KINDS: &[&str] = &["normal", "uniform", "lognormal"];
    let weight = values::distribution(&join(at, "weight"), &r.weight, KINDS)?;
    let delay = match &r.delay {
        Some(d) => values::distribution(&join(at, "delay"), d, KINDS)?,
        None => Distribution::Constant(1.0),
    };
    values::delay(&join(at, "delay"), &delay, ctx.sim.dt)?;
    let receptor = ctx.receptor(&join(at, "receptor"), target, r.receptor.as_deref())?;
    Ok(ProjectionSpec {
        source,
        target,
        rule,
        allow_autapses,
        allow_multapses,
        weight,
        delay,
        receptor,
    })
}

/// A fixed in- or out-degree `k` drawn from `available` partners.
fn degree_fits(
    field: &str,
    k: u64,
    available: u64,
    multapses: bool,
    side: &str,
    pop: &str,
    note: &str,
) -> Check<()> {
    if k == 0 || (available > 0 && (multapses || k <= available)) {
        return Ok(());
    }
    let key = field.rsplit('.').next().unwrap_or(field);
    let how = if available == 0 {
        ""
    } else {
        "; with allow_multapses = false each can be used only once"
    };
    invalid(
        field,
        format!("{key} {k} is larger than the {available} possible {side}s in population {pop:?}{note}{how}"),
    )
}

pub(crate) fn stimulus(ctx: &Ctx, at: &str, r: &RawStimulus) -> Check<StimulusSpec> {
    let kind = r.kind.as_str();
    let owner = format!("a {kind}");
    let present = r.present_keys();
    let field = |key: &str| join(at, key);
    let delay = |d: Option<f64>| -> Check<f64> {
        let d = finite(&field("delay"), d.unwrap_or(1.0))?;
        values::delay(&field("delay"), &Distribution::Constant(d), ctx.sim.dt)?;
        Ok(d)
    };
    let spec = match kind {
        "poisson_generator" => {
            values::only_keys(
                at,
                &present,
                &["rate", "weight", "delay", "receptor"],
                &owner,
            )?;
            let rate = non_negative(&field("rate"), required(&field("rate"), r.rate, &owner)?)?;
            let weight = finite(
                &field("weight"),
                required(&field("weight"), r.weight, &owner)?,
            )?;
            StimulusKind::PoissonGenerator {
                rate,
                weight,
                delay: delay(r.delay)?,
            }
        }
        "dc_generator" => {
            values::only_keys(at, &present, &["amplitude", "start", "stop"], &owner)?;
            let amplitude = finite(
                &field("amplitude"),
                required(&field("amplitude"), r.amplitude, &owner)?,
            )?;
            let start = non_negative(&field("start"), r.start.unwrap_or(0.0))?;
            let stop = finite(&field("stop"), r.stop.unwrap_or(ctx.sim.t_stop))?;
            if start >= stop {
                let key = if r.stop.is_some() { "stop" } else { "start" };
                return invalid(
                    field(key),
                    format!("start ({start} ms) must be before stop ({stop} ms)"),
                );
            }
            StimulusKind::DcGenerator {
                amplitude,
                start,
                stop,
            }
        }
        "spike_generator" => {
            values::only_keys(
                at,
                &present,
                &["spike_times", "weight", "delay", "receptor"],
                &owner,
            )?;
            let times = required(&field("spike_times"), r.spike_times.as_deref(), &owner)?;
            spike_times(&field("spike_times"), times, ctx.sim.dt)?;
            let weight = finite(
                &field("weight"),
                required(&field("weight"), r.weight, &owner)?,
            )?;
            StimulusKind::SpikeGenerator {
                spike_times: times.to_vec(),
                weight,
                delay: delay(r.delay)?,
            }
        }
        other => {
            return invalid(
                field("type"),
                format!("unknown stimulus type {other:?} (types: poisson_generator, dc_generator, spike_generator)"),
            );
        }
    };
    let target = ctx.population(&field("target"), &r.target)?;
    let node_ids = match &r.node_ids {
        Some(ids) => Some(ctx.node_ids(&field("node_ids"), target, ids)?),
        None => None,
    };
    let receptor = match spec {
        // A current is not a synaptic event: no receptor.
        StimulusKind::DcGenerator { .. } => Receptor::BySign,
        _ => ctx.receptor(&field("receptor"), target, r.receptor.as_deref())?,
    };
    Ok(StimulusSpec {
        kind: spec,
        target,
        node_ids,
        receptor,
    })
}

/// Spike times: finite, >= 0, on the dt grid, in ascending order.
fn spike_times(field: &str, times: &[f64], dt: f64) -> Check<()> {
    for (k, &t) in times.iter().enumerate() {
        let at = format!("{field}[{k}]");
        non_negative(&at, t)?;
        if !values::on_grid(t, dt) {
            return invalid(
                at,
                format!("spike time {t} ms is not on the dt = {dt} ms grid"),
            );
        }
        if k > 0 && t < times[k - 1] {
            return invalid(
                at,
                format!(
                    "spike times must be sorted ascending ({t} comes after {})",
                    times[k - 1]
                ),
            );
        }
    }
    Ok(())
}
