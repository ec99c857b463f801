//! Validation of everything that drives a population: `[[projection]]` tables
//! (connection rule and its single parameter, the feasibility of the rule for
//! the two population sizes after `scale`, weight and delay distributions,
//! receptor) and `[[stimulus]]` tables (the generator types, each with its
//! own keys; the devices of rate and temporal coding are checked in
//! `coding`).

use brainsim_sim::spec::{
    ConnRule, Distribution, PopulationSpec, ProjectionSpec, Receptor, StimulusKind, StimulusSpec,
};

use super::coding;
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

/// Distributions a weight or a delay may be drawn from.
const KINDS: &[&str] = &["normal", "uniform", "lognormal"];

pub(crate) fn projection(ctx: &Ctx, at: &str, r: &RawProjection) -> Check<ProjectionSpec> {
    let source = ctx.population(&join(at, "source"), &r.source)?;
    let target = ctx.population(&join(at, "target"), &r.target)?;
    let allow_autapses = r.allow_autapses.unwrap_or(true);
    let allow_multapses = r.allow_multapses.unwrap_or(true);
    let owner = format!("rule {:?}", r.rule);
    rule_keys(at, r, &owner)?;
    let ends = Ends::new(ctx, source, target, allow_autapses, allow_multapses);
    let rule = conn_rule(ctx, at, r, &owner, &ends)?;
    let weight = values::distribution(&join(at, "weight"), &r.weight, KINDS)?;
    let delay = match &r.delay {
        Some(d) => values::distribution(&join(at, "delay"), d, KINDS)?,
        None => Distribution::Constant(1.0),
    };
    values::delay(&join(at, "delay"), &delay, ctx.sim.dt)?;
    let receptor = ctx.receptor(&join(at, "receptor"), target, r.receptor.as_deref())?;
    let negative = values::can_be_negative(&weight);
    ctx.weight_sign(&join(at, "weight"), target, &receptor, negative)?;
    let plastic = super::plastic::plastic(ctx, at, r, &weight, target, &receptor)?;
    let procedural = super::connectivity::procedural(
        at,
        r.connectivity.as_deref(),
        ctx.procedural,
        &rule,
        plastic.as_ref(),
    )?;
    let weights_from = super::weights_from::given(at, r, plastic.is_some())?;
    Ok(ProjectionSpec {
        source,
        target,
        rule,
        allow_autapses,
        allow_multapses,
        weight,
        delay,
        receptor,
        plastic,
        procedural,
        weights_from,
    })
}

/// The rule name must be known and the rule parameters present must be the
/// one it takes (if any); a missing parameter is reported by `conn_rule`.
fn rule_keys(at: &str, r: &RawProjection, owner: &str) -> Check<()> {
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
    values::only_keys(at, &present, allowed, owner)
}

/// The two populations of a projection, as the feasibility checks of the
/// rules see them (sizes are the scaled ones).
struct Ends<'a> {
    src: &'a PopulationSpec,
    tgt: &'a PopulationSpec,
    /// 1 for a self-projection without autapses: a neuron cannot pick itself,
    /// so it has one partner fewer; else 0.
    own: u64,
    multapses: bool,
    /// Appended to size messages when `simulation.scale` changed the sizes.
    scaled: &'static str,
    /// Appended to degree messages when `own` is 1, to say why.
    autapse_note: &'static str,
}

impl<'a> Ends<'a> {
    fn new(ctx: &Ctx<'a>, source: usize, target: usize, autapses: bool, multapses: bool) -> Self {
        let own = u64::from(source == target && !autapses);
        Ends {
            src: &ctx.pops[source],
            tgt: &ctx.pops[target],
            own,
            multapses,
            scaled: if ctx.scale != 1.0 {
                " after scaling"
            } else {
                ""
            },
            autapse_note: if own == 1 {
                " (excluding itself, allow_autapses = false)"
            } else {
                ""
            },
        }
    }

    fn sizes(&self) -> (u64, u64) {
        (u64::from(self.src.size), u64::from(self.tgt.size))
    }
}

