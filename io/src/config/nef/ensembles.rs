//! `[[nef.ensemble]]` and `[[nef.ensemble_array]]` to the library's
//! `EnsembleParams`, with Nengo's defaults for what is not written (max
//! rates Uniform(200, 400) Hz, intercepts Uniform(-1, 0.9), scattered
//! encoders and eval points, tau_rc 20 ms, tau_ref 2 ms). An array of
//! `n_ensembles` ensembles of `ens_dimensions` (nengo.networks.
//! EnsembleArray) becomes that many ensembles `arr[i]` of `n_neurons` each,
//! after the plain ensembles (the ensembles' order decides their draws).
//!
//! Checked here so the message names the key: intercepts within [-1, 1]
//! (Nengo needs them below 1 to have a gain), max rates positive and below
//! 1 / tau_ref (a LIF neuron cannot fire faster).

use brainsim_sim::nef::{EnsembleParams, Hypersphere, LifRate, Scalar};
use toml::Value;

use super::names::{Named, Names};
use super::raw::RawEnsemble;
use super::shapes::{kind, number, seconds, vector};
use crate::config::values::{int_in, invalid, join, name, positive, Check};

/// Largest neurons or dimensions of one ensemble (beyond any use).
const MAX_SIZE: i64 = 1 << 24;

/// Ensembles as `NetSpec` wants them, and the config table of each.
#[derive(Default)]
pub(crate) struct Ensembles {
    pub list: Vec<(String, EnsembleParams)>,
    pub origin: Vec<String>,
}

/// Reads every ensemble, then every array, adding their names.
pub(crate) fn ensembles(
    plain: &[RawEnsemble],
    arrays: &[RawEnsemble],
    names: &mut Names,
) -> Check<Ensembles> {
    let mut out = Ensembles::default();
    for (i, r) in plain.iter().enumerate() {
        let at = format!("nef.ensemble[{i}]");
        for (key, v) in [
            ("n_ensembles", r.n_ensembles),
            ("ens_dimensions", r.ens_dimensions),
        ] {
            if v.is_some() {
                return invalid(
                    join(&at, key),
                    format!("`{key}` is for [[nef.ensemble_array]]"),
                );
            }
        }
        let n = name(&join(&at, "name"), &r.name)?;
        let d = int_in(
            &join(&at, "dimensions"),
            r.dimensions.unwrap_or(1),
            1,
            MAX_SIZE,
        )?;
        let p = params(&at, r, d as usize)?;
        names.add(&at, &n, Named::Ensemble(out.list.len()))?;
        out.list.push((n, p));
        out.origin.push(at);
    }
    for (i, r) in arrays.iter().enumerate() {
        let at = format!("nef.ensemble_array[{i}]");
        if r.dimensions.is_some() {
            return invalid(
                join(&at, "dimensions"),
                "an array takes `ens_dimensions` (per ensemble) and `n_ensembles`",
            );
        }
        let n = name(&join(&at, "name"), &r.name)?;
        let Some(count) = r.n_ensembles else {
            return invalid(
                join(&at, "n_ensembles"),
                "an ensemble array requires `n_ensembles`",
            );
        };
        let count = int_in(&join(&at, "n_ensembles"), count, 1, MAX_SIZE)? as usize;
        let d = int_in(
            &join(&at, "ens_dimensions"),
            r.ens_dimensions.unwrap_or(1),
            1,
            MAX_SIZE,
        )?;
        let p = params(&at, r, d as usize)?;
        let first = out.list.len();
        names.add(
            &at,
            &n,
            Named::Array {
                first,
                n: count,
                d: d as usize,
            },
        )?;
        for k in 0..count {
            names.add(&at, &format!("{n}[{k}]"), Named::Ensemble(first + k))?;
            out.list.push((format!("{n}[{k}]"), p.clone()));
            out.origin.push(at.clone());
        }
    }
    Ok(out)
}

