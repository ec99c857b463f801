//! Templates (`for`, placeholders, `[constants]`): what they expand to, in
//! which order, and each class of bad template refused as one line at the
//! template's line, naming the file's table and the instance.

use super::{line_of, ok, rejects, rejects_at_line};
use crate::config::{effective, parse};
use crate::sonata_spikes::test_util::test_dir;
use crate::sonata_spikes::SpikeWriter;
use brainsim_sim::spec::{ConnRule, StimulusKind};
use std::path::Path;

/// A ring of `modules` E/I modules, each E projecting onto the E of the
/// next module, with Poisson drive per module.
const RING: &str = r#"[simulation]
dt = 0.1
t_stop = 10.0

[constants]
modules = 5

[[population]]
for = { i = "0..modules", t = ["E", "I"] }
name = "M{i:02}{t}"
size = 4
model = "iaf_psc_exp"

[[projection]]
for = { i = "0..modules", d = [-1, 1] }
source = "M{i:02}E"
target = "M{(i + d) % modules:02}E"
rule = "pairwise_bernoulli"
p = 0.5
weight = 10.0

[[projection]]
source = "M00I"
target = "M04E"
rule = "one_to_one"
weight = -10.0

[[stimulus]]
for = { i = "0..modules" }
type = "poisson_generator"
target = "M{i:02}E"
rate = 100.0
weight = 5.0
"#;

fn names(spec: &brainsim_sim::spec::NetworkSpec, ends: &[(usize, usize)]) -> Vec<String> {
    ends.iter()
        .map(|&(s, t)| format!("{}>{}", spec.populations[s].name, spec.populations[t].name))
        .collect()
}

#[test]
fn templates_expand_in_file_order_the_first_variable_slowest() {
    let spec = ok(RING);
    let pops: Vec<&str> = spec.populations.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        pops,
        ["M00E", "M00I", "M01E", "M01I", "M02E", "M02I", "M03E", "M03I", "M04E", "M04I"]
    );
    assert_eq!(spec.n_neurons(), 40);
    let ends: Vec<(usize, usize)> = spec
        .projections
        .iter()
        .map(|p| (p.source, p.target))
        .collect();
    let got = names(&spec, &ends);
    assert_eq!(got.len(), 11);
    // Ring neighbours, (i - 1) % 5 wrapping to 4; then the plain table.
    assert_eq!(
        &got[..4],
        ["M00E>M04E", "M00E>M01E", "M01E>M00E", "M01E>M02E"]
    );
    assert_eq!(&got[8..], ["M04E>M03E", "M04E>M00E", "M00I>M04E"]);
    assert!(matches!(spec.projections[0].rule, ConnRule::PairwiseBernoulli { p } if p == 0.5));
    assert!(matches!(spec.projections[10].rule, ConnRule::OneToOne));
    let targets: Vec<usize> = spec.stimuli.iter().map(|s| s.target).collect();
    assert_eq!(targets, [0, 2, 4, 6, 8]);
    // The constant sizes the whole network.
    let spec = ok(&RING.replace("modules = 5", "modules = 200"));
    assert_eq!(spec.populations.len(), 400);
    assert_eq!(spec.projections.len(), 401);
    assert_eq!(spec.populations[399].name, "M199I");
}

#[test]
fn expansion_of_200_modules_is_fast() {
    let text = RING
        .replace("modules = 5", "modules = 200")
        .replace("d = [-1, 1] }", "d = [-2, -1, 1, 2], t = [\"E\", \"I\"] }");
    let text = text.replace("% modules:02}E\"", "% modules:02}{t}\"");
    let start = std::time::Instant::now();
    let spec = ok(&text);
    let secs = start.elapsed().as_secs_f64();
    assert_eq!(spec.projections.len(), 200 * 8 + 1);
    assert!(secs < 1.0, "expansion and validation took {secs:.2} s");
}

