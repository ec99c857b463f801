//! METIS k-way partitioning of the chunk graph (the only code that touches
//! METIS in the workspace).
//!
//! METIS wants an undirected graph with integer weights (i32), so:
//! - the edge weight of {A, B} is messages(A -> B) + messages(B -> A);
//! - each of the two vertex constraints (neurons, incoming synapses) and the
//!   edge weights are scaled so that their total is about 2^26 (METIS sums
//!   them in i32), and every non-zero weight stays >= 1;
//! - the seed is fixed, so every rank computes the same partition.
//!
//! Edge cases: one rank gets everything; with at least as many ranks as
//! chunks, chunk i goes to rank i (ranks beyond the chunk count stay empty).

use crate::graph::ChunkGraph;

/// Seed of METIS's randomised coarsening (the same on every rank).
pub const METIS_SEED: i32 = 1;
/// Serialises the calls into METIS within a process (see `kway`).
static METIS_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
/// Allowed imbalance per constraint (max / mean).
const IMBALANCE_TOLERANCE: f32 = 1.03;
/// Scaled weights of each kind add up to about this.
const WEIGHT_TOTAL: f64 = (1u64 << 26) as f64;

/// Scales non-negative weights so they sum to about `WEIGHT_TOTAL`, non-zero
/// ones to at least 1.
pub(crate) fn scale(w: impl Iterator<Item = f64> + Clone) -> Vec<i32> {
    let total: f64 = w.clone().sum();
    let f = if total > 0.0 {
        WEIGHT_TOTAL / total
    } else {
        0.0
    };
    w.map(|x| {
        if x > 0.0 {
            ((x * f).round() as i32).max(1)
        } else {
            0
        }
    })
    .collect()
}

/// The chunk graph as METIS wants it: undirected edges {a, b} (weights of
/// both directions summed, scaled) in CSR form, each edge in both rows.
fn weighted_csr(graph: &ChunkGraph) -> (Vec<i32>, Vec<i32>, Vec<i32>) {
    let und = graph
        .edges
        .iter()
        .map(|e| (e.source, e.target, graph.edge_messages(e)));
    undirected_csr(graph.n_vertices(), und)
}

/// Directed weighted edges (a, b, w) between `n` vertices as METIS's
/// undirected graph: {a, b} weighs the sum of both directions (scaled,
/// `scale`), in CSR form with each edge in both rows. Self-edges are
/// dropped.
pub(crate) fn undirected_csr(
    n: usize,
    edges: impl Iterator<Item = (u32, u32, f64)>,
) -> (Vec<i32>, Vec<i32>, Vec<i32>) {
    // Undirected edges {a, b}, a < b, summed over both directions.
    let mut und: Vec<(u32, u32, f64)> = edges
        .filter(|e| e.0 != e.1)
        .map(|(s, t, w)| (s.min(t), s.max(t), w))
        .collect();
    und.sort_unstable_by_key(|&(a, b, _)| (a, b));
    und.dedup_by(|next, kept| {
        if (next.0, next.1) == (kept.0, kept.1) {
            kept.2 += next.2;
            true
        } else {
            false
        }
    });
    let w = scale(und.iter().map(|e| e.2));
    // CSR, both directions.
    let mut degree = vec![0usize; n + 1];
    for &(a, b, _) in &und {
        degree[a as usize + 1] += 1;
        degree[b as usize + 1] += 1;
    }
    for i in 0..n {
        degree[i + 1] += degree[i];
    }
    let mut fill = degree[..n].to_vec();
    let mut adjncy = vec![0i32; 2 * und.len()];
    let mut adjwgt = vec![0i32; 2 * und.len()];
    for (&(a, b, _), &wt) in und.iter().zip(&w) {
        for (u, v) in [(a, b), (b, a)] {
            let f = &mut fill[u as usize];
            adjncy[*f] = v as i32;
            adjwgt[*f] = wt;
            *f += 1;
        }
    }
    let xadj: Vec<i32> = degree.iter().map(|&d| d as i32).collect();
    (xadj, adjncy, adjwgt)
}

/// Chunk -> rank by METIS k-way with two constraints.
pub fn kway(graph: &ChunkGraph, ranks: usize) -> Result<Vec<u32>, String> {
    let n = graph.n_vertices();
    if ranks <= 1 {
        return Ok(vec![0; n]);
    }
    if ranks >= n {
        return Ok((0..n as u32).collect());
    }
    let (xadj, adjncy, adjwgt) = weighted_csr(graph);
    let neurons = scale(graph.chunks.iter().map(|c| f64::from(c.len)));
    let incoming = scale(graph.incoming.iter().copied());
    let ncon = if incoming.iter().any(|&x| x > 0) {
        2
    } else {
        1
    };
    let vwgt: Vec<i32> = if ncon == 2 {
        neurons
            .iter()
            .zip(&incoming)
            .flat_map(|(&a, &b)| [a, b])
            .collect()
    } else {
        neurons
    };
    metis_parts(ncon, ranks, &vwgt, (&xadj, &adjncy, &adjwgt))
}

/// METIS k-way of a CSR graph with `ncon` interleaved (scaled) vertex
/// weights per vertex, into `ranks` parts.
pub(crate) fn metis_parts(
    ncon: usize,
    ranks: usize,
    vwgt: &[i32],
    (xadj, adjncy, adjwgt): (&[i32], &[i32], &[i32]),
) -> Result<Vec<u32>, String> {
    let n = xadj.len() - 1;
    let ubvec = vec![IMBALANCE_TOLERANCE; ncon];
    let mut part = vec![0i32; n];
    let g = metis::Graph::new(ncon as i32, ranks as i32, xadj, adjncy)
        .map_err(|e| format!("METIS: {e}"))?
        .set_vwgt(vwgt)
        .set_ubvec(&ubvec)
        .set_option(metis::option::Seed(METIS_SEED));
    let g = if adjwgt.is_empty() {
        g
    } else {
        g.set_adjwgt(adjwgt)
    };
    {
        // METIS keeps global state while it partitions (GKlib's memory
        // core, its random generator): two calls at once in one process —
        // in-process ranks, tests — gave different partitions. One at a time.
        let _only_caller = METIS_LOCK.lock().unwrap_or_else(|p| p.into_inner());
        g.part_kway(&mut part).map_err(|e| format!("METIS: {e}"))?;
    }
    Ok(part.into_iter().map(|r| r as u32).collect())
}
