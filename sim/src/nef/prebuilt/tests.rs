use super::*;
use crate::nef::{ConnectionSpec, NefSim};

/// A node sin(2 pi t) -> A (40, 1-D) -> B (30, 2-D, into dimension 1 by a
/// transform), probes: B decoded (10 ms), A's spikes, A's voltages.
fn native() -> Built {
    let mut s = NetSpec {
        dt: 0.001,
        seed: 7,
        ensembles: vec![
            ("A".into(), EnsembleParams::new(40, 1)),
            ("B".into(), EnsembleParams::new(30, 2)),
        ],
        nodes: vec![(
            "in".into(),
            NodeOutput::Sine {
                frequency: vec![1.0],
                amplitude: vec![1.0],
                phase: vec![0.0],
            },
        )],
        connections: vec![ConnectionSpec::new(Pre::Node(0), Post::Ensemble(0))],
        probes: vec![
            ProbeSpec {
                name: "B".into(),
                of: ProbeOf::Decoded(1),
                synapse: Some(0.01),
            },
            ProbeSpec {
                name: "A spikes".into(),
                of: ProbeOf::Spikes(0),
                synapse: None,
            },
            ProbeSpec {
                name: "A voltage".into(),
                of: ProbeOf::Voltage(0),
                synapse: None,
            },
        ],
    };
    let mut c = ConnectionSpec::new(Pre::Ensemble(0), Post::Ensemble(1));
    c.transform = super::super::Transform::Matrix(DMatrix::from_row_slice(2, 1, &[0.0, 1.0]));
    s.connections.push(c);
    s.build().unwrap()
}

/// `b`'s parts, as an exporter hands them over.
#[allow(clippy::type_complexity)]
fn parts(
    b: &Built,
) -> (
    Vec<PrebuiltEnsemble>,
    Vec<(String, NodeOutput)>,
    Vec<BuiltConnection>,
    Vec<ProbeSpec>,
) {
    let ens = b
        .ensembles
        .iter()
        .zip(&b.spec.ensembles)
        .map(|(e, (name, p))| PrebuiltEnsemble {
            name: name.clone(),
            neuron: p.neuron,
            radius: e.radius,
            encoders: e.encoders.clone(),
            gain: e.gain.clone(),
            bias: e.bias.clone(),
            max_rates: e.max_rates.clone(),
            intercepts: e.intercepts.clone(),
            initial_voltage: e.initial_voltage.clone(),
        })
        .collect();
    (
        ens,
        b.spec.nodes.clone(),
        b.connections.clone(),
        b.spec.probes.clone(),
    )
}

fn records(b: &Built, steps: u64) -> Vec<Vec<f64>> {
    let mut sim = NefSim::new(b);
    sim.run(steps);
    (0..b.spec.probes.len())
        .map(|k| sim.record(k).to_vec())
        .collect()
}

#[test]
fn a_network_rebuilt_from_its_parts_runs_bit_for_bit_as_the_original() {
    let b = native();
    let (e, n, c, p) = parts(&b);
    let re = Built::prebuilt(b.spec.dt, e, n, c, p).unwrap();
    let (want, got) = (records(&b, 600), records(&re, 600));
    assert!(want[1].iter().any(|&s| s > 0.0), "A spikes");
    assert!(want[0].iter().any(|&x| x.abs() > 0.1), "B decodes a value");
    for (k, (w, g)) in want.iter().zip(&got).enumerate() {
        assert_eq!(w.len(), g.len(), "probe {k}");
        for (i, (x, y)) in w.iter().zip(g).enumerate() {
            assert_eq!(x.to_bits(), y.to_bits(), "probe {k}, value {i}");
        }
    }
}

/// The error of `prebuilt` after `spoil` changes the parts of `native()`.
fn error_after(
    spoil: impl FnOnce(&mut Vec<PrebuiltEnsemble>, &mut Vec<BuiltConnection>, &mut Vec<ProbeSpec>),
) -> String {
    let b = native();
    let (mut e, n, mut c, mut p) = parts(&b);
    spoil(&mut e, &mut c, &mut p);
    Built::prebuilt(b.spec.dt, e, n, c, p).unwrap_err().0
}