/// The connection rule with its parameter, checked against the population
/// sizes. `rule_keys` has run: the name is known and no foreign key is set.
fn conn_rule(ctx: &Ctx, at: &str, r: &RawProjection, owner: &str, e: &Ends) -> Check<ConnRule> {
    let (ns, nt) = e.sizes();
    Ok(match r.rule.as_str() {
        "all_to_all" => ConnRule::AllToAll,
        "one_to_one" => {
            if ns != nt {
                return invalid(
                    join(at, "rule"),
                    format!(
                        "one_to_one needs populations of equal size, but {:?} has {ns} neurons and {:?} has {nt}{}",
                        e.src.name, e.tgt.name, e.scaled
                    ),
                );
            }
            ConnRule::OneToOne
        }
        "fixed_indegree" => ConnRule::FixedIndegree {
            indegree: fixed_degree(&join(at, "indegree"), r.indegree, owner, e.src, "source", e)?,
        },
        "fixed_outdegree" => ConnRule::FixedOutdegree {
            outdegree: fixed_degree(
                &join(at, "outdegree"),
                r.outdegree,
                owner,
                e.tgt,
                "target",
                e,
            )?,
        },
        "fixed_total_number" => ConnRule::FixedTotalNumber {
            n: total_number(ctx, &join(at, "N"), r.n, owner, e)?,
        },
        // "pairwise_bernoulli", the only name `rule_keys` left.
        _ => ConnRule::PairwiseBernoulli {
            p: probability(ctx, &join(at, "p"), r.p, owner)?,
        },
    })
}

/// A fixed in- or out-degree `k` at `field`, drawn from the neurons of `pop`
/// (the `side` of the projection).
fn fixed_degree(
    field: &str,
    value: Option<i64>,
    owner: &str,
    pop: &PopulationSpec,
    side: &str,
    e: &Ends,
) -> Check<u64> {
    let k = int_in(field, required(field, value, owner)?, 0, i64::MAX)? as u64;
    let available = u64::from(pop.size) - e.own;
    if k == 0 || (available > 0 && (e.multapses || k <= available)) {
        return Ok(k);
    }
    let key = field.rsplit('.').next().unwrap_or(field);
    let how = if available == 0 {
        ""
    } else {
        "; with allow_multapses = false each can be used only once"
    };
    invalid(
        field,
        format!(
            "{key} {k} is larger than the {available} possible {side}s in population {:?}{}{how}",
            pop.name, e.autapse_note
        ),
    )
}

/// `N` of fixed_total_number, scaled; without multapses it cannot exceed the
/// number of (source, target) pairs.
fn total_number(ctx: &Ctx, field: &str, value: Option<i64>, owner: &str, e: &Ends) -> Check<u64> {
    let (ns, nt) = e.sizes();
    let n = int_in(field, required(field, value, owner)?, 0, i64::MAX)?;
    let n = (n as f64 * ctx.scale).round() as u64;
    let pairs = ns * nt - e.own * ns;
    if n > 0 && (pairs == 0 || (!e.multapses && n > pairs)) {
        return invalid(
            field,
            format!(
                "N = {n}{} exceeds the {pairs} possible (source, target) pairs without multapses",
                e.scaled
            ),
        );
    }
    Ok(n)
}

/// `p` of pairwise_bernoulli, divided by `scale` (so each neuron keeps its
/// expected number of synapses), which must leave it a probability.
fn probability(ctx: &Ctx, field: &str, value: Option<f64>, owner: &str) -> Check<f64> {
    let p = finite(field, required(field, value, owner)?)?;
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
    Ok(p)
}

pub(crate) fn stimulus(ctx: &Ctx, at: &str, r: &RawStimulus) -> Check<StimulusSpec> {
    let spec = match r.kind.as_str() {
        "poisson_generator" => poisson_generator(ctx, at, r)?,
        "dc_generator" => dc_generator(ctx, at, r)?,
        "spike_generator" if r.spikes_file.is_some() => coding::spike_file_generator(ctx, at, r)?,
        "spike_generator" => spike_generator(ctx, at, r)?,
        "inhomogeneous_poisson_generator" => coding::inhomogeneous_poisson_generator(ctx, at, r)?,
        "step_current_generator" => coding::step_current_generator(ctx, at, r)?,
        "rate_encoder" => coding::rate_encoder(ctx, at, r)?,
        "latency_encoder" => coding::latency_encoder(ctx, at, r)?,
        other => {
            return invalid(
                join(at, "type"),
                format!(
                    "unknown stimulus type {other:?} (types: {})",
                    STIMULUS_TYPES.join(", ")
                ),
            );
        }
    };
    let target = ctx.population(&join(at, "target"), &r.target)?;
    let node_ids = match &r.node_ids {
        Some(ids) => Some(ctx.node_ids(&join(at, "node_ids"), target, ids)?),
        None => None,
    };
    let n_targets = node_ids
        .as_ref()
        .map_or(ctx.pops[target].size as usize, Vec::len);
    coding::check_targets(at, &spec, n_targets)?;
    let receptor = match spec {
        // A current is not a synaptic event: no receptor.
        StimulusKind::DcGenerator { .. } | StimulusKind::StepCurrentGenerator { .. } => {
            Receptor::BySign
        }
        _ => ctx.receptor(&join(at, "receptor"), target, r.receptor.as_deref())?,
    };
    if let StimulusKind::PoissonGenerator { weight, .. }
    | StimulusKind::SpikeGenerator { weight, .. }
    | StimulusKind::InhomogeneousPoissonGenerator { weight, .. }
    | StimulusKind::SpikeTrains { weight, .. }
    | StimulusKind::RateEncoder { weight, .. }
    | StimulusKind::LatencyEncoder { weight, .. } = &spec
    {
        ctx.weight_sign(&join(at, "weight"), target, &receptor, *weight < 0.0)?;
    }
    Ok(StimulusSpec {
        kind: spec,
        target,
        node_ids,
        receptor,
    })
}

