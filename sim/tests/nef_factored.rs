//! A decoded connection whose transform widens the value (more rows than
//! columns) keeps the transform apart from its decoders (`BuiltConnection::
//! after`): the filter runs on the decoded value and the transform after
//! it. Mathematically that is the merged connection (a lowpass filter is
//! linear); checked here against the same network with the transform
//! merged into the weights, as Nengo builds it: every probe within 1e-12,
//! the spikes equal, on 1 and 3 threads.

use brainsim_sim::nef::{
    Built, ConnectionSpec, EnsembleParams, NefSim, NetSpec, NodeOutput, Post, Pre, ProbeOf,
    ProbeSpec, Transform,
};
use nalgebra::DMatrix;

/// sin -> A (1-D, 300 neurons) -> B (3-D, 600 neurons) by a 3 x 1
/// transform; probes: B decoded, B's spikes, the A -> B connection.
fn network() -> Built {
    let mut s = NetSpec {
        dt: 0.001,
        seed: 5,
        ensembles: vec![
            ("A".into(), EnsembleParams::new(300, 1)),
            ("B".into(), EnsembleParams::new(600, 3)),
        ],
        nodes: vec![(
            "in".into(),
            NodeOutput::Sine {
                frequency: vec![2.0],
                amplitude: vec![0.9],
                phase: vec![0.0],
            },
        )],
        connections: vec![ConnectionSpec::new(Pre::Node(0), Post::Ensemble(0))],
        probes: Vec::new(),
    };
    let mut c = ConnectionSpec::new(Pre::Ensemble(0), Post::Ensemble(1));
    c.transform = Transform::Matrix(DMatrix::from_column_slice(3, 1, &[0.5, -0.7, 0.2]));
    s.connections.push(c);
    for (name, of, synapse) in [
        ("B", ProbeOf::Decoded(1), Some(0.01)),
        ("B spikes", ProbeOf::Spikes(1), None),
        ("A to B", ProbeOf::Connection(1), Some(0.005)),
    ] {
        s.probes.push(ProbeSpec {
            name: name.into(),
            of,
            synapse,
        });
    }
    s.build().expect("it builds")
}

fn run(net: &Built, threads: usize) -> Vec<Vec<f64>> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| {
        let mut sim = NefSim::new(net);
        sim.run(800);
        (0..net.spec.probes.len())
            .map(|k| sim.record(k).to_vec())
            .collect()
    })
}

#[test]
fn a_transform_kept_apart_gives_the_merged_connection() {
    let factored = network();
    let conn = &factored.connections[1];
    let after = conn.after.clone().expect("a 3 x 1 transform is kept apart");
    assert_eq!((conn.weights.nrows(), conn.size_out()), (1, 3));
    let mut merged = factored.clone();
    merged.connections[1].weights = &after * &conn.weights;
    merged.connections[1].after = None;
    let want = run(&merged, 1);
    let largest = want[0].iter().fold(0.0f64, |m, x| m.max(x.abs()));
    assert!(largest > 0.3, "B represents the input: {largest}");
    for threads in [1, 3] {
        let got = run(&factored, threads);
        assert_eq!(got[1], want[1], "B's spikes, {threads} threads");
        for k in [0, 2] {
            assert_eq!(got[k].len(), want[k].len());
            for (i, (g, w)) in got[k].iter().zip(&want[k]).enumerate() {
                assert!((g - w).abs() <= 1e-12, "probe {k}, value {i}: {g} vs {w}");
            }
        }
    }
}
