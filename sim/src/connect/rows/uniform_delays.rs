//! Bernoulli rows whose synapses share one weight and draw their delays
//! uniformly from [low, high] with both ends above dt (the long-range and
//! local projections of `configs/spaun_scale.toml`): procedural delivery
//! asks for the targets and the delays only (`RowGen::row_delays`), and
//! the delays are computed 32 at a time from 32 words, in a loop that
//! vectorises, instead of one `DelaySampler::sample_steps` per synapse.
//!
//! Invariant (the same synapses as `RowGen::row`): the targets come from
//! the same `bernoulli_targets`; synapse j's delay takes word j of the
//! row's synapse stream (`SUB_SYNAPSES`), as `Stream::uniform32` takes it,
//! through the same operations as `sample_steps` (low plus (high minus
//! low) times u, then `dist::steps_of`'s, as `steps_of_finite`). The weight, being a constant,
//! draws no word; no delay is redrawn, since both ends exceed dt by more
//! than that sum's rounding can take.

use super::{RowGen, RowKind, RowScratch, SUB_ROW, SUB_SYNAPSES};
use crate::connect::RawSynapse;
use crate::dist::steps_of_finite;
use crate::rng::{unit32, Stream, BATCH_WORDS};
use crate::twice::Width;

/// The delay law of such rows (see the module doc).
#[derive(Clone, Copy, Debug)]
pub struct UniformDelays {
    low: f64,
    high: f64,
    dt: f64,
}

impl RowGen {
    /// The synapse every row's synapses share but for target and delay
    /// (its weight and receptor), and their delay law, when the rows are
    /// Bernoulli rows of one weight and delays uniform above dt; else None.
    pub fn uniform_delays(&self) -> Option<(RawSynapse, UniformDelays)> {
        let RowKind::Bernoulli { .. } = self.kind else {
            return None;
        };
        let (low, high, dt) = self.delay.uniform()?;
        // Margin: low + (high - low) u is within a few ulps of [low, high].
        let above = |x: f64| x > dt * (1.0 + 1e-9);
        if !self.weight.is_constant() || !above(low) || !above(high) {
            return None;
        }
        let mut s = Stream::new(0, 0, 0, 0);
        let (receptor, w) = self.router.route(self.weight.sample(&mut s));
        let synapse = RawSynapse {
            source: 0,
            target: 0,
            receptor: receptor as u8,
            delay_steps: 0,
            weight: w as f32,
        };
        Some((synapse, UniformDelays { low, high, dt }))
    }

    /// The synapses of `sg`'s row as target indices and delays in steps,
    /// in `row`'s order, up to `BATCH_WORDS` per call of `emit`, for rows
    /// of `uniform_delays`'s law `law`.
    #[inline]
    pub fn row_delays(
        &self,
        sg: u32,
        scratch: &mut RowScratch,
        law: &UniformDelays,
        mut emit: impl FnMut(&[u32], &[u32]),
    ) {
        let RowKind::Bernoulli { all, less } = &self.kind else {
            unreachable!("uniform_delays is Some only for Bernoulli rows")
        };
        let s = Stream::new_with(self.seed, self.stream, sg, SUB_ROW, self.chunk.index as u32);
        let own = self.self_index(sg);
        let k = self.bernoulli_targets(s, if own.is_some() { less } else { all }, own, scratch);
        let mut ws = Stream::new_with(
            self.seed,
            self.stream,
            sg,
            SUB_SYNAPSES,
            self.chunk.index as u32,
        );
        let (mut words, mut steps) = ([0u32; BATCH_WORDS], [0u32; BATCH_WORDS]);
        let width = crate::twice::widest();
        for targets in scratch.picked[..k].chunks(BATCH_WORDS) {
            ws.next_words(&mut words);
            delays(law, width, &words, &mut steps);
            emit(targets, &steps[..targets.len()]);
        }
    }
}

/// 32 delays in steps from 32 words, in the vectors of `width`.
#[inline]
fn delays(
    law: &UniformDelays,
    width: Width,
    words: &[u32; BATCH_WORDS],
    steps: &mut [u32; BATCH_WORDS],
) {
    let (low, span, dt) = (law.low, law.high - law.low, law.dt);
    crate::twice::call_at!(width;
        delays_portable, delays_avx2, delays_avx512(low, span, dt, words, steps));
}

