//! Passthrough nodes: a network written through passthrough nodes runs as
//! the same network written with direct connections (bit for bit where the
//! composed transform is exact: identities and scalars), a probe of a
//! passthrough node records the sum of what its connections bring, and
//! paths that cannot be folded are refused.

use brainsim_sim::nef::{
    ConnectionSpec, EnsembleParams, NefSim, NetSpec, NodeOutput, Post, Pre, ProbeOf, ProbeSpec,
    Transform,
};

fn base() -> NetSpec {
    let mut s = NetSpec {
        dt: 0.001,
        seed: 11,
        ensembles: Vec::new(),
        nodes: Vec::new(),
        connections: Vec::new(),
        probes: Vec::new(),
    };
    s.nodes.push((
        "in".into(),
        NodeOutput::Sine {
            frequency: vec![1.0, 2.0],
            amplitude: vec![0.8, 0.6],
            phase: vec![0.0, 0.5],
        },
    ));
    s.ensembles.push(("A".into(), EnsembleParams::new(300, 2)));
    s.ensembles.push(("B".into(), EnsembleParams::new(300, 2)));
    s
}

fn probe(name: &str, of: ProbeOf) -> ProbeSpec {
    ProbeSpec {
        name: name.into(),
        of,
        synapse: Some(0.01),
    }
}

fn conn(pre: Pre, post: Post, synapse: Option<f64>, transform: f64) -> ConnectionSpec {
    let mut c = ConnectionSpec::new(pre, post);
    c.synapse = synapse;
    c.transform = Transform::Scalar(transform);
    c
}

fn records(s: &NetSpec, steps: u64) -> Vec<Vec<f64>> {
    let built = s.build().unwrap();
    let mut sim = NefSim::new(&built);
    sim.run(steps);
    (0..s.probes.len())
        .map(|k| sim.record(k).to_vec())
        .collect()
}

#[test]
fn paths_through_passthrough_nodes_equal_direct_connections() {
    // in -> P1 -> A (synapse on the way out), A -> P2 -> B (transform 0.5
    // into P2, synapse on the way out), probes of B and of P2.
    let mut through = base();
    through
        .nodes
        .push(("P1".into(), NodeOutput::Passthrough { dimensions: 2 }));
    through
        .nodes
        .push(("P2".into(), NodeOutput::Passthrough { dimensions: 2 }));
    through.connections = vec![
        conn(Pre::Node(0), Post::Node(1), None, 1.0),
        conn(Pre::Node(1), Post::Ensemble(0), Some(0.005), 1.0),
        conn(Pre::Ensemble(0), Post::Node(2), None, 0.5),
        conn(Pre::Node(2), Post::Ensemble(1), Some(0.005), 1.0),
    ];
    through.probes = vec![
        probe("B", ProbeOf::Decoded(1)),
        probe("P2", ProbeOf::Node(2)),
    ];
    let mut direct = base();
    direct.connections = vec![
        conn(Pre::Node(0), Post::Ensemble(0), Some(0.005), 1.0),
        conn(Pre::Ensemble(0), Post::Ensemble(1), Some(0.005), 0.5),
        conn(Pre::Ensemble(0), Post::Sink, None, 0.5),
    ];
    let mut p2 = probe("P2", ProbeOf::Connection(2));
    p2.synapse = Some(0.01);
    direct.probes = vec![probe("B", ProbeOf::Decoded(1)), p2];
    let (a, b) = (records(&through, 400), records(&direct, 400));
    assert!(a[0].iter().any(|&x| x.abs() > 0.2), "B carries a signal");
    assert!(a == b, "the paths differ from the direct connections");
}

#[test]
fn a_probe_of_a_passthrough_node_sums_its_inputs() {
    let mut s = base();
    s.nodes
        .push(("sum".into(), NodeOutput::Passthrough { dimensions: 2 }));
    s.connections = vec![
        conn(Pre::Node(0), Post::Ensemble(0), Some(0.005), 1.0),
        conn(Pre::Node(0), Post::Ensemble(1), Some(0.005), -0.5),
        conn(Pre::Ensemble(0), Post::Node(1), None, 1.0),
        conn(Pre::Ensemble(1), Post::Node(1), None, 1.0),
    ];
    s.probes = vec![
        probe("sum", ProbeOf::Node(1)),
        probe("A", ProbeOf::Decoded(0)),
        probe("B", ProbeOf::Decoded(1)),
    ];
    let r = records(&s, 400);
    let worst = (0..r[0].len())
        .map(|i| (r[0][i] - (r[1][i] + r[2][i])).abs())
        .fold(0.0, f64::max);
    assert!(worst < 1e-12, "sum probe off by {worst}");
    // The sum is the input halved: it is nowhere near zero.
    assert!(r[0].iter().any(|&x| x.abs() > 0.2));
}

#[test]
fn paths_that_cannot_be_folded_are_refused() {
    let err = |s: &NetSpec| s.build().unwrap_err().to_string();
    let mut s = base();
    s.nodes
        .push(("P".into(), NodeOutput::Passthrough { dimensions: 2 }));
    s.connections = vec![
        conn(Pre::Ensemble(0), Post::Node(1), Some(0.005), 1.0),
        conn(Pre::Node(1), Post::Ensemble(1), Some(0.005), 1.0),
    ];
    assert!(err(&s).contains("two synapses in series"), "{}", err(&s));
    s.connections = vec![conn(Pre::Ensemble(0), Post::Node(0), None, 1.0)];
    assert!(err(&s).contains("takes no input"), "{}", err(&s));
    s.nodes
        .push(("Q".into(), NodeOutput::Passthrough { dimensions: 2 }));
    s.connections = vec![
        conn(Pre::Node(1), Post::Node(2), None, 1.0),
        conn(Pre::Node(2), Post::Node(1), None, 1.0),
        conn(Pre::Node(2), Post::Ensemble(0), Some(0.005), 1.0),
    ];
    assert!(err(&s).contains("cycle"), "{}", err(&s));
}

/// An unfiltered connection from a node carries the node's value of the
/// same step (Nengo: no synapse, no delay): its probe equals the transform
/// times the sine at t = n dt, every step.
#[test]
fn an_unfiltered_node_connection_carries_the_value_of_its_step() {
    let mut s = base();
    s.connections = vec![conn(Pre::Node(0), Post::Ensemble(0), None, 2.0)];
    s.probes = vec![ProbeSpec {
        name: "c".into(),
        of: ProbeOf::Connection(0),
        synapse: None,
    }];
    let r = records(&s, 300);
    for (n, row) in r[0].chunks(2).enumerate() {
        let t = (n + 1) as f64 * 0.001;
        let want = [
            2.0 * (0.8 * (2.0 * std::f64::consts::PI * t).sin()),
            2.0 * (0.6 * (2.0 * std::f64::consts::PI * 2.0 * t + 0.5).sin()),
        ];
        assert_eq!(row, want, "step {}", n + 1);
    }
}
