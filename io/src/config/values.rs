//! Checks of single values, shared by every table: the validation error type,
//! finiteness and range checks for numbers, names, keys that do not belong to
//! the chosen variant, and the number-or-distribution tables used by weights,
//! delays and initial values. Every check returns the offending field path so
//! `mod.rs` can locate it in the file.

use std::fmt::Display;

use brainsim_sim::model::ModelInfo;
use brainsim_sim::spec::Distribution;

use super::raw::{NumberOrDist, RawDist};

/// Longest allowed synaptic or stimulus delay (ms).
pub(crate) const MAX_DELAY_MS: f64 = 1000.0;

/// A validation failure: the field path (see `locate`) and what is wrong.
#[derive(Debug)]
pub(crate) struct Invalid {
    pub field: String,
    pub message: String,
}

pub(crate) type Check<T> = Result<T, Invalid>;

pub(crate) fn invalid<T>(field: impl Into<String>, message: impl Into<String>) -> Check<T> {
    Err(Invalid {
        field: field.into(),
        message: message.into(),
    })
}

/// `prefix.key`, or `key` at the top level.
pub(crate) fn join(prefix: &str, key: impl Display) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

pub(crate) fn finite(field: &str, v: f64) -> Check<f64> {
    if v.is_finite() {
        Ok(v)
    } else {
        invalid(field, format!("must be a finite number, got {v}"))
    }
}

pub(crate) fn positive(field: &str, v: f64) -> Check<f64> {
    if finite(field, v)? > 0.0 {
        Ok(v)
    } else {
        invalid(field, format!("must be > 0, got {v}"))
    }
}

pub(crate) fn non_negative(field: &str, v: f64) -> Check<f64> {
    if finite(field, v)? >= 0.0 {
        Ok(v)
    } else {
        invalid(field, format!("must be >= 0, got {v}"))
    }
}

/// An integer in `lo..=hi`.
pub(crate) fn int_in(field: &str, v: i64, lo: i64, hi: i64) -> Check<i64> {
    if (lo..=hi).contains(&v) {
        Ok(v)
    } else if hi == i64::MAX {
        invalid(field, format!("must be >= {lo}, got {v}"))
    } else {
        invalid(field, format!("must be an integer in {lo}..={hi}, got {v}"))
    }
}

/// Whether `t` is a whole number of steps `dt` (to 1e-6 of a step).
pub(crate) fn on_grid(t: f64, dt: f64) -> bool {
    let steps = t / dt;
    (steps - steps.round()).abs() < 1e-6
}

/// The longest name: a record's file is `<name>_<variable>.h5`, and file
/// names end at 255 bytes.
pub(crate) const MAX_NAME: usize = 100;

/// A non-empty name of letters, digits and `_`, at most `MAX_NAME` long
/// (used as an HDF5 group or file name).
pub(crate) fn name(field: &str, value: &str) -> Check<String> {
    if value.is_empty() {
        return invalid(field, "must not be empty");
    }
    if value.len() > MAX_NAME {
        return invalid(
            field,
            format!(
                "{} characters; at most {MAX_NAME} (it names a file)",
                value.len()
            ),
        );
    }
    if let Some(c) = value
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_'))
    {
        return invalid(
            field,
            format!("{value:?} contains {c:?}; only letters, digits and '_' are allowed"),
        );
    }
    Ok(value.to_string())
}