crate::twice::portable_and_avx2! {
    /// 32 delays in steps from 32 words (see the invariant): the divide
    /// and the conversion are a quarter of a procedural row's cost, 8 at a
    /// time in AVX-512 against 2 in the baseline's SSE2.
    fn delays_portable / delays_avx2 / delays_avx512(
        low: f64,
        span: f64,
        dt: f64,
        words: &[u32; BATCH_WORDS],
        steps: &mut [u32; BATCH_WORDS],
    ) {
        for (d, &w) in steps.iter_mut().zip(words) {
            *d = steps_of_finite(low + span * unit32(w), dt);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout;
    use crate::spec::test_specs::{network, projection};
    use crate::spec::{ConnRule, Distribution};

    /// Every row of a pairwise_bernoulli projection of one weight and
    /// uniform delays (onto another population, and onto its own with
    /// autapses refused), through `row_delays`, is `row`'s row: the same
    /// targets in the same order, the same delays, weight and receptor.
    #[test]
    fn row_delays_give_rows_synapses() {
        let uniform = Distribution::Uniform {
            low: 0.5,
            high: 2.45,
        };
        for (target, autapses, w) in [(1, true, 87.8), (0, false, -482.9)] {
            let mut spec = network(7, &[300, 500], 128);
            let rule = ConnRule::PairwiseBernoulli { p: 0.2 };
            let mut p = projection(0, target, rule, Distribution::Constant(w), uniform.clone());
            p.allow_autapses = autapses;
            spec.projections.push(p);
            let (mut a, mut b) = (RowScratch::default(), RowScratch::default());
            let mut synapses = 0;
            for c in layout::chunks(&spec)
                .iter()
                .filter(|c| c.population == target)
            {
                let g = RowGen::new(&spec, 0, c, 0);
                let (s, law) = g.uniform_delays().expect("one weight, delays above dt");
                for sg in 0..300 {
                    let mut want = Vec::new();
                    g.row(sg, &mut a, |r| want.push(r));
                    let mut got = Vec::new();
                    g.row_delays(sg, &mut b, &law, |targets, delays| {
                        assert_eq!(targets.len(), delays.len());
                        got.extend(targets.iter().zip(delays).map(|(&i, &d)| RawSynapse {
                            source: sg,
                            target: i,
                            delay_steps: d,
                            ..s
                        }))
                    });
                    assert_eq!(got, want, "source {sg}, chunk {}", c.index);
                    synapses += want.len();
                }
            }
            // Near 0.2 x 300 x targets: the comparison saw full rows.
            assert!(synapses > 15_000, "{synapses}");
        }
    }

    /// Every vector width the CPU has computes `steps_of`'s delays
    /// (`sample_steps`' operations) from the same words.
    #[test]
    fn every_width_gives_the_scalar_delays() {
        let mut s = Stream::new(9, 8, 7, 6);
        let mut words = [0u32; BATCH_WORDS];
        for (low, high, dt) in [(0.5, 1.5, 0.1), (2.0, 4.0, 0.1), (0.15, 7.3, 0.05)] {
            let law = UniformDelays { low, high, dt };
            for width in crate::twice::available() {
                for _ in 0..1000 {
                    s.next_words(&mut words);
                    let mut steps = [0u32; BATCH_WORDS];
                    delays(&law, width, &words, &mut steps);
                    for (&w, &d) in words.iter().zip(&steps) {
                        let want = crate::dist::steps_of(low + (high - low) * unit32(w), dt);
                        assert_eq!(d, want, "{width:?}, word {w}");
                    }
                }
            }
        }
    }

    /// Rows of random weights, of delays reaching down to dt, or of
    /// another rule are not taken.
    #[test]
    fn only_one_weight_and_delays_above_dt_are_taken() {
        let cases = [
            (
                Distribution::Normal {
                    mean: 1.0,
                    std: 0.1,
                },
                0.5,
                ConnRule::PairwiseBernoulli { p: 0.2 },
            ),
            (
                Distribution::Constant(1.0),
                0.1,
                ConnRule::PairwiseBernoulli { p: 0.2 },
            ),
            (Distribution::Constant(1.0), 0.5, ConnRule::AllToAll),
        ];
        for (weight, low, rule) in cases {
            let mut spec = network(7, &[30, 50], 16);
            let delay = Distribution::Uniform { low, high: 1.5 };
            spec.projections.push(projection(0, 1, rule, weight, delay));
            let c = layout::chunks(&spec)
                .into_iter()
                .find(|c| c.population == 1)
                .expect("a target chunk");
            assert!(RowGen::new(&spec, 0, &c, 0).uniform_delays().is_none());
        }
    }
}
