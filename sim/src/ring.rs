//! Ring buffers: where delivered synaptic events wait for the step they act
//! on. `RingArena` holds the rings of all chunks of a rank in one buffer (huge
//! pages when large, see `bigbuf`); `Ring` is one chunk's view of it.
//!
//! Layout of a ring: `[slot][lane][neuron]` of i32 in the chunk's fixed point
//! (2^-k pA). A synapse's `offset` is its position relative to the slot of the
//! spike's step, (delay * lanes + lane) * n + target, so delivery is one add
//! and one conditional wrap per event. Integer addition is associative: the
//! sum a step reads does not depend on the order in which events arrived.
//!
//! Why one arena: delivery is bound by the random read-modify-write of ring
//! entries (about 1,400 events per chunk and step on the full microcircuit,
//! each on its own cache line of a 39 MB set when measured, before receptors
//! with equal dynamics shared a lane; 20 MB since). Per-chunk Vecs sit in
//! 4 KiB pages, so most of those accesses also miss the TLB; one huge-page
//! buffer removes that part (measured: the ring part of delivery 13% faster).
//!
//! Invariant (from the epoch loop): every event delivered before `take_slot(s)`
//! is for a slot in [s, s + slots), so the conditional wrap is enough and no
//! event lands in a slot that was already read.

use crate::bigbuf::BigBuf;
use crate::checkpoint::RingEntries;
use crate::synapse::{unpack, SynapseView, PACKED_BYTES};

/// One spike's row of synapses to deliver: `syns[start..end]`, spike step.
pub type RowRef = (u32, u32, u64);

/// The rings of every chunk of a rank, back to back.
pub struct RingArena {
    buf: BigBuf<i32>,
    /// Length of each chunk's ring, in chunk order.
    lens: Vec<usize>,
}

impl RingArena {
    /// Zeroed rings of `lens[i]` entries each.
    pub fn new(lens: Vec<usize>) -> Self {
        Self {
            buf: BigBuf::zeroed(lens.iter().sum()),
            lens,
        }
    }

    /// Each chunk's ring as its own mutable slice (disjoint), in chunk order.
    pub fn rings(&mut self) -> Vec<&mut [i32]> {
        let mut rest: &mut [i32] = &mut self.buf;
        self.lens
            .iter()
            .map(|&n| {
                let (head, tail) = std::mem::take(&mut rest).split_at_mut(n);
                rest = tail;
                head
            })
            .collect()
    }

    /// Each chunk's ring, read only, in chunk order.
    pub fn views(&self) -> Vec<&[i32]> {
        let mut rest: &[i32] = &self.buf;
        self.lens
            .iter()
            .map(|&n| {
                let (head, tail) = rest.split_at(n);
                rest = tail;
                head
            })
            .collect()
    }

    /// Bytes of the arena.
    pub fn bytes(&self) -> usize {
        self.buf.bytes()
    }

    /// True if the rings are too large to stay in the cores' caches between
    /// two visits of a chunk: then delivery prefetches ring lines ahead.
    pub fn misses_cache(&self) -> bool {
        self.buf.bytes() > PREFETCH_RING_ABOVE
    }
}

/// Ring arenas above this size get their lines prefetched at delivery. The
/// full microcircuit's (20 MB) delivered about 5 % faster with it; Brunel's
/// (0.8 MB, in L2) 50 % slower, as every synapse is decoded twice for nothing.
const PREFETCH_RING_ABOVE: usize = 8 << 20;

/// One chunk's ring: `slots` (a power of two > the maximum delay) x `stride`
/// (lanes x neurons) entries.
pub struct Ring<'a> {
    /// `[slot][lane][neuron]`, fixed point.
    pub data: &'a mut [i32],
    /// Slots: a power of two > the maximum delay.
    pub slots: u64,
    /// Entries per slot: lanes x neurons.
    pub stride: u64,
    /// Prefetch the ring lines of rows ahead (see `RingArena::misses_cache`).
    pub prefetch: bool,
}

