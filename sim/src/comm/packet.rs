//! Spike packets between ranks: a spike travels as two u32 words (gid, step
//! offset within the epoch), grouped by destination rank.
//!
//! Invariant (from `Network::run_epoch`): the exchange is called exactly once
//! per epoch on every rank with the epoch's first step s0 (the same on every
//! rank), and the epoch covers steps [s0, s0 + D), D = the epoch length
//! agreed by all ranks. So a spike's step is sent as its offset from s0 and
//! rebuilt by the receiver, which knows s0.

use super::routes::Routes;
use crate::exchange::Spike;

/// u32 words per spike packet (gid, step offset).
pub const PACKET_WORDS: usize = 2;

/// Encodes `spikes` (all in the epoch starting at step `base`, of length
/// `epoch_steps`) for the ranks that need them: `counts[r]` gets the number
/// of words for rank r, `send` the words grouped by rank. Returns the number
/// of packets (a spike needed by two ranks is two packets).
pub fn encode(
    spikes: &[Spike],
    routes: &Routes,
    base: u64,
    epoch_steps: u64,
    counts: &mut [usize],
    send: &mut Vec<u32>,
) -> usize {
    counts.iter_mut().for_each(|c| *c = 0);
    for sp in spikes {
        for &r in routes.dests(sp.gid) {
            counts[r as usize] += PACKET_WORDS;
        }
    }
    let mut fill = Vec::with_capacity(counts.len());
    let mut acc = 0;
    for &c in counts.iter() {
        fill.push(acc);
        acc += c;
    }
    send.clear();
    send.resize(acc, 0);
    for sp in spikes {
        debug_assert!(sp.step >= base && sp.step - base < epoch_steps);
        let offset = (sp.step - base) as u32;
        for &r in routes.dests(sp.gid) {
            let f = &mut fill[r as usize];
            send[*f] = sp.gid;
            send[*f + 1] = offset;
            *f += PACKET_WORDS;
        }
    }
    acc / PACKET_WORDS
}

/// Decodes received words (packets of the epoch starting at `base`) into
/// `out`, sorted by (step, gid).
pub fn decode(words: &[u32], base: u64, out: &mut Vec<Spike>) {
    out.clear();
    out.extend(words.chunks_exact(PACKET_WORDS).map(|w| Spike {
        step: base + u64::from(w[1]),
        gid: w[0],
    }));
    out.sort_unstable();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packets_round_trip_to_the_ranks_that_need_them() {
        // gid 0 -> ranks 1 and 2, gid 1 -> nobody, gid 2 -> rank 2.
        let routes = Routes::from_requests(&[0, 0, 2], &[0, 1, 2], 3);
        let spikes = [
            Spike { step: 10, gid: 0 },
            Spike { step: 11, gid: 1 },
            Spike { step: 12, gid: 2 },
        ];
        let (mut counts, mut send) = (vec![0; 3], Vec::new());
        let n = encode(&spikes, &routes, 10, 5, &mut counts, &mut send);
        assert_eq!(n, 3);
        assert_eq!(counts, vec![0, 2, 4]);
        assert_eq!(send, vec![0, 0, 0, 0, 2, 2]);
        let mut to_rank2 = Vec::new();
        decode(&send[2..], 10, &mut to_rank2);
        assert_eq!(to_rank2, vec![spikes[0], spikes[2]]);
    }

    #[test]
    fn decoded_spikes_are_sorted_by_step_then_gid() {
        let mut out = Vec::new();
        decode(&[5, 2, 3, 0, 4, 2], 100, &mut out);
        let keys: Vec<_> = out.iter().map(|s| (s.step, s.gid)).collect();
        assert_eq!(keys, vec![(100, 3), (102, 4), (102, 5)]);
    }
}
