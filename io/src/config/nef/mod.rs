//! NEF (Nengo) models in the TOML config: a file with a `[nef]` table
//! (`[[nef.ensemble]]`, `[[nef.ensemble_array]]`, `[[nef.node]]`,
//! `[[nef.connection]]`, `[[nef.probe]]`) and `[simulation]` (`dt`,
//! `t_stop`, `seed`, `threads`) is read into the library's
//! `brainsim_sim::nef::NetSpec`; spiking configs (`config::load`) are a
//! different file. Times are in ms as in every brainsim config (dt,
//! t_stop, synapses, tau_rc, tau_ref, node times), converted to the
//! seconds of `NetSpec` by moving the decimal point (`shapes::seconds`);
//! rates in Hz. Errors are `ConfigError`s as for spiking configs:
//! `file:line: nef.connection[2].transform: message`, including the
//! library's build errors (`build`), mapped back to the table they come
//! from (`build_errors`).
//!
//! The parts: `raw` (serde mirror), `shapes` (keys of several shapes,
//! units), `names`, `ensembles`, `nodes`, `connections`, `probes`.

mod build_errors;
mod connections;
mod ensembles;
mod names;
mod nodes;
mod probes;
mod raw;
mod shapes;

use std::path::{Path, PathBuf};

use brainsim_sim::nef::{Built, NetSpec};

use super::values::{int_in, invalid, join, positive, Check, Invalid};
use super::{locate, ConfigError, MAX_THREADS};
use crate::nef_probes::ProbeDataset;

/// An NEF config that parsed and validated.
#[derive(Clone, Debug)]
pub struct NefConfig {
    /// The file as named by the caller.
    pub path: PathBuf,
    /// Its text, as read.
    pub text: String,
    /// The model (seconds).
    pub spec: NetSpec,
    /// `[simulation] dt` (ms).
    pub dt_ms: f64,
    /// `[simulation] t_stop` (ms, on the dt grid).
    pub t_stop_ms: f64,
    /// `[simulation] threads`.
    pub threads: Option<usize>,
    /// The probe file's datasets, one per `[[nef.probe]]`.
    pub datasets: Vec<ProbeDataset>,
    /// Where each part of `spec` comes from in the file.
    origin: build_errors::Origin,
}

/// Whether `text` is an NEF config: valid TOML with a top-level `nef` key.
pub fn is_nef(text: &str) -> bool {
    text.parse::<toml::Table>()
        .is_ok_and(|t| t.contains_key("nef"))
}

/// Reads and validates the NEF config at `path`.
pub fn load(path: &Path) -> Result<NefConfig, ConfigError> {
    parse(path, &super::read_text(path)?)
}

/// Validates NEF config `text` (`path` names it in errors).
pub fn parse(path: &Path, text: &str) -> Result<NefConfig, ConfigError> {
    let file = path.display().to_string();
    let raw: raw::RawNefConfig =
        toml::from_str(text).map_err(|e| super::toml_error(&file, text, &e))?;
    let located = |e: Invalid| ConfigError {
        file: file.clone(),
        line: locate::line_of_path(text, &e.field),
        field: e.field,
        message: e.message,
    };
    let (spec, dt_ms, t_stop_ms, threads) = simulation(&raw.simulation).map_err(located)?;
    let (spec, datasets, origin) = model(&raw.nef, spec).map_err(located)?;
    Ok(NefConfig {
        path: path.to_path_buf(),
        text: text.to_string(),
        spec,
        dt_ms,
        t_stop_ms,
        threads,
        datasets,
        origin,
    })
}

impl NefConfig {
    /// Steps of the run: t_stop / dt.
    pub fn steps(&self) -> u64 {
        (self.t_stop_ms / self.dt_ms).round() as u64
    }

    /// Runs to `t_stop` ms instead (rounded to the dt grid), or why not.
    pub fn set_t_stop(&mut self, t_stop: f64) -> Result<(), String> {
        if !(t_stop.is_finite() && t_stop > 0.0) {
            return Err(format!("must be a positive number of ms, got {t_stop}"));
        }
        self.t_stop_ms = super::t_stop_on_grid(t_stop, self.dt_ms)?;
        Ok(())
    }