#[test]
fn errors_in_instances_name_the_file_table_and_the_loop_values() {
    // A validation error in an instance: the template's line, its index in
    // the file and the instance's values. Of a long list of populations,
    // the first 12 are named.
    let text = RING
        .replace("(i + d) % modules", "i + d")
        .replace("modules = 5", "modules = 7");
    let e = rejects(
        &text,
        "target = \"M{i + d",
        "projection[0] (i = 0, d = -1).target",
        &[
            "no population named \"M-1E\" (populations: M00E, M00I, M01E,",
            "M05I, ... 14 in all)",
        ],
    );
    let line = line_of(&text, "target = \"M{i + d");
    let head = format!("net.toml:{line}: projection[0] (i = 0, d = -1).target: ");
    assert!(e.to_string().starts_with(&head), "{e}");
    // A plain table after a template keeps its file index.
    let text = RING.replace("target = \"M04E\"", "target = \"M05E\"");
    rejects(
        &text,
        "M05E",
        "projection[1].target",
        &["no population named \"M05E\""],
    );
    // error_at (checks made after loading) places spec indices the same way.
    let loaded = parse(Path::new("net.toml"), RING).unwrap();
    let e = loaded.error_at("projection[10].weight", "x");
    let line = line_of(RING, "weight = -10.0");
    assert_eq!(
        e.to_string(),
        format!("net.toml:{line}: projection[1].weight: x")
    );
    let e = loaded.error_at("population[3].size", "too big");
    let line = line_of(RING, "size = 4");
    assert_eq!(
        e.to_string(),
        format!("net.toml:{line}: population[0] (i = 1, t = \"I\").size: too big")
    );
}

#[test]
fn unknown_placeholders_are_refused_before_any_instance() {
    let text = RING.replace("target = \"M{(i + d)", "target = \"M{(j + d)");
    rejects(
        &text,
        "M{(j + d)",
        "projection[0].target",
        &["unknown placeholder `j` (variables: modules, i, d)"],
    );
    // Without `for`, only the constants are variables.
    let text = RING.replace("source = \"M00I\"", "source = \"M{i}I\"");
    rejects(
        &text,
        "M{i}I",
        "projection[1].source",
        &["unknown placeholder `i` (variables: modules)"],
    );
    let text = RING.replace("name = \"M{i:02}{t}\"", "name = \"M{i:02{t}\"");
    rejects(&text, "name = ", "population[0].name", &["bad format"]);
    let text = RING.replace("name = \"M{i:02}{t}\"", "name = \"M{i:02}{t\"");
    rejects(&text, "name = ", "population[0].name", &["is not closed"]);
    let text = RING.replace("name = \"M{i:02}{t}\"", "name = \"M{i * t}\"");
    rejects(
        &text,
        "name = ",
        "population[0] (i = 0, t = \"E\").name",
        &["`t` is the string \"E\"", "alone"],
    );
}

#[test]
fn bad_ranges_and_lists_are_refused_at_the_loop_variable() {
    for (range, why) in [
        ("5..2", "bad range \"5..2\": it is empty (5..2"),
        ("3..3", "it is empty"),
        ("0-5", "a range is written \"START..END\""),
        ("0..n", "unknown constant `n` (variables: modules)"),
        ("0..modules/0", "division by zero (5 / 0)"),
        ("0..2000000", "more than 1000000 values"),
    ] {
        let text = RING.replace("i = \"0..modules\", t", &format!("i = \"{range}\", t"));
        rejects(&text, "t = [\"E\", \"I\"] }", "population[0].for.i", &[why]);
    }
    let text = RING.replace("t = [\"E\", \"I\"]", "t = []");
    rejects(&text, "t = [] }", "population[0].for.t", &["an empty list"]);
    let text = RING.replace("t = [\"E\", \"I\"]", "t = [\"E\", 1]");
    rejects(
        &text,
        "t = [\"E\", 1]",
        "population[0].for.t",
        &["integers or strings, not both"],
    );
    let text = RING.replace("t = [\"E\", \"I\"]", "modules = [1]");
    rejects(
        &text,
        "modules = [1] }",
        "population[0].for.modules",
        &["already a constant"],
    );
    let text = RING.replace("for = { i = \"0..modules\" }", "for = {}");
    rejects(
        &text,
        "for = {}",
        "stimulus[0].for",
        &["at least one loop variable"],
    );
    let text = RING.replace("d = [-1, 1] }", "d = \"0..1000\", e = \"0..1001\" }");
    rejects(
        &text,
        "e = \"0..1001\"",
        "projection[0].for.e",
        &["more than 1000000 tables"],
    );
    let text = RING.replace("modules = 5", "modules = 5\n2x = 1");
    rejects(&text, "2x = 1", "constants.2x", &["not a variable name"]);
}

