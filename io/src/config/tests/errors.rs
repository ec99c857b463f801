//! One test per class of bad input: each asserts the line, the field path and
//! the wording of the error (see `rejects`).

use super::{line_of, rejects, rejects_at_line, BASE};
use crate::config::parse;
use std::path::Path;

/// BASE with `[simulation]` replaced by `sim` (a whole table body).
fn with_simulation(sim: &str) -> String {
    BASE.replacen("dt = 0.1\nt_stop = 100.0\n", sim, 1)
}

const EE: &str = "\n[[projection]]\nsource = \"E\"\ntarget = \"E\"\n";

#[test]
fn unknown_top_level_key() {
    let text = format!("colour = \"red\"\n{BASE}");
    rejects(
        &text,
        "colour",
        "colour",
        &["unknown key `colour`", "`simulation`, `population`"],
    );
    let text = format!("{BASE}\n[stimuli]\nx = 1\n");
    rejects(&text, "[stimuli]", "stimuli", &["unknown key `stimuli`"]);
}

#[test]
fn unknown_nested_key() {
    let text = with_simulation("dt = 0.1\nt_stop = 100.0\nthread = 4\n");
    rejects(
        &text,
        "thread = 4",
        "simulation.thread",
        &["unknown key `thread`", "`threads`"],
    );
    let text = format!("{BASE}colour = \"red\"\n");
    rejects(
        &text,
        "colour",
        "population[1].colour",
        &["unknown key `colour`"],
    );
    let text = format!("{BASE}{EE}rule = \"all_to_all\"\nweight = {{ distribution = \"normal\", mean = 1.0, sd = 0.1 }}\n");
    rejects(
        &text,
        "weight =",
        "projection[0].weight.sd",
        &["unknown key `sd`"],
    );
}

