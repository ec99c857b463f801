//! `--decode` results as text: a table for people (one block per window,
//! then the population's summary line), CSV for programs (one row per
//! window and component, `DECODE_CSV_HEADER`) and JSON (one object per
//! decoded population). Undefined values: `-` in the table, empty in CSV,
//! null in JSON.

use std::fmt::Write as _;

use serde_json::{json, Value};

use super::decode::{Decoding, Method};

/// Column names of `decoding_csv`. `value` is the rate (Hz) or the latency
/// (ms); `rank` the component's place in the decoded order (latency), and
/// `encoded_rank` in the encoded one.
pub const DECODE_CSV_HEADER: &str = "population,method,window,t_start_ms,t_stop_ms,vector,component,neurons,value,decoded_x,encoded_x,rank,encoded_rank";

fn cell(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), |v| format!("{v:.3}"))
}

fn join<T: ToString>(v: &[T]) -> String {
    v.iter().map(T::to_string).collect::<Vec<_>>().join(" ")
}

/// The decoding as a table (module docs).
pub fn decoding_table(d: &Decoding) -> String {
    let mut out = format!("decode {}: {}\n", d.method.name(), d.encoder);
    let total: usize = d.neurons.iter().sum();
    let _ = writeln!(
        out,
        "population {}: {total} neurons in {} components ({} each)",
        d.population,
        d.neurons.len(),
        join(&d.neurons)
    );
    let value_row = match d.method {
        Method::Rate => "rate_hz",
        Method::Latency => "latency_ms",
    };
    for w in &d.windows {
        let vector = w.vector.map_or_else(|| "-".into(), |j| j.to_string());
        let (a, b) = (w.window.t_start, w.window.t_stop);
        let _ = writeln!(out, "window ({a}, {b}] ms, vector {vector}:");
        let mut rows: Vec<(&str, Vec<String>)> = vec![
            (
                "component",
                (0..w.values.len()).map(|c| c.to_string()).collect(),
            ),
            (value_row, w.values.iter().map(|&v| cell(v)).collect()),
        ];
        if !w.decoded_x.is_empty() {
            rows.push(("decoded_x", w.decoded_x.iter().map(|&v| cell(v)).collect()));
        }
        if let Some(x) = &w.encoded_x {
            rows.push(("encoded_x", x.iter().map(|&v| cell(Some(v))).collect()));
        }
        let width = rows
            .iter()
            .flat_map(|r| &r.1)
            .map(String::len)
            .max()
            .unwrap_or(1);
        for (name, cells) in rows {
            let cells: Vec<String> = cells.iter().map(|c| format!("{c:>width$}")).collect();
            let _ = writeln!(out, "  {name:<11} {}", cells.join(" "));
        }
        match d.method {
            Method::Rate => {
                if w.encoded_x.is_some() {
                    let _ = writeln!(out, "  correlation {}", cell(w.correlation));
                }
            }
            Method::Latency => {
                let silent: Vec<usize> = (0..w.values.len())
                    .filter(|c| w.values[*c].is_none())
                    .collect();
                let _ = write!(
                    out,
                    "  order {} (silent: {})",
                    join(&w.order),
                    join(&silent)
                );
                if let Some(e) = &w.expected_order {
                    let verdict = if *e == w.order { "match" } else { "MISMATCH" };
                    let _ = write!(out, "; encoded order {}: {verdict}", join(e));
                }
                out.push('\n');
            }
        }
    }
    let _ = match d.method {
        Method::Rate => writeln!(
            out,
            "{}: correlation of the decoded rates with the encoded vectors: {}",
            d.population,
            cell(d.correlation)
        ),
        Method::Latency => writeln!(
            out,
            "{}: order matches the encoded vector in {} of {} windows",
            d.population, d.matched.0, d.matched.1
        ),
    };
    out
}

/// The decodings as CSV (`DECODE_CSV_HEADER`), full precision.
pub fn decoding_csv(ds: &[Decoding]) -> String {
    let opt = |v: Option<f64>| v.map_or_else(String::new, |v| v.to_string());
    let rank = |order: Option<&Vec<usize>>, c: usize| {
        order
            .and_then(|o| o.iter().position(|&x| x == c))
            .map_or_else(String::new, |r| r.to_string())
    };
    let mut out = format!("{DECODE_CSV_HEADER}\n");
    for d in ds {
        for (i, w) in d.windows.iter().enumerate() {
            for c in 0..w.values.len() {
                let decoded = w.decoded_x.get(c).copied().flatten();
                let encoded = w.encoded_x.as_ref().map(|x| x[c]);
                let order = (d.method == Method::Latency).then_some(&w.order);
                let vector = w.vector.map_or_else(String::new, |j| j.to_string());
                let _ = writeln!(
                    out,
                    "{},{},{i},{},{},{vector},{c},{},{},{},{},{},{}",
                    d.population,
                    d.method.name(),
                    w.window.t_start,
                    w.window.t_stop,
                    d.neurons[c],
                    opt(w.values[c]),
                    opt(decoded),
                    opt(encoded),
                    rank(order, c),
                    rank(w.expected_order.as_ref(), c),
                );
            }
        }
    }
    out
}

/// The decodings as a JSON array, one object per population.
pub fn decoding_json(ds: &[Decoding]) -> String {
    let all: Vec<Value> = ds
        .iter()
        .map(|d| {
            let windows: Vec<Value> = d
                .windows
                .iter()
                .map(|w| {
                    json!({
                        "t_start_ms": w.window.t_start,
                        "t_stop_ms": w.window.t_stop,
                        "vector": w.vector,
                        "values": w.values,
                        "decoded_x": w.decoded_x,
                        "encoded_x": w.encoded_x,
                        "order": w.order,
                        "expected_order": w.expected_order,
                        "correlation": w.correlation,
                        "match": w.expected_order.as_ref().map(|e| *e == w.order),
                    })
                })
                .collect();
            json!({
                "population": d.population,
                "method": d.method.name(),
                "encoder": d.encoder,
                "neurons": d.neurons,
                "windows": windows,
                "correlation": d.correlation,
                "matched": d.matched.0,
                "compared": d.matched.1,
            })
        })
        .collect();
    let mut s = serde_json::to_string_pretty(&all).expect("plain values");
    s.push('\n');
    s
}
