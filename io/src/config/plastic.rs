//! `synapse_model` and `synapse_params` of a `[[projection]]`: a plastic
//! synapse model (sim's `plastic::models`, NEST names and defaults) with its
//! parameters and initial state, checked here; `static_synapse` (the
//! default) takes none.
//!
//! Refused, each with one line naming the field: an unknown model or
//! parameter, a value out of range (negative time constants, ...), `U` or
//! `u` above 1, weights that may be negative (plastic weights are >= 0 in
//! brainsim), a weight above `Wmax` (NEST would snap it to Wmax at the
//! first update: surely not what was meant), and a target receptor that
//! counts events (a parrot's) instead of taking weights. Every neuron model
//! keeps the spike history STDP reads (the chunk does), so no target model
//! is refused for that.

use brainsim_sim::model::decl;
use brainsim_sim::model::ReceptorKind;
use brainsim_sim::plastic::models;
use brainsim_sim::spec::{Distribution, PlasticSpec, Receptor};

use super::raw::RawProjection;
use super::validate::Ctx;
use super::values::{can_be_negative, invalid, join, Check};

/// The largest weight `d` can draw, where it is bounded.
fn largest(d: &Distribution) -> Option<f64> {
    match d {
        Distribution::Constant(v) => Some(*v),
        Distribution::Uniform { high, .. } => Some(*high),
        _ => None,
    }
}

/// The projection's plasticity at `at`, or None for static synapses.
pub(crate) fn plastic(
    ctx: &Ctx,
    at: &str,
    r: &RawProjection,
    weight: &Distribution,
    target: usize,
    receptor: &Receptor,
) -> Check<Option<PlasticSpec>> {
    let params_at = join(at, "synapse_params");
    let name = match r.synapse_model.as_deref() {
        None | Some("static_synapse") => {
            if let Some(k) = r.synapse_params.keys().next() {
                return invalid(
                    join(&params_at, k),
                    "static_synapse takes no parameters (set synapse_model)",
                );
            }
            return Ok(None);
        }
        Some(n) => n,
    };
    let Some(info) = models::lookup(name) else {
        let known = models::names().join(", ");
        return invalid(
            join(at, "synapse_model"),
            format!("unknown synapse model {name:?} (models: {known})"),
        );
    };
    let p = decl::complete(info.name, info.params, &r.synapse_params)
        .or_else(|e| invalid(join(&params_at, &e.param), e.message))?;
    for d in info.params {
        d.check(p[d.name], ctx.sim.dt)
            .or_else(|e| invalid(join(&params_at, d.name), e.message))?;
    }
    for key in ["U", "u"] {
        if p.get(key).is_some_and(|&v| v > 1.0) {
            return invalid(
                join(&params_at, key),
                format!("must be <= 1, got {}", p[key]),
            );
        }
    }
    if can_be_negative(weight) {
        return invalid(
            join(at, "weight"),
            format!("{name}: plastic weights must be >= 0 (inhibitory plasticity is not offered)"),
        );
    }
    if let (Some(w_max), Some(w)) = (p.get("Wmax"), largest(weight)) {
        if w > *w_max {
            return invalid(
                join(&params_at, "Wmax"),
                format!("{w_max} is below the weight {w} (NEST would set it to Wmax at the first update)"),
            );
        }
    }
    let model = ctx.model(target);
    let counts = match receptor {
        Receptor::Index(i) => model.receptors[*i].kind == ReceptorKind::Count,
        Receptor::BySign => false,
    };
    if counts {
        return invalid(
            join(at, "receptor"),
            format!(
                "model {} counts events on this receptor: a plastic weight would be ignored",
                model.name
            ),
        );
    }
    Ok(Some((info.build)(&p)))
}
