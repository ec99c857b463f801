//! Loading a network description (TOML, NEST vocabulary and units) into the
//! validated `brainsim_sim::spec::NetworkSpec`. This file owns the public API
//! and the error type: every failure — unreadable file, TOML syntax, unknown
//! key, wrong type, missing key, invalid value — becomes one `ConfigError`
//! printed as `file:line: field.path: message`. The work is split into `raw`
//! (serde mirror of the file), `template` (tables with `for` expanded into
//! their instances), `validate`, `inputs`, `coding` and `records`
//! (every check, using `values` for single values), `spike_file` (the spike
//! trains a spike_generator reads from a SONATA file, once the config is
//! valid), `weights_from` (a plastic projection's initial weights from a
//! weights file, read likewise), `weight_records` (`[[record]] type =
//! "weights"`) and `locate` (field path <-> line).

mod checkpoint;
mod coding;
mod connectivity;
pub mod effective;
mod inputs;
mod locate;
pub mod nef;
mod plastic;
mod raw;
mod records;
mod spike_file;
mod template;
mod validate;
mod weight_records;
mod weights_from;
pub use checkpoint::{checkpoint_every_steps, CheckpointSpec, DEFAULT_KEEP};
pub use template::Origins;
pub use validate::{t_stop_on_grid, MAX_STEPS, MAX_THREADS};
pub use weight_records::WeightRecord;
mod values;

#[cfg(test)]
mod tests;

use std::fmt;
use std::path::{Path, PathBuf};

use brainsim_sim::spec::NetworkSpec;

/// A config file that parsed and validated, with its text kept for later
/// located errors (e.g. a check the caller makes against the cluster).
#[derive(Clone, Debug)]
pub struct LoadedConfig {
    /// The file as named by the caller.
    pub path: PathBuf,
    /// Its text, as read.
    pub text: String,
    /// The validated network (sizes already scaled by `simulation.scale`).
    pub spec: NetworkSpec,
    /// `[checkpoint]`: when to write checkpoints, if at all.
    pub checkpoint: Option<CheckpointSpec>,
    /// Where each table of the spec comes from in the file (templates).
    pub origins: Origins,
    /// `[[record]] type = "weights"`: the weight recordings.
    pub weight_records: Vec<WeightRecord>,
    /// `[simulation] save_weights`: write the final weights of every
    /// plastic projection (default false; `--save-weights` too).
    pub save_weights: bool,
}

impl LoadedConfig {
    /// An error about `field` (a path like `population[1].size`) located in this file.
    /// Fields of populations, projections and stimuli are by spec index;
    /// the error names the table of the file (and a template's instance).
    pub fn error_at(&self, field: &str, message: impl Into<String>) -> ConfigError {
        let (at, shown) = self.origins.place(field);
        ConfigError {
            file: self.path.display().to_string(),
            line: locate::line_of_path(&self.text, &at),
            field: shown,
            message: message.into(),
        }
    }
}

/// Anything wrong with a config file, located as well as possible.
#[derive(Debug, Clone)]
pub struct ConfigError {
    /// The file, as displayed in the message.
    pub file: String,
    /// 1-based line of the offending value (or of its table header when absent).
    pub line: Option<usize>,
    /// Field path, e.g. `projection[2].weight.std`; empty if not about a field.
    pub field: String,
    /// What is wrong, one line.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        write!(f, ": ")?;
        if !self.field.is_empty() {
            write!(f, "{}: ", self.field)?;
        }
        write!(f, "{}", self.message)
    }
}

impl std::error::Error for ConfigError {}

/// The text of the config file at `path`, or the error naming it.
pub(crate) fn read_text(path: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(path).map_err(|e| ConfigError {
        file: path.display().to_string(),
        line: None,
        field: String::new(),
        message: format!("cannot read the config file: {e}"),
    })
}

/// Read and validate the config file at `path`.
pub fn load(path: &Path) -> Result<LoadedConfig, ConfigError> {
    parse(path, &read_text(path)?)
}

/// Validate config `text` and read the spike files it names (relative to
/// the directory of `path`, which also names the file in errors).
pub fn parse(path: &Path, text: &str) -> Result<LoadedConfig, ConfigError> {
    let mut loaded = parse_without_spike_files(path, text)?;
    let base = path.parent().unwrap_or(Path::new(""));
    spike_file::load_spike_files(&mut loaded.spec, base)
        .map_err(|e| loaded.error_at(&e.field, e.message))?;
    weights_from::load_weight_files(&mut loaded.spec, base)
        .map_err(|e| loaded.error_at(&e.field, e.message))?;
    Ok(loaded)
}

