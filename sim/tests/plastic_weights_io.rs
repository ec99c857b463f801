//! Observing and reusing plastic weights at the level of the network:
//! - a weight read mid-run (the epoch cut at step s by `run_epoch_until`,
//!   the pending spikes delivered by `deliver_pending`) is the final weight
//!   of a run that stops at s, on 1 and 2 in-process ranks, and reading it
//!   changes no spike of the run;
//! - a network built with `weights_from` holds the given weights exactly
//!   (f64, no rounding) before it runs, and a file of other synapses is
//!   refused by `Network::check_loaded_weights` naming the difference.

mod common;

use std::sync::Arc;

use brainsim_sim::comm::local::run_ranks;
use brainsim_sim::comm::SpikeExchange;
use brainsim_sim::layout::{self, ChunkInfo};
use brainsim_sim::plastic::Rule;
use brainsim_sim::spec::*;
use brainsim_sim::{Comm, EpochOutput, Exchange, Network, Spike};
use common::plastic::{sized, uniform_1_3, STDP};

/// 200 E and 50 I neurons (chunks of 50), plastic stdp_synapse E -> E
/// (delays 1-3 ms), Poisson drive, `t_stop` ms (`common::plastic::sized`).
fn spec(t_stop: f64) -> NetworkSpec {
    let mut spec = sized(Rule::Stdp(STDP), uniform_1_3(), (200, 50), t_stop);
    spec.simulation.chunk_size = 50;
    spec
}

/// (source, target, delay, weight bits) of projection 0's synapses.
type Bits = Vec<(u32, u32, u32, u64)>;

/// Sorted (source, target, delay, weight bits) of projection 0.
fn sorted(mut w: Vec<(u32, u32, u32, f64)>) -> Bits {
    w.sort_by(|a, b| {
        (a.0, a.1, a.2)
            .cmp(&(b.0, b.1, b.2))
            .then(a.3.total_cmp(&b.3))
    });
    w.into_iter()
        .map(|(s, t, d, x)| (s, t, d, x.to_bits()))
        .collect()
}

/// This rank's network of `spec` (chunk c on rank c % ranks).
fn build<'c>(spec: &NetworkSpec, comm: &'c dyn Comm) -> (Network, SpikeExchange<'c>) {
    let (me, ranks) = (comm.rank(), comm.size());
    let chunks = layout::chunks(spec);
    let owner = move |c: &ChunkInfo| c.index % ranks;
    let rank_of_gid = |g: u32| owner(chunks.iter().find(|c| c.gids().contains(&g)).unwrap());
    let mut ex = SpikeExchange::new(comm);
    let mut net = Network::build(spec, &|c| owner(c) == me, &mut ex);
    let cross = net.min_delay_from(&|g| rank_of_gid(g) != me);
    let agreed = ex.all_min(cross);
    net.set_epoch_steps(agreed);
    ex.setup(
        &net.needed_sources(),
        &rank_of_gid,
        spec.n_neurons() as usize,
        net.epoch_steps(),
    );
    (net, ex)
}

/// Runs `spec` on `ranks`, reading the weights of projection 0 at step
/// `at` (if any): (spikes, weights at `at`, final weights), all ranks.
fn run(spec: &NetworkSpec, ranks: usize, at: Option<u64>) -> (Vec<Spike>, Bits, Bits) {
    let per_rank = run_ranks(ranks, |comm| {
        let (mut net, mut ex) = build(spec, comm);
        let (mut out, mut spikes, mut mid) = (EpochOutput::default(), Vec::new(), Vec::new());
        loop {
            let limit = at.filter(|&s| s > net.step).unwrap_or(u64::MAX);
            if !net.run_epoch_until(&mut ex, &mut out, limit) {
                break;
            }
            spikes.extend_from_slice(&out.spikes);
            if Some(net.step) == at {
                net.deliver_pending();
                mid = net.plastic_weights(0);
                // The recorder's reader gives the same weights (every
                // third synapse, backwards).
                let picked: Vec<usize> = (0..mid.len()).rev().step_by(3).collect();
                let read = net.plastic_weights_at(0, &picked);
                for (&i, w) in picked.iter().zip(read) {
                    assert_eq!(w.to_bits(), mid[i].3.to_bits(), "synapse {i}");
                }
            }
        }
        (spikes, mid, net.plastic_weights(0))
    });
    let mut spikes: Vec<Spike> = per_rank.iter().flat_map(|r| r.0.clone()).collect();
    spikes.sort_unstable();
    let mid = sorted(per_rank.iter().flat_map(|r| r.1.clone()).collect());
    let end = sorted(per_rank.iter().flat_map(|r| r.2.clone()).collect());
    (spikes, mid, end)
}

