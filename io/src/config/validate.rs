//! Raw config -> validated `NetworkSpec`: the entry point, the `[simulation]`
//! table (including `scale`), populations (names, sizes, models, parameters
//! merged with the model defaults and checked by the model, initial values),
//! and the shared context (population lookup, receptors, node ids) that
//! `inputs` and `records` use for projections, stimuli and records. The first
//! failed check wins; it is returned with its field path for `mod.rs` to
//! locate.

use std::collections::BTreeMap;

use brainsim_sim::model::{self, ModelInfo};
use brainsim_sim::spec::{
    Distribution, InitialValue, NetworkSpec, ParamMap, PopulationSpec, Receptor, SimulationSpec,
};

use super::raw::{RawConfig, RawPopulation, RawSimulation};
use super::values::{self, finite, int_in, invalid, join, positive, Check};
use super::weight_records::WeightRecord;
use super::{inputs, records};

/// What checks of projections, stimuli and records need to know.
pub(crate) struct Ctx<'a> {
    pub sim: &'a SimulationSpec,
    pub scale: f64,
    pub pops: &'a [PopulationSpec],
    /// `simulation.connectivity` is "procedural".
    pub procedural: bool,
}

impl Ctx<'_> {
    /// Index of the population called `name`.
    pub fn population(&self, field: &str, name: &str) -> Check<usize> {
        match self.pops.iter().position(|p| p.name == name) {
            Some(i) => Ok(i),
            None => {
                // A templated network has hundreds: name the first few.
                const SHOWN: usize = 12;
                let mut names: Vec<&str> = self
                    .pops
                    .iter()
                    .take(SHOWN)
                    .map(|p| p.name.as_str())
                    .collect();
                let more = format!("... {} in all", self.pops.len());
                if self.pops.len() > SHOWN {
                    names.push(&more);
                }
                invalid(
                    field,
                    format!(
                        "no population named {name:?} (populations: {})",
                        names.join(", ")
                    ),
                )
            }
        }
    }

    pub fn model(&self, pop: usize) -> &'static ModelInfo {
        model::lookup(&self.pops[pop].model).expect("population models were checked")
    }

    /// The receptor named at `field` (absent: by sign, if the model allows it).
    pub fn receptor(&self, field: &str, target: usize, name: Option<&str>) -> Check<Receptor> {
        let info = self.model(target);
        let list = info.receptor_names().join(", ");
        match name {
            Some(name) => match info.receptor_index(name) {
                Some(i) => Ok(Receptor::Index(i)),
                None => invalid(
                    field,
                    format!("model {} has no receptor {name:?} (receptors: {list})", info.name),
                ),
            },
            None if info.by_sign.is_some() => Ok(Receptor::BySign),
            None if info.receptors.len() == 1 => Ok(Receptor::Index(0)),
            None => invalid(
                field,
                format!(
                    "model {} has receptors [{list}], so the sign of the weight cannot choose one; set `receptor`",
                    info.name
                ),
            ),
        }
    }

    /// A weight at `field` that may be negative must not address a named
    /// conductance receptor (a conductance is >= 0; by sign, NEST's
    /// convention takes its magnitude).
    pub fn weight_sign(
        &self,
        field: &str,
        target: usize,
        receptor: &Receptor,
        may_be_negative: bool,
    ) -> Check<()> {
        let info = self.model(target);
        if let Receptor::Index(i) = receptor {
            let r = &info.receptors[*i];
            if may_be_negative && r.kind == model::ReceptorKind::Conductance {
                return invalid(
                    field,
                    format!(
                        "receptor {:?} of model {} is a conductance (nS): its weights must be >= 0",
                        r.name, info.name
                    ),
                );
            }
        }
        Ok(())
    }

    /// Node ids within population `pop` (see `values::node_ids`).
    pub fn node_ids(&self, field: &str, pop: usize, ids: &[i64]) -> Check<Vec<u32>> {
        let p = &self.pops[pop];
        values::node_ids(field, ids, p.size, &p.name, self.scale != 1.0)
    }
}