/// `parse` without opening the spike files of `spike_generator`s with
/// `spikes_file` (their trains stay empty): for readers that need only the
/// structure of a run's network, not its inputs (`brainsim analyze`).
pub fn parse_without_spike_files(path: &Path, text: &str) -> Result<LoadedConfig, ConfigError> {
    let file = path.display().to_string();
    if nef::is_nef(text) {
        return Err(ConfigError {
            file,
            line: locate::line_of_path(text, "nef"),
            field: "nef".into(),
            message: "an NEF model: `brainsim run` and `brainsim check` take it, this command only spiking networks".into(),
        });
    }
    let mut raw: raw::RawConfig = toml::from_str(text).map_err(|e| toml_error(&file, text, &e))?;
    let mut origins = Origins::default();
    let located = |e: values::Invalid, origins: &Origins| {
        let (at, shown) = origins.place(&e.field);
        ConfigError {
            file: file.clone(),
            line: locate::line_of_path(text, &at),
            field: shown,
            message: e.message,
        }
    };
    template::expand(&mut raw, &mut origins).map_err(|e| located(e, &origins))?;
    let (spec, weight_records) = validate::validate(&raw).map_err(|e| located(e, &origins))?;
    let checkpoint = checkpoint::validate(raw.checkpoint.as_ref(), spec.simulation.dt)
        .map_err(|e| located(e, &origins))?;
    Ok(LoadedConfig {
        path: path.to_path_buf(),
        text: text.to_string(),
        spec,
        checkpoint,
        origins,
        weight_records,
        save_weights: raw.simulation.save_weights.unwrap_or(false),
    })
}

/// A TOML syntax error or a serde error (unknown key, wrong type, missing key),
/// located from its span.
fn toml_error(file: &str, text: &str, e: &toml::de::Error) -> ConfigError {
    let line_of = |span: &std::ops::Range<usize>| locate::line_of_offset(text, span.start);
    let raw_message = e.message().trim().replace('\n', " ");
    if toml::de::DeTable::parse(text).is_err() {
        // Not even valid TOML: no tree to take a field path from.
        let span = e.span();
        let snippet = span
            .clone()
            .and_then(|s| text.get(s))
            .map(|t| t.trim().to_string())
            .unwrap_or_default();
        let message = if !snippet.is_empty() && snippet.len() <= 40 && !snippet.contains('\n') {
            format!("invalid TOML: {raw_message} (at `{snippet}`)")
        } else {
            format!("invalid TOML: {raw_message}")
        };
        let line = span.as_ref().map(line_of);
        return ConfigError {
            file: file.to_string(),
            line,
            field: String::new(),
            message,
        };
    }
    // An empty span is the document root: no useful line.
    let span = e.span().filter(|s| !s.is_empty());
    let mut line = span.as_ref().map(line_of);
    let mut field = span
        .and_then(|s| locate::path_of_span(text, s))
        .unwrap_or_default();
    if let Some(key) = backticked_after(&raw_message, "missing field `") {
        // The span is the enclosing table; name the missing key inside it.
        field = values::join(&field, key);
        line = line.or_else(|| locate::line_of_path(text, &field));
    }
    ConfigError {
        file: file.to_string(),
        line,
        field,
        message: plain_message(&raw_message),
    }
}

/// The text between `prefix` and the next backtick.
fn backticked_after<'a>(message: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = message.strip_prefix(prefix)?;
    rest.find('`').map(|end| &rest[..end])
}

/// serde's wording in the config's vocabulary (keys, tables, numbers).
fn plain_message(message: &str) -> String {
    let mut m = message.to_string();
    if let Some(rest) = m.strip_prefix("unknown field") {
        m = format!(
            "unknown key{}",
            rest.replacen(", expected", "; expected", 1)
        );
    } else if let Some(rest) = m.strip_prefix("missing field") {
        m = format!("missing required key{rest}");
    }
    if let Some(at) = m.find("expected struct ") {
        m.replace_range(at.., "expected a table");
    }
    for (from, to) in [
        ("expected f64", "expected a number"),
        ("expected i64", "expected an integer"),
        ("expected a sequence", "expected an array"),
        ("expected a map", "expected a table"),
        ("type: sequence", "type: array"),
        ("type: map", "type: table"),
        ("floating point", "float"),
    ] {
        m = m.replace(from, to);
    }
    m
}
