//! Tests of `config`: one complete config checked value by value, then one
//! test per class of bad input, each asserting the located message
//! (`file:line: field: message`); those live in `tests/errors.rs`.

use super::*;

mod coding;
mod connectivity;
mod errors;
mod models;
mod nef;
mod nef_passthrough;
mod plastic;
mod templates;
mod weights;
use brainsim_sim::spec::{
    ConnRule, Distribution, InitialValue, Receptor, RecordSpec, StimulusKind, StimulusSpec,
};

const GOOD: &str = r#"
[simulation]
dt = 0.1
t_stop = 250.04   # rounded to the grid
seed = 7
threads = 2
scale = 0.5

[[population]]
name = "E"
size = 800
model = "iaf_psc_exp"
expected_rate = 8.0
params = { C_m = 250, tau_m = 20.0 }
initial = { V_m = { distribution = "uniform", low = -70.0, high = -55.0 } }

[[population]]
name = "I"
size = 200
model = "alif"
[population.params]
beta = 0.5
[population.initial]
V_m = -65.0
a = { distribution = "normal", mean = 0.0, std = 0.1 }

[[projection]]
source = "E"
target = "I"
rule = "fixed_indegree"
indegree = 80
weight = { distribution = "normal", mean = 50.0, std = 5.0 }
delay = 1.5

[[projection]]
source = "I"
target = "E"
rule = "pairwise_bernoulli"
p = 0.2
allow_autapses = false
weight = -250.0
delay = { distribution = "lognormal", mu = 0.5, sigma = 0.2 }
receptor = "in"

[[projection]]
source = "E"
target = "E"
rule = "fixed_total_number"
N = 1000
allow_multapses = false
weight = { distribution = "uniform", low = 10.0, high = 20.0 }

[[stimulus]]
type = "poisson_generator"
target = "E"
rate = 8000.0
weight = 50.0

[[stimulus]]
type = "dc_generator"
target = "I"
node_ids = [5, 1, 5, 3]
amplitude = 100.0
start = 10.0

[[stimulus]]
type = "spike_generator"
target = "E"
spike_times = [10.0, 20.5, 20.5]
weight = 100.0
delay = 2.0
receptor = "ex"

[[record]]
type = "spikes"
populations = ["I"]

[[record]]
type = "state"
name = "vm"
population = "E"
variables = ["V_m", "I_syn_ex"]
node_ids = [3, 0, 1]
interval = 0.5
"#;

/// Two populations; text appended without a header lands in population[1].
pub(super) const BASE: &str = "\
[simulation]
dt = 0.1
t_stop = 100.0

[[population]]
name = \"E\"
size = 10
model = \"iaf_psc_exp\"

[[population]]
name = \"I\"
size = 5
model = \"alif\"
";

fn ok(text: &str) -> NetworkSpec {
    match parse(Path::new("net.toml"), text) {
        Ok(loaded) => loaded.spec,
        Err(e) => panic!("config should be accepted, got: {e}"),
    }
}

/// 1-based line of the only line containing `needle`.
pub(super) fn line_of(text: &str, needle: &str) -> usize {
    let hits: Vec<usize> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains(needle))
        .map(|(i, _)| i + 1)
        .collect();
    assert_eq!(hits.len(), 1, "{needle:?} must occur on exactly one line");
    hits[0]
}

/// `text` is rejected with an error at the line containing `at`, about
/// `field`, whose message contains every one of `parts`.
pub(super) fn rejects(text: &str, at: &str, field: &str, parts: &[&str]) -> ConfigError {
    rejects_at_line(text, line_of(text, at), field, parts)
}

/// As `rejects`, with the expected line given as a number.
pub(super) fn rejects_at_line(text: &str, line: usize, field: &str, parts: &[&str]) -> ConfigError {
    let e = match parse(Path::new("net.toml"), text) {
        Ok(_) => panic!("config should be rejected (expected an error at {field})"),
        Err(e) => e,
    };
    let shown = e.to_string();
    assert_eq!(e.line, Some(line), "wrong line in: {shown}");
    assert_eq!(e.field, field, "wrong field in: {shown}");
    assert!(
        shown.starts_with(&format!("net.toml:{line}: {field}: ")),
        "bad format: {shown}"
    );
    for part in parts {
        assert!(
            e.message.contains(part),
            "{shown:?} should contain {part:?}"
        );
    }
    e
}