/// The parameters of one ensemble of `d` dimensions from table `at`.
fn params(at: &str, r: &RawEnsemble, d: usize) -> Check<EnsembleParams> {
    let n = int_in(&join(at, "n_neurons"), r.n_neurons, 1, MAX_SIZE)? as usize;
    let mut p = EnsembleParams::new(n, d);
    if let Some(radius) = r.radius {
        p.radius = positive(&join(at, "radius"), radius)?;
    }
    let tau_rc = positive(&join(at, "tau_rc"), r.tau_rc.unwrap_or(20.0))?;
    let tau_ref = r.tau_ref.unwrap_or(2.0);
    if !(tau_ref.is_finite() && tau_ref >= 0.0) {
        return invalid(
            join(at, "tau_ref"),
            format!("must be >= 0 ms, got {tau_ref}"),
        );
    }
    p.neuron = LifRate {
        tau_rc: seconds(tau_rc),
        tau_ref: seconds(tau_ref),
        amplitude: 1.0,
    };
    if let Some(v) = &r.max_rates {
        p.max_rates = scalar(&join(at, "max_rates"), v, n)?;
    }
    if let Some(v) = &r.intercepts {
        p.intercepts = scalar(&join(at, "intercepts"), v, n)?;
    }
    check_rates(&join(at, "max_rates"), &p.max_rates, p.neuron.tau_ref)?;
    check_intercepts(&join(at, "intercepts"), &p.intercepts)?;
    if let Some(s) = &r.encoders {
        p.encoders = hypersphere(&join(at, "encoders"), s, true)?;
    }
    if let Some(s) = &r.eval_points {
        p.eval_points = hypersphere(&join(at, "eval_points"), s, false)?;
    }
    if let Some(m) = r.n_eval_points {
        p.n_eval_points = Some(int_in(&join(at, "n_eval_points"), m, 1, MAX_SIZE)? as usize);
    }
    Ok(p)
}

/// `{ distribution = "uniform", low, high }` or one value per neuron.
fn scalar(field: &str, v: &Value, n: usize) -> Check<Scalar> {
    match v {
        Value::Array(_) => {
            let values = vector(field, v)?;
            if values.len() != n {
                return invalid(field, format!("{} values for {n} neurons", values.len()));
            }
            Ok(Scalar::Values(values))
        }
        Value::Table(t) => {
            if let Some(k) = t.keys().find(|k| !["distribution", "low", "high"].contains(&k.as_str())) {
                return invalid(join(field, k), format!("unknown key `{k}`; a distribution here takes `distribution` = \"uniform\", `low`, `high`"));
            }
            match t.get("distribution") {
                Some(Value::String(s)) if s == "uniform" => {}
                Some(other) => return invalid(join(field, "distribution"), format!("only \"uniform\" is offered here, got {other}")),
                None => return invalid(field, "requires `distribution` = \"uniform\""),
            }
            let get = |k: &str| match t.get(k) {
                Some(x) => number(&join(field, k), x),
                None => invalid(field, format!("a uniform distribution requires `{k}`")),
            };
            let (low, high) = (get("low")?, get("high")?);
            if low > high {
                return invalid(field, format!("low {low} is above high {high}"));
            }
            Ok(Scalar::Uniform { low, high })
        }
        other => invalid(
            field,
            format!("expected {{ distribution = \"uniform\", low, high }} or an array of one value per neuron, got {}", kind(other)),
        ),
    }
}

/// The values a distribution can give: (smallest, largest).
fn bounds(s: &Scalar) -> (f64, f64) {
    match s {
        Scalar::Uniform { low, high } => (*low, *high),
        Scalar::Values(v) => v
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
                (a.min(x), b.max(x))
            }),
    }
}

/// Max rates in (0, 1 / tau_ref) (tau_ref in seconds).
fn check_rates(field: &str, s: &Scalar, tau_ref: f64) -> Check<()> {
    let (low, high) = bounds(s);
    if low <= 0.0 {
        return invalid(field, format!("rates must be > 0 Hz, got {low}"));
    }
    if tau_ref > 0.0 && high >= 1.0 / tau_ref {
        return invalid(
            field,
            format!(
                "{high} Hz is not below 1 / tau_ref = {} Hz (no LIF neuron fires faster)",
                1.0 / tau_ref
            ),
        );
    }
    Ok(())
}

/// Intercepts within [-1, 1].
fn check_intercepts(field: &str, s: &Scalar) -> Check<()> {
    let (low, high) = bounds(s);
    if low < -1.0 || high > 1.0 {
        let bad = if low < -1.0 { low } else { high };
        return invalid(field, format!("{bad} is outside [-1, 1]"));
    }
    Ok(())
}

/// "scattered" (Nengo 4's default) or "uniform", on the surface or in the
/// ball.
fn hypersphere(field: &str, s: &str, surface: bool) -> Check<Hypersphere> {
    match s {
        "scattered" => Ok(Hypersphere::Scattered { surface }),
        "uniform" => Ok(Hypersphere::Uniform { surface }),
        other => invalid(
            field,
            format!("unknown distribution {other:?}; expected \"scattered\" or \"uniform\""),
        ),
    }
}
