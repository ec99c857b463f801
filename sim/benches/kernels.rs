//! Micro-benchmarks of the kernels whose costs sim/DESIGN.md quotes, each on a
//! Brunel-sized chunk (1,250 neurons, dt = 0.1 ms; the plastic one on a
//! plastic Brunel chunk of 500), through the crate's public API so they
//! measure the code the simulator runs:
//! - ring delivery: a chunk adding a batch of spikes' rows into its ring, with
//!   packed (5-byte) and wide (8-byte) synapses; counter = synaptic events;
//! - `iaf_psc_exp`'s merged step (one lane, branch-free, the model layer's
//!   generic structure-of-arrays loop, AVX2 where the CPU has it); counter =
//!   neurons, one step each;
//! - Poisson input: four steps of one device on every neuron — one Philox
//!   refill of four steps' counts per target plus the four per-step adds;
//!   counter = targets (so the figure is per target per 4 steps);
//! - plastic delivery: one chunk's `stdp_pl_synapse_hom` store of the
//!   plastic Brunel (`configs/plastic_brunel.toml`), one local interval's
//!   spikes at a time, time advancing; counter = plastic synaptic events.
//!
//! Run with `cargo bench -p brainsim-sim --bench kernels` (`make bench` does).
//! Samples hold several iterations (`sample_size`) so that each lasts tens of
//! microseconds or more, well above the timer's precision; read the median.

use brainsim_sim::chunk::Chunk;
use brainsim_sim::connect::RawSynapse;
use brainsim_sim::exchange::Spike;
use brainsim_sim::layout::ChunkInfo;
use brainsim_sim::model::{self, NeuronModel};
use brainsim_sim::plastic::rules::PlHomParams;
use brainsim_sim::plastic::{Clock, Histories, PlasticStore, Rule, Target};
use brainsim_sim::rng::Stream;
use brainsim_sim::spec::ParamMap;
use brainsim_sim::stimulus::{ChunkInputs, PoissonInput};
use brainsim_sim::synapse::SynapseStore;
use divan::counter::ItemsCount;
use divan::Bencher;

fn main() {
    divan::main();
}

/// Brunel's chunk: 1,250 neurons of a 12,500-neuron network.
const N: u32 = 1250;
const N_GIDS: u32 = 12_500;
/// In-degree (Brunel: C_E + C_I = 1,250): rows of ~125 synapses per source.
const INDEGREE: u32 = 1250;
/// Spikes per delivery: Brunel's 12,500 neurons at ~35 Hz over one local
/// interval of 1.5 ms give about 650.
const SPIKES: usize = 650;
/// Delays 1..=15 steps; 16 ring slots.
const MAX_DELAY: u32 = 15;

fn lif_params() -> ParamMap {
    let m = model::lookup("iaf_psc_exp").unwrap();
    m.with_defaults(&ParamMap::new()).unwrap()
}

/// A chunk of `N` `iaf_psc_exp` neurons (one ring lane) with `INDEGREE`
/// random synapses per neuron. `wide`: one synapse strong enough that the
/// fixed-point weights no longer fit the packed layout.
fn chunk(wide: bool) -> (Chunk, Vec<i32>) {
    let mut s = Stream::new(7, 1, 2, 3);
    let mut raw: Vec<RawSynapse> = (0..N * INDEGREE)
        .map(|k| RawSynapse {
            source: s.below(N_GIDS),
            target: k / INDEGREE,
            receptor: 0,
            delay_steps: 1 + s.below(MAX_DELAY),
            weight: if s.below(5) == 0 { -440.0 } else { 88.0 },
        })
        .collect();
    if wide {
        raw[0].weight = 1e9;
    }
    let store = SynapseStore::build(&raw, raw.len(), N_GIDS as usize, N, 1, &[]);
    assert_eq!(store.is_packed(), !wide);
    let info = ChunkInfo {
        index: 0,
        population: 0,
        first_gid: 0,
        len: N,
    };
    let m = model::lookup("iaf_psc_exp").unwrap();
    let mut c = Chunk::new(info, (m.build)(&lif_params(), 0.1, N as usize, 1), 1, store);
    let entries = c.set_ring_slots(u64::from(MAX_DELAY + 1).next_power_of_two());
    // Brunel's rings stay in L2: no ring prefetch (`RingArena::misses_cache`).
    c.set_ring_prefetch(false);
    (c, vec![0; entries])
}