#[test]
fn parts_that_do_not_fit_are_refused_naming_the_part() {
    let e = error_after(|e, _, _| {
        e[1].gain.pop();
    });
    assert!(
        e.contains("ensemble `B`: gain: 29 values for 30 neurons"),
        "{e}"
    );
    let e = error_after(|_, c, _| c[0].weights = DMatrix::zeros(2, 1));
    assert!(
        e.contains("connection 0: weights of 2 x 1") && e.contains("takes 1"),
        "{e}"
    );
    // Connection 1's transform (2 x 1) is kept apart from its decoders.
    let e = error_after(|_, c, _| c[1].after = Some(DMatrix::zeros(3, 1)));
    assert!(
        e.contains("connection 1: weights of 1 x 40 (then 3 x 1)") && e.contains("takes 2"),
        "{e}"
    );
    let e = error_after(|_, c, _| c[1].after = Some(DMatrix::zeros(2, 2)));
    assert!(
        e.contains("connection 1: weights of 1 x 40 and a transform after them of 2 x 2"),
        "{e}"
    );
    let e = error_after(|_, c, _| c[0].pre = Pre::Node(3));
    assert!(e.contains("connection 0: no node 3"), "{e}");
    let e = error_after(|_, c, _| c[1].filter = None);
    assert!(
        e.contains("connection 1: ") && e.contains("needs a synapse"),
        "{e}"
    );
    let e = error_after(|_, c, _| {
        c.pop();
    });
    assert!(e.contains("probe `B`: 0 connections feed it"), "{e}");
    let e = error_after(|_, _, p| p[1].synapse = Some(0.01));
    assert!(
        e.contains("probe `A spikes`: ") && e.contains("unfiltered"),
        "{e}"
    );
    let e = error_after(|_, _, p| p[2].of = ProbeOf::Voltage(5));
    assert!(e.contains("probe `A voltage`: no ensemble 5"), "{e}");
}

/// `native()`'s parts and a probe (3) of A's decoded value through B's
/// probe filter, with A -> B either direct or through passthrough node
/// `P` (A -> P unfiltered, P -> B with A -> B's transform and filter; the
/// probe then of P, fed by a connection of identity weights out of P).
fn split_through_passthrough(through: bool) -> Built {
    let b = native();
    let (e, mut n, mut c, mut p) = parts(&b);
    let (ab, probe_filter) = (c[1].clone(), c[2].filter);
    let into_probe = |pre, weights| BuiltConnection {
        pre,
        post: Post::Probe(3),
        weights,
        after: None,
        pre_slice: 0..ab.weights.ncols(),
        filter: probe_filter,
    };
    let of = if through {
        n.push(("P".into(), NodeOutput::Passthrough { dimensions: 1 }));
        let to_p = BuiltConnection {
            post: Post::Node(1),
            after: None,
            filter: None,
            ..ab.clone()
        };
        let from_p = BuiltConnection {
            pre: Pre::Node(1),
            weights: ab.after.clone().unwrap(),
            after: None,
            pre_slice: 0..1,
            ..ab.clone()
        };
        c.splice(1..2, [to_p, from_p]);
        let mut probe = into_probe(Pre::Node(1), DMatrix::identity(1, 1));
        probe.pre_slice = 0..1;
        c.push(probe);
        ProbeOf::Node(1)
    } else {
        c.push(into_probe(Pre::Ensemble(0), ab.weights.clone()));
        ProbeOf::Decoded(0)
    };
    p.push(ProbeSpec {
        name: "A".into(),
        of,
        synapse: Some(0.01),
    });
    Built::prebuilt(b.spec.dt, e, n, c, p).unwrap()
}

#[test]
fn a_path_through_a_passthrough_node_runs_bit_for_bit_as_the_direct_connection() {
    let direct = split_through_passthrough(false);
    let folded = split_through_passthrough(true);
    // A -> P -> B is one connection: weights T D (2 x 40), the filter of P -> B.
    let c = &folded.connections[1];
    assert_eq!((c.pre, c.post), (Pre::Ensemble(0), Post::Ensemble(1)));
    assert_eq!(c.weights.shape(), (2, 40));
    assert!(c.after.is_none() && c.filter == direct.connections[1].filter);
    assert_eq!(folded.connections.len(), direct.connections.len());
    let (want, got) = (records(&direct, 600), records(&folded, 600));
    assert!(want[3].iter().any(|&x| x.abs() > 0.1), "A decodes a value");
    for (k, (w, g)) in want.iter().zip(&got).enumerate() {
        assert_eq!(w.len(), g.len(), "probe {k}");
        for (i, (x, y)) in w.iter().zip(g).enumerate() {
            assert_eq!(x.to_bits(), y.to_bits(), "probe {k}, value {i}");
        }
    }
}
