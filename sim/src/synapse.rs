//! The synapse store of one chunk: incoming synapses grouped by source gid,
//! 5 bytes per synapse when they fit (the usual case), else 8.
//!
//! Each synapse holds `offset` = (delay * L + lane) * n + target, its
//! position in the chunk's ring buffer relative to the slot of the spike's step
//! (L lanes, n neurons; the lane is the receptor, or 0 for all when the
//! model merges receptors), and the weight in fixed point (i32, 2^-k pA).
//! Delivery is one add and one conditional wrap per synapse.
//!
//! Packed layout (decided): a synapse is one 40-bit little-endian word, the
//! offset in its low `off_bits` bits and the weight, two's complement, in the
//! other 40 - off_bits. It is used when every offset and every fixed-point
//! weight of the chunk fits, so packing loses nothing (the weights are the
//! same integers as in the 8-byte layout). Rows are read from DRAM at random
//! places, so bytes per synapse are delivery time: 5 instead of 8 bytes cut
//! the full microcircuit's synapses from 2.4 to 1.5 GB.
//! Rows are found through a `RowIndex` over source gids: dense (one entry
//! per gid of the network, one load per look-up) when at least 1/8 of all
//! gids are sources of the chunk, sparse (sorted source list, binary search)
//! otherwise — so a chunk of a huge, modular network does not pay O(N).
//!
//! Invariant behind the fixed-point scale: one ring entry (slot, lane,
//! neuron) receives at most one event per synapse of that neuron (a source
//! spikes at most once per step) plus the step's device events, so its sum is
//! bounded by the sum of |w| over the neuron's synapses plus the devices' most
//! in one step. `k` is the largest exponent (<= 24) for which that
//! bound fits in i32 for every neuron of the chunk: no sum can overflow.

use crate::bigbuf::{BigBuf, Zeroable};
use crate::connect::RawSynapse;

/// A synapse in the wide (8-byte) layout.
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(C)]
pub struct Synapse {
    /// Ring position relative to the spike's slot: (delay * L + lane) * n + target.
    pub offset: u32,
    /// Weight in units of 2^-k pA (see `SynapseStore::fixed_scale`).
    pub weight: i32,
}

const _: () = assert!(std::mem::size_of::<Synapse>() == 8);

/// Bytes per synapse in the packed layout.
pub const PACKED_BYTES: usize = 5;
/// Slack after the last packed synapse so that every one can be read with
/// one unaligned 8-byte load.
const PACKED_SLACK: usize = 8 - PACKED_BYTES;

/// Synapse `i` of a packed buffer.
#[inline(always)]
pub fn unpack(bytes: &[u8], i: usize, off_bits: u32) -> (u32, i32) {
    let at = i * PACKED_BYTES;
    let x = u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap());
    let offset = (x & ((1u64 << off_bits) - 1)) as u32;
    // Sign-extend the 40-bit word, then drop the offset bits.
    let weight = (((x << 24) as i64) >> (24 + off_bits)) as i32;
    (offset, weight)
}

#[inline]
fn pack(bytes: &mut [u8], i: usize, off_bits: u32, s: Synapse) {
    let x = u64::from(s.offset) | ((i64::from(s.weight) as u64) << off_bits);
    let at = i * PACKED_BYTES;
    // Exactly 5 bytes: the neighbours may already be written.
    bytes[at..at + 4].copy_from_slice(&(x as u32).to_le_bytes());
    bytes[at + 4] = (x >> 32) as u8;
}

#[cfg(test)]
pub(crate) fn pack_for_test(bytes: &mut [u8], i: usize, off_bits: u32, s: Synapse) {
    pack(bytes, i, off_bits, s)
}

/// The synapses of a store as delivery reads them.
#[derive(Clone, Copy)]
pub enum SynapseView<'a> {
    /// 8 bytes per synapse.
    Wide(&'a [Synapse]),
    /// `PACKED_BYTES` per synapse (see `unpack`).
    Packed {
        /// The packed synapses, plus slack for 8-byte loads.
        bytes: &'a [u8],
        /// Bits of the offset (the low bits of each 40-bit word).
        off_bits: u32,
    },
}