impl Ring<'_> {
    /// Adds the events of `rows` (synapses in `syns`). Rows are scattered in
    /// memory and the walk is latency-bound, so they are walked with software
    /// prefetch a few rows ahead (3x faster delivery on Brunel).
    pub fn deliver(&mut self, syns: SynapseView<'_>, rows: &[RowRef]) {
        match syns {
            SynapseView::Wide(s) => self.walk(
                rows,
                |a, b| prefetch_range(&s[a..b]),
                |i| (s[i].offset, s[i].weight),
            ),
            SynapseView::Packed { bytes, off_bits } => self.walk(
                rows,
                |a, b| prefetch_range(&bytes[a * PACKED_BYTES..b * PACKED_BYTES]),
                |i| unpack(bytes, i, off_bits),
            ),
        }
    }

    #[inline(always)]
    fn walk(
        &mut self,
        rows: &[RowRef],
        prefetch: impl Fn(usize, usize),
        synapse: impl Fn(usize) -> (u32, i32),
    ) {
        debug_assert_eq!(self.data.len() as u64, self.slots * self.stride);
        let len = self.data.len() as u64;
        let mask = self.slots - 1;
        let ring = &mut self.data[..];
        let wrap = |pos: u64| if pos >= len { pos - len } else { pos };
        for (i, &(a, b, step)) in rows.iter().enumerate() {
            if let Some(&(pa, pb, _)) = rows.get(i + PREFETCH_ROWS_AHEAD) {
                prefetch(pa as usize, pb as usize);
            }
            // The ring lines of a row fetched earlier (its synapses are in
            // cache by now): the adds below then find theirs in L1.
            if let Some(&(pa, pb, pstep)) = rows
                .get(i + RING_PREFETCH_ROWS_AHEAD)
                .filter(|_| self.prefetch)
            {
                let pbase = (pstep & mask) * self.stride;
                for j in pa as usize..pb as usize {
                    let pos = wrap(pbase + u64::from(synapse(j).0));
                    prefetch_line::<TO_L2, _>(ring.as_ptr().wrapping_add(pos as usize));
                }
            }
            let base = (step & mask) * self.stride;
            for j in a as usize..b as usize {
                let (offset, weight) = synapse(j);
                ring[wrap(base + u64::from(offset)) as usize] += weight;
            }
        }
    }

    /// The sums of `step` (`[lane][neuron]`), handed to `read` (which may
    /// add the step's device events first), then cleared for reuse by step +
    /// slots.
    #[inline]
    pub fn take_slot(&mut self, step: u64, read: impl FnOnce(&mut [i32])) {
        let base = ((step & (self.slots - 1)) * self.stride) as usize;
        let slot = &mut self.data[base..base + self.stride as usize];
        read(slot);
        slot.fill(0);
    }
}

/// The non-zero entries of the slots of steps [step, step + horizon) of a
/// ring of `stride` entries per slot (`data.len() / stride` slots, a power
/// of two >= horizon), positioned relative to `step` (slot k of the result
/// is the slot of step + k): the ring relative to the step whatever its size
/// (what a checkpoint keeps, see `checkpoint`).
pub fn entries_ahead(data: &[i32], stride: usize, step: u64, horizon: u64) -> RingEntries {
    let mask = slot_mask(data.len(), stride, horizon);
    let mut out = RingEntries::default();
    for k in 0..horizon {
        let s = ((step + k) & mask) as usize * stride;
        out.extend_nonzero(k * stride as u64, &data[s..s + stride]);
    }
    out
}

/// The inverse of `entries_ahead`: the ring gets `ahead` (entries of the
/// slots of steps [step, step + horizon), relative to `step`; `ahead.check`
/// must hold for `horizon` slots) and zeros everywhere else.
pub fn set_entries_ahead(
    data: &mut [i32],
    stride: usize,
    step: u64,
    horizon: u64,
    ahead: &RingEntries,
) {
    let mask = slot_mask(data.len(), stride, horizon);
    data.fill(0);
    for (&i, &v) in ahead.index.iter().zip(&ahead.value) {
        let (k, at) = (i as usize / stride, i as usize % stride);
        assert!((k as u64) < horizon, "entry {i} beyond {horizon} slots");
        data[((step + k as u64) & mask) as usize * stride + at] = v;
    }
}

/// `slots - 1` of a ring of `len` entries, `stride` per slot, checked to
/// hold `horizon` slots (an empty chunk has stride 0: any mask will do).
fn slot_mask(len: usize, stride: usize, horizon: u64) -> u64 {
    if stride == 0 {
        return 0;
    }
    let slots = (len / stride) as u64;
    assert!(
        slots.is_power_of_two() && slots * stride as u64 == len as u64 && slots >= horizon,
        "a ring of {slots} slots cannot hold {horizon} ahead"
    );
    slots - 1
}

/// Rows fetched ahead of the one being delivered.
const PREFETCH_ROWS_AHEAD: usize = 4;
/// Rows whose ring entries are fetched ahead of the one being delivered
/// (measured on the full microcircuit: 1 to 3 all about 5 % faster delivery
/// than none).
const RING_PREFETCH_ROWS_AHEAD: usize = 2;

/// `prefetch_line` into L1 (the x86 T0 hint).
#[cfg(target_arch = "x86_64")]
pub(crate) const TO_L1: i32 = std::arch::x86_64::_MM_HINT_T0;
/// `prefetch_line` into L2 but not L1 (T2). Used for ring lines: over three
/// paired rounds on the microcircuit, T2 delivered 3 % faster than T0, which
/// was the slowest of T0, T1, T2 and ET0 in each round.
#[cfg(target_arch = "x86_64")]
const TO_L2: i32 = std::arch::x86_64::_MM_HINT_T2;
#[cfg(not(target_arch = "x86_64"))]
pub(crate) const TO_L1: i32 = 0;
#[cfg(not(target_arch = "x86_64"))]
const TO_L2: i32 = 0;

