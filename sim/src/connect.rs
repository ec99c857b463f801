//! Connection rules (NEST's `conn_spec`): generate the incoming synapses of one
//! target chunk for one projection.
//!
//! Invariant: every random draw is keyed by what it decides — (projection,
//! target gid) for in-degree, Bernoulli and all-to-all rules, (projection,
//! source gid) for out-degree, (projection, target chunk) for a fixed total
//! number after a multinomial split among chunks keyed by the projection alone.
//! So the synapses of a chunk are the same whichever rank or thread builds it.

use std::collections::HashSet;

use crate::dist::{DelaySampler, WeightSampler};
use crate::layout::ChunkInfo;
use crate::model::{self, Router};
use crate::rng::{stream_id, Purpose, Stream};
use crate::spec::{ConnRule, NetworkSpec, PopulationSpec, ProjectionSpec};

/// A synapse before it is packed into the store.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RawSynapse {
    /// Source gid.
    pub source: u32,
    /// Target index within the chunk.
    pub target: u32,
    /// Receptor index of the target model.
    pub receptor: u8,
    /// Delay in whole steps (>= 1).
    pub delay_steps: u32,
    /// Weight (pA).
    pub weight: f32,
}

/// Sub-stream tags so that the rules of one projection never share counters.
const SUB_TARGET: u32 = 0;
const SUB_SOURCE: u32 = 1;
const SUB_CHUNK: u32 = 2;

/// What every rule of one projection needs: the stream key, the samplers,
/// and the source and target populations.
struct Ctx<'a> {
    seed: u32,
    stream: u32,
    weight: WeightSampler,
    delay: DelaySampler,
    p: &'a ProjectionSpec,
    /// Source gids: s0..s0 + ns.
    s0: u32,
    ns: u32,
    tgt: &'a PopulationSpec,
    /// Which receptor of the target model a weight drives, and how.
    router: Router,
}

impl<'a> Ctx<'a> {
    fn new(spec: &'a NetworkSpec, proj: usize) -> Self {
        let p = &spec.projections[proj];
        let src = &spec.populations[p.source];
        Ctx {
            seed: spec.simulation.seed,
            stream: stream_id(Purpose::Connect, proj),
            weight: WeightSampler::new(&p.weight),
            delay: DelaySampler::new(&p.delay, spec.simulation.dt),
            p,
            s0: src.first_gid,
            ns: src.size,
            tgt: &spec.populations[p.target],
            router: model::lookup(&spec.populations[p.target].model)
                .expect("validated model")
                .router(&p.receptor),
        }
    }

    /// False for a refused autapse (source == target in one population).
    #[inline]
    fn autapse_ok(&self, source: u32, target: u32) -> bool {
        self.p.allow_autapses || self.p.source != self.p.target || source != target
    }

    /// The stream of a per-target rule: keyed by (projection, target gid).
    #[inline]
    fn target_stream(&self, t: u32) -> Stream {
        Stream::new(self.seed, self.stream, t, SUB_TARGET)
    }

    /// Draws weight then delay (in that order: the stream position of every
    /// later draw depends on it).
    #[inline]
    fn synapse(&self, s: &mut Stream, source: u32, target: u32) -> RawSynapse {
        let w = self.weight.sample(s);
        let d = self.delay.sample_steps(s);
        let (receptor, w) = self.router.route(w);
        RawSynapse {
            source,
            target,
            receptor: receptor as u8,
            delay_steps: d,
            weight: w as f32,
        }
    }
}