#[derive(Debug)]
enum Storage {
    Wide(BigBuf<Synapse>),
    Packed { bytes: BigBuf<u8>, off_bits: u32 },
}
// SAFETY: two integers, no padding: all-zero bytes are a valid Synapse.
unsafe impl Zeroable for Synapse {}

/// Where each source's row starts in `synapses`.
#[derive(Debug)]
enum RowIndex {
    /// Row of gid g: `row_start[g]..row_start[g + 1]` (n_gids + 1 entries).
    Dense(Vec<u32>),
    /// Row of `sources[i]`: `row_start[i]..row_start[i + 1]`; sources sorted.
    Sparse {
        sources: Vec<u32>,
        row_start: Vec<u32>,
    },
}

/// A chunk whose sources are fewer than 1/SPARSE_BELOW of all gids gets a
/// sparse row index.
pub const SPARSE_BELOW: usize = 8;

/// The incoming synapses of one chunk, in rows by source gid (see the module
/// docs).
#[derive(Debug)]
pub struct SynapseStore {
    rows: RowIndex,
    storage: Storage,
    len: usize,
    /// Smallest delay (steps) of the store's synapses; u32::MAX when empty.
    pub min_delay: u32,
    /// Largest delay (steps) of the store's synapses; 0 when empty.
    pub max_delay: u32,
    /// 2^k: fixed-point units per pA.
    pub fixed_scale: f64,
}

/// Largest fixed-point exponent used (resolution 2^-24 pA, about 6e-8 pA).
const MAX_SCALE_EXP: i32 = 24;

/// The scale 2^k such that `bound` pA (and anything below) fits in i32.
pub fn fixed_scale_for(bound: f64) -> f64 {
    if bound <= 0.0 {
        return 2f64.powi(MAX_SCALE_EXP);
    }
    let k = ((f64::from(i32::MAX) / bound).log2().floor() as i32).min(MAX_SCALE_EXP);
    2f64.powi(k)
}

/// `x` rounded to the nearest integer, halves away from zero (as `f64::round`,
/// which is a libm call on baseline x86-64: this is half the price).
/// Requires |x| < 2^31.
#[inline]
pub fn round_half_away(x: f64) -> i32 {
    let t = x as i32;
    let frac = x - f64::from(t);
    if frac >= 0.5 {
        t + 1
    } else if frac <= -0.5 {
        t - 1
    } else {
        t
    }
}

/// The offset field's width if synapses with offsets <= `max_offset` and
/// fixed-point weights |w| <= `max_abs_weight` fit the packed layout
/// unchanged, else None (wide). The one rule, shared with the memory estimate.
pub fn packed_off_bits(max_offset: u32, max_abs_weight: i64) -> Option<u32> {
    let off_bits = (32 - max_offset.leading_zeros()).max(1);
    // The weight field is 40 - off_bits bits, two's complement.
    (off_bits < 38 && max_abs_weight < 1i64 << (39 - off_bits)).then_some(off_bits)
}

/// Bytes requested for the synapses of a store of `n` synapses, packed or
/// wide (before `BigBuf` rounds them up, see `bigbuf::footprint`).
pub fn storage_bytes(n: usize, packed: bool) -> usize {
    if packed {
        n * PACKED_BYTES + PACKED_SLACK
    } else {
        n * std::mem::size_of::<Synapse>()
    }
}

/// Zeroed storage for `n` synapses: packed if every offset (<= `max_offset`)
/// and weight (|w| <= `max_abs_weight`) fits in 40 bits unchanged, else wide.
fn packed_layout(n: usize, max_offset: u32, max_abs_weight: i64) -> Storage {
    match packed_off_bits(max_offset, max_abs_weight) {
        Some(off_bits) => Storage::Packed {
            bytes: BigBuf::zeroed(storage_bytes(n, true)),
            off_bits,
        },
        None => Storage::Wide(BigBuf::zeroed(n)),
    }
}

