//! Property tests of the connection rules: each rule makes exactly the
//! synapses its definition says, over all target chunks of a projection,
//! whatever the population sizes, chunk size, seed and autapse/multapse flags;
//! and every weight and delay lies in its distribution's support.

use std::collections::{BTreeSet, HashMap};

use proptest::prelude::*;

use super::*;
use crate::layout;
use crate::spec::test_specs::{network, projection};
use crate::spec::Distribution;

/// A synapse with its global source and target gids.
#[derive(Clone, Copy, Debug)]
struct Made {
    source: u32,
    target: u32,
    syn: RawSynapse,
}

/// One projection's setting, drawn by proptest; `rule` is set per test.
#[derive(Clone, Debug)]
struct Case {
    seed: u32,
    /// Sizes of populations 0 and 1.
    sizes: (u32, u32),
    chunk_size: usize,
    /// Projection 0 -> 0 (else 0 -> 1).
    same: bool,
    autapses: bool,
    multapses: bool,
    weight: Distribution,
    delay: Distribution,
}

fn weight_dist() -> impl Strategy<Value = Distribution> {
    prop_oneof![
        (-100.0..100.0f64).prop_map(Distribution::Constant),
        (-100.0..100.0f64, 0.0..50.0f64).prop_map(|(mean, std)| Distribution::Normal { mean, std }),
        (-100.0..100.0f64, 0.0..80.0f64)
            .prop_map(|(low, w)| Distribution::Uniform { low, high: low + w }),
        (-1.0..4.0f64, 0.0..1.0f64).prop_map(|(mu, sigma)| Distribution::Lognormal { mu, sigma }),
    ]
}

/// Delay distributions as validation allows them (constants and lower
/// bounds >= dt = 0.1 ms).
fn delay_dist() -> impl Strategy<Value = Distribution> {
    prop_oneof![
        (1u32..40).prop_map(|k| Distribution::Constant(f64::from(k) * 0.1)),
        (0.1..3.0f64, 0.0..0.7f64)
            .prop_map(|(low, w)| Distribution::Uniform { low, high: low + w }),
        (0.1..3.0f64, 0.0..1.5f64).prop_map(|(mean, std)| Distribution::Normal { mean, std }),
    ]
}

fn case() -> impl Strategy<Value = Case> {
    (
        any::<u32>(),
        (1u32..60, 1u32..60),
        1usize..25,
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        weight_dist(),
        delay_dist(),
    )
        .prop_map(
            |(seed, sizes, chunk_size, same, autapses, multapses, weight, delay)| Case {
                seed,
                sizes,
                chunk_size,
                same,
                autapses,
                multapses,
                weight,
                delay,
            },
        )
}

impl Case {
    fn spec(&self, rule: ConnRule) -> NetworkSpec {
        let mut spec = network(self.seed, &[self.sizes.0, self.sizes.1], self.chunk_size);
        let target = usize::from(!self.same);
        let mut p = projection(0, target, rule, self.weight.clone(), self.delay.clone());
        p.allow_autapses = self.autapses;
        p.allow_multapses = self.multapses;
        spec.projections.push(p);
        spec
    }
    fn n_sources(&self) -> u32 {
        self.sizes.0
    }
    fn n_targets(&self) -> u32 {
        if self.same {
            self.sizes.0
        } else {
            self.sizes.1
        }
    }
    /// 1 when a neuron may not connect to itself.
    fn own(&self) -> u32 {
        u32::from(self.same && !self.autapses)
    }
}

/// Every synapse of projection 0, generated chunk by chunk over all target
/// chunks (each with its share of a fixed total), as global gids.
fn generate_all(spec: &NetworkSpec) -> Vec<Made> {
    let chunks = layout::chunks(spec);
    let target = spec.projections[0].target;
    let split = split_total(spec, 0, &chunks);
    let mut out = Vec::new();
    for (nth, c) in chunks.iter().filter(|c| c.population == target).enumerate() {
        let mut raw = Vec::new();
        generate(spec, 0, c, split.get(nth).copied().unwrap_or(0), &mut raw);
        out.extend(raw.into_iter().map(|syn| Made {
            source: syn.source,
            target: c.first_gid + syn.target,
            syn,
        }));
    }
    out
}

