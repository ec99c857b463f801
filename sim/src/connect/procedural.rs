//! Procedural projections: a projection whose synapses onto a chunk are not
//! stored; each spike of one of its sources regenerates the source's row
//! onto the chunk (`RowGen::row`) and adds it into the chunk's ring. Memory
//! per (projection, chunk): the generator, plus one count per source for
//! `fixed_total_number`.
//!
//! Invariant: the row is encoded exactly as the synapse store encodes a
//! stored synapse (ring offset (delay * lanes + lane) * n + target, weight
//! rounded half away from zero to the chunk's fixed point, which
//! `connect::input_bound` sized the same way for both), so a procedural
//! projection adds the same integers to the ring as its stored twin.

use crate::exchange::Spike;
use crate::ring::{prefetch_line, TO_L1};
use crate::rng::BATCH_WORDS;
use crate::synapse::{Encoder, Synapse};

use super::rows::UniformDelays;
use super::{RowGen, RowScratch};

/// One procedural projection onto one chunk.
#[derive(Clone, Debug)]
pub struct ProceduralRows {
    /// The projection's index in the spec.
    pub projection: usize,
    rows: RowGen,
    enc: Encoder,
    /// Ring offset of target 0 and fixed-point weight when every synapse
    /// of the projection has the same weight and delay.
    constant: Option<(u32, i32)>,
    /// For rows of one weight and uniform delays (`RowGen::uniform_delays`):
    /// the ring offset of a synapse of delay 0 onto target 0, the
    /// fixed-point weight, and the delay law.
    uniform: Option<(u32, i32, UniformDelays)>,
    /// Smallest and largest delay (steps) a row can hold.
    pub min_delay: u32,
    /// See `min_delay`.
    pub max_delay: u32,
}

thread_local! {
    /// What a row needs kept from row to row (its bit set of targets).
    static SCRATCH: std::cell::RefCell<RowScratch> = std::cell::RefCell::new(RowScratch::default());
}

impl ProceduralRows {
    /// Rows of `projection` (generator `rows`) onto a chunk of `n_targets`
    /// neurons and `n_lanes` ring lanes, in fixed point `fixed_scale`;
    /// delays within `delays` (steps).
    pub fn new(
        projection: usize,
        rows: RowGen,
        n_lanes: u32,
        n_targets: u32,
        fixed_scale: f64,
        delays: (u32, u32),
    ) -> Self {
        let enc = Encoder {
            n_lanes,
            n_targets,
            fixed_scale,
        };
        let constant = rows.constant().map(|s| {
            let syn = enc.encode(&s);
            (syn.offset, syn.weight)
        });
        let uniform = rows.uniform_delays().map(|(s, law)| {
            let syn = enc.encode(&s);
            (syn.offset, syn.weight, law)
        });
        Self {
            projection,
            rows,
            enc,
            constant,
            uniform,
            min_delay: delays.0,
            max_delay: delays.1,
        }
    }

    /// Source gids of the projection.
    pub fn sources(&self) -> std::ops::Range<u32> {
        self.rows.s0..self.rows.s0 + self.rows.ns
    }

    /// Bytes held (the generator and its counts).
    pub fn bytes(&self) -> usize {
        std::mem::size_of::<Self>() + self.rows.bytes()
    }

    /// The row of `source` as the store would hold it (not the hot path).
    pub fn row(&self, source: u32) -> Vec<Synapse> {
        let mut out = Vec::new();
        SCRATCH.with_borrow_mut(|seen| {
            self.rows
                .row(source, seen, |s| out.push(self.enc.encode(&s)))
        });
        out
    }

