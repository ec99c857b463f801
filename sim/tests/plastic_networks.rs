//! Plastic networks: a Brunel-like E/I network whose E -> E synapses are
//! plastic (`stdp_pl_synapse_hom` with hpc_benchmark's parameters, with
//! delays of 1-3 ms and with one delay — its fast path, `plastic::pl_hom` —
//! and `stdp_synapse`, `stdp_nn_symm_synapse`, `tsodyks2_synapse`) gives the same
//! spikes and the same final weights, bit for bit, on 1-3 threads and 1-3
//! in-process ranks with two placements; and every final weight is what
//! the NEST-validated rule (`tests/nest_plasticity.rs`) gives when replayed
//! on the run's own pre- and post-synaptic spikes — so the network applies
//! the rule to the right spikes, with the right delays, in the right order.
//! The synaptic events counted are, on every layout, every spike before
//! t_stop times its source's out-degree: none is left undelivered at the
//! end of the run (spikes of the last min-delay slice or epoch included).

mod common;

use brainsim_sim::comm::local::run_ranks;
use brainsim_sim::plastic::{Clock, Delay, History, PreSpike, Rule};
use brainsim_sim::spec::*;
use brainsim_sim::{InProcess, Network, Spike};
use common::plastic::{plastic_brunel, rules};
use common::ranks::{run_rank, union, RankRun};

/// Plastic synapses: (projection, source, target, delay, weight bits).
type Weights = Vec<(usize, u32, u32, u32, u64)>;

/// Spikes, plastic weights and synaptic events on `ranks` x `threads`,
/// chunks by population or round robin.
fn layout_run(
    spec: &NetworkSpec,
    ranks: usize,
    threads: usize,
    by_pop: bool,
) -> (Vec<Spike>, Weights, u64) {
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
    (union(&runs), weights, runs.iter().map(|r| r.events).sum())
}

/// Every neuron's out-degree (static and plastic synapses), from the
/// whole network built on one rank.
fn out_degrees(spec: &NetworkSpec) -> Vec<u64> {
    let net = Network::build(spec, &|_| true, &mut InProcess);
    let mut degree = vec![0u64; spec.n_neurons() as usize];
    for c in &net.chunks {
        for (g, d) in degree.iter_mut().enumerate() {
            let (a, b) = c.synapses.row_range(g as u32);
            *d += u64::from(b - a);
        }
        for (src, ..) in c.plastic.iter().flat_map(|p| p.synapses()) {
            degree[src as usize] += 1;
        }
    }
    degree
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
        let (spikes, weights, events) = layout_run(&spec, 1, 1, false);
        assert!(spikes.len() > 2_000, "{name}: {} spikes", spikes.len());
        let degree = out_degrees(&spec);
        let want: u64 = spikes.iter().map(|s| degree[s.gid as usize]).sum();
        assert_eq!(events, want, "{name}: events against the out-degrees");
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
            let (s, w, e) = layout_run(&spec, ranks, threads, by_pop);
            assert!(
                s == spikes,
                "{name}: spikes differ on {ranks}x{threads} (by population: {by_pop})"
            );
            assert!(
                w == weights,
                "{name}: weights differ on {ranks}x{threads} (by population: {by_pop})"
            );
            assert_eq!(e, events, "{name}: events on {ranks}x{threads} ({by_pop})");
        }
        let want = replay(&spec, rule, &spikes, &weights);
        let bad = weights.iter().zip(&want).filter(|(a, b)| a != b).count();
        assert_eq!(
            bad, 0,
            "{name}: {bad} final weights differ from the rule's replay"
        );
    }
}