/// Row starts by source gid: `row_start[g]..row_start[g + 1]` are the
/// positions of g's synapses (`n_sources + 1` entries, a prefix sum of the
/// per-source counts).
fn row_starts(raw: &[RawSynapse], n_sources: usize) -> Vec<u32> {
    let mut row_start = vec![0u32; n_sources + 1];
    for s in raw {
        row_start[s.source as usize + 1] += 1;
    }
    for i in 0..n_sources {
        row_start[i + 1] += row_start[i];
    }
    row_start
}

/// What the synapses of a chunk span: delays, the largest |weight| and the
/// fixed-point scale their per-target sums (plus the devices') allow.
struct Ranges {
    min_delay: u32,
    max_delay: u32,
    max_abs_w: f32,
    fixed_scale: f64,
}

impl Ranges {
    /// `raw[..counted]` count their |w| into the bound; the rest are rows
    /// by source, whose bound `device_bound` already holds
    /// (`connect::input_bound`).
    fn of(raw: &[RawSynapse], counted: usize, n_targets: u32, device_bound: &[f64]) -> Self {
        // Per target: the devices' most in one step, then every |w| (in this
        // order: the float sum, hence the scale, depends on it).
        let mut bound = vec![0.0f64; n_targets as usize];
        for (b, d) in bound.iter_mut().zip(device_bound) {
            *b += d;
        }
        let (mut min_delay, mut max_delay, mut max_abs_w) = (u32::MAX, 0, 0.0f32);
        for (i, s) in raw.iter().enumerate() {
            if i < counted {
                bound[s.target as usize] += f64::from(s.weight).abs();
            }
            min_delay = min_delay.min(s.delay_steps);
            max_delay = max_delay.max(s.delay_steps);
            max_abs_w = max_abs_w.max(s.weight.abs());
        }
        Self {
            min_delay,
            max_delay,
            max_abs_w,
            fixed_scale: fixed_scale_for(bound.iter().copied().fold(0.0, f64::max)),
        }
    }
}

/// Turns a raw synapse into its ring offset and fixed-point weight.
#[derive(Clone, Copy, Debug)]
pub struct Encoder {
    /// Ring lanes per neuron (1: every receptor in lane 0).
    pub n_lanes: u32,
    /// Neurons of the chunk.
    pub n_targets: u32,
    /// Fixed-point units per pA.
    pub fixed_scale: f64,
}

impl Encoder {
    /// The ring offset and fixed-point weight of `s`.
    #[inline]
    pub fn encode(&self, s: &RawSynapse) -> Synapse {
        let lane = if self.n_lanes == 1 {
            0
        } else {
            u64::from(s.receptor)
        };
        let offset = (u64::from(s.delay_steps) * u64::from(self.n_lanes) + lane)
            * u64::from(self.n_targets)
            + u64::from(s.target);
        Synapse {
            offset: offset as u32,
            weight: round_half_away(f64::from(s.weight) * self.fixed_scale),
        }
    }
}

/// Writes every synapse of `raw` into its source's row of `storage`, the
/// row of source g starting at `row_start[row(g)]`, synapses of one row in
/// `raw` order.
fn fill_rows(
    storage: &mut Storage,
    raw: &[RawSynapse],
    row_start: &[u32],
    row: impl Fn(u32) -> usize,
    enc: &Encoder,
) {
    let mut fill = row_start.to_vec();
    match storage {
        Storage::Wide(v) => {
            for s in raw {
                let pos = &mut fill[row(s.source)];
                v[*pos as usize] = enc.encode(s);
                *pos += 1;
            }
        }
        Storage::Packed { bytes, off_bits } => {
            for s in raw {
                let pos = &mut fill[row(s.source)];
                pack(bytes, *pos as usize, *off_bits, enc.encode(s));
                *pos += 1;
            }
        }
    }
}

