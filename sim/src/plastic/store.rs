//! The plastic synapses of one projection onto one chunk: rows by source
//! gid (`plastic::index`), the row state every synapse of the row shares
//! (`RowState`), and per synapse its ring position and its weight as a
//! double — 12 bytes per synapse (NEST 3.10's `stdp_synapse` object alone
//! is 96).
//!
//! Delivery (`deliver`): for each spike, in the order given, the row's
//! rule runs (`Rule::row_before`, `synapse_memo` for each synapse,
//! `row_after`) and each transmitted weight is added to the ring in the
//! chunk's fixed point (`plastic::sink`). The store keeps the memos of its
//! pow and of each target's K_minus (`plastic::memo`); when every synapse
//! has the same delay and lane (one `base` offset) a synapse's target is
//! its offset minus `base`, without a division, and `stdp_pl_synapse_hom`
//! takes its fast path (`plastic::pl_hom`, the same doubles); the next
//! spike's row is prefetched.
//!
//! Invariant: the spikes of one source reach the store in stamp order (one
//! source is one chunk's neuron, emitted in step order; the epoch loop
//! delivers batches in time order), so every row sees its source's spikes
//! as NEST's synapse would. The bound on transmitted weights: `sink`.

use super::history::History;
use super::index::SourceIndex;
use super::memo::KMemo;
use super::pl_hom::{self, RowSpike};
use super::recent::Histories;
use super::rules::{Delay, PreSpike, RowState, Rule};
use super::sink::Sink;
use super::time::Clock;
use crate::connect::RawSynapse;
use crate::exchange::Spike;

/// One plastic projection's synapses onto one chunk (see the module doc).
#[derive(Clone, Debug)]
pub struct PlasticStore {
    /// The projection (index in the spec).
    pub projection: usize,
    /// Its rule and parameters.
    pub rule: Rule,
    /// Sources with a row, increasing, and their rows.
    index: SourceIndex,
    /// Row i is synapses `row_start[i]..row_start[i + 1]`.
    row_start: Vec<u32>,
    /// One per row.
    rows: Vec<RowState>,
    /// Per synapse: (delay * lanes + lane) * n + target, as the static store.
    offset: Vec<u32>,
    /// Per synapse: its weight (pA, or nS for conductances).
    weight: Vec<f64>,
    /// Neurons of the chunk and ring lanes per neuron.
    n: u32,
    lanes: u32,
    /// Smallest and largest delay (steps) of the synapses.
    pub min_delay: u32,
    /// Largest delay (steps).
    pub max_delay: u32,
    /// Largest weight a synapse may transmit (the fixed-point bound).
    pub bound: f64,
    /// Transmitted weights beyond `bound` (skipped, the run must fail).
    pub overflows: u64,
    /// `(delay * lanes + lane) * n` when it is the same for every synapse.
    base: Option<u32>,
    /// The memos (`plastic::memo`): each target's K_minus (one per neuron
    /// when the rule reads the history), and the bits of the
    /// `inv_tau_minus` they were made with.
    k_memo: Vec<KMemo>,
    memo_inv: u64,
}

/// What `deliver` needs of the chunk besides the store.
pub struct Target<'a> {
    /// The chunk's neurons' histories (empty when no rule reads them).
    pub history: &'a Histories,
    /// 1 / tau_minus of the chunk's population.
    pub inv_tau_minus: f64,
    /// Stamps and delays in ms.
    pub clock: Clock,
    /// The ring's fixed point (units per pA).
    pub fixed_scale: f64,
}

