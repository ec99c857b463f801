//! A chunk's plastic state (`PlasticChunkState`) as `f64` words, after the
//! rest of its chunk in `wire`: the number of stores; per store its
//! projection, refused count (two 32-bit halves), synapses and rows, then
//! the weights and the five row arrays; then the histories' neuron and
//! entry counts, the counts, the entries' stamps, times and traces, and the
//! recent blocks' stamps, times and traces. Stamps are steps (below 2^53)
//! or the empty place's i64::MIN (-2^63): exact as doubles, like every
//! other word, so the round trip is exact.

use brainsim_sim::plastic::recent::RECENT;
use brainsim_sim::plastic::{HistoryState, PlasticChunkState, StoreState};

use super::wire::{halves, whole};

/// Appends `p` to `out`.
pub fn pack(p: &PlasticChunkState, out: &mut Vec<f64>) {
    let stamps = |s: &[i64], out: &mut Vec<f64>| out.extend(s.iter().map(|&x| x as f64));
    out.push(p.stores.len() as f64);
    for s in &p.stores {
        let [oh, ol] = halves(s.overflows);
        out.extend_from_slice(&[f64::from(s.projection), oh, ol]);
        out.extend_from_slice(&[s.weight.len() as f64, s.rows() as f64]);
        out.extend_from_slice(&s.weight);
        stamps(&s.last, out);
        for a in [&s.t_last, &s.kplus, &s.u, &s.x] {
            out.extend_from_slice(a);
        }
    }
    let h = &p.history;
    out.extend_from_slice(&[h.count.len() as f64, h.stamp.len() as f64]);
    out.extend(h.count.iter().map(|&c| f64::from(c)));
    stamps(&h.stamp, out);
    out.extend_from_slice(&h.t);
    out.extend_from_slice(&h.k);
    stamps(&h.recent_stamp, out);
    out.extend_from_slice(&h.recent_t);
    out.extend_from_slice(&h.recent_k);
}

/// Reads words from `words[*at..]`, advancing `at`.
struct Reader<'a> {
    words: &'a [f64],
    at: &'a mut usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[f64], String> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.words.len());
        let end = end.ok_or("checkpoint words end inside a chunk's plastic state")?;
        let s = &self.words[*self.at..end];
        *self.at = end;
        Ok(s)
    }

    fn one(&mut self) -> Result<f64, String> {
        Ok(self.take(1)?[0])
    }

    fn f64s(&mut self, n: usize) -> Result<Vec<f64>, String> {
        Ok(self.take(n)?.to_vec())
    }

    fn i64s(&mut self, n: usize) -> Result<Vec<i64>, String> {
        Ok(self.take(n)?.iter().map(|&x| x as i64).collect())
    }
}

/// The plastic state packed at `words[*at..]`, advancing `at` past it.
pub fn unpack(words: &[f64], at: &mut usize) -> Result<PlasticChunkState, String> {
    let mut r = Reader { words, at };
    let n_stores = r.one()? as usize;
    let mut stores = Vec::with_capacity(n_stores.min(1024));
    for _ in 0..n_stores {
        let h = r.take(5)?;
        let (projection, overflows) = (h[0] as u32, whole(h[1], h[2]));
        let (n_syn, n_rows) = (h[3] as usize, h[4] as usize);
        stores.push(StoreState {
            projection,
            weight: r.f64s(n_syn)?,
            last: r.i64s(n_rows)?,
            t_last: r.f64s(n_rows)?,
            kplus: r.f64s(n_rows)?,
            u: r.f64s(n_rows)?,
            x: r.f64s(n_rows)?,
            overflows,
        });
    }
    let h = r.take(2)?;
    let (n, entries) = (h[0] as usize, h[1] as usize);
    let history = HistoryState {
        count: r.take(n)?.iter().map(|&c| c as u32).collect(),
        stamp: r.i64s(entries)?,
        t: r.f64s(entries)?,
        k: r.f64s(entries)?,
        recent_stamp: r.i64s(n * RECENT)?,
        recent_t: r.f64s(n * RECENT)?,
        recent_k: r.f64s(n * RECENT)?,
    };
    Ok(PlasticChunkState { stores, history })
}
