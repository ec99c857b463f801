//! The effective configuration of a run: the given TOML with the
//! command-line overrides applied (`[simulation]` `t_stop`, `seed` and
//! `save_weights` (`--save-weights`),
//! `[checkpoint]` `every` and `keep`), so
//! `config.effective.toml` in the output directory re-runs exactly this run
//! with no arguments. The `spikes_file` of a spike_generator is written as
//! the absolute path that was read (a relative one is relative to the config
//! file, which the copy in the output directory is not), and so is a
//! projection's `weights_from`. Comments and layout
//! are not kept (the given file is saved beside it as `config.toml`).

use std::path::Path;

use brainsim_sim::spec::{SimulationSpec, StimulusKind};

use crate::config::{CheckpointSpec, LoadedConfig};

/// The text of `config` with `simulation.t_stop` and `simulation.seed` set
/// to those of `run` (the spec as run), and `[checkpoint]` as the run
/// writes them (none: the table is left as given).
pub fn effective_text(
    config: &LoadedConfig,
    run: &SimulationSpec,
    checkpoint: Option<&CheckpointSpec>,
) -> Result<String, String> {
    let mut table: toml::Table = config
        .text
        .parse()
        .map_err(|e| format!("{}: {e}", config.path.display()))?;
    let sim = table
        .entry("simulation")
        .or_insert_with(|| toml::Value::Table(toml::Table::new()));
    let toml::Value::Table(sim) = sim else {
        return Err(format!(
            "{}: [simulation] is not a table",
            config.path.display()
        ));
    };
    sim.insert("t_stop".into(), toml::Value::Float(run.t_stop));
    sim.insert("seed".into(), toml::Value::Integer(i64::from(run.seed)));
    if config.save_weights {
        sim.insert("save_weights".into(), toml::Value::Boolean(true));
    }
    if let Some(c) = checkpoint {
        let mut t = toml::Table::new();
        t.insert("every".into(), toml::Value::Float(c.every_ms));
        t.insert("keep".into(), toml::Value::Integer(c.keep as i64));
        table.insert("checkpoint".into(), toml::Value::Table(t));
    }
    if let Some(toml::Value::Array(stimuli)) = table.get_mut("stimulus") {
        absolute_spike_files(config, stimuli);
    }
    if let Some(toml::Value::Array(projections)) = table.get_mut("projection") {
        absolute_weight_files(config, projections);
    }
    toml::to_string(&table).map_err(|e| format!("{}: {e}", config.path.display()))
}

/// Each spike_generator's `spikes_file` as an absolute path: the file read,
/// or for a template (whose instances read several), its text made
/// absolute (the config's directory, braces escaped, before a relative one).
fn absolute_spike_files(config: &LoadedConfig, stimuli: &mut [toml::Value]) {
    for (i, st) in config.spec.stimuli.iter().enumerate() {
        let StimulusKind::SpikeTrains { file, .. } = &st.kind else {
            continue;
        };
        let Some(toml::Value::Table(raw)) = config
            .origins
            .file_index("stimulus", i)
            .and_then(|f| stimuli.get_mut(f))
        else {
            continue;
        };
        let path = if config.origins.is_instance("stimulus", i) {
            let Some(toml::Value::String(given)) = raw.get("spikes_file") else {
                continue;
            };
            if Path::new(given).is_absolute() {
                continue;
            }
            let base = config.path.parent().unwrap_or(Path::new(""));
            let base = std::path::absolute(base).unwrap_or(base.to_path_buf());
            let escaped = base
                .display()
                .to_string()
                .replace('{', "{{")
                .replace('}', "}}");
            Path::new(&escaped).join(given).display().to_string()
        } else {
            file.clone()
        };
        raw.insert("spikes_file".into(), toml::Value::String(path));
    }
}

/// Each projection's `weights_from` as an absolute path (the file read).
/// A template's instances share one text: it is made absolute from the
/// config's directory, as `absolute_spike_files` does.
fn absolute_weight_files(config: &LoadedConfig, projections: &mut [toml::Value]) {
    let base = config.path.parent().unwrap_or(Path::new(""));
    let base = std::path::absolute(base).unwrap_or(base.to_path_buf());
    for (i, p) in config.spec.projections.iter().enumerate() {
        let Some(w) = &p.weights_from else {
            continue;
        };
        let Some(toml::Value::Table(raw)) = config
            .origins
            .file_index("projection", i)
            .and_then(|f| projections.get_mut(f))
        else {
            continue;
        };
        let path = match raw.get("weights_from") {
            Some(toml::Value::String(given)) if config.origins.is_instance("projection", i) => {
                base.join(given).display().to_string()
            }
            _ => w.file.clone(),
        };
        raw.insert("weights_from".into(), toml::Value::String(path));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse;
    use std::path::Path;

    #[test]
    fn overrides_land_in_a_config_that_loads_to_the_run_spec() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../configs/brunel.toml");
        let given = crate::config::load(&path).unwrap();
        let mut run = given.spec.simulation.clone();
        run.t_stop = 123.5;
        run.seed = 99;
        let text = effective_text(&given, &run, None).unwrap();
        let back = parse(&path, &text).unwrap();
        assert_eq!(back.spec.simulation.t_stop, 123.5);
        assert_eq!(back.spec.simulation.seed, 99);
        let mut expected = given.spec.clone();
        expected.simulation = run;
        assert_eq!(back.spec, expected, "nothing else changes");
    }

    #[test]
    fn checkpoint_overrides_land_and_load_back() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../configs/brunel.toml");
        let given = crate::config::load(&path).unwrap();
        assert_eq!(given.checkpoint, None);
        let every = CheckpointSpec {
            every_ms: 25.0,
            every_steps: 250,
            keep: 3,
        };
        let text = effective_text(&given, &given.spec.simulation, Some(&every)).unwrap();
        let back = parse(&path, &text).unwrap();
        assert_eq!(back.checkpoint, Some(every));
        assert_eq!(back.spec, given.spec);
    }
}