    /// Adds the rows of the spikes from this projection's sources into
    /// `ring` (`slots` slots of lanes x n entries); `spikes` sorted by gid.
    /// Returns the events delivered. Same invariant as `Chunk::deliver`.
    pub fn deliver(&self, spikes: &[Spike], ring: &mut [i32], slots: u64) -> u64 {
        let src = self.sources();
        let a = spikes.partition_point(|s| s.gid < src.start);
        let b = spikes.partition_point(|s| s.gid < src.end);
        if a == b {
            return 0;
        }
        let len = ring.len() as u64;
        let stride = len / slots;
        let mask = slots - 1;
        let mut events = 0u64;
        // Uniform rows' last two batches, fetched, waiting to be added
        // (across rows: a short row's adds wait for the next rows').
        let mut pending = [Pending::default(), Pending::default()];
        SCRATCH.with_borrow_mut(|scratch| {
            for sp in &spikes[a..b] {
                let base = (sp.step & mask) * stride;
                if let Some((offset0, w)) = self.constant {
                    if let Some(targets) = self.rows.constant_targets(sp.gid, scratch) {
                        add_constant(
                            ring,
                            base + u64::from(offset0),
                            self.enc.n_targets,
                            targets,
                            w,
                        );
                        events += targets.len() as u64;
                        continue;
                    }
                }
                if let Some(uniform) = &self.uniform {
                    let rows = (&mut *scratch, &mut pending);
                    events += self.deliver_uniform(sp.gid, base, uniform, ring, rows);
                    continue;
                }
                self.rows.row(sp.gid, scratch, |s| {
                    let (offset, weight) = match self.constant {
                        Some((offset0, w)) => (offset0 + s.target, w),
                        None => {
                            let syn = self.enc.encode(&s);
                            (syn.offset, syn.weight)
                        }
                    };
                    let pos = base + u64::from(offset);
                    let pos = if pos >= len { pos - len } else { pos };
                    ring[pos as usize] += weight;
                    events += 1;
                });
            }
        });
        if let Some((_, w, _)) = self.uniform {
            events += pending[0].add_into(ring, w) + pending[1].add_into(ring, w);
        }
        events
    }

    /// Adds the row of `gid` into `ring`, whose slot of the spike starts
    /// at `base`, for rows of one weight and uniform delays (`uniform`),
    /// but for its last two batches, left fetched in `pending` (whose
    /// batches, of the same weight, are added first); the events added.
    #[inline]
    fn deliver_uniform(
        &self,
        gid: u32,
        base: u64,
        (offset0, w, law): &(u32, i32, UniformDelays),
        ring: &mut [i32],
        (scratch, pending): (&mut RowScratch, &mut [Pending; 2]),
    ) -> u64 {
        // encode's offset: (delay * lanes + lane) * n + target.
        let per_delay = u64::from(self.enc.n_lanes) * u64::from(self.enc.n_targets);
        let start = base + u64::from(*offset0);
        let len = ring.len() as u64;
        // Positions in 32 bits: start + d * per_delay + i < 2 len (the
        // spike's slot plus one synapse's offset, each below len).
        let small = 2 * len <= u64::from(u32::MAX);
        let at = Positions {
            start: start as u32,
            per_delay: per_delay as u32,
            len: len as u32,
        };
        let mut events = 0;
        let width = crate::twice::widest();
        // Each batch's ring entries are fetched two batches before they
        // are added to (the adds are scattered misses, from DRAM at Spaun
        // scale: one batch ahead was 1-8% slower there, 40 ms, 2 pairs).
        self.rows
            .row_delays(gid, scratch, law, |targets, delays| {
                if !small {
                    for (&i, &d) in targets.iter().zip(delays) {
                        let pos = start + u64::from(d) * per_delay + u64::from(i);
                        ring[if pos >= len { pos - len } else { pos } as usize] += *w;
                    }
                    events += targets.len() as u64;
                    return;
                }
                let mut next = Pending::default();
                crate::twice::call_at!(width;
                    positions_portable, positions_avx2, positions_avx512(&at, targets, delays, &mut next.pos));
                next.n = targets.len();
                for &p in &next.pos[..next.n] {
                    prefetch_line::<TO_L1, _>(ring.as_ptr().wrapping_add(p as usize));
                }
                events += pending[0].add_into(ring, *w);
                pending[0] = std::mem::replace(&mut pending[1], next);
            });
        events
    }
}

