//! Plastic networks: a Brunel-like E/I network whose E -> E synapses are
//! plastic (`stdp_pl_synapse_hom` with hpc_benchmark's parameters, with
//! delays of 1-3 ms and with one delay — its fast path, `plastic::pl_hom` —
//! and `stdp_synapse`, `stdp_nn_symm_synapse`, `tsodyks2_synapse`) gives the same
//! spikes and the same final weights, bit for bit, on 1-3 threads and 1-3
//! in-process ranks with two placements; and every final weight is what
//! the NEST-validated rule (`tests/nest_plasticity.rs`) gives when replayed
//! on the run's own pre- and post-synaptic spikes — so the network applies
//! the rule to the right spikes, with the right delays, in the right order.

mod common;

use brainsim_sim::comm::local::run_ranks;
use brainsim_sim::plastic::rules::{PlHomParams, StdpParams, Tsodyks2Params};
use brainsim_sim::plastic::{Clock, Delay, History, PreSpike, Rule};
use brainsim_sim::spec::*;
use brainsim_sim::Spike;
use common::ranks::{run_rank, union, RankRun};
use common::*;

const STDP: StdpParams = StdpParams {
    tau_plus: 20.0,
    lambda: 0.05,
    alpha: 1.1,
    mu_plus: 0.4,
    mu_minus: 0.4,
    w_max: 90.0,
};

const PL_HOM: Rule = Rule::StdpPlHom(PlHomParams {
    tau_plus: 15.0,
    inv_tau_plus: 1.0 / 15.0,
    lambda: 0.1,
    alpha: 0.0513,
    mu: 0.4,
});

/// (name, rule, whether every E -> E synapse has the same delay).
fn rules() -> Vec<(&'static str, Rule, bool)> {
    vec![
        ("stdp_pl_synapse_hom", PL_HOM, false),
        ("stdp_pl_synapse_hom (one delay)", PL_HOM, true),
        ("stdp_synapse", Rule::Stdp(STDP), false),
        ("stdp_nn_symm_synapse", Rule::StdpNnSymm(STDP), false),
        (
            "tsodyks2_synapse",
            Rule::Tsodyks2(Tsodyks2Params {
                u_inc: 0.3,
                tau_rec: 200.0,
                tau_fac: 50.0,
            }),
            false,
        ),
    ]
}

/// 400 E and 100 I iaf_psc_exp neurons (tau_minus 30 ms on E), fixed
/// in-degree 40 from E (plastic E -> E, 45 pA, delays 1-3 ms, or 1.5 ms when
/// `one_delay`) and 10 from I, Poisson drive; 300 ms.
fn plastic_brunel(rule: Rule, one_delay: bool) -> NetworkSpec {
    let params = [
        ("E_L", 0.0),
        ("V_th", 20.0),
        ("V_reset", 10.0),
        ("tau_m", 20.0),
        ("tau_syn_ex", 0.5),
        ("tau_syn_in", 0.5),
    ];
    let mut e = population("E", 400, "iaf_psc_exp", &params);
    e.params.insert("tau_minus".into(), 30.0);
    let i = population("I", 100, "iaf_psc_exp", &params);
    let mut spec = network(simulation(0.1, 300.0), vec![e, i]);
    let delay = Distribution::Uniform {
        low: 1.0,
        high: 3.0,
    };
    let ee_delay = if one_delay {
        Distribution::Constant(1.5)
    } else {
        delay.clone()
    };
    let mut ee = projection(
        0,
        0,
        ConnRule::FixedIndegree { indegree: 40 },
        Distribution::Constant(45.0),
        ee_delay,
    );
    ee.plastic = Some(PlasticSpec {
        rule,
        kplus: 0.0,
        u: 0.3,
        x: 1.0,
    });
    spec.projections.push(ee);
    spec.projections.push(projection(
        0,
        1,
        ConnRule::FixedIndegree { indegree: 40 },
        Distribution::Constant(45.0),
        delay.clone(),
    ));
    for target in [0, 1] {
        spec.projections.push(projection(
            1,
            target,
            ConnRule::FixedIndegree { indegree: 10 },
            Distribution::Constant(-200.0),
            delay.clone(),
        ));
        spec.stimuli.push(StimulusSpec {
            kind: StimulusKind::PoissonGenerator {
                rate: 11000.0,
                weight: 50.0,
                delay: 1.0,
            },
            target,
            node_ids: None,
            receptor: Receptor::BySign,
        });
    }
    spec
}

