//! Reading the NEF keys that take more than one shape, each into what the
//! library wants, with the field named on error: a number or an array of
//! numbers (`vector`), an array of rows (`matrix`: every row the same
//! length), a synapse (a time constant in ms or `"none"`), and times in ms
//! to the seconds of `NetSpec` (`seconds`: the decimal point moved, as
//! `nengo_lif` does; see `sim/DESIGN.md`).

use brainsim_sim::model::nengo_lif::nengo_seconds;
use nalgebra::DMatrix;
use toml::Value;

use crate::config::values::{invalid, Check};

/// A finite number (an integer is read as one).
pub(crate) fn number(field: &str, v: &Value) -> Check<f64> {
    let x = match v {
        Value::Float(x) => *x,
        Value::Integer(i) => *i as f64,
        other => return invalid(field, format!("expected a number, got {}", kind(other))),
    };
    if !x.is_finite() {
        return invalid(field, format!("must be finite, got {x}"));
    }
    Ok(x)
}

/// A number (one value) or an array of numbers.
pub(crate) fn vector(field: &str, v: &Value) -> Check<Vec<f64>> {
    match v {
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, x)| number(&format!("{field}[{i}]"), x))
            .collect(),
        other => Ok(vec![number(field, other)?]),
    }
}

/// An array of rows of numbers, all rows of one non-zero length; a flat
/// array of numbers is one column (one value per row) when `flat_is_column`.
pub(crate) fn rows(field: &str, v: &Value, flat_is_column: bool) -> Check<Vec<Vec<f64>>> {
    let Value::Array(items) = v else {
        return invalid(field, format!("expected an array of rows, got {}", kind(v)));
    };
    if items.is_empty() {
        return invalid(field, "must have at least one row");
    }
    let mut out = Vec::with_capacity(items.len());
    for (i, row) in items.iter().enumerate() {
        let at = format!("{field}[{i}]");
        match row {
            Value::Array(_) => out.push(vector(&at, row)?),
            _ if flat_is_column => out.push(vec![number(&at, row)?]),
            _ => return invalid(at, "expected a row (an array of numbers)"),
        }
    }
    let width = out[0].len();
    if width == 0 {
        return invalid(format!("{field}[0]"), "a row must not be empty");
    }
    if let Some(i) = out.iter().position(|r| r.len() != width) {
        return invalid(
            format!("{field}[{i}]"),
            format!("{} values, row 0 has {width}", out[i].len()),
        );
    }
    Ok(out)
}

/// `rows` as a matrix (one row per row).
pub(crate) fn matrix(field: &str, v: &Value) -> Check<DMatrix<f64>> {
    let r = rows(field, v, false)?;
    let (n, m) = (r.len(), r[0].len());
    Ok(DMatrix::from_fn(n, m, |i, j| r[i][j]))
}

/// A synapse: a lowpass time constant in ms (> 0), or `"none"`; `default`
/// (ms, or `None` for no filter) when absent. In seconds.
pub(crate) fn synapse(field: &str, v: Option<&Value>, default: Option<f64>) -> Check<Option<f64>> {
    let ms = match v {
        None => default,
        Some(Value::String(s)) if s == "none" => None,
        Some(Value::String(s)) => {
            return invalid(
                field,
                format!("expected a time constant in ms or \"none\", got {s:?}"),
            )
        }
        Some(v) => Some(number(field, v)?),
    };
    match ms {
        Some(t) if t <= 0.0 => invalid(field, format!("must be > 0 ms (or \"none\"), got {t}")),
        Some(t) => Ok(Some(seconds(t))),
        None => Ok(None),
    }
}

/// `ms` in seconds, as the double a Nengo user writes for it.
pub(crate) fn seconds(ms: f64) -> f64 {
    nengo_seconds(ms)
}

/// A TOML value's kind, for messages.
pub(crate) fn kind(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "a string",
        Value::Integer(_) => "an integer",
        Value::Float(_) => "a float",
        Value::Boolean(_) => "a boolean",
        Value::Datetime(_) => "a date",
        Value::Array(_) => "an array",
        Value::Table(_) => "a table",
    }
}
