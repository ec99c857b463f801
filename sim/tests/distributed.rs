//! The distributed epoch loop in one process: P in-process ranks (threads,
//! `LocalComm`) each build their chunks, agree on the delays and the exchange
//! epoch, set up the routes and exchange spikes every epoch. The union of
//! their spikes must equal a one-rank run's, bit for bit, for P = 1..4 and
//! placements whose cut synapses have short or only long delays.

mod common;
use brainsim_sim::comm::local::run_ranks;
use brainsim_sim::spec::*;
use common::ranks::{run_rank, union};
use common::*;

/// Two E/I modules: 1 ms delays inside a module, 4 ms between them.
fn two_modules() -> NetworkSpec {
    let lif = [("E_L", 0.0), ("V_th", 20.0), ("V_reset", 10.0)];
    let mut spec = network(
        simulation(0.1, 200.0),
        vec![
            population("A", 256, "iaf_psc_exp", &lif),
            population("B", 256, "iaf_psc_exp", &lif),
        ],
    );
    spec.simulation.chunk_size = 64;
    let w = |mean| Distribution::Normal { mean, std: 5.0 };
    let mut p = |s, t, k, weight, d| {
        spec.projections.push(projection(
            s,
            t,
            ConnRule::FixedIndegree { indegree: k },
            weight,
            Distribution::Constant(d),
        ))
    };
    p(0, 0, 40, w(30.0), 1.0);
    p(1, 1, 40, w(30.0), 1.0);
    p(0, 1, 10, w(-60.0), 4.0);
    p(1, 0, 10, w(-60.0), 4.0);
    for target in 0..2 {
        spec.stimuli.push(StimulusSpec {
            kind: StimulusKind::PoissonGenerator {
                rate: 16000.0,
                weight: 40.0,
                delay: 1.0,
            },
            target,
            node_ids: None,
            receptor: Receptor::BySign,
        });
    }
    spec
}

#[test]
fn spikes_are_identical_on_1_to_4_in_process_ranks() {
    let spec = two_modules();
    let (reference, _) = run(&spec, 2);
    assert!(reference.len() > 2000, "too quiet: {}", reference.len());
    for p in 1..=4usize {
        let runs = run_ranks(p, |comm| run_rank(&spec, comm, &|c| c.index % p));
        assert_eq!(union(&runs), reference, "round robin over {p} ranks");
        // Round robin cuts the 1 ms synapses: the epoch is one local
        // interval; on one rank nothing crosses (the epoch cap, 100 steps).
        let want = if p == 1 { 100 } else { 10 };
        assert!(runs.iter().all(|r| r.epoch_steps == want), "p {p}");
        if p > 1 {
            assert!(runs.iter().all(|r| r.sent > 0), "every rank sends");
        }
    }
}

#[test]
fn epoch_is_the_shortest_delay_crossing_ranks() {
    let spec = two_modules();
    let (reference, _) = run(&spec, 2);
    // Module A on rank 0, module B on rank 1: only the 4 ms synapses cross.
    let runs = run_ranks(2, |comm| run_rank(&spec, comm, &|c| c.population));
    assert_eq!(runs[0].epoch_steps, 40);
    assert_eq!(runs[1].epoch_steps, 40);
    assert_eq!(union(&runs), reference);
    // Three ranks, one holding nothing but part of B: still exact.
    let runs = run_ranks(3, |comm| {
        run_rank(&spec, comm, &|c| {
            if c.population == 0 {
                0
            } else {
                1 + c.index % 2
            }
        })
    });
    assert_eq!(runs[0].epoch_steps, 10, "B's 1 ms synapses cross ranks 1-2");
    assert_eq!(union(&runs), reference);
}

#[test]
fn each_rank_sends_only_spikes_with_targets_elsewhere() {
    let spec = two_modules();
    let runs = run_ranks(2, |comm| run_rank(&spec, comm, &|c| c.population));
    // Every neuron of A has targets in B (10 of 256 sources per target: each
    // source is chosen ~10 times), so each spike is sent once.
    for r in &runs {
        let own = r.spikes.len() as u64;
        assert!(
            r.sent <= own && r.sent as f64 > 0.9 * own as f64,
            "{} of {own}",
            r.sent
        );
    }
}