/// The spec and the weight recordings of `raw`.
pub(crate) fn validate(raw: &RawConfig) -> Check<(NetworkSpec, Vec<WeightRecord>)> {
    let (simulation, scale) = simulation(&raw.simulation)?;
    let populations = populations(&raw.population, simulation.dt, scale)?;
    let ctx = Ctx {
        sim: &simulation,
        scale,
        pops: &populations,
        procedural: super::connectivity::default_mode(raw.simulation.connectivity.as_deref())?,
    };
    let projections = raw
        .projection
        .iter()
        .enumerate()
        .map(|(i, p)| inputs::projection(&ctx, &format!("projection[{i}]"), p))
        .collect::<Check<Vec<_>>>()?;
    let stimuli = raw
        .stimulus
        .iter()
        .enumerate()
        .map(|(i, s)| inputs::stimulus(&ctx, &format!("stimulus[{i}]"), s))
        .collect::<Check<Vec<_>>>()?;
    let records = records::records(&ctx, &raw.record)?;
    let spec = NetworkSpec {
        simulation,
        populations,
        projections,
        stimuli,
        records,
    };
    total_numbers_fit(&spec)?;
    let weights = super::weight_records::weight_records(&spec, scale != 1.0, &raw.record)?;
    Ok((spec, weights))
}

/// A fixed_total_number projection is split among its target chunks before
/// any chunk draws its pairs (`connect::split_total`, by the pairs each
/// offers: without multapses no share exceeds them). A share a chunk cannot
/// fill — more than its distinct pairs, or any share with no allowed pair
/// at all — could not be drawn, so it is refused here, where the split (a
/// function of the spec alone) can be computed; a guard, as the projection
/// checks refuse such totals first.
fn total_numbers_fit(spec: &NetworkSpec) -> Check<()> {
    let chunks = brainsim_sim::layout::chunks(spec);
    for (pi, p) in spec.projections.iter().enumerate() {
        if !matches!(
            p.rule,
            brainsim_sim::spec::ConnRule::FixedTotalNumber { .. }
        ) {
            continue;
        }
        let shares = brainsim_sim::connect::split_total(spec, pi, &chunks);
        let targets = chunks.iter().filter(|c| c.population == p.target);
        let ns = u64::from(spec.populations[p.source].size);
        let self_excluded = p.source == p.target && !p.allow_autapses;
        for (c, &share) in targets.zip(&shares) {
            let len = u64::from(c.len);
            let pairs = len * ns - if self_excluded { len } else { 0 };
            let limit = if p.allow_multapses && pairs > 0 {
                u64::MAX
            } else {
                pairs
            };
            if share > limit {
                return invalid(
                    format!("projection[{pi}].N"),
                    format!(
                        "target chunk {} (neurons {}..{}) would need {share} synapses from its {pairs} possible pairs (the total is split among chunks before pairs are drawn); lower N, allow multapses or autapses",
                        c.index,
                        c.first_gid,
                        c.first_gid + c.len
                    ),
                );
            }
        }
    }
    Ok(())
}

/// The most steps a run may have (2^48: 900 years of biological time at
/// dt = 0.1 ms): beyond, t_stop is a mistake, and step counts stay exact
/// in f64 arithmetic.
pub const MAX_STEPS: f64 = (1u64 << 48) as f64;

/// The most threads per rank (far beyond any node; more cannot be spawned
/// usefully and would only exhaust memory).
pub const MAX_THREADS: usize = 4096;

/// `t_stop` (ms, > 0) on the dt grid: as written when already on it, else
/// rounded to whole steps; an error message when it is below one step or
/// above `MAX_STEPS`.
pub fn t_stop_on_grid(t_stop: f64, dt: f64) -> Result<f64, String> {
    let steps = (t_stop / dt).round();
    if steps < 1.0 {
        return Err(format!("{t_stop} ms is shorter than dt = {dt} ms"));
    }
    if steps > MAX_STEPS {
        return Err(format!(
            "{t_stop} ms is more than 2^48 steps of dt = {dt} ms"
        ));
    }
    // Keep the value as written when it is already on the grid (no 0.1 * n noise).
    Ok(if values::on_grid(t_stop, dt) {
        t_stop
    } else {
        steps * dt
    })
}

