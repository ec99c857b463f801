//! Unit tests of the chunk graph, the report and METIS on tiny specs whose
//! weights are computed by hand.

use brainsim_sim::layout;
use brainsim_sim::spec::*;

use crate::graph::{messages, ChunkGraph, Edge};
use crate::{decompose, kway, Decomposition, Partitioner, Report};

fn pop(name: &str, size: u32, first_gid: u32, rate: Option<f64>) -> PopulationSpec {
    PopulationSpec {
        name: name.into(),
        size,
        first_gid,
        model: "iaf_psc_exp".into(),
        params: Default::default(),
        initial: Default::default(),
        expected_rate: rate,
    }
}

fn proj(source: usize, target: usize, rule: ConnRule, delay: Distribution) -> ProjectionSpec {
    ProjectionSpec {
        source,
        target,
        rule,
        allow_autapses: true,
        allow_multapses: true,
        weight: Distribution::Constant(1.0),
        delay,
        receptor: Receptor::BySign,
        plastic: None,
        procedural: false,
        weights_from: None,
    }
}

fn spec(
    chunk_size: usize,
    populations: Vec<PopulationSpec>,
    projections: Vec<ProjectionSpec>,
) -> NetworkSpec {
    NetworkSpec {
        simulation: SimulationSpec {
            dt: 0.1,
            t_stop: 10.0,
            seed: 1,
            threads: None,
            chunk_size,
        },
        populations,
        projections,
        stimuli: Vec::new(),
        records: Vec::new(),
    }
}