/// Sources in the source population, targets in the target population,
/// no refused autapse, weights and delays in their support, receptor by sign.
fn check_common(spec: &NetworkSpec, made: &[Made]) -> Result<(), TestCaseError> {
    let p = &spec.projections[0];
    let (src, tgt) = (&spec.populations[p.source], &spec.populations[p.target]);
    let dt = spec.simulation.dt;
    for m in made {
        prop_assert!(src.gids().contains(&m.source), "source {}", m.source);
        prop_assert!(tgt.gids().contains(&m.target), "target {}", m.target);
        if p.source == p.target && !p.allow_autapses {
            prop_assert_ne!(m.source, m.target, "autapse");
        }
        check_weight(&p.weight, m.syn.weight)?;
        check_delay(&p.delay, dt, m.syn.delay_steps)?;
        prop_assert_eq!(m.syn.receptor, u8::from(m.syn.weight < 0.0));
    }
    Ok(())
}

/// A weight keeps the sign of its distribution's location and stays in the
/// support (as f32, the stored precision).
fn check_weight(d: &Distribution, w: f32) -> Result<(), TestCaseError> {
    match *d {
        Distribution::Constant(v) => prop_assert_eq!(w, v as f32),
        Distribution::Normal { mean, .. } => {
            prop_assert!(w == 0.0 || (w > 0.0) == (mean > 0.0), "{w} vs mean {mean}")
        }
        Distribution::Uniform { low, high } => {
            prop_assert!(
                w >= low as f32 && w <= high as f32,
                "{w} not in [{low}, {high}]"
            );
            let mid = 0.5 * (low + high);
            prop_assert!(mid == 0.0 || w == 0.0 || (w > 0.0) == (mid > 0.0));
        }
        Distribution::Lognormal { .. } => prop_assert!(w >= 0.0),
    }
    Ok(())
}

/// A delay is at least one step; bounded distributions stay within their
/// bounds rounded to steps.
fn check_delay(d: &Distribution, dt: f64, steps: u32) -> Result<(), TestCaseError> {
    prop_assert!(steps >= 1);
    let round = |ms: f64| ((ms / dt).round() as u32).max(1);
    match *d {
        Distribution::Constant(v) => prop_assert_eq!(steps, round(v)),
        Distribution::Uniform { low, high } => {
            prop_assert!(steps >= round(low) && steps <= round(high), "{steps}")
        }
        _ => {}
    }
    Ok(())
}

/// Synapses per key (a source or target gid).
fn count_by(made: &[Made], key: impl Fn(&Made) -> u32) -> HashMap<u32, u64> {
    let mut n = HashMap::new();
    for m in made {
        *n.entry(key(m)).or_insert(0) += 1;
    }
    n
}

/// The (source, target) pairs, asserting that none repeats.
fn unique_pairs(made: &[Made]) -> Result<BTreeSet<(u32, u32)>, TestCaseError> {
    let mut pairs = BTreeSet::new();
    for m in made {
        prop_assert!(pairs.insert((m.source, m.target)), "pair repeated: {:?}", m);
    }
    Ok(pairs)
}