#[test]
fn division_by_zero_and_overflow_name_the_instance() {
    let text = RING.replace("(i + d) % modules", "(i + d) % (i - 3)");
    rejects(
        &text,
        "target = \"M{(i + d)",
        "projection[0] (i = 3, d = -1).target",
        &[
            "division by zero (2 % 0)",
            "in \"M{(i + d) % (i - 3):02}E\"",
        ],
    );
    let text = RING.replace("(i + d) % modules", "9223372036854775807 + i");
    rejects(
        &text,
        "target = \"M{9223372036854775807",
        "projection[0] (i = 1, d = -1).target",
        &["overflows"],
    );
}

#[test]
fn names_that_collide_after_expansion_are_refused() {
    let text = RING.replace("name = \"M{i:02}{t}\"", "name = \"M{i / 2}{t}\"");
    rejects(
        &text,
        "name = ",
        "population[0] (i = 1, t = \"E\").name",
        &["duplicate population name \"M0E\" (also population[0] (i = 0, t = \"E\"))"],
    );
    // A plain table colliding with an instance.
    let text = format!(
        "{}\n[[population]]\nname = \"M03I\"\nsize = 1\nmodel = \"iaf_psc_exp\"\n",
        RING.split("[[projection]]").next().unwrap()
    );
    let line = text.lines().position(|l| l == "name = \"M03I\"").unwrap() + 1;
    rejects_at_line(
        &text,
        line,
        "population[1].name",
        &["duplicate population name \"M03I\" (also population[0] (i = 3, t = \"I\"))"],
    );
}

#[test]
fn the_effective_config_keeps_the_order_of_loop_variables() {
    // Written back through a TOML table (config.effective.toml), `for`
    // keeps t before i: the same gids and the same spec.
    let text = RING.replace(
        "i = \"0..modules\", t = [\"E\", \"I\"]",
        "t = [\"E\", \"I\"], i = \"0..modules\"",
    );
    let given = parse(Path::new("net.toml"), &text).unwrap();
    assert_eq!(given.spec.populations[1].name, "M01E");
    let back = effective::effective_text(&given, &given.spec.simulation, None).unwrap();
    let again = parse(Path::new("net.toml"), &back).unwrap();
    assert_eq!(again.spec, given.spec);
}

/// A templated spike_generator reads one file per instance, relative to the
/// config; the effective config makes the template absolute and, written
/// back before a plain stimulus, still reads the same files.
#[test]
fn templated_spike_files_are_per_instance_and_stay_readable_from_elsewhere() {
    let dir = test_dir("template-spikes");
    for k in 0..2 {
        let mut w =
            SpikeWriter::create(&dir.join(format!("in{k}.h5")), &[("src".into(), 0, 4)]).unwrap();
        w.append(&[(1.0 + k as f64, 1)]).unwrap();
        w.finish().unwrap();
    }
    let sg = "type = \"spike_generator\"\nweight = 1.0\n";
    let text = format!(
        "{}\n[[stimulus]]\nfor = {{ k = \"0..2\" }}\ntarget = \"M0{{k}}E\"\nspikes_file = \"in{{k}}.h5\"\n{sg}\n[[stimulus]]\ntarget = \"M02E\"\nspikes_file = \"in1.h5\"\n{sg}",
        RING.split("[[projection]]").next().unwrap()
    );
    let given = parse(&dir.join("net.toml"), &text).unwrap();
    let files: Vec<String> = given
        .spec
        .stimuli
        .iter()
        .map(|s| match &s.kind {
            StimulusKind::SpikeTrains { file, .. } => file.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    let expect = |k: usize| dir.join(format!("in{k}.h5")).display().to_string();
    assert_eq!(files, [expect(0), expect(1), expect(1)]);
    let effective = effective::effective_text(&given, &given.spec.simulation, None).unwrap();
    let elsewhere = dir.join("out");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let again = parse(&elsewhere.join("config.effective.toml"), &effective).unwrap();
    assert_eq!(again.spec, given.spec);
    let _ = std::fs::remove_dir_all(dir);
}