/// Hints the cache to load the line holding `p` (`LEVEL`: `TO_L1` or
/// `TO_L2`; any address: a prefetch never faults).
#[inline(always)]
pub(crate) fn prefetch_line<const LEVEL: i32, T>(p: *const T) {
    // SAFETY: prefetch has no architectural effect and never faults.
    #[cfg(target_arch = "x86_64")]
    unsafe {
        std::arch::x86_64::_mm_prefetch::<LEVEL>(p as *const i8)
    };
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// Hints the cache to load `data` (at most 1 KiB of it).
#[inline(always)]
pub(crate) fn prefetch_range<T>(data: &[T]) {
    let bytes = std::mem::size_of_val(data).min(1024);
    let p = data.as_ptr() as *const u8;
    for off in (0..bytes).step_by(64) {
        prefetch_line::<TO_L1, _>(p.wrapping_add(off));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synapse::Synapse;

    #[test]
    fn arena_rings_are_disjoint_and_cover_the_buffer() {
        let mut arena = RingArena::new(vec![3, 0, 5, 2]);
        let mut rings = arena.rings();
        assert_eq!(
            rings.iter().map(|r| r.len()).collect::<Vec<_>>(),
            [3, 0, 5, 2]
        );
        for (i, r) in rings.iter_mut().enumerate() {
            r.fill(i as i32 + 1);
        }
        assert_eq!(&arena.buf[..], &[1, 1, 1, 3, 3, 3, 3, 3, 4, 4]);
    }

    /// The entries ahead of a step read back in step order, across the
    /// wrap, and put back into a ring of another size they are read the same.
    #[test]
    fn entries_ahead_round_trip_into_rings_of_any_size() {
        // 4 slots x 2 entries; slot s holds [10 s, 10 s + 1].
        let data: Vec<i32> = (0..4).flat_map(|s| [10 * s, 10 * s + 1]).collect();
        let ahead = entries_ahead(&data, 2, 6, 3);
        assert_eq!(ahead.to_dense(6), [20, 21, 30, 31, 0, 1]);
        assert_eq!(ahead.index, [0, 1, 2, 3, 5], "the zero is left out");
        let mut big = vec![7; 16];
        set_entries_ahead(&mut big, 2, 6, 3, &ahead);
        assert_eq!(entries_ahead(&big, 2, 6, 3), ahead);
        assert_eq!(
            big.iter().filter(|&&x| x != 0).count(),
            5,
            "the rest cleared"
        );
        assert_eq!(&big[12..16], &[20, 21, 30, 31], "steps 6, 7 in slots 6, 7");
        assert!(entries_ahead(&data, 2, 9, 0).is_empty());
    }

    /// Events land `delay` slots after their spike's step, wrap around the
    /// ring, and a read slot starts again from zero — from a wide or a packed
    /// store, with or without ring prefetch.
    #[test]
    fn events_are_read_at_step_plus_delay() {
        // delay 1 to neuron 0, delay 3 to neuron 1 (offsets = delay*stride+target).
        let syns = [
            Synapse {
                offset: 2,
                weight: 5,
            },
            Synapse {
                offset: 7,
                weight: -2,
            },
        ];
        let mut bytes = vec![0u8; 2 * PACKED_BYTES + 3];
        for (i, s) in syns.iter().enumerate() {
            crate::synapse::pack_for_test(&mut bytes, i, 4, *s);
        }
        // The slots read at steps 0..10, spikes delivered before steps 2 and 6.
        let run = |view: SynapseView<'_>, prefetch: bool| {
            let mut data = vec![0; 8];
            let mut ring = Ring {
                data: &mut data,
                slots: 4,
                stride: 2,
                prefetch,
            };
            let mut seen = Vec::new();
            for step in 0..10u64 {
                if step == 2 || step == 6 {
                    ring.deliver(view, &[(0, 2, step - 1), (0, 1, step - 1)]);
                }
                ring.take_slot(step, |v| seen.push(v.to_vec()));
            }
            seen
        };
        let seen = run(SynapseView::Wide(&syns), true);
        let packed = SynapseView::Packed {
            bytes: &bytes,
            off_bits: 4,
        };
        assert_eq!(run(packed, false), seen);
        assert_eq!(run(packed, true), seen);
        let want = |s: usize| match s {
            2 | 6 => vec![10, 0],
            4 | 8 => vec![0, -2],
            _ => vec![0, 0],
        };
        for (s, v) in seen.iter().enumerate() {
            assert_eq!(v, &want(s), "step {s}");
        }
    }
}
