//! The estimate's components against networks built in-process: synapse
//! counts, store bytes, layout and row-index predictions, ring bytes.

use proptest::prelude::*;

use super::*;
use crate::spec::test_specs::{network, projection};
use crate::spec::{ConnRule, Distribution, StimulusSpec};
use crate::{InProcess, Network};

/// Two populations with one projection per deterministic rule (and
/// autapses refused on the self-projections).
fn deterministic(seed: u32, sizes: (u32, u32), chunk_size: usize) -> NetworkSpec {
    let mut spec = network(seed, &[sizes.0, sizes.1], chunk_size);
    let w = Distribution::Normal {
        mean: 20.0,
        std: 5.0,
    };
    let d = Distribution::Constant(1.0);
    let rules = [
        (0, 0, ConnRule::AllToAll),
        (1, 1, ConnRule::OneToOne),
        (0, 1, ConnRule::FixedIndegree { indegree: 7 }),
        (1, 1, ConnRule::FixedTotalNumber { n: 321 }),
    ];
    for (s, t, rule) in rules {
        let mut p = projection(s, t, rule, w.clone(), d.clone());
        p.allow_autapses = s != t;
        spec.projections.push(p);
    }
    spec
}

fn built(spec: &NetworkSpec) -> Network {
    Network::build(spec, &|_| true, &mut InProcess)
}

fn constant(v: f64) -> Distribution {
    Distribution::Constant(v)
}

/// Asserts the predictions that must hold for any spec: a predicted packed
/// store is packed, a predicted sparse index is sparse, and the estimated
/// store bytes, summed over the chunks whose layout was predicted, are at
/// least the built ones. (Per chunk the estimate is a 3-sigma bound that a
/// chunk exceeds with probability ~0.1%; the sum of such bounds is far
/// beyond 3 sigma of the sum, which is what the memory check relies on.)
fn assert_sound(spec: &NetworkSpec, net: &Network) -> Result<(), TestCaseError> {
    let est = estimate_network(spec);
    let (mut estimated, mut built) = (0, 0);
    for (c, e) in net.chunks.iter().zip(&est.per_chunk) {
        let s = &c.synapses;
        prop_assert!(!e.packed || s.is_packed(), "chunk {}: packed", c.info.index);
        prop_assert!(e.dense_index || s.is_sparse(), "chunk {}", c.info.index);
        if e.packed == s.is_packed() && e.dense_index != s.is_sparse() {
            estimated += e.synapse_bytes + e.index_bytes;
            built += s.bytes();
        }
    }
    prop_assert!(estimated >= built, "{estimated} < {built}");
    Ok(())
}

proptest! {
    // The bounds hold with a stated probability (a 3-sigma count, a tail at
    // 1 / (100 n) for n draws), not always: the cases are drawn from a fixed
    // seed so the test is reproducible; a new seed may find a legitimate miss.
    #![proptest_config(ProptestConfig {
        cases: 24,
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x5eed_2026),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Deterministic rules: the count of every chunk is exact.
    #[test]
    fn synapse_counts_of_deterministic_rules_are_exact(
        seed in any::<u32>(),
        sizes in (8u32..80, 8u32..80),
        chunk_size in 1usize..40,
    ) {
        let spec = deterministic(seed, sizes, chunk_size);
        let net = built(&spec);
        let est = estimate_network(&spec);
        for (c, e) in net.chunks.iter().zip(&est.per_chunk) {
            prop_assert_eq!(e.synapses, c.synapses.len() as f64);
            prop_assert_eq!(e.synapses_high, e.synapses);
        }
        assert_sound(&spec, &net)?;
    }

    /// Random weights, delays and in-degrees: the layout and index
    /// predictions are never optimistic.
    #[test]
    fn predictions_are_never_optimistic(
        seed in any::<u32>(),
        indegree in 1u64..60,
        mean in -300.0f64..300.0,
        std in 0.0f64..100.0,
        delay in 0.1f64..30.0,
        rate in 0.0f64..50_000.0,
    ) {
        let mut spec = network(seed, &[300, 120], 64);
        let w = Distribution::Normal { mean, std };
        let d = Distribution::Normal { mean: delay, std: delay / 3.0 };
        spec.projections.push(projection(0, 1, ConnRule::FixedIndegree { indegree }, w.clone(), d.clone()));
        spec.projections.push(projection(1, 0, ConnRule::PairwiseBernoulli { p: 0.05 }, w, d));
        spec.stimuli.push(poisson(1, rate));
        let net = built(&spec);
        assert_sound(&spec, &net)?;
        let est = estimate_network(&spec);
        let (e, n) = (est.max_delay_steps, net.max_delay);
        prop_assert!(e >= n, "{e} < {n}");
    }
}

fn poisson(target: usize, rate: f64) -> StimulusSpec {
    StimulusSpec {
        kind: StimulusKind::PoissonGenerator {
            rate,
            weight: 30.0,
            delay: 1.0,
        },
        target,
        node_ids: None,
        receptor: crate::spec::Receptor::BySign,
    }
}

