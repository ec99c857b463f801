//! Exact replay of Nengo: three models exported from Nengo 4.1 by
//! `scripts/nengo_replay_fixtures.py` (a communication channel, an
//! integrator, a 2-D oscillator; fixtures in `tests/fixtures/nengo_replay`)
//! are read by `nengo_file::read` and run by `NefSim` for the exported
//! length (2 s). Required: every spike at the step and neuron where Nengo
//! had it, and every decoded probe value within 1e-6 of Nengo's. A fourth,
//! `mixed`, exercises what the reader widens and wires (slices, a function,
//! neuron-to-neuron weights, probes of a node, of voltages and of a
//! connection) under the same requirements, and a fifth, `array`, a
//! `nengo.networks.EnsembleArray` whose passthrough nodes the reader folds,
//! and a sixth, `paths`, transforms through passthrough nodes.

use brainsim_io::nengo_file;
use brainsim_sim::nef::{NefSim, NodeOutput, Post, Pre, ProbeOf};
use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/nengo_replay/{name}"))
}

/// Nengo's record: spike pairs (step from 1, neuron) of probe `name`.
fn nengo_spikes(model: &str, name: &str) -> Vec<(usize, usize)> {
    let f = hdf5::File::open(fixture(&format!("{model}.ref.h5"))).unwrap();
    let v = f
        .dataset(&format!("spikes/{name}"))
        .unwrap()
        .read_raw::<i32>()
        .unwrap();
    v.chunks(2)
        .map(|p| (p[0] as usize, p[1] as usize))
        .collect()
}

/// Nengo's record of probe `name`, row after row.
fn nengo_values(model: &str, name: &str) -> Vec<f64> {
    let f = hdf5::File::open(fixture(&format!("{model}.ref.h5"))).unwrap();
    f.dataset(&format!("probes/{name}"))
        .unwrap()
        .read_raw::<f64>()
        .unwrap()
}

/// The exported scaled encoders of each ensemble, row-major.
fn exported_scaled_encoders(model: &str, n_ens: usize) -> Vec<Vec<f64>> {
    let f = hdf5::File::open(fixture(&format!("{model}.h5"))).unwrap();
    (0..n_ens)
        .map(|e| {
            f.dataset(&format!("ensembles/{e}/scaled_encoders"))
                .unwrap()
                .read_raw::<f64>()
                .unwrap()
        })
        .collect()
}

