//! `brainsim analyze DIR` on a sweep directory (one with `sweep.csv`): the
//! statistics of every variant's run (`DIR/<index>/out`), computed by the
//! code that analyses one run (`crate::analyze::open_and_count`, same
//! window rules, same warning for an unfinished run), one row per variant
//! and population with the swept values in front; printed as a table, CSV
//! or JSON, and always written as CSV to `DIR/sweep_summary.csv`. A variant
//! without a spike file yet (not run, or still running its first steps) or
//! whose spike file cannot be analysed is left out with a warning.

use std::fmt::Write as _;

use brainsim_io::analyze::{format_csv, PopulationStats, Window};

use super::expand::csv_field;
use crate::analyze::{Args, Failure, Format};

/// The summary's file name in the sweep directory.
pub const SUMMARY_CSV: &str = "sweep_summary.csv";

/// One analysed variant.
struct Variant {
    index: String,
    values: Vec<String>,
    window: Window,
    stats: Vec<PopulationStats>,
}

/// Analyses the sweep in `a.dir`.
pub fn run(a: &Args) -> Result<(), Failure> {
    if a.windows.is_some()
        || a.window_ms.is_some()
        || a.decode.is_some()
        || a.readout.is_some()
        || a.png.is_some()
    {
        return Err(Failure::BadInput(format!(
            "{}: a sweep directory gets the statistics only; for windows, read-outs, decoding or a raster plot analyze one variant, DIR/<index>/out",
            a.dir.display()
        )));
    }
    let table_path = a.dir.join(super::SWEEP_CSV);
    let text = std::fs::read_to_string(&table_path)
        .map_err(|e| Failure::BadInput(format!("{}: {e}", table_path.display())))?;
    let mut rows = text.lines().filter(|l| !l.is_empty()).map(split_csv);
    let keys = match rows.next() {
        Some(h) if h.first().is_some_and(|c| c == "index") => h[1..].to_vec(),
        _ => {
            return Err(Failure::BadInput(format!(
                "{}: not a sweep table (its header must start with `index`)",
                table_path.display()
            )))
        }
    };
    let mut variants = Vec::new();
    let mut total = 0;
    for row in rows {
        total += 1;
        if let Some(v) = analyze_variant(a, &row, keys.len()) {
            variants.push(v);
        }
    }
    if variants.is_empty() {
        return Err(Failure::BadInput(format!(
            "{}: none of the {total} variant(s) has a spike file to analyse yet",
            a.dir.display()
        )));
    }
    let csv = to_csv(&keys, &variants);
    match a.format {
        Format::Table => print!("{}", to_table(a, &keys, &variants)),
        Format::Csv => print!("{csv}"),
        Format::Json => print!("{}", to_json(&keys, &variants)),
    }
    let path = a.dir.join(SUMMARY_CSV);
    std::fs::write(&path, &csv).map_err(|e| Failure::Other(format!("{}: {e}", path.display())))?;
    if a.format == Format::Table {
        println!("summary: {}", path.display());
    }
    Ok(())
}

/// The statistics of the variant of one row of sweep.csv; None (with a
/// warning) when it has nothing to analyse.
fn analyze_variant(a: &Args, row: &[String], n_keys: usize) -> Option<Variant> {
    let index = row.first().cloned().unwrap_or_default();
    if row.len() != n_keys + 1 || index.is_empty() || !index.bytes().all(|b| b.is_ascii_digit()) {
        eprintln!(
            "brainsim: warning: {}: a row that is not `index,values...` left out: {}",
            a.dir.join(super::SWEEP_CSV).display(),
            row.join(",")
        );
        return None;
    }
    let out = a.dir.join(&index).join("out");
    if !out.join("spikes.h5").is_file() {
        eprintln!(
            "brainsim: warning: variant {index}: {}: no spikes.h5 yet (not run, or still running); left out",
            out.display()
        );
        return None;
    }
    match crate::analyze::open_and_count(a, &out) {
        Ok((_, window, stats)) => Some(Variant {
            index,
            values: row[1..].to_vec(),
            window,
            stats,
        }),
        Err(Failure::BadInput(m) | Failure::Other(m)) => {
            let m = m.lines().map(str::trim).collect::<Vec<_>>().join("; ");
            eprintln!("brainsim: warning: variant {index}: {m}; left out");
            None
        }
    }
}