/// The `type`s of `[[stimulus]]`.
const STIMULUS_TYPES: &[&str] = &[
    "poisson_generator",
    "dc_generator",
    "spike_generator",
    "inhomogeneous_poisson_generator",
    "step_current_generator",
    "rate_encoder",
    "latency_encoder",
];

/// Who requires a key, in messages: "a poisson_generator".
pub(crate) fn stimulus_owner(r: &RawStimulus) -> String {
    format!("a {}", r.kind)
}

/// The delay (ms) of a generator's events, 1 ms when absent; the same limits
/// as a synaptic delay.
pub(crate) fn stimulus_delay(ctx: &Ctx, at: &str, d: Option<f64>) -> Check<f64> {
    let field = join(at, "delay");
    let d = finite(&field, d.unwrap_or(1.0))?;
    values::delay(&field, &Distribution::Constant(d), ctx.sim.dt)?;
    Ok(d)
}

/// `weight`, required by the generators that emit spikes.
pub(crate) fn stimulus_weight(at: &str, r: &RawStimulus, owner: &str) -> Check<f64> {
    let field = join(at, "weight");
    finite(&field, required(&field, r.weight, owner)?)
}

/// The most Poisson events a generator may send a target per step (1e8 Hz
/// at dt = 0.1 ms; the microcircuit's background is 1.6 per step).
pub(crate) const MAX_EVENTS_PER_STEP: f64 = 1e4;

fn poisson_generator(ctx: &Ctx, at: &str, r: &RawStimulus) -> Check<StimulusKind> {
    let owner = stimulus_owner(r);
    let allowed = ["rate", "weight", "delay", "receptor"];
    values::only_keys(at, &r.present_keys(), &allowed, &owner)?;
    let field = join(at, "rate");
    let rate = non_negative(&field, required(&field, r.rate, &owner)?)?;
    // Each step draws about lambda / 30 Poisson parts per target: bound the
    // work of a step (a mistaken rate must be refused, not hang the run).
    let lambda = rate * ctx.sim.dt / 1000.0;
    if lambda > MAX_EVENTS_PER_STEP {
        return invalid(
            &field,
            format!(
                "{rate} Hz is {lambda:.3e} events per target and step of {} ms; at most {MAX_EVENTS_PER_STEP}",
                ctx.sim.dt
            ),
        );
    }
    let weight = stimulus_weight(at, r, &owner)?;
    Ok(StimulusKind::PoissonGenerator {
        rate,
        weight,
        delay: stimulus_delay(ctx, at, r.delay)?,
    })
}

/// A current over [start, stop), by default the whole run.
fn dc_generator(ctx: &Ctx, at: &str, r: &RawStimulus) -> Check<StimulusKind> {
    let owner = stimulus_owner(r);
    let allowed = ["amplitude", "start", "stop"];
    values::only_keys(at, &r.present_keys(), &allowed, &owner)?;
    let field = |key: &str| join(at, key);
    let amplitude = finite(
        &field("amplitude"),
        required(&field("amplitude"), r.amplitude, &owner)?,
    )?;
    let start = non_negative(&field("start"), r.start.unwrap_or(0.0))?;
    let stop = finite(&field("stop"), r.stop.unwrap_or(ctx.sim.t_stop))?;
    if start >= stop {
        // Blame the key the user wrote: stop if given, else start (past t_stop).
        let key = if r.stop.is_some() { "stop" } else { "start" };
        return invalid(
            field(key),
            format!("start ({start} ms) must be before stop ({stop} ms)"),
        );
    }
    Ok(StimulusKind::DcGenerator {
        amplitude,
        start,
        stop,
    })
}

fn spike_generator(ctx: &Ctx, at: &str, r: &RawStimulus) -> Check<StimulusKind> {
    let owner = stimulus_owner(r);
    let allowed = ["spike_times", "weight", "delay", "receptor"];
    values::only_keys(at, &r.present_keys(), &allowed, &owner)?;
    let field = join(at, "spike_times");
    let times = required(
        &field,
        r.spike_times.as_deref(),
        "a spike_generator without spikes_file",
    )?;
    spike_times(&field, times, ctx.sim.dt)?;
    let weight = stimulus_weight(at, r, &owner)?;
    Ok(StimulusKind::SpikeGenerator {
        spike_times: times.to_vec(),
        weight,
        delay: stimulus_delay(ctx, at, r.delay)?,
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