/// Every (source, target) pair of the projection, minus refused autapses.
fn all_pairs(spec: &NetworkSpec) -> BTreeSet<(u32, u32)> {
    let p = &spec.projections[0];
    let (src, tgt) = (&spec.populations[p.source], &spec.populations[p.target]);
    let refuse = p.source == p.target && !p.allow_autapses;
    src.gids()
        .flat_map(|s| tgt.gids().map(move |t| (s, t)))
        .filter(|&(s, t)| !(refuse && s == t))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn fixed_indegree_gives_each_target_exactly_indegree(c in case(), k in 0u64..30) {
        let available = u64::from(c.n_sources() - c.own());
        let k = if available == 0 { 0 } else if c.multapses { k } else { k.min(available) };
        let spec = c.spec(ConnRule::FixedIndegree { indegree: k });
        let made = generate_all(&spec);
        check_common(&spec, &made)?;
        let per_target = count_by(&made, |m| m.target);
        let tgt = &spec.populations[spec.projections[0].target];
        for t in tgt.gids() {
            prop_assert_eq!(per_target.get(&t).copied().unwrap_or(0), k, "target {}", t);
        }
        if !c.multapses {
            unique_pairs(&made)?;
        }
    }

    #[test]
    fn fixed_outdegree_gives_each_source_exactly_outdegree_over_all_chunks(
        c in case(),
        k in 0u64..30,
    ) {
        let available = u64::from(c.n_targets() - c.own());
        let k = if available == 0 { 0 } else if c.multapses { k } else { k.min(available) };
        let spec = c.spec(ConnRule::FixedOutdegree { outdegree: k });
        let made = generate_all(&spec);
        check_common(&spec, &made)?;
        let per_source = count_by(&made, |m| m.source);
        for s in spec.populations[0].gids() {
            prop_assert_eq!(per_source.get(&s).copied().unwrap_or(0), k, "source {}", s);
        }
        if !c.multapses {
            unique_pairs(&made)?;
        }
    }

    /// Without multapses N is kept to a quarter of the pairs: a chunk's
    /// share of the multinomial split must fit its own pairs (validation
    /// only bounds N by all pairs of the projection).
    #[test]
    fn fixed_total_number_splits_and_makes_exactly_n(c in case(), n in 0u64..400) {
        let pairs = u64::from(c.n_sources()) * u64::from(c.n_targets())
            - u64::from(c.own()) * u64::from(c.n_sources());
        let n = if pairs == 0 { 0 } else if c.multapses { n } else { n.min(pairs / 4) };
        let spec = c.spec(ConnRule::FixedTotalNumber { n });
        let chunks = layout::chunks(&spec);
        let split = split_total(&spec, 0, &chunks);
        let target = spec.projections[0].target;
        prop_assert_eq!(split.len(), chunks.iter().filter(|c| c.population == target).count());
        prop_assert_eq!(split.iter().sum::<u64>(), n);
        let made = generate_all(&spec);
        prop_assert_eq!(made.len() as u64, n);
        check_common(&spec, &made)?;
        // Each chunk made its own share.
        for (ci, share) in chunks.iter().filter(|c| c.population == target).zip(&split) {
            let here = made.iter().filter(|m| ci.gids().contains(&m.target)).count() as u64;
            prop_assert_eq!(here, *share);
        }
        if !c.multapses {
            unique_pairs(&made)?;
        }
    }

    #[test]
    fn one_to_one_maps_source_i_to_target_i(mut c in case()) {
        // Equal sizes, as validation requires.
        c.sizes.1 = c.sizes.0;
        let spec = c.spec(ConnRule::OneToOne);
        let made = generate_all(&spec);
        check_common(&spec, &made)?;
        let (s0, t0) = (spec.populations[0].first_gid, spec.populations[spec.projections[0].target].first_gid);
        let got: Vec<(u32, u32)> = made.iter().map(|m| (m.source - s0, m.target - t0)).collect();
        let want: Vec<(u32, u32)> = if c.own() == 1 {
            Vec::new()
        } else {
            (0..c.sizes.0).map(|i| (i, i)).collect()
        };
        prop_assert_eq!(got, want);
    }

    #[test]
    fn all_to_all_makes_every_pair_once(c in case()) {
        let spec = c.spec(ConnRule::AllToAll);
        let made = generate_all(&spec);
        check_common(&spec, &made)?;
        prop_assert_eq!(unique_pairs(&made)?, all_pairs(&spec));
    }

    /// p = 0: nothing; p = 1: exactly all_to_all's pairs; any p: no pair twice.
    #[test]
    fn pairwise_bernoulli_spans_nothing_to_all_to_all(c in case(), p in 0.0..1.0f64) {
        let none = c.spec(ConnRule::PairwiseBernoulli { p: 0.0 });
        prop_assert!(generate_all(&none).is_empty());

        let full = c.spec(ConnRule::PairwiseBernoulli { p: 1.0 });
        let made = generate_all(&full);
        check_common(&full, &made)?;
        let dense = generate_all(&c.spec(ConnRule::AllToAll));
        prop_assert_eq!(unique_pairs(&made)?, unique_pairs(&dense)?);

        let some = c.spec(ConnRule::PairwiseBernoulli { p });
        let made = generate_all(&some);
        check_common(&some, &made)?;
        unique_pairs(&made)?;
    }
}
