//! `[[nef.node]]` to the library's `NodeOutput`, by `output`:
//! - `constant`: `value` (a number or an array);
//! - `sine`: `frequency` (Hz), `amplitude` (default 1), `phase` (radians,
//!   default 0), each a number or one per dimension (a number applies to
//!   every dimension);
//! - `piecewise`: `times` (ms, increasing) and `values` (one row per time;
//!   a flat array is one dimension);
//! - `white_noise`: `dimensions` (default 1), `mean` (0), `std` (1);
//! - `table`: `values` (rows), each held for `period` ms, cycling (Nengo's
//!   PresentInput);
//! - `passthrough`: `dimensions` (required; Nengo's `Node(size_in=d)`): its
//!   output is the sum of what its connections bring, in the same step; it
//!   is folded into direct connections before the build, as Nengo's
//!   `remove_passthrough_nodes` does.
//!
//! Keys of another output are refused, so a misplaced key is not ignored.

use brainsim_sim::nef::NodeOutput;

use super::raw::RawNode;
use super::shapes::{rows, seconds, vector};
use crate::config::values::{int_in, invalid, join, only_keys, positive, required, Check};

/// Node `i` of the config (table `at`).
pub(crate) fn node(at: &str, r: &RawNode) -> Check<NodeOutput> {
    let present = present_keys(r);
    let allowed: &[&str] = match r.output.as_str() {
        "constant" => &["value"],
        "sine" => &["frequency", "amplitude", "phase"],
        "piecewise" => &["times", "values"],
        "white_noise" => &["dimensions", "mean", "std"],
        "table" => &["values", "period"],
        "passthrough" => &["dimensions"],
        other => {
            return invalid(
                join(at, "output"),
                format!("unknown output {other:?}; expected \"constant\", \"sine\", \"piecewise\", \"white_noise\", \"table\" or \"passthrough\""),
            )
        }
    };
    only_keys(at, &present, allowed, &format!("output \"{}\"", r.output))?;
    let owner = format!("output \"{}\"", r.output);
    let need = |key: &str, v: Option<&toml::Value>| match v {
        Some(v) => Ok(v.clone()),
        None => invalid(join(at, key), format!("{owner} requires `{key}`")),
    };
    let out = match r.output.as_str() {
        "constant" => NodeOutput::Constant(vector(
            &join(at, "value"),
            &need("value", r.value.as_ref())?,
        )?),
        "sine" => sine(at, r, &need("frequency", r.frequency.as_ref())?)?,
        "piecewise" => piecewise(at, r, &owner)?,
        "white_noise" => NodeOutput::WhiteNoise {
            dimensions: int_in(
                &join(at, "dimensions"),
                r.dimensions.unwrap_or(1),
                1,
                1 << 20,
            )? as usize,
            mean: finite(&join(at, "mean"), r.mean.unwrap_or(0.0))?,
            std: non_negative(&join(at, "std"), r.std.unwrap_or(1.0))?,
        },
        "passthrough" => NodeOutput::Passthrough {
            dimensions: int_in(
                &join(at, "dimensions"),
                required(&join(at, "dimensions"), r.dimensions, &owner)?,
                1,
                1 << 20,
            )? as usize,
        },
        _ => {
            let period = positive(
                &join(at, "period"),
                required(&join(at, "period"), r.period, &owner)?,
            )?;
            NodeOutput::Table {
                period: seconds(period),
                values: rows(
                    &join(at, "values"),
                    &need("values", r.values.as_ref())?,
                    true,
                )?,
            }
        }
    };
    // Every node has at least one dimension (the run relies on it).
    out.dimensions().or_else(|e| invalid(at, e.0))?;
    Ok(out)
}

/// The keys written in the table besides `name` and `output`.
fn present_keys(r: &RawNode) -> Vec<&'static str> {
    [
        ("value", r.value.is_some()),
        ("frequency", r.frequency.is_some()),
        ("amplitude", r.amplitude.is_some()),
        ("phase", r.phase.is_some()),
        ("times", r.times.is_some()),
        ("values", r.values.is_some()),
        ("dimensions", r.dimensions.is_some()),
        ("mean", r.mean.is_some()),
        ("std", r.std.is_some()),
        ("period", r.period.is_some()),
    ]
    .into_iter()
    .filter_map(|(k, p)| p.then_some(k))
    .collect()
}

/// A sine per dimension; single numbers apply to every dimension.
fn sine(at: &str, r: &RawNode, frequency: &toml::Value) -> Check<NodeOutput> {
    let one = toml::Value::Float(1.0);
    let zero = toml::Value::Float(0.0);
    let parts = [
        ("frequency", vector(&join(at, "frequency"), frequency)?),
        (
            "amplitude",
            vector(&join(at, "amplitude"), r.amplitude.as_ref().unwrap_or(&one))?,
        ),
        (
            "phase",
            vector(&join(at, "phase"), r.phase.as_ref().unwrap_or(&zero))?,
        ),
    ];
    let d = parts.iter().map(|(_, v)| v.len()).max().unwrap_or(1);
    let mut out = Vec::new();
    for (key, v) in parts {
        match v.len() {
            1 => out.push(vec![v[0]; d]),
            n if n == d => out.push(v),
            n => {
                return invalid(
                    join(at, key),
                    format!("{n} values, another key has {d} (one per dimension, or one for all)"),
                )
            }
        }
    }
    let phase = out.pop().unwrap_or_default();
    let amplitude = out.pop().unwrap_or_default();
    let frequency = out.pop().unwrap_or_default();
    Ok(NodeOutput::Sine {
        frequency,
        amplitude,
        phase,
    })
}

/// Times (ms, increasing) and one row of values per time.
fn piecewise(at: &str, r: &RawNode, owner: &str) -> Check<NodeOutput> {
    let times_field = join(at, "times");
    let Some(times) = &r.times else {
        return invalid(times_field, format!("{owner} requires `times`"));
    };
    let Some(v) = &r.values else {
        return invalid(join(at, "values"), format!("{owner} requires `values`"));
    };
    let values = rows(&join(at, "values"), v, true)?;
    if values.len() != times.len() {
        return invalid(
            join(at, "values"),
            format!("{} rows for {} times", values.len(), times.len()),
        );
    }
    if let Some(t) = times.iter().find(|t| !t.is_finite()) {
        return invalid(times_field, format!("must be finite, got {t}"));
    }
    for (i, w) in times.windows(2).enumerate() {
        if w[1] <= w[0] {
            return invalid(format!("{times_field}[{}]", i + 1), "times must increase");
        }
    }
    Ok(NodeOutput::Piecewise {
        times: times.iter().map(|&t| seconds(t)).collect(),
        values,
    })
}

fn finite(field: &str, v: f64) -> Check<f64> {
    crate::config::values::finite(field, v)
}

fn non_negative(field: &str, v: f64) -> Check<f64> {
    crate::config::values::non_negative(field, v)
}