/// How a fixed total number of synapses is split among the target chunks:
/// sequential conditional binomials keyed by the projection (a multinomial with
/// probabilities proportional to chunk size). Same on every rank.
pub fn split_total(spec: &NetworkSpec, proj: usize, chunks: &[ChunkInfo]) -> Vec<u64> {
    let p = &spec.projections[proj];
    let ConnRule::FixedTotalNumber { n } = p.rule else {
        return Vec::new();
    };
    let target_chunks: Vec<&ChunkInfo> =
        chunks.iter().filter(|c| c.population == p.target).collect();
    let mut s = Stream::new(spec.simulation.seed, stream_id(Purpose::Split, proj), 0, 0);
    let mut remaining = n;
    let mut remaining_size: u64 = target_chunks.iter().map(|c| u64::from(c.len)).sum();
    let mut out = Vec::with_capacity(target_chunks.len());
    for c in target_chunks {
        let k = if remaining_size == u64::from(c.len) {
            remaining
        } else {
            s.binomial(remaining, c.len as f64 / remaining_size as f64)
        };
        out.push(k);
        remaining -= k;
        remaining_size -= u64::from(c.len);
    }
    out
}

/// Appends the synapses of projection `proj` onto `chunk` to `out`.
/// `chunk_share` is this chunk's entry of `split_total` (fixed_total_number only).
pub fn generate(
    spec: &NetworkSpec,
    proj: usize,
    chunk: &ChunkInfo,
    chunk_share: u64,
    out: &mut Vec<RawSynapse>,
) {
    let ctx = Ctx::new(spec, proj);
    debug_assert_eq!(ctx.p.target, chunk.population);
    match ctx.p.rule {
        ConnRule::AllToAll => all_to_all(&ctx, chunk, out),
        ConnRule::OneToOne => one_to_one(&ctx, chunk, out),
        ConnRule::FixedIndegree { indegree } => fixed_indegree(&ctx, chunk, indegree, out),
        ConnRule::FixedOutdegree { outdegree } => fixed_outdegree(&ctx, chunk, outdegree, out),
        ConnRule::FixedTotalNumber { .. } => fixed_total_number(&ctx, chunk, chunk_share, out),
        ConnRule::PairwiseBernoulli { p } => pairwise_bernoulli(&ctx, chunk, p, out),
    }
}

/// Every source onto every target (autapses dropped if refused); weights and
/// delays drawn from the target's stream, sources in gid order.
fn all_to_all(ctx: &Ctx<'_>, chunk: &ChunkInfo, out: &mut Vec<RawSynapse>) {
    for (ti, t) in chunk.gids().enumerate() {
        let mut s = ctx.target_stream(t);
        for sg in ctx.s0..ctx.s0 + ctx.ns {
            if ctx.autapse_ok(sg, t) {
                out.push(ctx.synapse(&mut s, sg, ti as u32));
            }
        }
    }
}

/// Source i of the source population onto target i of the target population
/// (validation makes the sizes equal).
fn one_to_one(ctx: &Ctx<'_>, chunk: &ChunkInfo, out: &mut Vec<RawSynapse>) {
    for (ti, t) in chunk.gids().enumerate() {
        let mut s = ctx.target_stream(t);
        let sg = ctx.s0 + (t - ctx.tgt.first_gid);
        if ctx.autapse_ok(sg, t) {
            out.push(ctx.synapse(&mut s, sg, ti as u32));
        }
    }
}

/// Exactly `indegree` sources per target, drawn uniformly; refused autapses
/// and repeated sources (without multapses) are redrawn.
fn fixed_indegree(ctx: &Ctx<'_>, chunk: &ChunkInfo, indegree: u64, out: &mut Vec<RawSynapse>) {
    let mut chosen = HashSet::new();
    for (ti, t) in chunk.gids().enumerate() {
        let mut s = ctx.target_stream(t);
        chosen.clear();
        let mut made = 0;
        while made < indegree {
            let sg = ctx.s0 + s.below(ctx.ns);
            if !ctx.autapse_ok(sg, t) || (!ctx.p.allow_multapses && !chosen.insert(sg)) {
                continue;
            }
            out.push(ctx.synapse(&mut s, sg, ti as u32));
            made += 1;
        }
    }
}