#[test]
fn a_weight_read_mid_run_is_the_final_weight_of_a_run_stopped_there() {
    // Step 1237: not a multiple of the minimum delay (10) nor of any epoch.
    let at = 1237;
    let (spikes, _, end) = run(&spec(300.0), 1, None);
    let (_, _, stopped) = run(&spec(123.7), 1, None);
    assert!(spikes.len() > 1_000, "{} spikes", spikes.len());
    let moved = stopped
        .iter()
        .filter(|w| f64::from_bits(w.3) != 45.0)
        .count();
    assert!(
        moved > stopped.len() / 10,
        "{moved} weights moved by 123.7 ms"
    );
    for ranks in [1, 2] {
        let (s, mid, e) = run(&spec(300.0), ranks, Some(at));
        assert!(
            s == spikes,
            "{ranks} ranks: reading the weights changed the spikes"
        );
        assert!(e == end, "{ranks} ranks: final weights differ");
        assert_eq!(mid.len(), stopped.len());
        assert!(
            mid == stopped,
            "{ranks} ranks: weights at step {at} differ from a run stopped there"
        );
    }
}

#[test]
fn loaded_weights_are_taken_exactly_and_other_files_are_refused() {
    // The final weights of a run, in canonical order (a rank lists its
    // synapses in row order; stable by (source, target)), nudged off any
    // f32 value.
    let end = run_ranks(1, |comm| {
        let (mut net, mut ex) = build(&spec(100.0), comm);
        let mut out = EpochOutput::default();
        while net.run_epoch(&mut ex, &mut out) {}
        net.plastic_weights(0)
    });
    let mut edges: Vec<(u32, u32, u32, f64)> = end[0]
        .iter()
        .map(|&(s, t, d, w)| (s, t, d, w + 1e-9))
        .collect();
    edges.sort_by_key(|e| (e.0, e.1));
    let mut loaded = spec(50.0);
    loaded.projections[0].weights_from = Some(LoadedWeights {
        file: "w.h5".into(),
        edges: Arc::new(edges.clone()),
    });
    Network::check_loaded_weights(&loaded, &|_| true).unwrap();
    let got = run_ranks(2, |comm| {
        let (net, _) = build(&loaded, comm);
        net.plastic_weights(0)
    });
    let got = sorted(got.into_iter().flatten().collect());
    let want = sorted(edges.clone());
    assert!(got == want, "the network holds the file's weights exactly");
    // Another seed: other pairs.
    let mut other = loaded.clone();
    other.simulation.seed += 1;
    let e = Network::check_loaded_weights(&other, &|_| true).unwrap_err();
    assert!(e.starts_with("w.h5: projection[0] (E -> E): "), "{e}");
    // One edge's delay changed.
    edges[7].2 += 1;
    let mut delayed = loaded.clone();
    delayed.projections[0].weights_from.as_mut().unwrap().edges = Arc::new(edges);
    let e = Network::check_loaded_weights(&delayed, &|_| true).unwrap_err();
    assert!(e.contains("edge 7 ") && e.contains("delay of"), "{e}");
}
