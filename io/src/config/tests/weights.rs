//! `[[record]] type = "weights"` and `weights_from`: a record loads to its
//! projection, subset and interval; each class of bad input is one line
//! naming the field (and for a weights file, the file).

use super::{line_of, rejects, rejects_at_line, BASE};
use crate::config::{parse, WeightRecord};
use crate::sonata_spikes::test_util::test_dir;
use crate::weights::{write_weights, WeightTable};
use std::path::Path;

/// BASE with a plastic E -> E projection (0), a static E -> I one (1) and
/// `extra` lines.
fn net(extra: &str) -> String {
    format!(
        "{BASE}
[[projection]]
source = \"E\"
target = \"E\"
rule = \"all_to_all\"
weight = 40.0
synapse_model = \"stdp_synapse\"

[[projection]]
source = \"E\"
target = \"I\"
rule = \"all_to_all\"
weight = 40.0
{extra}"
    )
}

fn record(lines: &str) -> String {
    net(&format!("\n[[record]]\ntype = \"weights\"\n{lines}\n"))
}

#[test]
fn a_weight_record_loads() {
    let text = record("source = \"E\"\ntarget = \"E\"\nsource_node_ids = [3, 1]\ninterval = 2.5");
    let loaded = parse(Path::new("net.toml"), &text).unwrap();
    let want = WeightRecord {
        projection: 0,
        source_node_ids: Some(vec![1, 3]),
        target_node_ids: None,
        interval_steps: Some(25),
    };
    assert_eq!(loaded.weight_records, [want]);
    // A weights record alone leaves the default spike recording on.
    assert_eq!(loaded.spec.records.len(), 1);
    let end = parse(
        Path::new("net.toml"),
        &record("projection = 0\nat = \"end\""),
    )
    .unwrap();
    assert_eq!(end.weight_records[0].interval_steps, None);
    assert!(!end.save_weights);
}

#[test]
fn a_weight_record_of_an_unknown_projection_is_refused() {
    let e = "record[0].projection";
    rejects(
        &record("projection = 5\ninterval = 1.0"),
        "projection = 5",
        e,
        &["no projection[5]", "2 projections"],
    );
    let t = record("source = \"I\"\ntarget = \"E\"\ninterval = 1.0");
    rejects(
        &t,
        "source = \"I\"",
        "record[0].source",
        &["no projection from \"I\" to \"E\""],
    );
    let t = record("interval = 1.0");
    rejects(&t, "[[record]]", e, &["requires `projection`"]);
}

#[test]
fn a_weight_record_of_a_static_projection_is_refused() {
    let t = record("projection = 1\nat = \"end\"");
    rejects(
        &t,
        "projection = 1",
        "record[0].projection",
        &["projection[1] (E -> I) is static", "weight_recorder"],
    );
}

#[test]
fn a_bad_interval_is_refused() {
    let e = "record[0].interval";
    rejects(
        &record("projection = 0\ninterval = 0.0"),
        "interval = 0.0",
        e,
        &["> 0"],
    );
    rejects(
        &record("projection = 0\ninterval = -1.0"),
        "interval = -1.0",
        e,
        &["> 0"],
    );
    rejects(
        &record("projection = 0\ninterval = 0.25"),
        "interval = 0.25",
        e,
        &["not a whole multiple of dt = 0.1 ms"],
    );
    rejects(
        &record("projection = 0"),
        "[[record]]",
        e,
        &["requires `interval` (ms) or `at = \"end\"`"],
    );
    rejects(
        &record("projection = 0\nat = \"start\""),
        "at = \"start\"",
        "record[0].at",
        &["must be \"end\""],
    );
}

#[test]
fn subset_ids_out_of_range_are_refused() {
    let t = record("projection = 0\nsource_node_ids = [0, 10]\nat = \"end\"");
    rejects(
        &t,
        "source_node_ids",
        "record[0].source_node_ids[1]",
        &["node id 10 is out of range", "\"E\" has 10 neurons"],
    );
    let t = record("projection = 0\ntarget_node_ids = [-1]\nat = \"end\"");
    rejects(
        &t,
        "target_node_ids",
        "record[0].target_node_ids[0]",
        &["node id -1 is out of range"],
    );
}