impl RowIndex {
    /// The sparse index of `raw`'s sources, built from them alone (without
    /// a pass over every gid of the network).
    fn sparse_of(raw: &[RawSynapse]) -> Self {
        let mut all: Vec<u32> = raw.iter().map(|s| s.source).collect();
        all.sort_unstable();
        all.dedup();
        // Exact capacities: `bytes()` (and the memory estimate) count them.
        let mut sources = Vec::with_capacity(all.len());
        sources.extend_from_slice(&all);
        let mut row_start = vec![0u32; sources.len() + 1];
        for s in raw {
            let i = sources.binary_search(&s.source).expect("a source of raw");
            row_start[i + 1] += 1;
        }
        for i in 0..sources.len() {
            row_start[i + 1] += row_start[i];
        }
        RowIndex::Sparse { sources, row_start }
    }

    /// The dense index `row_start` (over `n_sources` gids) as it is, or, when
    /// fewer than 1/SPARSE_BELOW of the gids have a row, the sparse one.
    fn new(row_start: Vec<u32>, n_sources: usize) -> Self {
        let n_used = row_start.windows(2).filter(|w| w[0] < w[1]).count();
        if n_used * SPARSE_BELOW >= n_sources {
            return RowIndex::Dense(row_start);
        }
        // Exact capacities: `bytes()` (and the memory estimate) count them.
        let mut sources = Vec::with_capacity(n_used);
        sources.extend(
            (0..n_sources as u32).filter(|&g| row_start[g as usize] < row_start[g as usize + 1]),
        );
        let mut starts = Vec::with_capacity(n_used + 1);
        starts.extend(sources.iter().map(|&g| row_start[g as usize]));
        starts.push(row_start[n_sources]);
        RowIndex::Sparse {
            sources,
            row_start: starts,
        }
    }
}

impl Default for SynapseStore {
    fn default() -> Self {
        Self::build(&[], 0, 0, 0, 1, &[])
    }
}

impl SynapseStore {
    /// Packs `raw` into rows by source. `n_sources` = number of gids; `n_lanes`
    /// ring lanes per neuron (1: every receptor shares lane 0, else lane =
    /// receptor); `device_bound[t]` = the most the chunk's devices (and the
    /// projections generated by source) add to target t in one step (pA),
    /// part of the fixed-point bound (may be empty); the |w| of
    /// `raw[..counted]` are added to it.
    pub fn build(
        raw: &[RawSynapse],
        counted: usize,
        n_sources: usize,
        n_targets: u32,
        n_lanes: u32,
        device_bound: &[f64],
    ) -> Self {
        let ranges = Ranges::of(raw, counted, n_targets, device_bound);
        let enc = Encoder {
            n_lanes,
            n_targets,
            fixed_scale: ranges.fixed_scale,
        };
        // Upper bounds of every offset and |weight| of the chunk.
        let max_offset =
            ((u64::from(ranges.max_delay) + 1) * u64::from(n_lanes) * u64::from(n_targets))
                .saturating_sub(1)
                .min(u64::from(u32::MAX)) as u32;
        let max_abs_weight = i64::from(round_half_away(
            f64::from(ranges.max_abs_w) * enc.fixed_scale,
        ));
        let mut storage = packed_layout(raw.len(), max_offset, max_abs_weight);
        // Fewer synapses than 1/SPARSE_BELOW of the gids: fewer sources too,
        // so the index is sparse (as `RowIndex::new` would decide), built
        // without an array over every gid (a Spaun-scale chunk of
        // procedural rows stores nothing, among 6.6 M gids).
        let rows = if raw.len() * SPARSE_BELOW < n_sources {
            let rows = RowIndex::sparse_of(raw);
            let RowIndex::Sparse { sources, row_start } = &rows else {
                unreachable!()
            };
            let at = |g: u32| sources.binary_search(&g).expect("a source of raw");
            fill_rows(&mut storage, raw, &row_start[..sources.len()], at, &enc);
            rows
        } else {
            let row_start = row_starts(raw, n_sources);
            fill_rows(
                &mut storage,
                raw,
                &row_start[..n_sources],
                |g| g as usize,
                &enc,
            );
            RowIndex::new(row_start, n_sources)
        };
        Self {
            rows,
            storage,
            len: raw.len(),
            min_delay: ranges.min_delay,
            max_delay: ranges.max_delay,
            fixed_scale: ranges.fixed_scale,
        }
    }

