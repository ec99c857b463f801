//! Version 2: passthrough nodes, and the faults of paths through them.

use super::*;

/// `valid()` as version 2 with passthrough node 1 `P` (2-D): connection 2
/// A decoded (weights 1 x 3) -> P's value 1, unfiltered; connection 3 P's
/// value 1 -> A (weights 2 x 1), filtered.
fn with_passthrough() -> Entries {
    use Item::*;
    let mut e = valid();
    let mut put = |k: &str, v: Item| {
        e.insert(k.to_string(), v);
    };
    put("@version", I(2));
    put("nodes/0@kind", Str("output"));
    put("nodes/1@name", Str("P"));
    put("nodes/1@kind", Str("passthrough"));
    put("nodes/1@size_in", I(2));
    let c = "connections/2";
    put(&format!("{c}@pre_kind"), Str("ensemble"));
    put(&format!("{c}@pre"), I(0));
    put(&format!("{c}@post_kind"), Str("node"));
    put(&format!("{c}@post"), I(1));
    put(&format!("{c}@synapse"), Str("none"));
    put(
        &format!("{c}/weights"),
        Floats(vec![1, 3], vec![1.0, 2.0, 3.0]),
    );
    put(&format!("{c}/pre_slice"), Ints(vec![0]));
    put(&format!("{c}/post_slice"), Ints(vec![1]));
    let c = "connections/3";
    put(&format!("{c}@pre_kind"), Str("node"));
    put(&format!("{c}@pre"), I(1));
    put(&format!("{c}@post_kind"), Str("ensemble"));
    put(&format!("{c}@post"), I(0));
    put(&format!("{c}@synapse"), Str("lowpass"));
    put(&format!("{c}@tau"), F(0.005));
    put(&format!("{c}@a"), F(0.75));
    put(&format!("{c}@b"), F(0.25));
    put(
        &format!("{c}/weights"),
        Floats(vec![2, 1], vec![10.0, 100.0]),
    );
    put(&format!("{c}/pre_slice"), Ints(vec![1]));
    put(&format!("{c}/post_slice"), Ints(vec![0, 1]));
    e
}

/// The error of reading `with_passthrough()` changed by `spoil`.
fn error_with(tag: &str, spoil: impl FnOnce(&mut Entries)) -> String {
    super::error_of(with_passthrough(), tag, spoil)
}

#[test]
fn a_path_through_a_passthrough_node_becomes_one_connection() {
    let path = write(&with_passthrough(), "passthrough");
    let (b, _) = read(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(
        b.spec.nodes[1].1,
        brainsim_sim::nef::NodeOutput::Passthrough { dimensions: 2 }
    );
    // Connections 0 and 1 as they were, then A -> P -> A.
    assert_eq!(b.connections.len(), 3);
    assert_eq!(b.connections[1].post, Post::Probe(0));
    let c = &b.connections[2];
    assert_eq!((c.pre, c.post), (Pre::Ensemble(0), Post::Ensemble(0)));
    // [10, 100] times [1, 2, 3]: the outer product, column-major.
    let want = [10.0, 100.0, 20.0, 200.0, 30.0, 300.0];
    assert_eq!(c.weights.as_slice(), &want);
    let f = c.filter.unwrap();
    assert_eq!((f.a, f.b), (0.75, 0.25), "the one filter, of connection 3");
}

#[test]
fn two_filters_in_series_through_a_passthrough_node_are_refused() {
    let e = error_with("series", |e| {
        e.insert("connections/2@synapse".into(), Item::Str("lowpass"));
        e.insert("connections/2@tau".into(), Item::F(0.01));
        e.insert("connections/2@a".into(), Item::F(0.9));
        e.insert("connections/2@b".into(), Item::F(0.1));
    });
    assert!(
        e.contains(
            ": /: connections 2 and 3: two lowpass filters in series through passthrough node `P`"
        ),
        "{e}"
    );
}

#[test]
fn a_connection_into_a_node_that_is_not_passthrough_is_refused() {
    let e = error_with("into_output", |e| {
        e.insert("connections/2@post".into(), Item::I(0));
    });
    assert!(
        e.ends_with(": /connections/2/post: node 0 is not a passthrough node: it takes no input"),
        "{e}"
    );
}

#[test]
fn node_kinds_are_checked_in_version_2() {
    let e = error_with("no_kind", |e| {
        e.remove("nodes/0@kind");
    });
    assert!(e.ends_with(": /nodes/0/kind: missing attribute"), "{e}");
    let e = error_with("kind", |e| {
        e.insert("nodes/1@kind".into(), Item::Str("function"));
    });
    assert!(
        e.ends_with(": /nodes/1/kind: is `function`, expected `output` or `passthrough`"),
        "{e}"
    );
    let e = error_with("size_in", |e| {
        e.insert("nodes/1@size_in".into(), Item::I(0));
    });
    assert!(e.ends_with(": /nodes/1/size_in: is 0, must be > 0"), "{e}");
    let e = error_with("rows", |e| {
        e.insert("connections/2/post_slice".into(), Item::Ints(vec![2]));
    });
    assert!(
        e.ends_with(": /connections/2/post_slice: index 2 out of 0..2"),
        "{e}"
    );
}