/// E (4 neurons, 10 Hz) in chunks c0, c1; I (2 neurons, no rate: 5 Hz) in c2.
/// E->E Bernoulli p = 0.5 (8 synapses, delay >= 0.2 ms), E->I in-degree 3
/// (6, 1.5 ms), I->E all-to-all (8, normal delay: >= 1 step).
fn tiny() -> NetworkSpec {
    spec(
        2,
        vec![pop("E", 4, 0, Some(10.0)), pop("I", 2, 4, None)],
        vec![
            proj(
                0,
                0,
                ConnRule::PairwiseBernoulli { p: 0.5 },
                Distribution::Uniform {
                    low: 0.2,
                    high: 0.4,
                },
            ),
            proj(
                0,
                1,
                ConnRule::FixedIndegree { indegree: 3 },
                Distribution::Constant(1.5),
            ),
            proj(
                1,
                0,
                ConnRule::AllToAll,
                Distribution::Normal {
                    mean: 1.0,
                    std: 0.5,
                },
            ),
        ],
    )
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

#[test]
fn chunk_graph_weights_match_hand_computed_values() {
    let s = tiny();
    let g = ChunkGraph::from_spec(&s, &layout::chunks(&s));
    assert_eq!(g.rate, vec![10.0, 10.0, 5.0]);
    // c0: 2 + 2 from E, 4 from I; c1 the same; c2: 3 + 3 from E.
    for (got, want) in g.incoming.iter().zip([8.0, 8.0, 6.0]) {
        assert!(close(*got, want), "{:?}", g.incoming);
    }
    let e = |source, target, synapses, min_delay_steps| Edge {
        source,
        target,
        synapses,
        min_delay_steps,
    };
    let want = [
        e(0, 1, 2.0, 2),
        e(0, 2, 3.0, 15),
        e(1, 0, 2.0, 2),
        e(1, 2, 3.0, 15),
        e(2, 0, 4.0, 1),
        e(2, 1, 4.0, 1),
    ];
    assert_eq!(g.edges.len(), want.len(), "{:?}", g.edges);
    for (got, want) in g.edges.iter().zip(&want) {
        assert_eq!((got.source, got.target), (want.source, want.target));
        assert!(close(got.synapses, want.synapses), "{got:?}");
        assert_eq!(got.min_delay_steps, want.min_delay_steps, "{got:?}");
    }
    // |A| rate (1 - exp(-n / |A|)): 2 * 10 * (1 - e^-1) and 2 * 5 * (1 - e^-2).
    assert!(close(
        g.edge_messages(&g.edges[0]),
        20.0 * (1.0 - (-1.0f64).exp())
    ));
    assert!(close(
        g.edge_messages(&g.edges[4]),
        10.0 * (1.0 - (-2.0f64).exp())
    ));
}

#[test]
fn one_to_one_edges_follow_the_index_overlap() {
    // A (4 neurons, chunks of 3: [0,3) [3,4)) one-to-one onto B (4: [0,3) [3,4)).
    let s = spec(
        3,
        vec![pop("A", 4, 0, None), pop("B", 4, 4, None)],
        vec![proj(0, 1, ConnRule::OneToOne, Distribution::Constant(0.5))],
    );
    let g = ChunkGraph::from_spec(&s, &layout::chunks(&s));
    let pairs: Vec<(u32, u32, f64)> = g
        .edges
        .iter()
        .map(|e| (e.source, e.target, e.synapses))
        .collect();
    assert_eq!(pairs, vec![(0, 2, 3.0), (1, 3, 1.0)]);
    assert_eq!(g.incoming, vec![0.0, 0.0, 3.0, 1.0]);
}

#[test]
fn report_counts_one_message_per_spike_and_destination_rank() {
    let s = tiny();
    let chunks = layout::chunks(&s);
    let g = ChunkGraph::from_spec(&s, &chunks);
    // c0, c2 on rank 0; c1 on rank 1.
    let d = Decomposition::new(&chunks, 2, vec![0, 1, 0]);
    let r = Report::new(&g, &d);
    assert_eq!(r.cut_edges, 4);
    // c2 -> c1 (I -> E, normal delay) is cut: 1 step.
    assert_eq!(r.min_cut_delay_steps, Some(1));
    // Rank 0: c0 -> rank 1 (2 synapses), c2 -> rank 1 (4 synapses).
    let r0 = messages(2, 10.0, 2.0) + messages(2, 5.0, 4.0);
    // Rank 1: c1 -> rank 0 holds c0 (2) and c2 (3): one message per spike for 5.
    let r1 = messages(2, 10.0, 5.0);
    assert!(
        close(r.messages_per_rank[0], r0),
        "{:?}",
        r.messages_per_rank
    );
    assert!(
        close(r.messages_per_rank[1], r1),
        "{:?}",
        r.messages_per_rank
    );
    assert!(close(r.imbalance[0], 4.0 / 3.0 - 1.0));
    assert!(close(r.imbalance[1], 14.0 / 11.0 - 1.0));
    let cut = messages(2, 10.0, 2.0) * 2.0 + messages(2, 10.0, 3.0) + messages(2, 5.0, 4.0);
    assert!(close(r.edge_cut, cut));
}

/// Two groups of 4 populations, all-to-all inside a group, one weak link.
fn two_clusters() -> NetworkSpec {
    let pops = (0..8)
        .map(|i| pop(&format!("P{i}"), 10, 10 * i, Some(5.0)))
        .collect();
    let mut projs = Vec::new();
    for g in 0..2 {
        for a in 0..4 {
            for b in 0..4 {
                if a != b {
                    let d = Distribution::Constant(1.0);
                    projs.push(proj(4 * g + a, 4 * g + b, ConnRule::AllToAll, d));
                }
            }
        }
    }
    projs.push(proj(
        3,
        4,
        ConnRule::FixedTotalNumber { n: 1 },
        Distribution::Constant(10.0),
    ));
    spec(10, pops, projs)
}

#[test]
fn metis_cuts_the_weak_link_and_is_deterministic() {
    let s = two_clusters();
    let chunks = layout::chunks(&s);
    let d = decompose(&s, &chunks, 2, Partitioner::Metis).unwrap();
    assert_eq!(d.owner[0..4], [d.owner[0]; 4]);
    assert_eq!(d.owner[4..8], [d.owner[4]; 4]);
    assert_ne!(d.owner[0], d.owner[4]);
    let r = Report::new(&ChunkGraph::from_spec(&s, &chunks), &d);
    assert_eq!(r.cut_edges, 1);
    assert_eq!(r.min_cut_delay_steps, Some(100));
    // The one weak-link synapse lands on one side: 1 of 1201 synapses.
    assert_eq!(r.imbalance[0], 0.0);
    assert!(r.imbalance[1] < 1e-3, "{:?}", r.imbalance);
    assert_eq!(decompose(&s, &chunks, 2, Partitioner::Metis).unwrap(), d);
}

#[test]
fn metis_with_one_rank_or_more_ranks_than_chunks() {
    let s = two_clusters();
    let g = ChunkGraph::from_spec(&s, &layout::chunks(&s));
    assert_eq!(kway::kway(&g, 1).unwrap(), vec![0; 8]);
    assert_eq!(kway::kway(&g, 8).unwrap(), (0..8).collect::<Vec<u32>>());
    assert_eq!(kway::kway(&g, 20).unwrap(), (0..8).collect::<Vec<u32>>());
}

/// In-process ranks partition at the same time (METIS keeps global state);
/// each must get the partition a lone caller gets.
#[test]
fn concurrent_metis_callers_get_the_same_partition() {
    let s = two_clusters();
    let g = ChunkGraph::from_spec(&s, &layout::chunks(&s));
    let alone = kway::kway(&g, 3).unwrap();
    for _ in 0..5 {
        std::thread::scope(|sc| {
            let handles: Vec<_> = (0..4)
                .map(|_| sc.spawn(|| kway::kway(&g, 3).unwrap()))
                .collect();
            for h in handles {
                assert_eq!(h.join().unwrap(), alone);
            }
        });
    }
}