impl PlasticStore {
    /// The store of `raw` (the projection's synapses onto a chunk of `n`
    /// neurons with `lanes` lanes; receptor = lane), each row starting in
    /// `row0`, weights bounded by `bound`.
    pub fn build(
        projection: usize,
        rule: Rule,
        row0: RowState,
        raw: &mut [RawSynapse],
        n: u32,
        lanes: u32,
        bound: f64,
    ) -> Self {
        raw.sort_by_key(|s| s.source);
        let mut sources = Vec::new();
        let mut row_start = Vec::new();
        for (i, s) in raw.iter().enumerate() {
            if sources.last() != Some(&s.source) {
                sources.push(s.source);
                row_start.push(i as u32);
            }
        }
        row_start.push(raw.len() as u32);
        // With one lane (merged receptors) every receptor adds into lane 0.
        let lane = |s: &RawSynapse| if lanes == 1 { 0 } else { u32::from(s.receptor) };
        let offset = raw
            .iter()
            .map(|s| (s.delay_steps * lanes + lane(s)) * n + s.target)
            .collect();
        let bases = raw.iter().map(|s| (s.delay_steps * lanes + lane(s)) * n);
        let base = bases.clone().min().filter(|&b| bases.max() == Some(b));
        let k_memo = if rule.reads_history() {
            vec![KMemo::default(); n as usize]
        } else {
            Vec::new()
        };
        Self {
            projection,
            rule,
            rows: vec![row0; sources.len()],
            index: SourceIndex::new(sources),
            row_start,
            offset,
            weight: raw.iter().map(|s| f64::from(s.weight)).collect(),
            n,
            lanes,
            min_delay: raw.iter().map(|s| s.delay_steps).min().unwrap_or(u32::MAX),
            max_delay: raw.iter().map(|s| s.delay_steps).max().unwrap_or(0),
            bound,
            overflows: 0,
            base,
            k_memo,
            memo_inv: 0,
        }
    }

    /// Replaces the weights (one per synapse, in the order of the `raw`
    /// given to `build` once sorted by source, stably): initial weights
    /// read from a file (`plastic::loaded`), kept as f64.
    pub fn set_weights(&mut self, weights: Vec<f64>) {
        assert_eq!(weights.len(), self.weight.len(), "one weight per synapse");
        self.weight = weights;
    }

    /// Replaces the row states (one per row, by source: a checkpoint's).
    pub fn set_rows(&mut self, rows: Vec<RowState>) {
        assert_eq!(rows.len(), self.rows.len(), "one state per row");
        self.rows = rows;
    }

    /// Synapses held.
    pub fn len(&self) -> usize {
        self.offset.len()
    }

    /// No synapse.
    pub fn is_empty(&self) -> bool {
        self.offset.is_empty()
    }

    /// Bytes of the synapses and rows.
    pub fn bytes(&self) -> usize {
        self.len() * 12
            + self.index.bytes()
            + self.rows.len() * (4 + std::mem::size_of::<RowState>())
            + self.k_memo.len() * std::mem::size_of::<KMemo>()
    }

    /// The sources with a row, increasing.
    pub fn sources(&self) -> &[u32] {
        self.index.sources()
    }

