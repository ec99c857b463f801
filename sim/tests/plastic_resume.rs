//! Checkpoints of plastic networks, simulator side: the plastic Brunel-like
//! network (`common::plastic`, every rule the sim offers on its E -> E
//! synapses) captured at an epoch boundary and restored into a network
//! built with another layout continues bit for bit as a run never
//! stopped: the spikes after the checkpoint, and the whole state at the
//! end — weights, rows, spike histories, ring, neurons, event counts.
//! Also: a capture changes nothing in the run that took it, a finished
//! run extends from its last state, and a checkpoint whose plastic part
//! does not fit the network is refused with a message.

mod common;
use brainsim_sim::plastic::Rule;
use brainsim_sim::ChunkStates;
use common::plastic::{plastic_brunel, rules, PL_HOM};
use common::segments::{by_population, extended, segment, spikes_from, Layout};

/// The checkpoint's step: an epoch boundary of the source layouts (local
/// interval and shortest delay 10 steps), not a multiple of 4.
const T1: u64 = 1230;

/// One thread, one rank, exchanging every local interval.
const ONE: Layout = Layout {
    threads: 1,
    ranks: 1,
    place: common::segments::round_robin,
    short_epochs: true,
};

/// (change, layout before T1, layout after).
fn layout_changes() -> Vec<(&'static str, Layout, Layout)> {
    let mut by_pop = Layout::new(2, 1);
    by_pop.place = by_population;
    vec![
        ("1 thread -> 3 threads", ONE, Layout::new(1, 3)),
        (
            "3 ranks -> 2 ranks x 2 threads",
            Layout::new(3, 1),
            Layout::new(2, 2),
        ),
        ("1 rank -> 2 ranks by population", ONE, by_pop),
    ]
}

#[test]
fn plastic_networks_resume_bit_for_bit_on_other_layouts() {
    for (name, rule, one_delay) in rules() {
        let spec = plastic_brunel(rule, one_delay);
        let n_steps = spec.simulation.n_steps();
        let reference = segment(&spec, ONE, None, n_steps);
        let after = spikes_from(&reference, T1);
        assert!(
            after.len() > 1000,
            "{name}: {} spikes after T1",
            after.len()
        );
        for (change, from, to) in layout_changes() {
            let what = format!("{name}, {change}");
            let first = segment(&spec, from, None, T1);
            let plastic = &first.states.chunks[0].plastic;
            assert_eq!(plastic.stores.len(), 1, "{what}: chunk 0's E -> E store");
            let reads_history = !matches!(rule, Rule::Tsodyks2(_));
            let held = !plastic.history.count.is_empty();
            assert_eq!(held, reads_history, "{what}: histories");
            let rest = segment(&spec, to, Some(&first.states), n_steps);
            assert!(rest.spikes == after, "{what}: spikes after T1");
            assert_same_end(&what, &rest.states, &reference.states);
        }
    }
}

#[test]
fn a_capture_does_not_change_a_plastic_run() {
    let spec = plastic_brunel(PL_HOM, true);
    let n_steps = spec.simulation.n_steps();
    let through = segment(&spec, Layout::new(2, 1), None, n_steps);
    // The same layout, stopped and captured at T1 and every 500 steps on.
    let mut states = segment(&spec, Layout::new(2, 1), None, T1).states;
    let mut spikes = Vec::new();
    for until in [1500, 2000, 2500, n_steps] {
        let part = segment(&spec, Layout::new(2, 1), Some(&states), until);
        spikes.extend(part.spikes);
        states = part.states;
    }
    assert!(spikes == spikes_from(&through, T1), "spikes after T1");
    assert_same_end("captured", &states, &through.states);
}

/// A finished run's last checkpoint extended to a later t_stop continues
/// as the longer run never stopped (the spikes pending at the end went to
/// every synapse once, at the end of the run, and were counted).
#[test]
fn a_finished_plastic_run_extends() {
    for (name, rule, one_delay) in rules() {
        let spec = plastic_brunel(rule, one_delay);
        let (to_2, to_1x2) = (Layout::new(2, 1), Layout::new(1, 2));
        let (reference, rest) = extended(&spec, T1, ONE, to_2, to_1x2);
        assert!(
            rest.spikes == spikes_from(&reference, T1),
            "{name}: spikes after T1"
        );
        assert_same_end(name, &rest.states, &reference.states);
    }
}

/// The states at the end are equal; the plastic part and the event
/// counts are checked first, for a message that names them.
fn assert_same_end(what: &str, a: &ChunkStates, b: &ChunkStates) {
    for (x, y) in a.chunks.iter().zip(&b.chunks) {
        let i = x.index;
        assert!(
            x.plastic == y.plastic,
            "{what}: chunk {i} plastic state at the end"
        );
        assert_eq!(x.events, y.events, "{what}: chunk {i} events");
    }
    assert!(a == b, "{what}: state at the end");
}

#[test]
fn a_plastic_checkpoint_that_does_not_fit_is_refused() {
    let spec = plastic_brunel(PL_HOM, true);
    let states = segment(&spec, ONE, None, T1).states;
    let mut cases: Vec<(&str, brainsim_sim::ChunkStates)> = Vec::new();
    let mut no_store = states.clone();
    no_store.chunks[0].plastic.stores.clear();
    cases.push(("plastic stores", no_store));
    let mut short = states.clone();
    short.chunks[0].plastic.stores[0].weight.pop();
    cases.push(("synapses", short));
    let mut rows = states.clone();
    rows.chunks[0].plastic.stores[0].kplus.pop();
    cases.push(("row arrays", rows));
    let mut history = states.clone();
    history.chunks[0].plastic.history.count[3] += 1;
    cases.push(("entries", history));
    let mut order = states.clone();
    let h = &mut order.chunks[0].plastic.history;
    let i = h
        .count
        .iter()
        .position(|&c| c >= 2)
        .expect("a neuron with two spikes");
    let at: usize = h.count[..i].iter().map(|&c| c as usize).sum();
    h.stamp.swap(at, at + 1);
    h.stamp[at] += 1;
    cases.push(("not in order", order));
    for (want, bad) in cases {
        let err = std::panic::catch_unwind(|| segment(&spec, ONE, Some(&bad), T1 + 10));
        let msg = match err {
            Err(e) => e.downcast_ref::<String>().cloned().unwrap_or_default(),
            Ok(_) => panic!("{want}: a bad checkpoint was taken"),
        };
        assert!(
            msg.contains("chunk 0: plastic synapses in the checkpoint") && msg.contains(want),
            "{want}: {msg}"
        );
    }
}