/// Spike batches delivered in turn, so that the rows of one iteration are
/// not still in L1/L2 from the last (a batch's rows are 0.4-0.7 MB; all
/// batches together cover the whole store, as a run's spikes do).
const BATCHES: usize = 16;

/// `BATCHES` batches of `SPIKES` distinct random sources, each sorted by gid
/// as the epoch loop sorts them, all of step 0.
fn spike_batches() -> Vec<Vec<Spike>> {
    let mut s = Stream::new(7, 9, 0, 0);
    (0..BATCHES)
        .map(|_| {
            let mut gids: Vec<u32> = (0..SPIKES * 2).map(|_| s.below(N_GIDS)).collect();
            gids.sort_unstable();
            gids.dedup();
            gids.truncate(SPIKES);
            gids.into_iter().map(|gid| Spike { step: 0, gid }).collect()
        })
        .collect()
}

/// Delivers the batches in turn; the counter is the mean number of events
/// per batch (batches differ by a few percent).
fn deliver(bencher: Bencher, wide: bool) {
    let (mut c, mut ring) = chunk(wide);
    let batches = spike_batches();
    let events: usize = batches
        .iter()
        .flatten()
        .map(|sp| {
            let (a, b) = c.synapses.row_range(sp.gid);
            (b - a) as usize
        })
        .sum();
    let mut k = 0;
    bencher
        .counter(ItemsCount::new(events / BATCHES))
        .bench_local(|| {
            c.deliver(divan::black_box(&batches[k % BATCHES]), &mut ring);
            k += 1;
        });
}

/// Ring delivery, 5-byte synapses (Brunel's layout).
#[divan::bench(sample_size = 4)]
fn ring_deliver_packed(bencher: Bencher) {
    deliver(bencher, false);
}

/// Ring delivery, 8-byte synapses.
#[divan::bench(sample_size = 4)]
fn ring_deliver_wide(bencher: Bencher) {
    deliver(bencher, true);
}

/// One step of `N` merged-lane `iaf_psc_exp` neurons, driven near threshold
/// so that they fire at Brunel-like rates (checked: 5-200 Hz on average).
#[divan::bench(sample_size = 64)]
fn iaf_psc_exp_merged_step(bencher: Bencher) {
    let m = model::lookup("iaf_psc_exp").unwrap();
    let mut neurons: Box<dyn NeuronModel> = (m.build)(&lif_params(), 0.1, N as usize, 1);
    let mut s = Stream::new(3, 3, 3, 3);
    // Mean input 19 pA per step: a steady current of about 390 pA, V_m's
    // fixed point 15.6 mV above E_L against a threshold of 15 mV.
    let inputs: Vec<Vec<f64>> = (0..16)
        .map(|_| (0..N).map(|_| 38.0 * s.uniform()).collect())
        .collect();
    let i_stim = vec![0.0; N as usize];
    let mut spiked = Vec::new();
    let mut step = |k: usize, spiked: &mut Vec<u32>| {
        spiked.clear();
        neurons.update(&inputs[k % inputs.len()], &i_stim, spiked);
        spiked.len()
    };
    // Settle, then check the rate over 1 s of biological time.
    let mut fired = 0;
    for k in 0..20_000 {
        fired += step(k, &mut spiked) * usize::from(k >= 10_000);
    }
    let rate_hz = fired as f64 / f64::from(N);
    assert!((5.0..200.0).contains(&rate_hz), "rate {rate_hz} Hz");
    let mut k = 0;
    bencher.counter(ItemsCount::new(N)).bench_local(|| {
        step(k, &mut spiked);
        k += 1;
    });
}

/// Four steps of Brunel's Poisson device (20 kHz, λ = 2 per step) on all
/// `N` neurons: one refill (a Philox block per target) and four adds.
#[divan::bench(sample_size = 16)]
fn poisson_refill_4_steps(bencher: Bencher) {
    let delay = 15;
    let mut inputs = ChunkInputs::default();
    let targets = (0..N).collect();
    let lambda = 20_000.0 * 0.1 * 1e-3;
    inputs
        .poisson
        .push(PoissonInput::new(7, 0, targets, 0, 0, 50.0, delay, lambda));
    inputs.set_fixed_scale(f64::from(1 << 14));
    let mut slot = vec![0i32; N as usize];
    let mut i_stim = vec![0.0; N as usize];
    // Each iteration starts a new block of four emission steps.
    let mut step = delay;
    bencher.counter(ItemsCount::new(N)).bench_local(|| {
        for _ in 0..4 {
            slot.fill(0);
            inputs.apply(step, &mut slot, &mut i_stim);
            step += 1;
        }
    });
}

