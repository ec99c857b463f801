//! Memory estimate of a network before anything is allocated, so a run that
//! cannot fit is refused with the estimate instead of dying half-way.

use crate::connect::expected_synapses;
use crate::layout;
use crate::model;
use crate::spec::NetworkSpec;

/// What `estimate` predicts.
#[derive(Clone, Debug, PartialEq)]
pub struct MemoryEstimate {
    /// Expected synapses of the whole network.
    pub synapses: f64,
    /// Expected peak bytes on one rank.
    pub bytes: f64,
}

/// Expected peak bytes on one rank holding a `fraction` of the chunks, with
/// `threads` chunks being built at once.
pub fn estimate(spec: &NetworkSpec, fraction: f64, threads: usize) -> MemoryEstimate {
    let synapses: f64 = (0..spec.projections.len())
        .map(|p| expected_synapses(spec, p))
        .sum();
    let n = spec.n_neurons() as f64;
    let n_chunks = layout::chunks(spec).len() as f64;
    let per_neuron: f64 = spec
        .populations
        .iter()
        .map(|p| {
            let m = model::lookup(&p.model);
            let state = m.map(|m| m.bytes_per_neuron).unwrap_or(64) as f64;
            // Ring buffer allowance: 2 lanes x 64 slots x 8 bytes (entries are
            // 4-byte i32, so this covers 2 lanes x 128 slots), plus input scratch.
            (state + 2.0 * 64.0 * 8.0 + 32.0) * f64::from(p.size)
        })
        .sum();
    // Synapses (8 B: the wide layout; packed ones take 5) + row index (4 B per gid per chunk) + build scratch of the
    // chunks in flight (12 B per synapse of a chunk).
    let per_chunk_syn = if n_chunks > 0.0 {
        synapses / n_chunks
    } else {
        0.0
    };
    let bytes = fraction * (synapses * 8.0 + n_chunks * (n + 1.0) * 4.0 + per_neuron)
        + threads as f64 * per_chunk_syn * 12.0 * 2.0;
    MemoryEstimate { synapses, bytes }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::spec::test_specs::{network, projection};
    use crate::spec::{ConnRule, Distribution};
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
            (1, 0, ConnRule::FixedOutdegree { outdegree: 5 }),
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

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]

        /// For rules that fix the count, the expected number is the number.
        #[test]
        fn expected_synapses_of_deterministic_rules_are_exact(
            seed in any::<u32>(),
            sizes in (8u32..80, 8u32..80),
            chunk_size in 1usize..40,
        ) {
            let spec = deterministic(seed, sizes, chunk_size);
            let net = built(&spec);
            let est = estimate(&spec, 1.0, 2);
            prop_assert_eq!(est.synapses, net.n_synapses() as f64);
        }
    }

    /// Pairwise Bernoulli: the built count is within 5 standard deviations
    /// of the expected one (binomial over the pairs), for several seeds.
    #[test]
    fn expected_bernoulli_synapses_are_the_mean() {
        for seed in 1..6 {
            let mut spec = network(seed, &[300, 200], 64);
            for (s, t, p) in [(0, 1, 0.1), (1, 1, 0.3), (0, 0, 0.02)] {
                let rule = ConnRule::PairwiseBernoulli { p };
                let mut proj = projection(
                    s,
                    t,
                    rule,
                    Distribution::Constant(1.0),
                    Distribution::Constant(1.0),
                );
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
            let expected = estimate(&spec, 1.0, 2).synapses;
            let got = built(&spec).n_synapses() as f64;
            assert!(
                (got - expected).abs() < 5.0 * variance.sqrt(),
                "seed {seed}: {got} vs {expected}"
            );
        }
    }

    /// The byte estimate assumes 8-byte synapses and a dense row index per
    /// chunk, the most a store takes (5 bytes when packed, sparse index
    /// smaller), so it bounds the built stores of a whole-network rank
    /// (stores below BigBuf's mapping threshold: larger ones are rounded up
    /// to whole huge pages), and it shrinks with the rank's fraction.
    #[test]
    fn estimated_bytes_bound_the_built_stores() {
        let spec = deterministic(7, (150, 90), 32);
        let net = built(&spec);
        let full = estimate(&spec, 1.0, 2);
        assert!(
            net.synapse_bytes() as f64 <= full.bytes,
            "{} > {}",
            net.synapse_bytes(),
            full.bytes
        );
        let half = estimate(&spec, 0.5, 2);
        assert!(half.bytes < full.bytes && half.synapses == full.synapses);
    }
}