/// Where a row's synapses land in a ring of fewer than 2^31 entries.
struct Positions {
    /// Position of a synapse of delay 0 onto target 0 (< 2 x `len`).
    start: u32,
    /// Entries per step of delay.
    per_delay: u32,
    /// The ring's entries.
    len: u32,
}

crate::twice::portable_and_avx2! {
    /// The ring positions of synapses onto `targets` with `delays` (steps):
    /// start + d x per_delay + i, wrapped once around the ring.
    fn positions_portable / positions_avx2 / positions_avx512(
        at: &Positions,
        targets: &[u32],
        delays: &[u32],
        out: &mut [u32; BATCH_WORDS],
    ) {
        for ((o, &i), &d) in out.iter_mut().zip(targets).zip(delays) {
            let pos = at.start + d * at.per_delay + i;
            *o = if pos >= at.len { pos - at.len } else { pos };
        }
    }
}

/// Adds `w` at `start + t` of the ring (wrapping around its end) for each
/// target `t` < `n`; `start` < 2 x the ring's length.
#[inline]
fn add_constant(ring: &mut [i32], start: u64, n: u32, targets: &[u32], w: i32) {
    let len = ring.len() as u64;
    let start = if start >= len { start - len } else { start } as usize;
    if start + n as usize <= ring.len() {
        let slot = &mut ring[start..];
        for &t in targets {
            slot[t as usize] += w;
        }
        return;
    }
    for &t in targets {
        let pos = start + t as usize;
        let pos = if pos >= ring.len() {
            pos - ring.len()
        } else {
            pos
        };
        ring[pos] += w;
    }
}

/// Ring positions of one batch of a row (`RowGen::row_delays`'s
/// `BATCH_WORDS`), waiting to be added to; rings of fewer than 2^31
/// entries (`Positions`).
#[derive(Default)]
struct Pending {
    pos: [u32; BATCH_WORDS],
    n: usize,
}

impl Pending {
    /// Adds `w` at every position; the count.
    #[inline(always)]
    fn add_into(&self, ring: &mut [i32], w: i32) -> u64 {
        for &p in &self.pos[..self.n] {
            ring[p as usize] += w;
        }
        self.n as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every vector width computes start + d x per_delay + i wrapped once,
    /// as 64-bit arithmetic does, up to rings of 2^31 - 1 entries.
    #[test]
    fn positions_wrap_once_at_every_width() {
        let mut s = crate::rng::Stream::new(1, 2, 3, 4);
        for (len, per_delay) in [(64 * 16384, 16384), (1000, 10), ((1 << 31) - 1, 1 << 24)] {
            let slots = len / per_delay;
            for _ in 0..200 {
                let mut targets = [0u32; BATCH_WORDS];
                let mut delays = [0u32; BATCH_WORDS];
                for (i, d) in targets.iter_mut().zip(&mut delays) {
                    *i = s.next_u32() % per_delay;
                    *d = s.next_u32() % slots;
                }
                let start = s.next_u32() % len;
                let at = Positions {
                    start,
                    per_delay,
                    len,
                };
                let want: Vec<u32> = targets
                    .iter()
                    .zip(&delays)
                    .map(|(&i, &d)| {
                        let pos =
                            u64::from(start) + u64::from(d) * u64::from(per_delay) + u64::from(i);
                        (pos % u64::from(len)) as u32
                    })
                    .collect();
                for width in crate::twice::available() {
                    let mut out = [0u32; BATCH_WORDS];
                    crate::twice::call_at!(width;
                        positions_portable, positions_avx2, positions_avx512(&at, &targets, &delays, &mut out));
                    assert_eq!(out.to_vec(), want, "{width:?}, ring of {len}");
                }
            }
        }
    }
}