    /// The synapses of `source`'s row, decoded (not for the hot path).
    pub fn row(&self, source: u32) -> impl Iterator<Item = Synapse> + '_ {
        let (a, b) = self.row_range(source);
        (a as usize..b as usize).map(move |i| match &self.storage {
            Storage::Wide(v) => v[i],
            Storage::Packed { bytes, off_bits } => {
                let (offset, weight) = unpack(bytes, i, *off_bits);
                Synapse { offset, weight }
            }
        })
    }

    /// Positions of `source`'s row in `view()` (empty if it has none).
    #[inline]
    pub fn row_range(&self, source: u32) -> (u32, u32) {
        match &self.rows {
            RowIndex::Dense(row_start) => match row_start.get(source as usize + 1) {
                Some(&end) => (row_start[source as usize], end),
                None => (0, 0),
            },
            RowIndex::Sparse { sources, row_start } => match sources.binary_search(&source) {
                Ok(i) => (row_start[i], row_start[i + 1]),
                Err(_) => (0, 0),
            },
        }
    }

    /// Hints the cache to load `source`'s entry of a dense row index (look-ups
    /// miss the cache: the index of a chunk is 4 bytes per gid).
    #[inline]
    pub fn prefetch_row_range(&self, source: u32) {
        if let RowIndex::Dense(row_start) = &self.rows {
            crate::ring::prefetch_line::<{ crate::ring::TO_L1 }, _>(
                row_start.as_ptr().wrapping_add(source as usize),
            );
        }
    }

    /// Source gids whose row is non-empty, in increasing order.
    pub fn sources(&self) -> Box<dyn Iterator<Item = u32> + '_> {
        match &self.rows {
            RowIndex::Dense(row_start) => Box::new(
                row_start
                    .windows(2)
                    .enumerate()
                    .filter(|(_, w)| w[0] < w[1])
                    .map(|(s, _)| s as u32),
            ),
            RowIndex::Sparse { sources, .. } => Box::new(sources.iter().copied()),
        }
    }

    /// True if rows are found by binary search over the chunk's sources.
    pub fn is_sparse(&self) -> bool {
        matches!(self.rows, RowIndex::Sparse { .. })
    }

    /// The synapses as delivery reads them.
    pub fn view(&self) -> SynapseView<'_> {
        match &self.storage {
            Storage::Wide(v) => SynapseView::Wide(v),
            Storage::Packed { bytes, off_bits } => SynapseView::Packed {
                bytes,
                off_bits: *off_bits,
            },
        }
    }

    /// True if synapses take `PACKED_BYTES` each.
    pub fn is_packed(&self) -> bool {
        matches!(self.storage, Storage::Packed { .. })
    }

    /// Number of synapses.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the store has no synapse.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes held (synapses plus the row index).
    pub fn bytes(&self) -> usize {
        let index = match &self.rows {
            RowIndex::Dense(row_start) => row_start.capacity() * 4,
            RowIndex::Sparse { sources, row_start } => {
                (sources.capacity() + row_start.capacity()) * 4
            }
        };
        let data = match &self.storage {
            Storage::Wide(v) => v.bytes(),
            Storage::Packed { bytes, .. } => bytes.bytes(),
        };
        data + index
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_the_non_empty_rows_in_order() {
        let syn = |source, target| RawSynapse {
            source,
            target,
            receptor: 0,
            delay_steps: 1,
            weight: 1.0,
        };
        let store = SynapseStore::build(&[syn(7, 0), syn(2, 1), syn(7, 1)], 3, 10, 2, 1, &[]);
        assert_eq!(store.sources().collect::<Vec<_>>(), vec![2, 7]);
        assert_eq!(SynapseStore::default().sources().count(), 0);
    }

    /// The same synapses indexed densely (many sources) and sparsely (few
    /// sources among many gids) give the same rows for every gid.
    #[test]
    fn dense_and_sparse_indexes_find_the_same_rows() {
        let syn = |source, target, delay_steps| RawSynapse {
            source,
            target,
            receptor: 0,
            delay_steps,
            weight: 1.0,
        };
        let raw: Vec<RawSynapse> = (0..40u32)
            .map(|k| syn((k * 37) % 97 + 3, k % 5, 1 + k % 3))
            .collect();
        let dense = SynapseStore::build(&raw, raw.len(), 100, 5, 1, &[]);
        let sparse = SynapseStore::build(&raw, raw.len(), 100_000, 5, 1, &[]);
        assert!(!dense.is_sparse() && sparse.is_sparse());
        assert_eq!(
            dense.sources().collect::<Vec<_>>(),
            sparse.sources().collect::<Vec<_>>()
        );
        for g in 0..100_000u32 {
            let expected: Vec<(u32, u32)> = raw
                .iter()
                .filter(|s| s.source == g)
                .map(|s| (s.target, s.delay_steps))
                .collect();
            for store in [&sparse, &dense] {
                let mut got: Vec<(u32, u32)> =
                    store.row(g).map(|s| (s.offset % 5, s.offset / 5)).collect();
                got.sort_unstable();
                let mut want = expected.clone();
                want.sort_unstable();
                assert_eq!(got, want, "gid {g}");
            }
        }
        assert!(sparse.bytes() < 100_000);
    }

    /// The packed layout stores the same integers as the wide one, down to
    /// the extremes of both fields, and falls back to wide when a weight
    /// would not fit.
    #[test]
    fn packed_rows_decode_to_the_wide_synapses() {
        let mut s = crate::rng::Stream::new(1, 2, 3, 4);
        // 200 synapses per target: the fixed point is coarse enough to pack.
        let raw: Vec<RawSynapse> = (0..20_000)
            .map(|k| RawSynapse {
                source: s.below(300),
                target: s.below(100),
                receptor: (k % 2) as u8,
                delay_steps: 1 + s.below(60),
                weight: (s.uniform() as f32 - 0.5) * 800.0,
            })
            .collect();
        let store = SynapseStore::build(&raw, raw.len(), 300, 100, 2, &[]);
        assert!(store.is_packed());
        // Few synapses per target: a fine fixed point that does not fit.
        assert!(!SynapseStore::build(&raw[..500], 500, 300, 100, 2, &[]).is_packed());
        let max_offset = (60 * 2 + 1) * 100 + 100 - 1;
        for g in 0..300 {
            let got: Vec<Synapse> = store.row(g).collect();
            let mut want: Vec<Synapse> = raw
                .iter()
                .filter(|r| r.source == g)
                .map(|r| Synapse {
                    offset: (r.delay_steps * 2 + u32::from(r.receptor)) * 100 + r.target,
                    weight: (f64::from(r.weight) * store.fixed_scale).round() as i32,
                })
                .collect();
            let mut got_sorted = got.clone();
            got_sorted.sort_by_key(|s| (s.offset, s.weight));
            want.sort_by_key(|s| (s.offset, s.weight));
            assert_eq!(got_sorted, want, "source {g}");
            assert!(got.iter().all(|s| s.offset <= max_offset));
        }
        // Field extremes round-trip.
        let off_bits = 17;
        let mut bytes = vec![0u8; 4 * PACKED_BYTES + PACKED_SLACK];
        let lim = 1i32 << (39 - off_bits);
        let cases = [(0, -lim), ((1 << off_bits) - 1, lim - 1), (5, -1), (77, 0)];
        for (i, &(offset, weight)) in cases.iter().enumerate() {
            pack(&mut bytes, i, off_bits, Synapse { offset, weight });
        }
        for (i, &c) in cases.iter().enumerate() {
            assert_eq!(unpack(&bytes, i, off_bits), c);
        }
        // A weight beyond the packed field keeps the wide layout.
        assert!(matches!(
            packed_layout(10, (1 << 17) - 1, 1 << 22),
            Storage::Wide(_)
        ));
        assert!(matches!(
            packed_layout(10, (1 << 17) - 1, (1 << 22) - 1),
            Storage::Packed { .. }
        ));
    }
}
