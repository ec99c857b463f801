//! Checkpoints, simulator side: a network captured at an epoch boundary and
//! restored into a network built with another layout (threads, in-process
//! ranks, placement of chunks on ranks) continues bit for bit as a run
//! never stopped — spikes, state samples and the state at the end — for an
//! `iaf_psc_exp` Brunel-like network, an `alif` one and an `iaf_psc_alpha`
//! one (two ring lanes: a per-receptor current is recorded), each with
//! delays of 1-3 ms within a population and 2.5-4.5 ms between the two,
//! Poisson drive, a spike generator and a DC current.
//! Also: a checkpoint restored into the network that took it (after it ran
//! on, or at once) continues the same; a finished run extends; a checkpoint
//! of another network, an incomplete one and one past the end are refused
//! with a message and change nothing; and the bytes a checkpoint holds per
//! neuron and synapse of a Brunel network.

mod common;
use brainsim_sim::spec::*;
use brainsim_sim::{EpochOutput, InProcess, Network, Spike};
use common::segments::{by_population, round_robin, segment, Layout, Segment};
use common::*;

/// End of the runs (steps of 0.1 ms) and the checkpoint's step: an epoch
/// boundary of every source layout below (local interval 10 steps), and
/// not a multiple of 4, the Poisson refill's block.
const T_STOP_MS: f64 = 300.0;
const T1: u64 = 1230;

/// What differs between the networks: model, parameters, weights (exc.,
/// inh., drive) and the drive's rate and delay.
struct Setup {
    model: &'static str,
    params: &'static [(&'static str, f64)],
    w_e: f64,
    w_i: f64,
    w_x: f64,
    rate_x: f64,
    delay_x: f64,
}

/// 400 E and 100 I neurons (chunks of 50), in-degrees 40 and 10, delays
/// uniform in [1, 3) ms within a population and [2.5, 4.5) ms between the
/// two, a Poisson train per neuron, a spike generator on
/// 30 E neurons and a DC current on the I neurons from 80 to 200 ms.
fn brunel_like(s: &Setup) -> NetworkSpec {
    let mut spec = network(
        simulation(0.1, T_STOP_MS),
        vec![
            population("E", 400, s.model, s.params),
            population("I", 100, s.model, s.params),
        ],
    );
    spec.simulation.chunk_size = 50;
    for target in 0..2 {
        for (source, k, w) in [(0, 40, s.w_e), (1, 10, s.w_i)] {
            // Between the populations 2.5-3.5 ms: placed by population, the
            // ranks exchange every 25 steps, and T1 is no multiple of 25.
            let low = if source == target { 1.0 } else { 2.5 };
            spec.projections.push(projection(
                source,
                target,
                ConnRule::FixedIndegree { indegree: k },
                Distribution::Constant(w),
                Distribution::Uniform {
                    low,
                    high: low + 2.0,
                },
            ));
        }
        spec.stimuli.push(stimulus(
            target,
            None,
            StimulusKind::PoissonGenerator {
                rate: s.rate_x,
                weight: s.w_x,
                delay: s.delay_x,
            },
        ));
    }
    let spike_times = (1..60).map(|k| f64::from(k * 49) / 10.0).collect();
    let generator = StimulusKind::SpikeGenerator {
        spike_times,
        weight: 4.0 * s.w_e,
        delay: 1.5,
    };
    spec.stimuli
        .push(stimulus(0, Some((100..130).collect()), generator));
    let dc = StimulusKind::DcGenerator {
        amplitude: 2.0 * s.w_x,
        start: 80.0,
        stop: 200.0,
    };
    spec.stimuli.push(stimulus(1, None, dc));
    // Devices whose cursors move forward: a varying rate and a current step
    // that change before and after the checkpoint.
    let varying = StimulusKind::InhomogeneousPoissonGenerator {
        rate_times: vec![20.0, 110.0, 140.0],
        rate_values: vec![800.0, 0.0, 1500.0],
        weight: s.w_x,
        delay: 1.0,
    };
    spec.stimuli
        .push(stimulus(0, Some((0..200).collect()), varying));
    let step_current = StimulusKind::StepCurrentGenerator {
        amplitude_times: vec![50.0, 115.0, 170.0],
        amplitude_values: vec![s.w_x, -s.w_x, 0.5 * s.w_x],
        delay: 1.0,
    };
    spec.stimuli
        .push(stimulus(0, Some((200..300).collect()), step_current));
    spec
}

fn stimulus(target: usize, node_ids: Option<Vec<u32>>, kind: StimulusKind) -> StimulusSpec {
    StimulusSpec {
        kind,
        target,
        node_ids,
        receptor: Receptor::BySign,
    }
}