/// Exactly `outdegree` targets per source over the whole target population.
/// Every chunk replays each source's full draw and keeps its own targets:
/// O(sources x outdegree) per chunk (see DESIGN.md).
fn fixed_outdegree(ctx: &Ctx<'_>, chunk: &ChunkInfo, outdegree: u64, out: &mut Vec<RawSynapse>) {
    let mut chosen = HashSet::new();
    for sg in ctx.s0..ctx.s0 + ctx.ns {
        let mut s = Stream::new(ctx.seed, ctx.stream, sg, SUB_SOURCE);
        chosen.clear();
        let mut made = 0;
        while made < outdegree {
            let t = ctx.tgt.first_gid + s.below(ctx.tgt.size);
            if !ctx.autapse_ok(sg, t) || (!ctx.p.allow_multapses && !chosen.insert(t)) {
                continue;
            }
            // Draw weight and delay for every synapse so the stream
            // position does not depend on which chunk is asking.
            let syn = ctx.synapse(&mut s, sg, t.wrapping_sub(chunk.first_gid));
            if chunk.gids().contains(&t) {
                out.push(syn);
            }
            made += 1;
        }
    }
}

/// This chunk's `share` of a fixed total (from `split_total`): uniform
/// (source, target) pairs from the chunk's own stream.
fn fixed_total_number(ctx: &Ctx<'_>, chunk: &ChunkInfo, share: u64, out: &mut Vec<RawSynapse>) {
    let mut s = Stream::new(ctx.seed, ctx.stream, chunk.first_gid, SUB_CHUNK);
    let mut chosen = HashSet::new();
    let mut made = 0;
    while made < share {
        let ti = s.below(chunk.len);
        let sg = ctx.s0 + s.below(ctx.ns);
        let t = chunk.first_gid + ti;
        if !ctx.autapse_ok(sg, t) || (!ctx.p.allow_multapses && !chosen.insert((sg, ti))) {
            continue;
        }
        out.push(ctx.synapse(&mut s, sg, ti));
        made += 1;
    }
}

/// Each (source, target) pair with probability `prob`, independently.
fn pairwise_bernoulli(ctx: &Ctx<'_>, chunk: &ChunkInfo, prob: f64, out: &mut Vec<RawSynapse>) {
    if prob <= 0.0 {
        return;
    }
    let log_q = (1.0 - prob).ln();
    for (ti, t) in chunk.gids().enumerate() {
        let mut s = ctx.target_stream(t);
        // Geometric skips between successes: one draw per synapse, not per pair.
        let mut i: u64 = 0;
        loop {
            if prob < 1.0 {
                i += (s.uniform_open32().ln() / log_q).floor() as u64;
            }
            if i >= u64::from(ctx.ns) {
                break;
            }
            let sg = ctx.s0 + i as u32;
            if ctx.autapse_ok(sg, t) {
                out.push(ctx.synapse(&mut s, sg, ti as u32));
            }
            i += 1;
        }
    }
}

/// Expected number of synapses of a projection (for estimates and partitioning).
pub fn expected_synapses(spec: &NetworkSpec, proj: usize) -> f64 {
    let p = &spec.projections[proj];
    let ns = f64::from(spec.populations[p.source].size);
    let nt = f64::from(spec.populations[p.target].size);
    let autapses = if p.source == p.target && !p.allow_autapses {
        nt
    } else {
        0.0
    };
    match p.rule {
        ConnRule::AllToAll => ns * nt - autapses,
        ConnRule::OneToOne => nt - autapses,
        ConnRule::FixedIndegree { indegree } => indegree as f64 * nt,
        ConnRule::FixedOutdegree { outdegree } => outdegree as f64 * ns,
        ConnRule::FixedTotalNumber { n } => n as f64,
        ConnRule::PairwiseBernoulli { p: prob } => prob * (ns * nt - autapses),
    }
}

#[cfg(test)]
mod tests;