/// Plastic synapses: (projection, source, target, delay, weight bits).
type Weights = Vec<(usize, u32, u32, u32, u64)>;

/// Spikes and plastic weights on `ranks` x `threads`, chunks by `place`.
fn layout_run(
    spec: &NetworkSpec,
    ranks: usize,
    threads: usize,
    by_pop: bool,
) -> (Vec<Spike>, Weights) {
    let runs: Vec<RankRun> = run_ranks(ranks, |comm| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let place = move |c: &brainsim_sim::layout::ChunkInfo| {
            if by_pop {
                c.population % ranks
            } else {
                c.index % ranks
            }
        };
        pool.install(|| run_rank(spec, comm, &place))
    });
    let mut weights: Vec<_> = runs.iter().flat_map(|r| r.weights.clone()).collect();
    weights.sort_unstable();
    (union(&runs), weights)
}

/// The final weight of every plastic synapse replayed by `rule` on the
/// run's spikes (pre: the source's, post: the target's history).
fn replay(
    spec: &NetworkSpec,
    rule: Rule,
    spikes: &[Spike],
    synapses: &[(usize, u32, u32, u32, u64)],
) -> Vec<(usize, u32, u32, u32, u64)> {
    let clock = Clock::new(spec.simulation.dt);
    let n = spec.n_neurons() as usize;
    let mut by_gid: Vec<Vec<u64>> = vec![Vec::new(); n];
    for s in spikes {
        by_gid[s.gid as usize].push(s.step + 1);
    }
    let inv_tau_minus = 1.0 / 30.0;
    let histories: Vec<History> = by_gid
        .iter()
        .map(|stamps| {
            let mut h = History::default();
            for &s in stamps {
                h.push(s as i64, clock.stamp_ms(s), inv_tau_minus);
            }
            h
        })
        .collect();
    let p = spec.projections[0].plastic.unwrap();
    synapses
        .iter()
        .map(|&(proj, src, tgt, d, _)| {
            let mut row = rule.initial_row(p.kplus, p.u, p.x);
            let mut w = 45.0;
            let delay = Delay {
                steps: i64::from(d),
                ms: clock.delay_ms(u64::from(d)),
            };
            for &stamp in &by_gid[src as usize] {
                let pre = PreSpike {
                    stamp: stamp as i64,
                    t: clock.stamp_ms(stamp),
                };
                rule.row_before(&mut row, pre);
                rule.synapse(
                    &mut w,
                    &row,
                    pre,
                    delay,
                    &histories[tgt as usize],
                    inv_tau_minus,
                );
                rule.row_after(&mut row, pre);
            }
            (proj, src, tgt, d, w.to_bits())
        })
        .collect()
}

#[test]
fn plastic_networks_are_layout_independent_and_apply_their_rule() {
    for (name, rule, one_delay) in rules() {
        let spec = plastic_brunel(rule, one_delay);
        let (spikes, weights) = layout_run(&spec, 1, 1, false);
        assert!(spikes.len() > 2_000, "{name}: {} spikes", spikes.len());
        assert_eq!(weights.len(), 400 * 40, "{name}: every E -> E synapse");
        if !matches!(rule, Rule::Tsodyks2(_)) {
            let changed = weights
                .iter()
                .filter(|w| f64::from_bits(w.4) != 45.0)
                .count();
            assert!(
                changed > weights.len() / 2,
                "{name}: {changed} weights changed"
            );
        }
        for (ranks, threads, by_pop) in [
            (1, 2, false),
            (1, 3, false),
            (2, 1, false),
            (3, 1, false),
            (2, 2, true),
            (3, 1, true),
        ] {
            let (s, w) = layout_run(&spec, ranks, threads, by_pop);
            assert!(
                s == spikes,
                "{name}: spikes differ on {ranks}x{threads} (by population: {by_pop})"
            );
            assert!(
                w == weights,
                "{name}: weights differ on {ranks}x{threads} (by population: {by_pop})"
            );
        }
        let want = replay(&spec, rule, &spikes, &weights);
        let bad = weights.iter().zip(&want).filter(|(a, b)| a != b).count();
        assert_eq!(
            bad, 0,
            "{name}: {bad} final weights differ from the rule's replay"
        );
    }
}