/// The spec records `variable` of a few E neurons every 0.5 ms.
fn record(spec: &mut NetworkSpec, variable: &str) {
    spec.records.push(RecordSpec::State {
        name: "probe".into(),
        population: 0,
        variables: vec![variable.into()],
        node_ids: vec![3, 120, 399],
        interval: 0.5,
    });
}

/// One thread, one rank, exchanging every local interval (10 steps).
const ONE: Layout = Layout {
    threads: 1,
    ranks: 1,
    place: round_robin,
    short_epochs: true,
};

fn placed(mut l: Layout, place: fn(&brainsim_sim::layout::ChunkInfo, usize) -> usize) -> Layout {
    l.place = place;
    l
}

/// The layout changes across the checkpoint: 1 thread -> 3 threads (whose
/// one-rank epoch is 100 steps: its epochs start at T1, not at multiples
/// of 100), 1 rank -> 2 ranks, 3 ranks -> 2 ranks, round robin -> by
/// population (2 ranks each).
fn layout_changes() -> Vec<(&'static str, Layout, Layout)> {
    vec![
        ("1 thread -> 3 threads", ONE, Layout::new(1, 3)),
        ("1 rank -> 2 ranks", ONE, Layout::new(2, 1)),
        ("3 ranks -> 2 ranks", Layout::new(3, 1), Layout::new(2, 2)),
        (
            "round robin -> by population",
            Layout::new(2, 1),
            placed(Layout::new(2, 1), by_population),
        ),
    ]
}

/// Runs `spec` to the end as the reference, then for every layout change
/// to T1, captures, restores on the other layout and runs to the end:
/// spikes and samples before T1 and after it equal the reference's, and so
/// does the state at the end.
fn check_resume(name: &str, spec: &NetworkSpec) {
    let n_steps = spec.simulation.n_steps();
    let reference = segment(spec, ONE, None, n_steps);
    let n = spec.n_neurons() as f64;
    let rate = reference.spikes.len() as f64 / n / (T_STOP_MS * 1e-3);
    assert!((1.0..100.0).contains(&rate), "{name}: rate {rate} Hz");
    let before = |s: &Spike| s.step < T1;
    let spikes_before: Vec<Spike> = reference.spikes.iter().copied().filter(before).collect();
    let spikes_after: Vec<Spike> = reference
        .spikes
        .iter()
        .copied()
        .filter(|s| !before(s))
        .collect();
    assert!(
        !spikes_before.is_empty() && !spikes_after.is_empty(),
        "{name}"
    );
    for (change, from, to) in layout_changes() {
        let what = format!("{name}, {change}");
        let first = segment(spec, from, None, T1);
        assert!(first.spikes == spikes_before, "{what}: spikes before T1");
        assert_eq!(first.states.step, T1);
        let rest = segment(spec, to, Some(&first.states), n_steps);
        assert_same(&what, &rest, &reference, &spikes_after);
    }
}

/// `rest` (the continuation from T1) against the reference run.
fn assert_same(what: &str, rest: &Segment, reference: &Segment, spikes_after: &[Spike]) {
    assert!(
        rest.spikes == spikes_after,
        "{what}: {} spikes after T1, {} in the run never stopped",
        rest.spikes.len(),
        spikes_after.len()
    );
    let samples_after: Vec<_> = reference.samples.iter().filter(|s| s.step >= T1).collect();
    assert!(
        rest.samples.iter().eq(samples_after.iter().copied()),
        "{what}: samples after T1"
    );
    assert!(rest.states == reference.states, "{what}: state at the end");
}

#[test]
fn iaf_psc_exp_brunel_resumes_bit_for_bit_on_other_layouts() {
    let mut spec = brunel_like(&Setup {
        model: "iaf_psc_exp",
        params: LIF,
        w_e: 40.0,
        w_i: -200.0,
        w_x: 40.0,
        rate_x: 20000.0,
        delay_x: 1.5,
    });
    record(&mut spec, "V_m");
    check_resume("iaf_psc_exp", &spec);
}

#[test]
fn alif_network_resumes_bit_for_bit_on_other_layouts() {
    let mut spec = brunel_like(&Setup {
        model: "alif",
        params: LIF,
        w_e: 40.0,
        w_i: -200.0,
        w_x: 40.0,
        rate_x: 20000.0,
        delay_x: 1.0,
    });
    record(&mut spec, "a");
    check_resume("alif", &spec);
}

#[test]
fn iaf_psc_alpha_network_with_two_ring_lanes_resumes_bit_for_bit_on_other_layouts() {
    let mut spec = brunel_like(&Setup {
        model: "iaf_psc_alpha",
        params: &[
            ("E_L", 0.0),
            ("V_th", 20.0),
            ("V_reset", 10.0),
            ("tau_m", 20.0),
        ],
        w_e: 8.0,
        w_i: -40.0,
        w_x: 8.0,
        rate_x: 8000.0,
        delay_x: 1.3,
    });
    record(&mut spec, "I_syn_ex");
    check_resume("iaf_psc_alpha", &spec);
}

