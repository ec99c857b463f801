//! The serde mirror of an NEF config file: `[simulation]` and the `[nef]`
//! tables (`[[nef.ensemble]]`, `[[nef.ensemble_array]]`, `[[nef.node]]`,
//! `[[nef.connection]]`, `[[nef.probe]]`), field names as written,
//! `deny_unknown_fields` everywhere. Keys that take more than one shape (a
//! number or an array, a name or a table) are kept as `toml::Value` and
//! read by the checks, which name the field and the shape expected.

use serde::Deserialize;
use toml::Value;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawNefConfig {
    pub simulation: RawNefSimulation,
    pub nef: RawNef,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawNefSimulation {
    pub dt: f64,
    pub t_stop: f64,
    pub seed: Option<i64>,
    pub threads: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawNef {
    #[serde(default)]
    pub ensemble: Vec<RawEnsemble>,
    #[serde(default)]
    pub ensemble_array: Vec<RawEnsemble>,
    #[serde(default)]
    pub node: Vec<RawNode>,
    #[serde(default)]
    pub connection: Vec<RawConnection>,
    #[serde(default)]
    pub probe: Vec<RawProbe>,
}

/// An ensemble, or (in `[[nef.ensemble_array]]`) an array of them.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawEnsemble {
    pub name: String,
    pub n_neurons: i64,
    pub dimensions: Option<i64>,
    pub n_ensembles: Option<i64>,
    pub ens_dimensions: Option<i64>,
    pub radius: Option<f64>,
    pub max_rates: Option<Value>,
    pub intercepts: Option<Value>,
    pub encoders: Option<String>,
    pub eval_points: Option<String>,
    pub n_eval_points: Option<i64>,
    pub tau_rc: Option<f64>,
    pub tau_ref: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawNode {
    pub name: String,
    pub output: String,
    pub value: Option<Value>,
    pub frequency: Option<Value>,
    pub amplitude: Option<Value>,
    pub phase: Option<Value>,
    pub times: Option<Vec<f64>>,
    pub values: Option<Value>,
    pub dimensions: Option<i64>,
    pub mean: Option<f64>,
    pub std: Option<f64>,
    pub period: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawConnection {
    pub pre: String,
    pub post: String,
    pub function: Option<Value>,
    pub transform: Option<Value>,
    pub synapse: Option<Value>,
    pub pre_slice: Option<Vec<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawProbe {
    pub name: String,
    pub target: Option<String>,
    pub connection: Option<i64>,
    pub attr: Option<String>,
    pub synapse: Option<Value>,
}