    /// (source, target index in the chunk, delay steps, weight) of every
    /// synapse, by source.
    pub fn synapses(&self) -> impl Iterator<Item = (u32, u32, u32, f64)> + '_ {
        self.sources()
            .iter()
            .enumerate()
            .flat_map(move |(r, &src)| {
                (self.row_start[r]..self.row_start[r + 1]).map(move |i| {
                    let o = self.offset[i as usize];
                    let delay = o / (self.lanes * self.n);
                    (src, o % self.n, delay, self.weight[i as usize])
                })
            })
    }

    /// The weights, in the order of `synapses`.
    pub fn weights(&self) -> &[f64] {
        &self.weight
    }

    /// The row states, by source.
    pub fn rows(&self) -> &[RowState] {
        &self.rows
    }

    /// Delivers `spikes` (see the module doc) into `ring` (`[slot][lane][neuron]`,
    /// `slots` a power of two); returns the events added.
    pub fn deliver(&mut self, spikes: &[Spike], t: &Target, ring: &mut [i32], slots: u64) -> u64 {
        if t.inv_tau_minus.to_bits() != self.memo_inv {
            self.memo_inv = t.inv_tau_minus.to_bits();
            self.k_memo.fill(KMemo::default());
        }
        let stride = u64::from(self.lanes * self.n);
        let mask = slots - 1;
        let mut sink = Sink {
            ring,
            slot: 0,
            fixed_scale: t.fixed_scale,
            bound: self.bound,
            overflows: 0,
        };
        let mut events = 0;
        let mut args = pl_hom::Args::default();
        let mut next = spikes.first().and_then(|sp| self.index.row(sp.gid));
        for (k, sp) in spikes.iter().enumerate() {
            let row = next;
            next = spikes.get(k + 1).and_then(|sp| self.index.row(sp.gid));
            if let Some(r) = next {
                self.prefetch_row(r);
            }
            let Some(r) = row else { continue };
            let stamp = sp.step + 1;
            let pre = PreSpike {
                stamp: stamp as i64,
                t: t.clock.stamp_ms(stamp),
            };
            let mut state = self.rows[r];
            self.rule.row_before(&mut state, pre);
            let (a, b) = (self.row_start[r] as usize, self.row_start[r + 1] as usize);
            sink.slot = (sp.step & mask) * stride;
            self.deliver_row(a..b, &state, pre, t, &mut sink, &mut args);
            self.rule.row_after(&mut state, pre);
            self.rows[r] = state;
            events += (b - a) as u64;
        }
        self.overflows += sink.overflows;
        events
    }

    /// Hints the cache to load row `r`'s state and synapses (up to 1 KiB
    /// of each array, `ring::prefetch_range`).
    #[inline]
    fn prefetch_row(&self, r: usize) {
        use crate::ring::{prefetch_line, prefetch_range, TO_L1};
        let (a, b) = (self.row_start[r] as usize, self.row_start[r + 1] as usize);
        prefetch_line::<TO_L1, _>(self.rows.as_ptr().wrapping_add(r));
        prefetch_range(&self.offset[a..b]);
        prefetch_range(&self.weight[a..b]);
    }

    /// The synapses `range` of a row at spike `pre` (row state `row`),
    /// into `sink`: `stdp_pl_synapse_hom` with one delay by its fast path
    /// (`plastic::pl_hom`), any other by `Rule::synapse_memo`.
    #[inline]
    fn deliver_row(
        &mut self,
        range: std::ops::Range<usize>,
        row: &RowState,
        pre: PreSpike,
        t: &Target,
        sink: &mut Sink,
        args: &mut pl_hom::Args,
    ) {
        let per_delay = self.lanes * self.n;
        let delay = |steps: u32| Delay {
            steps: i64::from(steps),
            ms: t.clock.delay_ms(u64::from(steps)),
        };
        let fixed = self.base.map(|base| (delay(base / per_delay), base));
        if let (Rule::StdpPlHom(p), Some((d, base)), false) =
            (&self.rule, fixed, t.history.is_empty())
        {
            let s = RowSpike {
                p,
                row,
                pre,
                d,
                base,
                inv_tau_minus: t.inv_tau_minus,
            };
            let (offset, weight) = (&self.offset[range.clone()], &mut self.weight[range]);
            pl_hom::deliver_row(&s, offset, weight, t.history, sink, args);
            return;
        }
        let empty = History::default();
        let mut spare = KMemo::default();
        for i in range {
            let o = self.offset[i];
            let (d, target) = match fixed {
                Some((d, base)) => (d, o - base),
                None => (delay(o / per_delay), o % self.n),
            };
            // No history (nor K_minus memo) when the rule reads none (tsodyks2).
            let h = t.history.get(target as usize).unwrap_or(&empty);
            let k = self.k_memo.get_mut(target as usize).unwrap_or(&mut spare);
            let sent =
                self.rule
                    .synapse_memo(&mut self.weight[i], row, pre, d, h, t.inv_tau_minus, k);
            sink.add(o, sent);
        }
    }

    /// The earliest stamp a future lookup of this store can need: its rows'
    /// last spikes minus the largest delay (see `History::trim_before`).
    pub fn history_cut(&self) -> i64 {
        let last = self.rows.iter().map(|r| r.last).min().unwrap_or(i64::MAX);
        last.saturating_sub(i64::from(self.max_delay))
    }
}