fn alif_spec() -> NetworkSpec {
    brunel_like(&Setup {
        model: "alif",
        params: LIF,
        w_e: 40.0,
        w_i: -200.0,
        w_x: 40.0,
        rate_x: 20000.0,
        delay_x: 1.0,
    })
}

/// Runs `net` (one rank) until step `until`; returns its spikes.
fn run_until(net: &mut Network, until: u64) -> Vec<Spike> {
    let mut out = EpochOutput::default();
    let mut spikes = Vec::new();
    while net.step < until && net.run_epoch(&mut InProcess, &mut out) {
        spikes.extend_from_slice(&out.spikes);
    }
    assert_eq!(net.step, until.min(net.n_steps));
    spikes
}

#[test]
fn a_checkpoint_restored_into_the_network_that_took_it_continues_the_same() {
    let spec = alif_spec();
    let n_steps = spec.simulation.n_steps();
    let reference = segment(&spec, ONE, None, n_steps);
    let after_t1: Vec<Spike> = reference
        .spikes
        .iter()
        .copied()
        .filter(|s| s.step >= T1)
        .collect();

    let mut net = Network::build(&spec, &|_| true, &mut InProcess);
    run_until(&mut net, T1);
    let at_t1 = net.capture();
    // Restored at once: nothing changes.
    net.restore(&at_t1).unwrap();
    assert!(net.capture() == at_t1, "capture after restore");
    // Run on, go back to T1, run again: the same continuation.
    let mut first = run_until(&mut net, 2000);
    first.extend(run_until(&mut net, n_steps));
    net.restore(&at_t1).unwrap();
    assert!(net.capture() == at_t1, "capture after going back");
    let second = run_until(&mut net, n_steps);
    assert!(first == after_t1, "the first continuation");
    assert!(second == after_t1, "the continuation after going back");
    assert!(net.capture() == reference.states, "state at the end");
}

/// A capture delivers the pending spikes into the rings themselves: the run
/// goes on exactly as without it (spikes and final state), and a second
/// capture at the same step finds the same state.
#[test]
fn captures_between_epochs_do_not_change_the_run() {
    let spec = alif_spec();
    let n_steps = spec.simulation.n_steps();
    let mut plain = Network::build(&spec, &|_| true, &mut InProcess);
    let straight = run_until(&mut plain, n_steps);
    let mut net = Network::build(&spec, &|_| true, &mut InProcess);
    let (mut out, mut spikes, mut captures) = (EpochOutput::default(), Vec::new(), 0);
    while net.run_epoch(&mut InProcess, &mut out) {
        spikes.extend_from_slice(&out.spikes);
        let first = net.capture();
        assert!(
            net.capture() == first,
            "captured twice at step {}",
            net.step
        );
        captures += 1;
    }
    assert!(
        captures >= 10 && straight.len() > 100,
        "{captures} captures"
    );
    assert!(spikes == straight, "the spikes changed");
    assert!(net.capture() == plain.capture(), "the final state changed");
}

#[test]
fn a_finished_run_extends_from_its_last_state() {
    let spec = alif_spec();
    let reference = segment(&spec, ONE, None, spec.simulation.n_steps());
    let mut shorter = spec.clone();
    shorter.simulation.t_stop = T1 as f64 / 10.0;
    let mut net = Network::build(&shorter, &|_| true, &mut InProcess);
    run_until(&mut net, T1);
    assert!(net.is_done());
    let rest = segment(
        &spec,
        Layout::new(2, 1),
        Some(&net.capture()),
        spec.simulation.n_steps(),
    );
    let after: Vec<Spike> = reference
        .spikes
        .iter()
        .copied()
        .filter(|s| s.step >= T1)
        .collect();
    assert_same("extended", &rest, &reference, &after);
}