#[test]
fn good_config_becomes_the_expected_spec() {
    let spec = ok(GOOD);
    let sim = &spec.simulation;
    assert_eq!(sim.dt, 0.1);
    assert_eq!(sim.n_steps(), 2500);
    assert!(
        (sim.t_stop - 250.0).abs() < 1e-9,
        "t_stop {} not rounded",
        sim.t_stop
    );
    assert_eq!((sim.seed, sim.threads, sim.chunk_size), (7, Some(2), 512));

    // scale = 0.5 halves the sizes; gids follow file order.
    let (e, i) = (&spec.populations[0], &spec.populations[1]);
    assert_eq!((e.name.as_str(), e.size, e.first_gid), ("E", 400, 0));
    assert_eq!((i.name.as_str(), i.size, i.first_gid), ("I", 100, 400));
    assert_eq!(spec.n_neurons(), 500);
    assert_eq!(spec.population_of(450), 1);
    // Parameters are the file's merged with the model defaults.
    assert_eq!(e.params.len(), 9);
    assert_eq!(
        (e.params["C_m"], e.params["tau_m"], e.params["E_L"]),
        (250.0, 20.0, -70.0)
    );
    assert_eq!((i.params["beta"], i.params["tau_a"]), (0.5, 200.0));
    assert_eq!(e.expected_rate, Some(8.0));
    assert_eq!(
        e.initial["V_m"],
        InitialValue::Uniform {
            low: -70.0,
            high: -55.0
        }
    );
    assert_eq!(i.initial["V_m"], InitialValue::Constant(-65.0));
    assert_eq!(
        i.initial["a"],
        InitialValue::Normal {
            mean: 0.0,
            std: 0.1
        }
    );

    let [p0, p1, p2] = &spec.projections[..] else {
        panic!("3 projections expected")
    };
    assert_eq!((p0.source, p0.target), (0, 1));
    assert_eq!(
        p0.rule,
        ConnRule::FixedIndegree { indegree: 80 },
        "in-degree is not scaled"
    );
    assert_eq!(
        p0.weight,
        Distribution::Normal {
            mean: 50.0,
            std: 5.0
        }
    );
    assert_eq!(p0.delay, Distribution::Constant(1.5));
    assert_eq!(p0.receptor, Receptor::BySign);
    assert!(p0.allow_autapses && p0.allow_multapses);
    assert_eq!(p1.rule, ConnRule::PairwiseBernoulli { p: 0.4 }, "p / scale");
    assert_eq!(
        p1.delay,
        Distribution::Lognormal {
            mu: 0.5,
            sigma: 0.2
        }
    );
    assert_eq!(p1.receptor, Receptor::Index(1));
    assert!(!p1.allow_autapses);
    assert_eq!(p2.rule, ConnRule::FixedTotalNumber { n: 500 }, "N x scale");
    assert_eq!(
        p2.weight,
        Distribution::Uniform {
            low: 10.0,
            high: 20.0
        }
    );
    assert_eq!(p2.delay, Distribution::Constant(1.0), "default delay");
    assert!(!p2.allow_multapses);

    let poisson = StimulusKind::PoissonGenerator {
        rate: 8000.0,
        weight: 50.0,
        delay: 1.0,
    };
    let expected = StimulusSpec {
        kind: poisson,
        target: 0,
        node_ids: None,
        receptor: Receptor::BySign,
    };
    assert_eq!(spec.stimuli[0], expected);
    let dc = StimulusKind::DcGenerator {
        amplitude: 100.0,
        start: 10.0,
        stop: sim.t_stop,
    };
    assert_eq!((&spec.stimuli[1].kind, spec.stimuli[1].target), (&dc, 1));
    assert_eq!(
        spec.stimuli[1].node_ids,
        Some(vec![1, 3, 5]),
        "sorted and deduplicated"
    );
    let spikes = StimulusKind::SpikeGenerator {
        spike_times: vec![10.0, 20.5, 20.5],
        weight: 100.0,
        delay: 2.0,
    };
    assert_eq!(
        (&spec.stimuli[2].kind, &spec.stimuli[2].receptor),
        (&spikes, &Receptor::Index(0))
    );

    assert_eq!(
        spec.records[0],
        RecordSpec::Spikes {
            populations: vec![1],
            gids: None
        }
    );
    let state = RecordSpec::State {
        name: "vm".into(),
        population: 0,
        variables: vec!["V_m".into(), "I_syn_ex".into()],
        node_ids: vec![0, 1, 3],
        interval: 0.5,
    };
    assert_eq!(spec.records[1], state);
}

