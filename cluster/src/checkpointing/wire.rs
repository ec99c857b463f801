//! A rank's checkpoint state (`ChunkStates`) as the `f64` words that
//! `Comm::gather_f64` carries to rank 0, and back. Per chunk: a header of
//! twelve words (index, first gid, neurons, state variables, lanes, fixed
//! scale, events and spikes as two 32-bit halves each, state length, ring
//! entries), the state, the ring's positions, its values (only the non-zero
//! entries travel, as in the file), then its plastic state (`wire_plastic`). Every value is an integer below 2^53 or
//! the f64 itself, so the round trip is exact; the step and the key travel
//! once, with rank 0's own capture.

use brainsim_sim::checkpoint::{ChunkState, ChunkStates, RingEntries};

const HEADER: usize = 12;

pub(super) fn halves(x: u64) -> [f64; 2] {
    [(x >> 32) as f64, (x & 0xffff_ffff) as f64]
}

pub(super) fn whole(hi: f64, lo: f64) -> u64 {
    ((hi as u64) << 32) | lo as u64
}

/// The chunks of `states` as words.
pub fn pack(states: &ChunkStates) -> Vec<f64> {
    let mut out = Vec::with_capacity(
        states
            .chunks
            .iter()
            .map(|c| HEADER + c.state.len() + 2 * c.ring.len())
            .sum(),
    );
    for c in &states.chunks {
        let [eh, el] = halves(c.events);
        let [sh, sl] = halves(c.spikes);
        out.extend_from_slice(&[
            c.index as f64,
            f64::from(c.first_gid),
            f64::from(c.len),
            f64::from(c.n_vars),
            f64::from(c.lanes),
            c.fixed_scale,
            eh,
            el,
            sh,
            sl,
            c.state.len() as f64,
            c.ring.len() as f64,
        ]);
        out.extend_from_slice(&c.state);
        out.extend(c.ring.index.iter().map(|&i| f64::from(i)));
        out.extend(c.ring.value.iter().map(|&v| f64::from(v)));
        super::wire_plastic::pack(&c.plastic, &mut out);
    }
    out
}

/// The chunks packed in `words` (any ranks' packs concatenated), or what is
/// malformed.
pub fn unpack(words: &[f64]) -> Result<Vec<ChunkState>, String> {
    let mut chunks = Vec::new();
    let mut at = 0;
    while at < words.len() {
        let h = words
            .get(at..at + HEADER)
            .ok_or("checkpoint words end inside a chunk header")?;
        let (n_state, n_ring) = (h[10] as usize, h[11] as usize);
        let body = words
            .get(at + HEADER..at + HEADER + n_state + 2 * n_ring)
            .ok_or("checkpoint words end inside a chunk")?;
        let (state, ring) = body.split_at(n_state);
        let (index, value) = ring.split_at(n_ring);
        let mut end = at + HEADER + n_state + 2 * n_ring;
        let plastic = super::wire_plastic::unpack(words, &mut end)?;
        chunks.push(ChunkState {
            index: h[0] as u64,
            first_gid: h[1] as u32,
            len: h[2] as u32,
            n_vars: h[3] as u32,
            lanes: h[4] as u32,
            fixed_scale: h[5],
            events: whole(h[6], h[7]),
            spikes: whole(h[8], h[9]),
            plastic,
            state: state.to_vec(),
            ring: RingEntries {
                index: index.iter().map(|&i| i as u32).collect(),
                value: value.iter().map(|&v| v as i32).collect(),
            },
        });
        at = end;
    }
    Ok(chunks)
}

#[cfg(test)]
mod tests {
    use super::*;
    use brainsim_sim::checkpoint::NetworkKey;
    use brainsim_sim::plastic::PlasticChunkState;

    fn chunk(index: u64, n: u32) -> ChunkState {
        ChunkState {
            index,
            first_gid: 7 * index as u32,
            len: n,
            n_vars: 2,
            state: (0..2 * n).map(|i| f64::from(i) * -0.1 + 1e-300).collect(),
            lanes: 1,
            fixed_scale: 2f64.powi(17),
            ring: RingEntries::of_dense(
                &(0..3 * n as i32)
                    .map(|i| {
                        if i % 3 == 1 {
                            0
                        } else {
                            i * 1_000_003 - i32::MAX / 2
                        }
                    })
                    .collect::<Vec<_>>(),
            ),
            events: u64::MAX - index,
            spikes: (1u64 << 40) + index,
            plastic: plastic(index, n),
        }
    }

    /// Two stores and histories of `n` neurons (none for n = 0), with the
    /// extremes a plastic state holds: the empty place's stamp, -1 (no
    /// spike yet, tsodyks2), u64 counts, subnormal and negative zero.
    fn plastic(index: u64, n: u32) -> PlasticChunkState {
        use brainsim_sim::plastic::{HistoryState, StoreState};
        if n == 0 {
            return PlasticChunkState::default();
        }
        let store = |p: u32, rows: usize| StoreState {
            projection: p,
            weight: (0..3 * rows).map(|i| i as f64 * 1.5 - 2.0).collect(),
            last: (0..rows as i64).map(|r| r * 7 - 1).collect(),
            t_last: (0..rows).map(|r| r as f64 * 0.7).collect(),
            kplus: vec![5e-324; rows],
            u: vec![-0.0; rows],
            x: vec![1.0 / 3.0; rows],
            overflows: u64::MAX - index,
        };
        let count: Vec<u32> = (0..n).map(|i| i % 3).collect();
        let entries: usize = count.iter().map(|&c| c as usize).sum();
        let recent = n as usize * 4;
        PlasticChunkState {
            stores: vec![store(2, 5), store(0, 0)],
            history: HistoryState {
                count,
                stamp: (0..entries as i64).map(|s| s * 1_000_003).collect(),
                t: (0..entries).map(|s| s as f64 * 0.1).collect(),
                k: vec![1.0 + 1e-16; entries],
                recent_stamp: (0..recent as i64)
                    .map(|s| if s % 4 == 3 { i64::MIN } else { s })
                    .collect(),
                recent_t: vec![0.25; recent],
                recent_k: vec![2.0; recent],
            },
        }
    }

    /// Two ranks' packs concatenated unpack to the chunks bit for bit.
    #[test]
    fn packs_round_trip_exactly() {
        let key = NetworkKey {
            seed: 1,
            chunk_size: 16,
            dt: 0.1,
            n_neurons: 70,
            n_chunks: 5,
            ring_horizon: 3,
            fingerprint: 9,
        };
        let a = ChunkStates {
            step: 5,
            network: key.clone(),
            chunks: vec![chunk(0, 16), chunk(3, 4)],
        };
        let mut extremes = chunk(1, 0);
        extremes.ring.push(u64::from(u32::MAX), i32::MIN);
        let b = ChunkStates {
            step: 5,
            network: key,
            chunks: vec![extremes],
        };
        let mut words = pack(&a);
        words.extend(pack(&b));
        let back = unpack(&words).unwrap();
        let want: Vec<ChunkState> = a.chunks.iter().chain(&b.chunks).cloned().collect();
        assert_eq!(back.len(), 3);
        for (x, y) in back.iter().zip(&want) {
            assert_eq!(x, y);
            let bits = |s: &[f64]| s.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&x.state), bits(&y.state));
            for (s, t) in x.plastic.stores.iter().zip(&y.plastic.stores) {
                assert_eq!((bits(&s.weight), bits(&s.u)), (bits(&t.weight), bits(&t.u)));
            }
        }
        assert!(unpack(&words[..words.len() - 1]).is_err());
    }
}