#[test]
fn two_records_of_one_projection_are_refused() {
    let t = record("projection = 0\nat = \"end\"\n\n[[record]]\ntype = \"weights\"\nprojection = 0\ninterval = 1.0");
    rejects_at_line(
        &t,
        line_of(&t, "interval = 1.0") - 1,
        "record[1].projection",
        &["already recorded by record[0]"],
    );
}

/// A weights file of `source -> target` with `edges` (node ids, delay ms, weight).
fn weights_file(dir: &Path, source: &str, target: &str, rows: Vec<(u64, u64, f64, f64)>) -> String {
    let path = dir.join(format!("w_{source}_{target}_{}.h5", rows.len()));
    let mut table = WeightTable {
        source_population: source.into(),
        target_population: target.into(),
        synapse_model: "stdp_synapse".into(),
        projection: 0,
        t_ms: 100.0,
        units: "pA".into(),
        rows,
    };
    write_weights(&path, &mut table).unwrap();
    path.display().to_string()
}

/// `net` with projection 0 taking its weights from `file`.
fn loading(file: &str) -> String {
    net("").replacen(
        "synapse_model = \"stdp_synapse\"\n",
        &format!("synapse_model = \"stdp_synapse\"\nweights_from = \"{file}\"\n"),
        1,
    )
}

#[test]
fn weights_from_reads_the_file_exactly() {
    let dir = test_dir("weights_from_ok");
    let w = 40.000_000_000_000_01_f64 + 1e-12;
    let file = weights_file(&dir, "E", "E", vec![(0, 1, 1.0, w), (2, 0, 1.5, 3.0)]);
    let spec = parse(Path::new("net.toml"), &loading(&file)).unwrap().spec;
    let got = spec.projections[0].weights_from.as_ref().unwrap();
    // E's first gid is 0; delays in steps of 0.1 ms; weights as f64.
    assert_eq!(got.edges[..], [(0, 1, 10, w), (2, 0, 15, 3.0)]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn weights_from_a_missing_file_is_refused() {
    let t = loading("/nonexistent/w.h5");
    rejects(
        &t,
        "weights_from",
        "projection[0].weights_from",
        &["/nonexistent/w.h5: no such file"],
    );
}

#[test]
fn weights_from_a_file_of_other_populations_is_refused() {
    let dir = test_dir("weights_from_pops");
    let file = weights_file(&dir, "E", "I", vec![(0, 1, 1.0, 1.0)]);
    let t = loading(&file);
    rejects(
        &t,
        "weights_from",
        "projection[0].weights_from",
        &[
            &file,
            "target_population is \"I\", projection[0]'s is \"E\"",
        ],
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn weights_from_with_bad_edges_is_refused() {
    let dir = test_dir("weights_from_edges");
    let field = "projection[0].weights_from";
    let file = weights_file(&dir, "E", "E", vec![(0, 10, 1.0, 1.0)]);
    rejects(
        &loading(&file),
        "weights_from",
        field,
        &["edge 0: node 0 -> 10 is outside the populations"],
    );
    let file = weights_file(&dir, "E", "E", vec![(0, 1, 1.05, 1.0), (0, 2, 1.0, 1.0)]);
    rejects(
        &loading(&file),
        "weights_from",
        field,
        &["edge 0: delay 1.05 ms is not a whole number of steps"],
    );
    let file = weights_file(
        &dir,
        "E",
        "E",
        vec![(0, 1, 1.0, -1.0), (0, 2, 1.0, 1.0), (0, 3, 1.0, 1.0)],
    );
    rejects(
        &loading(&file),
        "weights_from",
        field,
        &["edge 0: weight -1 is not a finite weight >= 0"],
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn weights_from_on_a_static_projection_is_refused() {
    let t = net("weights_from = \"w.h5\"\n");
    rejects(
        &t,
        "weights_from",
        "projection[1].weights_from",
        &["need a plastic synapse_model"],
    );
}