#[test]
fn unknown_model() {
    let text = BASE.replace("\"alif\"", "\"hh_psc_alpha\"");
    rejects(
        &text,
        "hh_psc_alpha",
        "population[1].model",
        &[r#"unknown model "hh_psc_alpha""#, "iaf_psc_exp, alif"],
    );
}

#[test]
fn projection_names_a_missing_population() {
    let text = format!("{BASE}\n[[projection]]\nsource = \"X\"\ntarget = \"E\"\nrule = \"all_to_all\"\nweight = 1.0\n");
    rejects(
        &text,
        "source = \"X\"",
        "projection[0].source",
        &[r#"no population named "X" (populations: E, I)"#],
    );
    let text = format!(
        "{BASE}\n[[stimulus]]\ntype = \"dc_generator\"\ntarget = \"Inh\"\namplitude = 1.0\n"
    );
    rejects(
        &text,
        "Inh",
        "stimulus[0].target",
        &[r#"no population named "Inh""#],
    );
}

#[test]
fn non_positive_time_constants_capacitance_and_dt() {
    let text = format!("{BASE}params = {{ tau_m = -5.0 }}\n");
    rejects(
        &text,
        "tau_m",
        "population[1].params.tau_m",
        &["must be > 0, got -5"],
    );
    let text = format!("{BASE}[population.params]\nC_m = 0\n");
    rejects(
        &text,
        "C_m",
        "population[1].params.C_m",
        &["must be > 0, got 0"],
    );
    let text = with_simulation("dt = -0.1\nt_stop = 100.0\n");
    rejects(&text, "dt =", "simulation.dt", &["must be > 0, got -0.1"]);
}

#[test]
fn reset_not_below_threshold() {
    let text = format!("{BASE}params = {{ V_th = -60.0, V_reset = -50.0 }}\n");
    rejects(
        &text,
        "V_reset",
        "population[1].params.V_reset",
        &["must be < V_th (-50 >= -60)"],
    );
    // A default involved: located at the params table, and the message says so.
    let text = format!("{BASE}params = {{ V_th = -75.0 }}\n");
    rejects(
        &text,
        "V_th",
        "population[1].params.V_reset",
        &["must be < V_th", "model default"],
    );
}

#[test]
fn delay_shorter_than_dt() {
    let text = format!("{BASE}{EE}rule = \"all_to_all\"\nweight = 1.0\ndelay = 0.05\n");
    rejects(
        &text,
        "delay",
        "projection[0].delay",
        &["delay 0.05 ms is shorter than dt = 0.1 ms"],
    );
    let text = format!("{BASE}{EE}rule = \"all_to_all\"\nweight = 1.0\ndelay = {{ distribution = \"normal\", mean = 0.05, std = 1.0 }}\n");
    rejects(
        &text,
        "delay",
        "projection[0].delay.mean",
        &["delay mean 0.05 ms is shorter than dt = 0.1 ms"],
    );
    let text = format!("{BASE}\n[[stimulus]]\ntype = \"poisson_generator\"\ntarget = \"E\"\nrate = 10.0\nweight = 1.0\ndelay = 0.0\n");
    rejects(&text, "delay", "stimulus[0].delay", &["shorter than dt"]);
}

#[test]
fn nan_and_inf_are_rejected() {
    let text = format!("{BASE}params = {{ tau_m = nan }}\n");
    rejects(
        &text,
        "nan",
        "population[1].params.tau_m",
        &["must be a finite number, got NaN"],
    );
    let text = with_simulation("dt = 0.1\nt_stop = inf\n");
    rejects(
        &text,
        "inf",
        "simulation.t_stop",
        &["must be a finite number, got inf"],
    );
    let text = format!("{BASE}{EE}rule = \"all_to_all\"\nweight = -inf\n");
    rejects(
        &text,
        "weight",
        "projection[0].weight",
        &["must be a finite number, got -inf"],
    );
}

#[test]
fn fixed_indegree_larger_than_source_without_multapses() {
    let rule = "rule = \"fixed_indegree\"\nindegree = 10\nallow_autapses = false\nallow_multapses = false\nweight = 1.0\n";
    let text = format!("{BASE}{EE}{rule}");
    rejects(
        &text,
        "indegree = 10",
        "projection[0].indegree",
        &[
            "indegree 10 is larger than the 9 possible sources",
            "allow_multapses = false",
        ],
    );
    // With multapses the same in-degree is fine.
    let text = text.replace("allow_multapses = false", "allow_multapses = true");
    assert!(parse(Path::new("net.toml"), &text).is_ok());
}

#[test]
fn wrong_types() {
    let text = BASE.replace("size = 5", "size = \"five\"");
    rejects(
        &text,
        "five",
        "population[1].size",
        &[r#"invalid type: string "five", expected an integer"#],
    );
    let text = format!("{BASE}{EE}rule = \"all_to_all\"\nweight = \"strong\"\n");
    rejects(
        &text,
        "strong",
        "projection[0].weight",
        &["expected a number or a distribution table"],
    );
    let text = BASE.replace("size = 10", "size = 10.5");
    rejects(
        &text,
        "10.5",
        "population[0].size",
        &["invalid type: float `10.5`, expected an integer"],
    );
}

#[test]
fn missing_required_keys() {
    // Located at the header of the table that lacks the key.
    let text = BASE.replace("model = \"alif\"\n", "");
    let header = line_of(&text, "name = \"I\"") - 1;
    assert_eq!(text.lines().nth(header - 1), Some("[[population]]"));
    rejects_at_line(
        &text,
        header,
        "population[1].model",
        &["missing required key `model`"],
    );
    let text = format!("{BASE}{EE}rule = \"all_to_all\"\n");
    let e = parse(Path::new("net.toml"), &text).unwrap_err();
    assert_eq!(
        (e.field.as_str(), e.line),
        (
            "projection[0].weight",
            Some(line_of(&text, "[[projection]]"))
        )
    );
    assert!(e.message.contains("missing required key `weight`"), "{e}");
    let text = format!(
        "{BASE}\n[[stimulus]]\ntype = \"poisson_generator\"\ntarget = \"E\"\nweight = 1.0\n"
    );
    rejects(
        &text,
        "[[stimulus]]",
        "stimulus[0].rate",
        &["a poisson_generator requires `rate`"],
    );
    // A missing top-level table has no line.
    let text = BASE.replace("[simulation]\ndt = 0.1\nt_stop = 100.0\n", "");
    let e = parse(Path::new("net.toml"), &text).unwrap_err();
    assert_eq!(
        e.to_string(),
        "net.toml: simulation: missing required key `simulation`"
    );
}

#[test]
fn rule_keys_must_match_the_rule() {
    let text = format!("{BASE}{EE}rule = \"all_to_all\"\nindegree = 3\nweight = 1.0\n");
    rejects(
        &text,
        "indegree",
        "projection[0].indegree",
        &[r#"`indegree` does not apply to rule "all_to_all""#],
    );
    let text = format!("{BASE}{EE}rule = \"fixed_indegree\"\np = 0.5\nweight = 1.0\n");
    rejects(
        &text,
        "p = 0.5",
        "projection[0].p",
        &["`p` does not apply", "it takes `indegree`"],
    );
    let text = format!("{BASE}{EE}rule = \"fixed_outdegree\"\nweight = 1.0\n");
    rejects(
        &text,
        "[[projection]]",
        "projection[0].outdegree",
        &[r#"rule "fixed_outdegree" requires `outdegree`"#],
    );
    let text = format!("{BASE}\n[[stimulus]]\ntype = \"dc_generator\"\ntarget = \"E\"\namplitude = 1.0\nrate = 5.0\n");
    rejects(
        &text,
        "rate",
        "stimulus[0].rate",
        &["`rate` does not apply to a dc_generator"],
    );
}

#[test]
fn node_ids_out_of_range() {
    let text = format!("{BASE}\n[[stimulus]]\ntype = \"dc_generator\"\ntarget = \"I\"\nnode_ids = [0, 5]\namplitude = 1.0\n");
    rejects(
        &text,
        "node_ids",
        "stimulus[0].node_ids[1]",
        &["node id 5 is out of range", "has 5 neurons"],
    );
    let text = format!("{BASE}\n[[record]]\ntype = \"state\"\npopulation = \"E\"\nvariables = [\"V_m\"]\nnode_ids = [\n  3,\n  -1,\n]\n");
    rejects(
        &text,
        "-1",
        "record[0].node_ids[1]",
        &["node id -1 is out of range"],
    );
}

#[test]
fn bad_record_interval() {
    let state = "\n[[record]]\ntype = \"state\"\npopulation = \"E\"\nvariables = [\"V_m\"]\n";
    let text = format!("{BASE}{state}interval = 0.25\n");
    rejects(
        &text,
        "interval",
        "record[0].interval",
        &["interval 0.25 ms is not a whole multiple of dt = 0.1 ms"],
    );
    let text = format!("{BASE}{state}interval = 0.05\n");
    rejects(
        &text,
        "interval",
        "record[0].interval",
        &["interval 0.05 ms is shorter than dt = 0.1 ms"],
    );
}

#[test]
fn invalid_toml_syntax_and_display_without_field() {
    let text = BASE.replace("size = 10", "size = = 10");
    let e = parse(Path::new("net.toml"), &text).unwrap_err();
    let line = line_of(&text, "size = = 10");
    assert_eq!(e.field, "");
    assert!(
        e.to_string()
            .starts_with(&format!("net.toml:{line}: invalid TOML: ")),
        "{e}"
    );
}

#[test]
fn other_semantic_errors() {
    let text = BASE.replace("\"I\"", "\"E\"");
    let line = line_of(&text, "size = 5") - 1;
    rejects_at_line(
        &text,
        line,
        "population[1].name",
        &[r#"duplicate population name "E" (also population[0])"#],
    );
    let text = BASE.replace("\"I\"", "\"I-1\"");
    rejects(
        &text,
        "I-1",
        "population[1].name",
        &["only letters, digits and '_'"],
    );
    let text = format!("{BASE}{EE}rule = \"all_to_all\"\nweight = 1.0\nreceptor = \"gaba\"\n");
    rejects(
        &text,
        "gaba",
        "projection[0].receptor",
        &[r#"no receptor "gaba" (receptors: ex, in)"#],
    );
    let text = format!("{BASE}\n[[projection]]\nsource = \"E\"\ntarget = \"I\"\nrule = \"one_to_one\"\nweight = 1.0\n");
    rejects(
        &text,
        "one_to_one",
        "projection[0].rule",
        &["equal size", "10 neurons", "has 5"],
    );
    let text = with_simulation("dt = 0.1\nt_stop = 100.0\nscale = 0.1\n");
    let text = format!("{text}{EE}rule = \"pairwise_bernoulli\"\np = 0.5\nweight = 1.0\n");
    rejects(
        &text,
        "p = 0.5",
        "projection[0].p",
        &["p / scale = 5 exceeds 1"],
    );
    let text = format!("{BASE}\n[[stimulus]]\ntype = \"spike_generator\"\ntarget = \"E\"\nspike_times = [1.0, 0.55]\nweight = 1.0\n");
    rejects(
        &text,
        "spike_times",
        "stimulus[0].spike_times[1]",
        &["0.55 ms is not on the dt = 0.1 ms grid"],
    );
}

#[test]
fn t_stop_beyond_2_pow_48_steps_is_refused() {
    let text = with_simulation("dt = 0.1\nt_stop = 1e308\n");
    rejects(
        &text,
        "t_stop = 1e308",
        "simulation.t_stop",
        &["more than 2^48 steps"],
    );
}

#[test]
fn more_threads_than_can_be_useful_are_refused() {
    let text = with_simulation("dt = 0.1\nt_stop = 100.0\nthreads = 5000\n");
    rejects(
        &text,
        "threads = 5000",
        "simulation.threads",
        &["1..=4096", "5000"],
    );
}

#[test]
fn names_longer_than_a_file_name_allows_are_refused() {
    let long = "x".repeat(101);
    let text = BASE.replacen("name = \"E\"", &format!("name = \"{long}\""), 1);
    rejects(
        &text,
        &long,
        "population[0].name",
        &["101 characters", "at most 100"],
    );
}

#[test]
fn a_poisson_rate_beyond_a_bounded_number_of_events_per_step_is_refused() {
    let text = format!(
        "{BASE}\n[[stimulus]]\ntype = \"poisson_generator\"\ntarget = \"E\"\nrate = 1e15\nweight = 1.0\n"
    );
    rejects(
        &text,
        "rate = 1e15",
        "stimulus[0].rate",
        &["events per target and step", "at most 10000"],
    );
}

/// Without multapses the total is split among the chunks by their pairs
/// (hypergeometric): a chunk's share never exceeds its own pairs, so a
/// total that fits the projection is never refused, whatever the seed.
#[test]
fn a_total_number_split_never_exceeds_a_chunks_pairs() {
    for seed in 1..=12 {
        let text = format!("[simulation]\ndt = 0.1\nt_stop = 10.0\nseed = {seed}\nchunk_size = 5\n\n[[population]]\nname = \"S\"\nsize = 1\nmodel = \"iaf_psc_exp\"\n\n[[population]]\nname = \"T\"\nsize = 10\nmodel = \"iaf_psc_exp\"\n\n[[projection]]\nsource = \"S\"\ntarget = \"T\"\nrule = \"fixed_total_number\"\nN = 9\nallow_multapses = false\nweight = 1.0\ndelay = 1.0\n");
        let loaded =
            parse(Path::new("net.toml"), &text).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        let chunks = brainsim_sim::layout::chunks(&loaded.spec);
        let split = brainsim_sim::connect::split_total(&loaded.spec, 0, &chunks);
        assert!(split.iter().all(|&k| k <= 5), "seed {seed}: {split:?}");
        assert_eq!(split.iter().sum::<u64>(), 9, "seed {seed}");
    }
}

#[test]
fn bad_checkpoint_table() {
    let text = format!("{BASE}\n[checkpoint]\nevery = 0.25\n");
    rejects(
        &text,
        "every",
        "checkpoint.every",
        &["must be a whole number of steps of dt = 0.1 ms, got 0.25"],
    );
    let text = format!("{BASE}\n[checkpoint]\nevery = -5.0\n");
    rejects(&text, "every", "checkpoint.every", &["must be > 0, got -5"]);
    let text = format!("{BASE}\n[checkpoint]\nevery = 10.0\nkeep = 0\n");
    rejects(&text, "keep", "checkpoint.keep", &["1..=1000000, got 0"]);
    let text = format!("{BASE}\n[checkpoint]\nkeep = 2\n");
    rejects(
        &text,
        "[checkpoint]",
        "checkpoint.every",
        &["missing required key"],
    );
    let good = format!("{BASE}\n[checkpoint]\nevery = 10.0\n");
    let loaded = parse(Path::new("net.toml"), &good).unwrap();
    let c = loaded.checkpoint.unwrap();
    assert_eq!((c.every_steps, c.keep), (100, crate::config::DEFAULT_KEEP));
}