#[test]
fn a_checkpoint_of_another_network_or_incomplete_or_past_the_end_is_refused() {
    let spec = alif_spec();
    let taken = segment(&spec, Layout::new(2, 1), None, T1);
    let refused = |other: &NetworkSpec, states: &brainsim_sim::ChunkStates| -> String {
        let mut net = Network::build(other, &|_| true, &mut InProcess);
        let before = net.capture();
        let err = net.restore(states).unwrap_err().to_string();
        assert!(
            net.capture() == before,
            "a refused restore changes nothing: {err}"
        );
        err
    };
    let mut chunks = spec.clone();
    chunks.simulation.chunk_size = 40;
    let err = refused(&chunks, &taken.states);
    assert_eq!(
        err,
        "chunk_size differs: the checkpoint's is 50, this network's 40"
    );
    let mut seed = spec.clone();
    seed.simulation.seed += 1;
    let err = refused(&seed, &taken.states);
    assert_eq!(
        err,
        "seed differs: the checkpoint's is 12345, this network's 12346"
    );
    let mut weights = spec.clone();
    weights.projections[0].weight = Distribution::Constant(41.0);
    assert!(refused(&weights, &taken.states).contains("different network"));
    let mut before_t1 = spec.clone();
    before_t1.simulation.t_stop = 100.0;
    let err = refused(&before_t1, &taken.states);
    assert_eq!(
        err,
        "the checkpoint is at step 1230, after the end of this run (step 1000)"
    );
    // Rank 0's part of a two-rank capture (round robin: the even chunks).
    let mut part = taken.states.clone();
    part.chunks.retain(|c| c.index % 2 == 0);
    let err = refused(&spec, &part);
    assert_eq!(
        err,
        "chunk 1: not in the checkpoint (gids 50..100; it holds 5 of the 10 chunks)"
    );
    let mut scale = taken.states.clone();
    scale.chunks[3].fixed_scale *= 2.0;
    assert!(refused(&spec, &scale).starts_with("chunk 3: ring fixed point"));
    let mut ring = taken.states.clone();
    let entries = &mut ring.chunks[2].ring;
    assert!(entries.len() >= 2, "events waiting at T1");
    entries.index.swap(0, 1);
    assert!(refused(&spec, &ring)
        .starts_with("chunk 2: ring entries in the checkpoint: positions not increasing"));
    let mut beyond = taken.states.clone();
    *beyond.chunks[2].ring.index.last_mut().unwrap() = u32::MAX;
    assert!(refused(&spec, &beyond).contains("beyond the ring's"));
}

/// Bytes a checkpoint holds for a Brunel network (`configs/brunel.toml`
/// scaled to 1/10 of its neurons and in-degrees): per neuron, the model's
/// state variables (8 bytes each); per non-zero ring entry within the ring
/// horizon (the largest delay in steps x lanes entries per neuron) 8 bytes;
/// per chunk four counters; nothing per synapse (synapses are rebuilt from
/// the spec).
#[test]
fn checkpoint_size_of_a_brunel_network() {
    let params = [
        ("E_L", 0.0),
        ("C_m", 250.0),
        ("tau_m", 20.0),
        ("t_ref", 2.0),
        ("V_th", 20.0),
        ("V_reset", 10.0),
        ("tau_syn_ex", 0.5),
        ("tau_syn_in", 0.5),
    ];
    let mut spec = network(
        simulation(0.1, 100.0),
        vec![
            population("E", 1000, "iaf_psc_exp", &params),
            population("I", 250, "iaf_psc_exp", &params),
        ],
    );
    spec.simulation.chunk_size = 125;
    for target in 0..2 {
        for (source, k, w) in [(0, 100, 50.0), (1, 25, -250.0)] {
            spec.projections.push(projection(
                source,
                target,
                ConnRule::FixedIndegree { indegree: k },
                Distribution::Constant(w),
                Distribution::Constant(1.5),
            ));
        }
        let drive = StimulusKind::PoissonGenerator {
            rate: 20000.0,
            weight: 50.0,
            delay: 1.5,
        };
        spec.stimuli.push(stimulus(target, None, drive));
    }
    let mut net = Network::build(&spec, &|_| true, &mut InProcess);
    run_until(&mut net, 510);
    let states = net.capture();
    let (neurons, synapses) = (spec.n_neurons() as usize, net.n_synapses() as usize);
    let vars = brainsim_sim::model::lookup("iaf_psc_exp")
        .unwrap()
        .state
        .len();
    assert_eq!((vars, net.max_delay), (5, 15));
    let entries: usize = states.chunks.iter().map(|c| c.ring.len()).sum();
    assert!(
        entries > 0 && entries < neurons * 15,
        "{entries} ring entries"
    );
    assert_eq!(states.bytes(), neurons * vars * 8 + entries * 8 + 10 * 48);
    eprintln!(
        "Brunel checkpoint: {} bytes for {neurons} neurons and {synapses} synapses: \
         {vars} state variables x 8 bytes per neuron, 8 per non-zero ring entry ({entries}, \
         {:.0} % of 15 slots x 1 lane per neuron), 48 per chunk, 0 per synapse; the network \
         holds {} bytes of synapses and {} of rings",
        states.bytes(),
        100.0 * entries as f64 / (neurons * 15) as f64,
        net.synapse_bytes(),
        net.ring_bytes()
    );
}