fn simulation(raw: &RawSimulation) -> Check<(SimulationSpec, f64)> {
    let dt = positive("simulation.dt", raw.dt)?;
    let t_stop = positive("simulation.t_stop", raw.t_stop)?;
    let t_stop = t_stop_on_grid(t_stop, dt).or_else(|m| invalid("simulation.t_stop", m))?;
    let seed = int_in(
        "simulation.seed",
        raw.seed.unwrap_or(1),
        0,
        i64::from(u32::MAX),
    )? as u32;
    let threads = match raw.threads {
        Some(t) => Some(int_in("simulation.threads", t, 1, MAX_THREADS as i64)? as usize),
        None => None,
    };
    let chunk_size = int_in(
        "simulation.chunk_size",
        raw.chunk_size.unwrap_or(512),
        1,
        65536,
    )? as usize;
    let scale = finite("simulation.scale", raw.scale.unwrap_or(1.0))?;
    if !(scale > 0.0 && scale <= 1.0) {
        return invalid(
            "simulation.scale",
            format!("must be in (0, 1], got {scale}"),
        );
    }
    Ok((
        SimulationSpec {
            dt,
            t_stop,
            seed,
            threads,
            chunk_size,
        },
        scale,
    ))
}

fn populations(raw: &[RawPopulation], dt: f64, scale: f64) -> Check<Vec<PopulationSpec>> {
    if raw.is_empty() {
        return invalid(
            "population",
            "the network needs at least one [[population]] table",
        );
    }
    let mut out: Vec<PopulationSpec> = Vec::with_capacity(raw.len());
    let mut next_gid: u64 = 0;
    for (i, r) in raw.iter().enumerate() {
        let at = format!("population[{i}]");
        // Unique: checked after template expansion (`template::expand`).
        let name = values::name(&join(&at, "name"), &r.name)?;
        let size = int_in(&join(&at, "size"), r.size, 1, i64::from(u32::MAX))? as f64;
        let size = ((size * scale).round() as u32).max(1);
        if next_gid + u64::from(size) > u64::from(u32::MAX) {
            return invalid(
                join(&at, "size"),
                format!(
                    "the network would have more than {} neurons (gids are u32)",
                    u32::MAX
                ),
            );
        }
        let Some(info) = model::lookup(&r.model) else {
            return invalid(
                join(&at, "model"),
                format!(
                    "unknown model {:?} (models: {})",
                    r.model,
                    model::model_names().join(", ")
                ),
            );
        };
        let expected_rate = match r.expected_rate {
            Some(v) => Some(values::non_negative(&join(&at, "expected_rate"), v)?),
            None => None,
        };
        let params = params(&at, info, &r.params, dt)?;
        let mut initial = BTreeMap::new();
        for (var, value) in &r.initial {
            let field = format!("{at}.initial.{var}");
            values::state_var(&field, info, var)?;
            let v = match values::distribution(&field, value, &["uniform", "normal"])? {
                Distribution::Constant(v) => InitialValue::Constant(v),
                Distribution::Uniform { low, high } => InitialValue::Uniform { low, high },
                Distribution::Normal { mean, std } => InitialValue::Normal { mean, std },
                Distribution::Lognormal { .. } => unreachable!("lognormal is not offered"),
            };
            initial.insert(var.clone(), v);
        }
        out.push(PopulationSpec {
            name,
            size,
            first_gid: next_gid as u32,
            model: info.name.to_string(),
            params,
            initial,
            expected_rate,
        });
        next_gid += u64::from(size);
    }
    Ok(out)
}

/// The file's parameters merged with the model's defaults, checked by the model.
fn params(at: &str, info: &ModelInfo, given: &BTreeMap<String, f64>, dt: f64) -> Check<ParamMap> {
    for (k, v) in given {
        finite(&format!("{at}.params.{k}"), *v)?;
    }
    let located = |e: model::ParamError| {
        let mut message = e.message;
        if !given.contains_key(&e.param) {
            message += &format!(
                "; {} is not set here, so the model default applies",
                e.param
            );
        }
        values::Invalid {
            field: format!("{at}.params.{}", e.param),
            message,
        }
    };
    let merged = info.with_defaults(given).map_err(located)?;
    info.check(&merged, dt).map_err(located)?;
    Ok(merged)
}