/// The plastic Brunel's E -> E projection onto one chunk: 500 targets, 400
/// sources of 4,000 each, delay 15 steps, hpc_benchmark's parameters.
const PLASTIC_N: u32 = 500;
const PLASTIC_SOURCES: u32 = 4000;
/// Sources and targets fire at the network's ~20 Hz: 2e-3 per step.
const PLASTIC_P_PER_MILLE: u32 = 2;
/// One local interval (the minimum delay) per iteration.
const INTERVAL: u64 = 15;

fn plastic_store() -> PlasticStore {
    let mut s = Stream::new(11, 1, 2, 3);
    let mut raw: Vec<RawSynapse> = (0..PLASTIC_N * 400)
        .map(|k| RawSynapse {
            source: s.below(PLASTIC_SOURCES),
            target: k / 400,
            receptor: 0,
            delay_steps: INTERVAL as u32,
            weight: 45.61,
        })
        .collect();
    let rule = Rule::StdpPlHom(PlHomParams {
        tau_plus: 15.0,
        inv_tau_plus: 1.0 / 15.0,
        lambda: 0.1,
        alpha: 0.0513,
        mu: 0.4,
    });
    let row0 = rule.initial_row(0.0, 0.0, 0.0);
    PlasticStore::build(0, rule, row0, &mut raw, PLASTIC_N, 1, 1e6)
}

/// Who fires in each step of an interval, `(neuron, step)` by neuron: 64
/// intervals' patterns, used in turn.
fn patterns(n: u32, stream: u32) -> Vec<Vec<(u32, u64)>> {
    let mut s = Stream::new(11, stream, 0, 0);
    (0..64)
        .map(|_| {
            let mut out = Vec::new();
            for step in 0..INTERVAL {
                let fire = (0..n).filter(|_| s.below(1000) < PLASTIC_P_PER_MILLE);
                out.extend(fire.map(|i| (i, step)).collect::<Vec<_>>());
            }
            out.sort_unstable();
            out
        })
        .collect()
}

/// Delivers one interval's spikes per iteration, the targets' spikes of the
/// interval first pushed into their histories, trimmed as a chunk trims
/// (the patterns drawn beforehand: only the delivery and the pushes are
/// timed).
#[divan::bench(sample_size = 4)]
fn plastic_pl_hom_interval(bencher: Bencher) {
    let mut store = plastic_store();
    let (clock, inv_tau_minus) = (Clock::new(0.1), 1.0 / 30.0);
    let mut history = Histories::new(PLASTIC_N as usize);
    let mut ring = vec![0i32; 32 * PLASTIC_N as usize];
    let (post, pre) = (patterns(PLASTIC_N, 2), patterns(PLASTIC_SOURCES, 3));
    // The counter: the mean events per interval.
    let mut per_source = vec![0u64; PLASTIC_SOURCES as usize];
    for (src, ..) in store.synapses() {
        per_source[src as usize] += 1;
    }
    let events: u64 = pre
        .iter()
        .flatten()
        .map(|&(g, _)| per_source[g as usize])
        .sum();
    let (mut k, mut spikes) = (0, Vec::new());
    let mut interval = || {
        let t0 = k as u64 * INTERVAL;
        for &(i, step) in &post[k % post.len()] {
            let stamp = t0 + step + 1;
            history.push(
                i as usize,
                stamp as i64,
                clock.stamp_ms(stamp),
                inv_tau_minus,
            );
        }
        spikes.clear();
        let fired = pre[k % pre.len()].iter();
        spikes.extend(fired.map(|&(gid, step)| Spike {
            step: t0 + step,
            gid,
        }));
        let target = Target {
            history: &history,
            inv_tau_minus,
            clock,
            fixed_scale: 1000.0,
        };
        store.deliver(divan::black_box(&spikes), &target, &mut ring, 32);
        if history.trim_due() {
            history.trim_before(store.history_cut());
        }
        k += 1;
    };
    // 1 s of biological time first: the weights and histories settled.
    for _ in 0..10_000 / INTERVAL {
        interval();
    }
    bencher
        .counter(ItemsCount::new(events / pre.len() as u64))
        .bench_local(&mut interval);
    assert_eq!(store.overflows, 0, "weights beyond the bound");
}