    /// The config as run: the text with `[simulation]` `t_stop` and `seed`
    /// set to what will run (comments are not kept; `config.toml` keeps
    /// the file as given).
    pub fn effective_text(&self) -> Result<String, String> {
        let mut table: toml::Table = self
            .text
            .parse()
            .map_err(|e| format!("{}: {e}", self.path.display()))?;
        if let Some(toml::Value::Table(sim)) = table.get_mut("simulation") {
            sim.insert("t_stop".into(), toml::Value::Float(self.t_stop_ms));
            sim.insert(
                "seed".into(),
                toml::Value::Integer(i64::from(self.spec.seed)),
            );
        }
        toml::to_string(&table).map_err(|e| format!("{}: {e}", self.path.display()))
    }

    /// Builds the model (decoders solved), or the located error of the
    /// table the library's error is about.
    pub fn build(&self) -> Result<Built, ConfigError> {
        self.spec.build().map_err(|e| {
            let (field, message) = self.origin.place(&self.spec, &e.0);
            ConfigError {
                file: self.path.display().to_string(),
                line: locate::line_of_path(&self.text, &field),
                field,
                message,
            }
        })
    }
}

type Simulation = (NetSpec, f64, f64, Option<usize>);

/// `[simulation]`: the step, the stop time on its grid, seed and threads.
fn simulation(s: &raw::RawNefSimulation) -> Check<Simulation> {
    let dt = positive("simulation.dt", s.dt)?;
    let t_stop = positive("simulation.t_stop", s.t_stop)?;
    let t_stop = super::t_stop_on_grid(t_stop, dt).or_else(|m| invalid("simulation.t_stop", m))?;
    let seed = int_in("simulation.seed", s.seed.unwrap_or(1), 0, u32::MAX as i64)? as u32;
    let threads = match s.threads {
        Some(t) => Some(int_in("simulation.threads", t, 1, MAX_THREADS as i64)? as usize),
        None => None,
    };
    let spec = NetSpec {
        dt: shapes::seconds(dt),
        seed,
        ensembles: Vec::new(),
        nodes: Vec::new(),
        connections: Vec::new(),
        probes: Vec::new(),
    };
    Ok((spec, dt, t_stop, threads))
}

/// The `[nef]` tables into `spec`, with the probe datasets and origins.
fn model(
    nef: &raw::RawNef,
    mut spec: NetSpec,
) -> Check<(NetSpec, Vec<ProbeDataset>, build_errors::Origin)> {
    let mut names = names::Names::default();
    let mut origin = build_errors::Origin::default();
    for (i, r) in nef.node.iter().enumerate() {
        let at = format!("nef.node[{i}]");
        let n = super::values::name(&join(&at, "name"), &r.name)?;
        let out = nodes::node(&at, r)?;
        names.add(&at, &n, names::Named::Node(spec.nodes.len()))?;
        spec.nodes.push((n, out));
    }
    let ens = ensembles::ensembles(&nef.ensemble, &nef.ensemble_array, &mut names)?;
    spec.ensembles = ens.list;
    origin.ensembles = ens.origin;
    let mut per_config = Vec::new();
    for (i, r) in nef.connection.iter().enumerate() {
        let at = format!("nef.connection[{i}]");
        let made = connections::connection(&at, r, &names, &spec)?;
        let first = spec.connections.len();
        per_config.push((first..first + made.len()).collect::<Vec<_>>());
        origin
            .connections
            .extend(std::iter::repeat_n(at, made.len()));
        spec.connections.extend(made);
    }
    let mut datasets: Vec<ProbeDataset> = Vec::new();
    for (i, r) in nef.probe.iter().enumerate() {
        let at = format!("nef.probe[{i}]");
        if datasets.iter().any(|d| d.name == r.name) {
            return invalid(
                join(&at, "name"),
                format!("a probe named `{}` comes before", r.name),
            );
        }
        let (specs, dataset) = probes::probe(&at, r, &names, &per_config, spec.probes.len())?;
        origin.probes.extend(std::iter::repeat_n(at, specs.len()));
        spec.probes.extend(specs);
        datasets.push(dataset);
    }
    Ok((spec, datasets, origin))
}