/// Runs `model` and compares it with Nengo's record; returns the spikes
/// compared and the largest decoded difference.
fn replay(model: &str) -> (usize, f64) {
    let (built, t_stop) = nengo_file::read(&fixture(&format!("{model}.h5"))).unwrap();
    let steps = (t_stop / built.spec.dt).round() as u64;
    assert_eq!(steps, 2000, "{model}: 2 s at 1 ms");
    // Nengo's currents come from its scaled encoders: ours must be its bits.
    for (e, want) in exported_scaled_encoders(model, built.ensembles.len())
        .iter()
        .enumerate()
    {
        let ours = built.ensembles[e].scaled_encoders().transpose();
        assert!(
            ours.as_slice()
                .iter()
                .zip(want)
                .all(|(a, b)| a.to_bits() == b.to_bits()),
            "{model}: ensemble {e}: scaled encoders differ from Nengo's"
        );
    }
    let mut sim = NefSim::new(&built);
    sim.run(steps);
    let (mut n_spikes, mut worst) = (0, 0.0f64);
    for (k, p) in built.spec.probes.iter().enumerate() {
        let rows = sim.rows(k);
        assert_eq!(rows.len() as u64, steps, "{model}: probe {}", p.name);
        match p.of {
            ProbeOf::Spikes(_) => {
                let ours: Vec<(usize, usize)> = rows
                    .iter()
                    .enumerate()
                    .flat_map(|(s, r)| {
                        r.iter()
                            .enumerate()
                            .filter(|(_, &v)| v > 0.0)
                            .map(move |(i, _)| (s + 1, i))
                    })
                    .collect();
                let theirs = nengo_spikes(model, &p.name);
                assert!(
                    theirs.len() > 1000,
                    "{model}: {}: Nengo's neurons fire",
                    p.name
                );
                if let Some(i) = (0..ours.len().min(theirs.len())).find(|&i| ours[i] != theirs[i]) {
                    panic!(
                        "{model}: {}: spike {i} (step, neuron) is {:?} here, {:?} in Nengo",
                        p.name, ours[i], theirs[i]
                    );
                }
                assert_eq!(
                    ours.len(),
                    theirs.len(),
                    "{model}: {}: spike counts",
                    p.name
                );
                n_spikes += ours.len();
            }
            _ => {
                let theirs = nengo_values(model, &p.name);
                let ours: Vec<f64> = rows.concat();
                // Voltages: the fixture keeps the first steps only.
                let whole = !matches!(p.of, ProbeOf::Voltage(_));
                assert!(theirs.len() <= ours.len() && (theirs.len() == ours.len() || !whole));
                assert!(
                    theirs.iter().any(|x| x.abs() > 0.2),
                    "{model}: {}: values",
                    p.name
                );
                let (mut same, mut here) = (0, 0.0f64);
                for (i, (a, b)) in ours.iter().zip(&theirs).enumerate() {
                    let d = (a - b).abs();
                    assert!(
                        d <= 1e-6,
                        "{model}: {}: value {i}: {a} here, {b} in Nengo",
                        p.name
                    );
                    here = here.max(d);
                    same += usize::from(a.to_bits() == b.to_bits());
                }
                eprintln!(
                    "{model}: {}: {same} of {} values bit for bit, the rest within {here:e}",
                    p.name,
                    theirs.len()
                );
                worst = worst.max(here);
            }
        }
    }
    eprintln!("{model}: {n_spikes} spikes as Nengo's; decoded values within {worst:e}");
    (n_spikes, worst)
}

#[test]
fn the_channel_replays_nengo() {
    replay("channel");
}

#[test]
fn the_integrator_replays_nengo() {
    replay("integrator");
}

#[test]
fn the_oscillator_replays_nengo() {
    replay("oscillator");
}

#[test]
fn slices_functions_neuron_weights_and_other_probes_replay_nengo() {
    replay("mixed");
}

/// Nengo's `EnsembleArray`: its input and output are passthrough nodes,
/// folded by the reader into direct connections (identity links: the
/// products are exact, so the requirements are the others').
#[test]
fn an_ensemble_array_through_passthrough_nodes_replays_nengo() {
    let (built, _) = nengo_file::read(&fixture("array.h5")).unwrap();
    let passthrough = built
        .spec
        .nodes
        .iter()
        .filter(|(_, o)| matches!(o, NodeOutput::Passthrough { dimensions: 3 }))
        .count();
    assert_eq!(passthrough, 2, "ea.input and ea.output");
    // The probe of ea.output (probe 0) sums one path per sub-ensemble.
    let fed = |k| {
        built
            .connections
            .iter()
            .filter(move |c| c.post == Post::Probe(k))
    };
    assert_eq!(fed(0).count(), 3);
    assert!(fed(0).all(|c| matches!(c.pre, Pre::Ensemble(1..=3))));
    let (spikes, worst) = replay("array");
    assert!(spikes > 10_000 && worst <= 1e-6);
}

/// Transforms through passthrough nodes (u -> P (2-D) -> A, A -> Q -> B):
/// the folded weights are products (`[1.3, 0.9] [0.7, 0.3]^T`, 0.9 x 1.1
/// times the decoders), rounded once where Nengo rounds each link.
#[test]
fn transforms_through_passthrough_nodes_replay_nengo() {
    let (built, _) = nengo_file::read(&fixture("paths.h5")).unwrap();
    let into_a = &built.connections[0];
    assert_eq!((into_a.pre, into_a.post), (Pre::Node(0), Post::Ensemble(0)));
    assert_eq!(into_a.weights.as_slice(), &[1.3 * 0.7 + 0.9 * 0.3]);
    let (spikes, worst) = replay("paths");
    assert!(spikes > 10_000 && worst <= 1e-6);
}