/// One CSV line split into fields (double quotes as CSV writes them).
fn split_csv(line: &str) -> Vec<String> {
    let (mut fields, mut cur, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => fields.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    fields.push(cur);
    fields
}

/// `index,<keys>,` and the columns of one run's CSV, one line per variant
/// and population (the single-run lines, unchanged, after the values).
fn to_csv(keys: &[String], variants: &[Variant]) -> String {
    let mut out = String::from("index");
    for k in keys {
        let _ = write!(out, ",{}", csv_field(k));
    }
    let mut header_done = false;
    for v in variants {
        let text = format_csv(&v.stats, v.window);
        let mut lines = text.lines();
        let header = lines.next().unwrap_or_default();
        if !header_done {
            let _ = writeln!(out, ",{header}");
            header_done = true;
        }
        let prefix: String = std::iter::once(v.index.clone())
            .chain(v.values.iter().map(|s| csv_field(s)))
            .collect::<Vec<_>>()
            .join(",");
        for l in lines {
            let _ = writeln!(out, "{prefix},{l}");
        }
    }
    out
}

/// A JSON array: one object per variant and population, the keys of one
/// run's JSON (`format_json`) plus `index` and the swept keys (values as
/// JSON numbers, strings or booleans, as in the config).
fn to_json(keys: &[String], variants: &[Variant]) -> String {
    use serde_json::{json, Value};
    let mut all = Vec::new();
    for v in variants {
        for s in &v.stats {
            let mut row = serde_json::Map::new();
            row.insert(
                "index".into(),
                v.index.parse::<u64>().map_or(Value::Null, Into::into),
            );
            for (k, val) in keys.iter().zip(&v.values) {
                row.insert(k.clone(), json_of_toml(val));
            }
            let fields = [
                ("population", json!(s.population)),
                ("neurons", json!(s.n_nodes)),
                ("spikes", json!(s.n_spikes)),
                ("rate_hz", json!(s.rate_hz)),
                ("cv_isi", json!(s.cv_isi)),
                ("n_cv", json!(s.n_cv)),
                ("fano", json!(s.fano)),
                ("t_start_ms", json!(v.window.t_start)),
                ("t_stop_ms", json!(v.window.t_stop)),
            ];
            for (k, val) in fields {
                row.insert(k.into(), val);
            }
            all.push(Value::Object(row));
        }
    }
    let mut text = serde_json::to_string_pretty(&all).unwrap_or_default();
    text.push('\n');
    text
}

/// A TOML value's text as JSON (its text as a string when it does not parse).
fn json_of_toml(text: &str) -> serde_json::Value {
    format!("v = {text}")
        .parse::<toml::Table>()
        .ok()
        .and_then(|t| t.get("v").and_then(|v| serde_json::to_value(v).ok()))
        .unwrap_or_else(|| text.into())
}

/// An aligned table: the window(s), then the swept values and the columns
/// of one run's table, numbers formatted as there.
fn to_table(a: &Args, keys: &[String], variants: &[Variant]) -> String {
    let opt = |v: Option<f64>| v.map_or_else(|| "-".to_string(), |v| format!("{v:.3}"));
    let mut header: Vec<String> = std::iter::once("index".to_string())
        .chain(keys.iter().cloned())
        .collect();
    header.extend(
        [
            "population",
            "n_nodes",
            "n_spikes",
            "rate_hz",
            "cv_isi",
            "n_cv",
            "fano",
        ]
        .map(String::from),
    );
    let mut rows = vec![header];
    for v in variants {
        for s in &v.stats {
            let mut r = vec![v.index.clone()];
            r.extend(v.values.iter().cloned());
            r.extend([
                s.population.clone(),
                s.n_nodes.to_string(),
                s.n_spikes.to_string(),
                format!("{:.3}", s.rate_hz),
                opt(s.cv_isi),
                s.n_cv.to_string(),
                opt(s.fano),
            ]);
            rows.push(r);
        }
    }
    let mut out = window_line(a, variants);
    out.push_str(&align(&rows, keys.len() + 2));
    out
}

/// The window line of one run's table, or a note when the variants' differ.
fn window_line(a: &Args, variants: &[Variant]) -> String {
    let w = variants[0].window;
    if variants.iter().all(|v| v.window == w) {
        format!(
            "window ({}, {}] ms, Fano bins {} ms\n",
            w.t_start, w.t_stop, a.bin
        )
    } else {
        format!(
            "windows differ between variants (each clamped to its valid data; see --format csv), Fano bins {} ms\n",
            a.bin
        )
    }
}

/// `rows` in columns, the first `left` aligned left, the rest right.
fn align(rows: &[Vec<String>], left: usize) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut width = vec![0; cols];
    for r in rows {
        for (w, c) in width.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    for r in rows {
        for (i, (c, &w)) in r.iter().zip(&width).enumerate() {
            let sep = if i == 0 { "" } else { "  " };
            if i < left {
                let _ = write!(out, "{sep}{c:<w$}");
            } else {
                let _ = write!(out, "{sep}{c:>w$}");
            }
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_split_with_quotes() {
        assert_eq!(
            split_csv("0,1.5,\"a,\"\"b\"\"\""),
            vec!["0", "1.5", "a,\"b\""]
        );
        assert_eq!(split_csv(""), vec![""]);
        assert_eq!(json_of_toml("45.0"), serde_json::json!(45.0));
        assert_eq!(json_of_toml("\"x\""), serde_json::json!("x"));
        let rows = vec![
            vec!["a".to_string(), "1".into()],
            vec!["bb".into(), "22".into()],
        ];
        assert_eq!(align(&rows, 1), "a    1\nbb  22\n");
    }
}