/// Error on the first key of `present` that is not in `allowed`.
pub(crate) fn only_keys(
    prefix: &str,
    present: &[&str],
    allowed: &[&str],
    owner: &str,
) -> Check<()> {
    match present.iter().find(|k| !allowed.contains(k)) {
        None => Ok(()),
        Some(key) => {
            let takes = if allowed.is_empty() {
                "no parameters".to_string()
            } else {
                allowed
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            invalid(
                join(prefix, key),
                format!("`{key}` does not apply to {owner} (it takes {takes})"),
            )
        }
    }
}

/// `value` if present, else an error naming the missing key.
pub(crate) fn required<T: Copy>(field: &str, value: Option<T>, owner: &str) -> Check<T> {
    let key = field.rsplit('.').next().unwrap_or(field);
    value.map_or_else(|| invalid(field, format!("{owner} requires `{key}`")), Ok)
}

/// The keys of each distribution, by name.
fn distribution_keys(kind: &str) -> Option<[&'static str; 2]> {
    match kind {
        "normal" => Some(["mean", "std"]),
        "uniform" => Some(["low", "high"]),
        "lognormal" => Some(["mu", "sigma"]),
        _ => None,
    }
}

/// A number (constant) or a distribution table whose kind is in `kinds`.
pub(crate) fn distribution(
    field: &str,
    value: &NumberOrDist,
    kinds: &[&str],
) -> Check<Distribution> {
    match value {
        NumberOrDist::Number(v) => Ok(Distribution::Constant(finite(field, *v)?)),
        NumberOrDist::Dist(d) => distribution_table(field, d, kinds),
    }
}

fn distribution_table(field: &str, d: &RawDist, kinds: &[&str]) -> Check<Distribution> {
    let kind = d.distribution.as_str();
    let expected = kinds
        .iter()
        .map(|k| format!("{k:?}"))
        .collect::<Vec<_>>()
        .join(", ");
    let keys = match distribution_keys(kind) {
        Some(keys) if kinds.contains(&kind) => keys,
        Some(_) => {
            let message =
                format!("distribution {kind:?} is not allowed here (expected one of {expected})");
            return invalid(join(field, "distribution"), message);
        }
        None => {
            let message = format!("unknown distribution {kind:?} (expected one of {expected})");
            return invalid(join(field, "distribution"), message);
        }
    };
    let present = d.present_keys();
    for (key, v) in &present {
        if !keys.contains(key) {
            return invalid(
                join(field, key),
                format!("`{key}` is not a parameter of the {kind} distribution (it takes `{}` and `{}`)", keys[0], keys[1]),
            );
        }
        finite(&join(field, key), *v)?;
    }
    let get = |key: &str| {
        let v = present.iter().find(|(k, _)| *k == key).map(|(_, v)| *v);
        required(&join(field, key), v, &format!("the {kind} distribution"))
    };
    let (a, b) = (get(keys[0])?, get(keys[1])?);
    match kind {
        "normal" => {
            non_negative(&join(field, "std"), b)?;
            Ok(Distribution::Normal { mean: a, std: b })
        }
        "uniform" if a >= b => invalid(
            join(field, "high"),
            format!("high ({b}) must be > low ({a})"),
        ),
        "uniform" => Ok(Distribution::Uniform { low: a, high: b }),
        _ => {
            non_negative(&join(field, "sigma"), b)?;
            Ok(Distribution::Lognormal { mu: a, sigma: b })
        }
    }
}

/// A delay (ms) must reach dt (the values a distribution redraws from must too)
/// and stay within `MAX_DELAY_MS`.
pub(crate) fn delay(field: &str, d: &Distribution, dt: f64) -> Check<()> {
    let short = |f: String, what: &str, v: f64| {
        invalid(f, format!("{what} {v} ms is shorter than dt = {dt} ms"))
    };
    let long = |f: String, what: &str, v: f64| {
        invalid(
            f,
            format!("{what} {v} ms exceeds the maximum delay of {MAX_DELAY_MS} ms"),
        )
    };
    match *d {
        Distribution::Constant(v) if v < dt => short(field.to_string(), "delay", v),
        Distribution::Constant(v) if v > MAX_DELAY_MS => long(field.to_string(), "delay", v),
        Distribution::Uniform { low, .. } if low < dt => {
            short(join(field, "low"), "delay low =", low)
        }
        Distribution::Uniform { high, .. } if high > MAX_DELAY_MS => {
            long(join(field, "high"), "delay high =", high)
        }
        Distribution::Normal { mean, .. } if mean < dt => {
            short(join(field, "mean"), "delay mean", mean)
        }
        Distribution::Normal { mean, .. } if mean > MAX_DELAY_MS => {
            long(join(field, "mean"), "delay mean", mean)
        }
        Distribution::Lognormal { mu, .. } if mu.exp() > MAX_DELAY_MS => {
            long(join(field, "mu"), "delay median exp(mu) =", mu.exp())
        }
        _ => Ok(()),
    }
}

/// Node ids (0-based) within a population of `size`, sorted and deduplicated.
/// `scaled` tells the message that the size is the scaled one.
pub(crate) fn node_ids(
    field: &str,
    ids: &[i64],
    size: u32,
    pop: &str,
    scaled: bool,
) -> Check<Vec<u32>> {
    if ids.is_empty() {
        return invalid(field, "must not be empty (omit it to mean every neuron)");
    }
    let mut out = Vec::with_capacity(ids.len());
    for (i, &id) in ids.iter().enumerate() {
        if id < 0 || id >= i64::from(size) {
            let note = if scaled { " after scaling" } else { "" };
            return invalid(
                format!("{field}[{i}]"),
                format!(
                    "node id {id} is out of range: population {pop:?} has {size} neurons{note} (valid ids 0..={})",
                    size - 1
                ),
            );
        }
        out.push(id as u32);
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// `var` must be a state variable of the model.
pub(crate) fn state_var(field: &str, info: &ModelInfo, var: &str) -> Check<usize> {
    match info.public_index(var) {
        Some(i) => Ok(i),
        None => invalid(
            field,
            format!(
                "model {} has no state variable {var:?} (state variables: {})",
                info.name,
                info.public_names().join(", ")
            ),
        ),
    }
}

/// Whether a weight drawn from `d` can be negative (`WeightSampler` keeps the
/// sign of a normal's mean and of a uniform's midpoint).
pub(crate) fn can_be_negative(d: &Distribution) -> bool {
    match *d {
        Distribution::Constant(v) => v < 0.0,
        Distribution::Normal { mean, .. } => mean < 0.0,
        Distribution::Uniform { low, high } => {
            0.5 * (low + high) < 0.0 || (low < 0.0 && high <= low)
        }
        Distribution::Lognormal { .. } => false,
    }
}
