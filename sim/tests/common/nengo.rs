//! Reading the Nengo fixtures of `tests/fixtures/nengo/` (written by
//! `scripts/nengo_fixtures.py`).

use serde::de::DeserializeOwned;

/// The fixture file `name`, checked to come from Nengo 4.x.
pub fn fixture<T: DeserializeOwned>(name: &str) -> T {
    let path = format!("{}/tests/fixtures/nengo/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let v: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    let version = v["nengo_version"].as_str().unwrap_or("");
    assert!(version.starts_with("4."), "{path}: Nengo {version}");
    serde_json::from_value(v).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A time of Nengo's (seconds) in ms, by moving the decimal point of the
/// value as written (the inverse of `nengo_lif::nengo_seconds`).
pub fn ms(seconds: f64) -> f64 {
    format!("{seconds}e3").parse().unwrap()
}

/// The largest |a - b| / max(|b|, floor) over two equally long slices.
pub fn max_rel(a: &[f64], b: &[f64], floor: f64) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs() / y.abs().max(floor))
        .fold(0.0, f64::max)
}