#[test]
fn defaults_apply_when_keys_are_absent() {
    let spec = ok(BASE);
    assert_eq!(
        (
            spec.simulation.seed,
            spec.simulation.threads,
            spec.simulation.chunk_size
        ),
        (1, None, 512)
    );
    assert_eq!(
        (spec.populations[0].size, spec.populations[1].first_gid),
        (10, 10)
    );
    assert_eq!(
        spec.populations[1].params["tau_m"], 20.0,
        "alif's default tau_m"
    );
    // No [[record]]: spikes of every population.
    assert_eq!(
        spec.records,
        vec![RecordSpec::Spikes {
            populations: vec![0, 1],
            gids: None
        }]
    );

    let text =
        format!("{BASE}\n[[record]]\ntype = \"state\"\npopulation = \"I\"\nvariables = [\"a\"]\n");
    let spec = ok(&text);
    let RecordSpec::State {
        name,
        node_ids,
        interval,
        ..
    } = &spec.records[0]
    else {
        panic!("state record")
    };
    assert_eq!(
        (name.as_str(), node_ids.clone(), *interval),
        ("state", vec![0, 1, 2, 3, 4], 1.0)
    );
}

#[test]
fn load_reads_files_and_reports_unreadable_ones() {
    let dir = std::env::temp_dir().join(format!("brainsim-config-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("net.toml");
    std::fs::write(&path, BASE).unwrap();
    let loaded = load(&path).unwrap();
    assert_eq!(
        (loaded.path.as_path(), loaded.text.as_str()),
        (path.as_path(), BASE)
    );
    assert_eq!(loaded.spec.populations.len(), 2);

    let missing = dir.join("absent.toml");
    let e = load(&missing).unwrap_err();
    assert_eq!((e.line, e.field.as_str()), (None, ""));
    let shown = e.to_string();
    assert!(
        shown.starts_with(&format!(
            "{}: cannot read the config file: ",
            missing.display()
        )),
        "{shown}"
    );
    assert!(shown.contains("No such file"), "{shown}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn error_at_locates_fields_of_a_loaded_config() {
    let loaded = parse(Path::new("net.toml"), GOOD).unwrap();
    let e = loaded.error_at("population[1].size", "too big for 2 nodes");
    assert_eq!(
        e.to_string(),
        format!(
            "net.toml:{}: population[1].size: too big for 2 nodes",
            line_of(GOOD, "size = 200")
        )
    );
    // An absent key is located at its table's header.
    let e = loaded.error_at("simulation.chunk_size", "x");
    assert_eq!(e.line, Some(line_of(GOOD, "[simulation]")));
    let e = loaded.error_at("projection[2].weight.low", "x");
    assert_eq!(e.line, Some(line_of(GOOD, "low = 10.0")));
    let e = loaded.error_at("", "general");
    assert_eq!(e.to_string(), "net.toml: general");
}

#[test]
fn shipped_configs_load() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../configs");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let text = std::fs::read_to_string(&path).unwrap();
            if crate::config::nef::is_nef(&text) {
                // NEF models load and build.
                crate::config::nef::load(&path)
                    .and_then(|c| c.build())
                    .unwrap_or_else(|e| panic!("{e}"));
            } else if let Err(e) = load(&path) {
                panic!("{e}");
            }
            n += 1;
        }
    }
    assert!(n >= 1, "no configs in {}", dir.display());
}

#[test]
fn spikes_record_of_some_gids() {
    // BASE has populations E then I; gids are global.
    let spec = ok(&format!(
        "{BASE}\n[[record]]\ntype = \"spikes\"\ngids = [3, 1, 3]\n"
    ));
    assert_eq!(
        spec.records,
        vec![RecordSpec::Spikes {
            populations: vec![0],
            gids: Some(vec![1, 3])
        }]
    );
    let n = spec.n_neurons();
    rejects(
        &format!("{BASE}\n[[record]]\ntype = \"spikes\"\ngids = [0, {n}]\n"),
        "gids =",
        "record[0].gids[1]",
        &["does not exist"],
    );
    rejects(
        &format!("{BASE}\n[[record]]\ntype = \"spikes\"\npopulations = [\"I\"]\ngids = [0]\n"),
        "gids =",
        "record[0].gids[0]",
        &["not in `populations`"],
    );
}