/// Pairwise Bernoulli: the built count is within 5 standard deviations
/// of the expected one (binomial over the pairs), for several seeds, and
/// below the per-chunk upper bounds.
#[test]
fn expected_bernoulli_synapses_are_the_mean() {
    for seed in 1..6 {
        let mut spec = network(seed, &[300, 200], 64);
        for (s, t, p) in [(0, 1, 0.1), (1, 1, 0.3), (0, 0, 0.02)] {
            let rule = ConnRule::PairwiseBernoulli { p };
            let mut proj = projection(s, t, rule, constant(1.0), constant(1.0));
            proj.allow_autapses = s != t;
            spec.projections.push(proj);
        }
        let variance: f64 = [
            (300.0 * 200.0, 0.1),
            (200.0 * 199.0, 0.3),
            (300.0 * 299.0, 0.02),
        ]
        .iter()
        .map(|&(pairs, p)| pairs * p * (1.0 - p))
        .sum();
        let est = estimate_network(&spec);
        let expected: f64 = est.per_chunk.iter().map(|e| e.synapses).sum();
        let net = built(&spec);
        let got = net.n_synapses() as f64;
        assert!(
            (got - expected).abs() < 5.0 * variance.sqrt(),
            "seed {seed}: {got} vs {expected}"
        );
        for (c, e) in net.chunks.iter().zip(&est.per_chunk) {
            assert!(c.synapses.len() as f64 <= e.synapses_high);
        }
    }
}

/// Constant weights and delays, many synapses per target: the store is
/// packed, the index dense, and the estimate is the built bytes exactly.
#[test]
fn store_bytes_of_a_deterministic_network_are_exact() {
    let mut spec = network(3, &[200, 150], 32);
    for (s, t, rule) in [
        (0, 1, ConnRule::AllToAll),
        (1, 0, ConnRule::FixedIndegree { indegree: 60 }),
        (1, 1, ConnRule::FixedTotalNumber { n: 5000 }),
    ] {
        spec.projections
            .push(projection(s, t, rule, constant(10.0), constant(2.0)));
    }
    let net = built(&spec);
    let est = estimate_network(&spec);
    for (c, e) in net.chunks.iter().zip(&est.per_chunk) {
        assert!(e.packed && c.synapses.is_packed(), "chunk {}", c.info.index);
        assert!(e.dense_index && !c.synapses.is_sparse());
        assert_eq!(e.synapse_bytes + e.index_bytes, c.synapses.bytes());
    }
    let b = est.rank_breakdown(&spec, &|_| true, 2, 1);
    assert!(b.phase_bytes(Phase::Always) as u64 >= net.synapse_bytes());
}

/// A chunk whose sources are a small population of a large network gets a
/// sparse index, one fed by most of the network a dense one — predicted as
/// built.
#[test]
fn row_index_choice_is_predicted() {
    // P0: 40 neurons, P1: 2000, P2: 100 (targets).
    let mut spec = network(5, &[40, 2000, 100], 50);
    let mut few = projection(0, 2, ConnRule::AllToAll, constant(5.0), constant(1.0));
    few.allow_autapses = true;
    spec.projections.push(few);
    let many = ConnRule::FixedIndegree { indegree: 2000 };
    spec.projections
        .push(projection(1, 1, many, constant(1.0), constant(1.0)));
    let net = built(&spec);
    let est = estimate_network(&spec);
    let mut kinds = (0, 0);
    for (c, e) in net.chunks.iter().zip(&est.per_chunk) {
        assert_eq!(
            e.dense_index,
            !c.synapses.is_sparse(),
            "chunk {}",
            c.info.index
        );
        if e.dense_index {
            kinds.0 += 1;
        } else {
            kinds.1 += 1;
            if c.info.population == 2 {
                // all_to_all: the sources are exact, so is the index.
                assert_eq!(e.sources, 40.0);
            }
        }
    }
    assert!(kinds.0 > 0 && kinds.1 > 0, "{kinds:?}");
}

/// Ring bytes are the arena's real size, from a small ring in a Vec to one
/// of long delays in whole huge pages.
#[test]
fn ring_bytes_are_the_arenas() {
    for (high, lanes_apart) in [(1.0, false), (3.0, true), (200.0, false)] {
        let mut spec = network(9, &[700, 300], 128);
        if lanes_apart {
            spec.populations[1].params.insert("tau_syn_in".into(), 1.0);
        }
        let d = Distribution::Uniform { low: 0.5, high };
        let rule = ConnRule::FixedIndegree { indegree: 20 };
        spec.projections
            .push(projection(0, 1, rule.clone(), constant(5.0), d.clone()));
        spec.projections
            .push(projection(1, 0, rule, constant(-5.0), d));
        let net = built(&spec);
        let est = estimate_network(&spec);
        assert_eq!(est.ring_slots, net.ring_slots, "delays up to {high} ms");
        let b = est.rank_breakdown(&spec, &|_| true, 1, 1);
        let ring = b.components.iter().find(|c| c.name == "ring buffers");
        assert_eq!(ring.unwrap().bytes, net.ring_bytes() as f64);
    }
}

/// A rank's share: the components over the chunks of half the network
/// are smaller than over all of it, and the transient phases are counted
/// once (the largest), not summed.
#[test]
fn breakdown_adds_the_largest_transient() {
    let spec = deterministic(7, (150, 90), 32);
    let est = estimate_network(&spec);
    let mut all = est.rank_breakdown(&spec, &|_| true, 2, 1);
    let half = est.rank_breakdown(&spec, &|c| c.index % 2 == 0, 2, 2);
    assert!(half.phase_bytes(Phase::Always) < all.phase_bytes(Phase::Always));
    let transient = [Phase::Build, Phase::Run].map(|p| all.phase_bytes(p));
    let network = all.phase_bytes(Phase::Always) + transient[0].max(transient[1]);
    assert_eq!(all.total(), network);
    all.add("baseline", Phase::Process, 10.0);
    all.add("graph", Phase::Partition, network - 1.0);
    assert_eq!(all.total(), 10.0 + network);
    all.add("graph", Phase::Partition, 2.0);
    assert_eq!(all.total(), 10.0 + network + 1.0);
    let net = built(&spec);
    assert!(all.phase_bytes(Phase::Always) >= net.synapse_bytes() as f64);
}
