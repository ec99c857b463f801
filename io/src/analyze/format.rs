//! The statistics of `analyze` as text: an aligned table for people, CSV and JSON
//! for programs (one row / object per population, with the window).

use std::fmt::Write as _;

use super::{PopulationStats, Window};

/// A fixed-width text table of the statistics, one row per population.
pub fn format_table(stats: &[PopulationStats]) -> String {
    let opt = |v: Option<f64>| v.map_or_else(|| "-".to_string(), |v| format!("{v:.3}"));
    let header = [
        "population",
        "n_nodes",
        "n_spikes",
        "rate_hz",
        "cv_isi",
        "n_cv",
        "fano",
    ];
    let rows: Vec<[String; 7]> = stats
        .iter()
        .map(|s| {
            [
                s.population.clone(),
                s.n_nodes.to_string(),
                s.n_spikes.to_string(),
                format!("{:.3}", s.rate_hz),
                opt(s.cv_isi),
                s.n_cv.to_string(),
                opt(s.fano),
            ]
        })
        .collect();
    let mut width = header.map(str::len);
    for row in &rows {
        for (w, cell) in width.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: &[&str]| {
        for (i, (cell, w)) in cells.iter().zip(width).enumerate() {
            let sep = if i == 0 { "" } else { "  " };
            if i == 0 {
                let _ = write!(out, "{sep}{cell:<w$}");
            } else {
                let _ = write!(out, "{sep}{cell:>w$}");
            }
        }
        out.push('\n');
    };
    line(&header);
    for row in &rows {
        line(&row.each_ref().map(String::as_str));
    }
    out
}

/// Column names of `format_csv`, also the keys of `format_json` (with the window
/// as `t_start_ms` and `t_stop_ms`).
pub const CSV_HEADER: &str =
    "population,neurons,spikes,rate_hz,cv_isi,n_cv,fano,t_start_ms,t_stop_ms";

/// CSV: the header `CSV_HEADER`, then one line per population; floats in full
/// precision (shortest round-trip form), an undefined CV or Fano factor as an empty
/// field. Population names are `[A-Za-z0-9_]` in our files; others are quoted.
pub fn format_csv(stats: &[PopulationStats], window: Window) -> String {
    let opt = |v: Option<f64>| v.map_or_else(String::new, |v| v.to_string());
    let mut out = format!("{CSV_HEADER}\n");
    for s in stats {
        let name = if s.population.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", s.population.replace('"', "\"\""))
        } else {
            s.population.clone()
        };
        let _ = writeln!(
            out,
            "{name},{},{},{},{},{},{},{},{}",
            s.n_nodes,
            s.n_spikes,
            s.rate_hz,
            opt(s.cv_isi),
            s.n_cv,
            opt(s.fano),
            window.t_start,
            window.t_stop
        );
    }
    out
}

/// JSON: an array with one object per population, keys as in `CSV_HEADER`; an
/// undefined CV or Fano factor is `null`. Ends with a newline.
pub fn format_json(stats: &[PopulationStats], window: Window) -> String {
    /// One population, keys in `CSV_HEADER` order.
    #[derive(serde::Serialize)]
    struct Row<'a> {
        population: &'a str,
        neurons: u64,
        spikes: u64,
        rate_hz: f64,
        cv_isi: Option<f64>,
        n_cv: u64,
        fano: Option<f64>,
        t_start_ms: f64,
        t_stop_ms: f64,
    }
    let rows: Vec<Row> = stats
        .iter()
        .map(|s| Row {
            population: &s.population,
            neurons: s.n_nodes,
            spikes: s.n_spikes,
            rate_hz: s.rate_hz,
            cv_isi: s.cv_isi,
            n_cv: s.n_cv,
            fano: s.fano,
            t_start_ms: window.t_start,
            t_stop_ms: window.t_stop,
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&rows).unwrap_or_default();
    text.push('\n');
    text
}
