use super::*;
use crate::nef::Lowpass;
use nalgebra::DMatrix;

fn node(name: &str, d: usize) -> (String, NodeOutput) {
    (name.into(), NodeOutput::Passthrough { dimensions: d })
}

fn conn(
    pre: Pre,
    post: Post,
    rows: usize,
    w: &[f64],
    cols: std::ops::Range<usize>,
) -> BuiltConnection {
    BuiltConnection {
        pre,
        post,
        weights: DMatrix::from_row_slice(rows, w.len() / rows, w),
        after: None,
        pre_slice: cols,
        filter: None,
    }
}

const LP: Option<Lowpass> = Some(Lowpass { a: 0.75, b: 0.25 });

/// Node 0: a 2-D value; nodes 1 (P, 2-D) and 2 (Q, 3-D) passthrough.
/// 0: node 0 -> P (W0); 1: ensemble 0 (3 neurons) -> P (W1); 2: P[1] ->
/// Q rows (W2, 3 x 1); 3: Q -> ensemble 1 (W3, 1 x 3, filtered); 4:
/// ensemble 0 -> ensemble 1 (kept); 5: P -> probe 0 (identity, filtered).
fn network() -> (Vec<(String, NodeOutput)>, Vec<BuiltConnection>) {
    let nodes = vec![
        ("u".into(), NodeOutput::Constant(vec![1.0, 2.0])),
        node("P", 2),
        node("Q", 3),
    ];
    let c0 = conn(Pre::Node(0), Post::Node(1), 2, &[1.0, 2.0, 3.0, 4.0], 0..2);
    let c1 = conn(
        Pre::Ensemble(0),
        Post::Node(1),
        2,
        &[0.5, 0.25, 0.125, 1.0, 2.0, 4.0],
        0..3,
    );
    let c2 = conn(Pre::Node(1), Post::Node(2), 3, &[1.0, -1.0, 3.0], 1..2);
    let mut c3 = conn(
        Pre::Node(2),
        Post::Ensemble(1),
        1,
        &[1.0, 10.0, 100.0],
        0..3,
    );
    c3.filter = LP;
    let mut c4 = conn(
        Pre::Ensemble(0),
        Post::Ensemble(1),
        1,
        &[7.0, 8.0, 9.0],
        0..3,
    );
    c4.filter = LP;
    let mut c5 = conn(Pre::Node(1), Post::Probe(0), 2, &[1.0, 0.0, 0.0, 1.0], 0..2);
    c5.filter = LP;
    (nodes, vec![c0, c1, c2, c3, c4, c5])
}

#[test]
fn paths_become_connections_with_the_products_of_their_weights_in_order() {
    let (nodes, cs) = network();
    let mut probes = vec![ProbeSpec {
        name: "k4".into(),
        of: ProbeOf::Connection(4),
        synapse: Some(0.01),
    }];
    let out = fold(&nodes, cs.clone(), &mut probes).unwrap();
    let ends: Vec<(Pre, Post)> = out.iter().map(|c| (c.pre, c.post)).collect();
    // 3 (out of Q) by its paths 0-2-3, 1-2-3; 4 kept; 5 by 0-5, 1-5.
    assert_eq!(
        ends,
        [
            (Pre::Node(0), Post::Ensemble(1)),
            (Pre::Ensemble(0), Post::Ensemble(1)),
            (Pre::Ensemble(0), Post::Ensemble(1)),
            (Pre::Node(0), Post::Probe(0)),
            (Pre::Ensemble(0), Post::Probe(0)),
        ]
    );
    // W3 W2 W0[row 1] = (1 - 10 + 300) [3, 4].
    assert_eq!(out[0].weights.as_slice(), &[873.0, 1164.0]);
    assert_eq!((out[0].filter, out[0].pre_slice.clone()), (LP, 0..2));
    // W3 W2 W1[row 1] = 291 [1, 2, 4], the filter of 3.
    assert_eq!(out[1].weights.as_slice(), &[291.0, 582.0, 1164.0]);
    assert_eq!(out[1].filter, LP);
    assert_eq!(out[2], cs[4]);
    assert_eq!(out[3].weights, cs[0].weights);
    assert_eq!(out[4].weights, cs[1].weights);
    assert_eq!((out[3].filter, out[4].filter), (LP, LP));
    assert_eq!(probes[0].of, ProbeOf::Connection(2), "renumbered");
}

#[test]
fn a_probed_connection_into_a_passthrough_node_is_kept_ending_nowhere() {
    let (nodes, cs) = network();
    let mut probes = vec![ProbeSpec {
        name: "k1".into(),
        of: ProbeOf::Connection(1),
        synapse: None,
    }];
    let out = fold(&nodes, cs.clone(), &mut probes).unwrap();
    assert_eq!(out.len(), 6);
    assert_eq!(probes[0].of, ProbeOf::Connection(0));
    assert_eq!(out[0].post, Post::Sink);
    assert_eq!(out[0].weights, cs[1].weights);
}

#[test]
fn a_network_without_passthrough_nodes_is_left_as_it_is() {
    let (nodes, cs) = network();
    let kept = vec![cs[4].clone()];
    let mut probes = vec![];
    assert_eq!(fold(&nodes, kept.clone(), &mut probes).unwrap(), kept);
}

fn error(
    spoil: impl FnOnce(&mut Vec<(String, NodeOutput)>, &mut Vec<BuiltConnection>, &mut Vec<ProbeSpec>),
) -> String {
    let (mut nodes, mut cs) = network();
    let mut probes = vec![];
    spoil(&mut nodes, &mut cs, &mut probes);
    fold(&nodes, cs, &mut probes).unwrap_err().0
}

#[test]
fn paths_that_cannot_be_folded_are_refused_naming_their_connections() {
    let e = error(|_, c, _| c[2].filter = LP);
    assert_eq!(
        e,
        "connections 2 and 3: two lowpass filters in series through passthrough node `Q` \
         (give all but one of them synapse None)"
    );
    let e = error(|_, c, _| c[0].filter = LP);
    assert!(
        e.starts_with(
            "connections 0, 2 and 3: two lowpass filters in series through passthrough node `P`"
        ),
        "{e}"
    );
    let e = error(|_, c, _| c[3].filter = None);
    assert_eq!(
        e,
        "connections 1, 2 and 3: a path from an ensemble through passthrough nodes into an \
         ensemble needs a synapse"
    );
    let e = error(|n, _, _| n[1] = ("P".into(), NodeOutput::Constant(vec![0.0, 0.0])));
    assert_eq!(
        e,
        "connection 0: node 1 (`P`) takes no input (only passthrough nodes do)"
    );
    // Q -> P closes a cycle P -> Q -> P.
    let e = error(|_, c, _| {
        c.push(conn(Pre::Node(2), Post::Node(1), 2, &[1.0; 6], 0..3));
    });
    assert!(
        e.starts_with("connections ") && e.ends_with(": passthrough nodes connected in a cycle"),
        "{e}"
    );
    let e = error(|_, c, _| c[2].pre_slice = 1..3);
    assert!(
        e.starts_with("connection 2: weights of 1 columns reading values 1..3"),
        "{e}"
    );
    let e = error(|_, _, p| {
        p.push(ProbeSpec {
            name: "k3".into(),
            of: ProbeOf::Connection(3),
            synapse: None,
        })
    });
    assert!(
        e.starts_with("probe `k3`: connection 3 goes through a passthrough node"),
        "{e}"
    );
}
