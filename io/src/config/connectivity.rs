//! `connectivity = "stored" | "procedural"`: per `[[projection]]`, with a
//! default for the whole network in `[simulation]`.
//!
//! Decided: the `[simulation]` default applies to every projection that does
//! not set its own and whose synapses can be regenerated (a static synapse
//! with a rule other than `fixed_indegree`); the others stay stored. A
//! projection that asks for `procedural` itself with a rule or synapse that
//! cannot be regenerated is refused, naming the projection and why.

use brainsim_sim::spec::{ConnRule, PlasticSpec};

use super::values::{invalid, join, Check};

const MODES: &[&str] = &["stored", "procedural"];

/// The `[simulation]` default: true for "procedural" (default "stored").
pub(crate) fn default_mode(raw: Option<&str>) -> Check<bool> {
    mode("simulation.connectivity", raw.unwrap_or("stored"))
}

fn mode(field: &str, value: &str) -> Check<bool> {
    match value {
        "stored" => Ok(false),
        "procedural" => Ok(true),
        other => invalid(
            field,
            format!(
                "unknown connectivity {other:?} (one of: {})",
                MODES.join(", ")
            ),
        ),
    }
}

/// Whether projection `at` is procedural: its own `connectivity` if set
/// (refused where impossible), else the network default where possible.
pub(crate) fn procedural(
    at: &str,
    own: Option<&str>,
    default: bool,
    rule: &ConnRule,
    plastic: Option<&PlasticSpec>,
) -> Check<bool> {
    let field = join(at, "connectivity");
    let why_not = if matches!(rule, ConnRule::FixedIndegree { .. }) {
        Some(
            "rule \"fixed_indegree\" cannot be procedural: its sources are drawn per \
             target, so a spike cannot regenerate its row (use pairwise_bernoulli or \
             fixed_outdegree, or connectivity = \"stored\")",
        )
    } else if plastic.is_some() {
        Some("a plastic projection cannot be procedural: its weights change and must be stored")
    } else {
        None
    };
    match own {
        Some(value) => {
            let on = mode(&field, value)?;
            match why_not {
                Some(why) if on => invalid(field, why),
                _ => Ok(on),
            }
        }
        None => Ok(default && why_not.is_none()),
    }
}
