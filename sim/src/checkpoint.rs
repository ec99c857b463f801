//! Checkpoint state: the dynamic state of a network at an epoch boundary, as
//! plain data keyed by chunk index — per chunk, every state variable of
//! every neuron as stored (`NeuronModel::raw`), the ring relative to the
//! step in the chunk's fixed point, and the chunk's event and spike
//! counters; per network, the step and what the network must be to take it
//! back (`NetworkKey`). No references, no layout: the chunk list depends on
//! the spec alone, so a network built with any threads, ranks or placement
//! takes back the chunks it owns.
//!
//! `Network::capture` (`network/snapshot.rs`) makes one rank's part,
//! `ChunkStates::merge` the union of the ranks' parts, `Network::restore`
//! takes a rank's chunks out of any set that holds them. What is in, what is
//! recomputed, and why no spike is in flight: DESIGN.md, "Checkpoint state".

use std::fmt;

use crate::plastic::PlasticChunkState;
use crate::spec::NetworkSpec;

/// Why a checkpoint cannot be taken back: one line saying what differs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckpointError(pub String);

impl fmt::Display for CheckpointError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CheckpointError {}

/// Returns `Err` with the message when `bad`.
fn refuse(bad: bool, message: impl FnOnce() -> String) -> Result<(), CheckpointError> {
    if bad {
        Err(CheckpointError(message()))
    } else {
        Ok(())
    }
}

/// What a network must be to take a checkpoint back. Everything here is a
/// function of the spec; `fingerprint` covers what the named fields do not.
#[derive(Clone, Debug, PartialEq)]
pub struct NetworkKey {
    /// Master seed (connectivity, initial values and Poisson input).
    pub seed: u32,
    /// Neurons per chunk: with the sizes, it fixes the chunk list.
    pub chunk_size: u64,
    /// Step (ms).
    pub dt: f64,
    /// Neurons of the network.
    pub n_neurons: u64,
    /// Chunks of the network (`layout::chunks`).
    pub n_chunks: u64,
    /// Ring slots saved per chunk: the maximum delay (steps) of all
    /// synapses, the furthest ahead an undelivered event can be.
    pub ring_horizon: u64,
    /// `fingerprint(spec)`: the spec without what may change on resume.
    pub fingerprint: u64,
}

impl NetworkKey {
    /// The key of a network built from `spec` whose synapses' largest delay
    /// is `max_delay` steps.
    pub fn of(spec: &NetworkSpec, max_delay: u64) -> Self {
        let sim = &spec.simulation;
        Self {
            seed: sim.seed,
            chunk_size: sim.chunk_size as u64,
            dt: sim.dt,
            n_neurons: spec.n_neurons(),
            n_chunks: crate::layout::chunks(spec).len() as u64,
            ring_horizon: max_delay,
            fingerprint: fingerprint(spec),
        }
    }

    /// Ok when a checkpoint with this key fits a network with key `net`;
    /// else the first difference, named (the specific ones before the
    /// fingerprint, which only says that something else differs).
    pub fn check(&self, net: &NetworkKey) -> Result<(), CheckpointError> {
        let differs = |what: &str, ours: String, theirs: String| {
            format!("{what} differs: the checkpoint's is {ours}, this network's {theirs}")
        };
        refuse(self.seed != net.seed, || {
            differs("seed", self.seed.to_string(), net.seed.to_string())
        })?;
        refuse(self.chunk_size != net.chunk_size, || {
            differs(
                "chunk_size",
                self.chunk_size.to_string(),
                net.chunk_size.to_string(),
            )
        })?;
        refuse(self.dt != net.dt, || {
            differs("dt (ms)", self.dt.to_string(), net.dt.to_string())
        })?;
        refuse(self.n_neurons != net.n_neurons, || {
            differs(
                "the number of neurons",
                self.n_neurons.to_string(),
                net.n_neurons.to_string(),
            )
        })?;
        refuse(self.n_chunks != net.n_chunks, || {
            differs(
                "the number of chunks",
                self.n_chunks.to_string(),
                net.n_chunks.to_string(),
            )
        })?;
        refuse(self.ring_horizon != net.ring_horizon, || {
            differs(
                "the largest delay (steps)",
                self.ring_horizon.to_string(),
                net.ring_horizon.to_string(),
            )
        })?;
        refuse(self.fingerprint != net.fingerprint, || {
            format!(
                "the checkpoint was taken from a different network (parameters, \
                 projections or devices differ: fingerprint {:016x}, this \
                 network's {:016x})",
                self.fingerprint, net.fingerprint
            )
        })
    }
}

/// A hash (64-bit FNV-1a of the `Debug` text) of what `spec` says the
/// network is, leaving out what a resumed run may change without changing
/// the dynamics: `t_stop` (a resume may extend the run), `threads`, the
/// records (reports; a record that changes the ring lanes is refused by
/// the lane check) and `expected_rate` (a hint to partitioners).
pub fn fingerprint(spec: &NetworkSpec) -> u64 {
    let mut s = spec.clone();
    s.simulation.t_stop = 0.0;
    s.simulation.threads = None;
    s.records.clear();
    for p in &mut s.populations {
        p.expected_rate = None;
    }
    format!("{s:?}")
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        })
}

/// One chunk's dynamic state at the step of its `ChunkStates`.
#[derive(Clone, Debug, PartialEq)]
pub struct ChunkState {
    /// Chunk index (`layout::ChunkInfo::index`).
    pub index: u64,
    /// Gid of the chunk's first neuron.
    pub first_gid: u32,
    /// Neurons of the chunk.
    pub len: u32,
    /// State variables per neuron: every one of the model's
    /// (`ModelInfo::state`, hidden ones too), in its storage order.
    pub n_vars: u32,
    /// `[var][neuron]`: each value as the model stores it
    /// (`NeuronModel::raw`, bit for bit; not converted to units).
    pub state: Vec<f64>,
    /// Ring lanes per neuron.
    pub lanes: u32,
    /// The ring's fixed point (units per pA, 2^k): checked on restore, as
    /// the ring's integers mean nothing in another scale.
    pub fixed_scale: f64,
    /// The ring, `[slot][lane][neuron]` over `ring_horizon` slots (the
    /// input waiting for steps step, step + 1, ..., from every spike before
    /// `step`), by its non-zero entries.
    pub ring: RingEntries,
    /// Synaptic events delivered into the chunk (`Chunk::events`), counting
    /// those of the spikes before `step` whose delivery was still due.
    pub events: u64,
    /// Spikes of the chunk's neurons before `step` (`Chunk::spikes`).
    pub spikes: u64,
    /// The plastic synapses' weights and rows and the neurons' spike
    /// histories (`plastic::snapshot`); empty without plastic synapses.
    pub plastic: PlasticChunkState,
}

impl ChunkState {
    /// Bytes of the chunk's arrays and fields (48 bytes besides the arrays).
    pub fn bytes(&self) -> usize {
        self.state.len() * 8 + self.ring.len() * 8 + 48 + self.plastic.bytes()
    }

    /// Entries of the chunk's ring over `horizon` slots (the positions
    /// `RingEntries` may hold).
    pub fn ring_len(&self, horizon: u64) -> u64 {
        horizon
            .saturating_mul(u64::from(self.lanes))
            .saturating_mul(u64::from(self.len))
    }
}

/// A ring relative to a step by its non-zero entries. Most of a ring is
/// zero — only the slots within the largest delay ahead of the step that
/// received events hold anything (7 % of the full microcircuit's entries,
/// most of them in the first few slots) — so a checkpoint keeps these and
/// nothing else: 8 bytes per non-zero entry instead of 4 per entry.
///
/// Invariant (`check`): `index` strictly increasing and below the ring's
/// length, `value` as long, no value 0 — one representation per ring, so
/// equal rings compare equal.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RingEntries {
    /// Positions in `[slot][lane][neuron]` (slot k: the input due at step +
    /// k). A chunk's ring positions fit in u32, as its synapses' ring
    /// offsets do (`synapse.rs`).
    pub index: Vec<u32>,
    /// The entry at each position, in the chunk's fixed point.
    pub value: Vec<i32>,
}

impl RingEntries {
    /// Non-zero entries held.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// True if the ring is all zeros.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// The non-zero entries of the ring `dense`.
    pub fn of_dense(dense: &[i32]) -> Self {
        let mut out = Self::default();
        out.extend_nonzero(0, dense);
        out
    }

    /// Adds the entry `value` (not 0) at `position`, after every one held.
    pub fn push(&mut self, position: u64, value: i32) {
        let index = u32::try_from(position).expect("ring positions fit in u32 (synapse offsets)");
        self.index.push(index);
        self.value.push(value);
    }

    /// Adds the non-zero ones of `values`, the entries at positions `first`,
    /// `first + 1`, ... (after every one held). Blocks of zeros are skipped
    /// whole; within a block with a non-zero entry every entry is written
    /// and the length advances only past the non-zero ones, without a
    /// branch (zero and non-zero entries follow no predictable pattern).
    pub fn extend_nonzero(&mut self, first: u64, values: &[i32]) {
        const BLOCK: usize = 16;
        let end = first + values.len() as u64;
        assert!(
            end <= 1 << 32,
            "ring positions fit in u32 (synapse offsets)"
        );
        for (b, block) in values.chunks(BLOCK).enumerate() {
            if block.iter().fold(0, |any, &v| any | v) == 0 {
                continue;
            }
            let (held, base) = (self.index.len(), first + (b * BLOCK) as u64);
            self.index.resize(held + block.len(), 0);
            self.value.resize(held + block.len(), 0);
            let mut n = held;
            for (i, &v) in block.iter().enumerate() {
                self.index[n] = (base + i as u64) as u32;
                self.value[n] = v;
                n += usize::from(v != 0);
            }
            self.index.truncate(n);
            self.value.truncate(n);
        }
    }

    /// The ring of `len` entries these are the non-zero entries of
    /// (`check(len)` must hold).
    pub fn to_dense(&self, len: usize) -> Vec<i32> {
        let mut dense = vec![0; len];
        for (&i, &v) in self.index.iter().zip(&self.value) {
            dense[i as usize] = v;
        }
        dense
    }

    /// Ok when these are the non-zero entries of a ring of `len` entries
    /// (the invariant); else what is wrong, in a few words.
    pub fn check(&self, len: u64) -> Result<(), String> {
        if self.index.len() != self.value.len() {
            let (i, v) = (self.index.len(), self.value.len());
            return Err(format!("{i} positions for {v} values"));
        }
        if let Some(w) = self.index.windows(2).position(|w| w[0] >= w[1]) {
            let (a, b) = (self.index[w], self.index[w + 1]);
            return Err(format!("positions not increasing ({a} then {b})"));
        }
        if let Some(&last) = self.index.last().filter(|&&i| u64::from(i) >= len) {
            return Err(format!("position {last} beyond the ring's {len} entries"));
        }
        if let Some(k) = self.value.iter().position(|&v| v == 0) {
            return Err(format!("a zero entry at position {}", self.index[k]));
        }
        Ok(())
    }
}

/// The state of some chunks of a network (one rank's capture, or the
/// union of all ranks') at an epoch boundary.
#[derive(Clone, Debug, PartialEq)]
pub struct ChunkStates {
    /// The next step to update.
    pub step: u64,
    /// What the network must be to take these states back.
    pub network: NetworkKey,
    /// By increasing chunk index, each at most once.
    pub chunks: Vec<ChunkState>,
}

impl ChunkStates {
    /// The union of parts of one capture (the ranks' captures): they must
    /// share the step and the key and hold distinct chunks.
    pub fn merge(parts: impl IntoIterator<Item = ChunkStates>) -> Result<Self, CheckpointError> {
        let mut parts = parts.into_iter();
        let Some(mut all) = parts.next() else {
            return Err(CheckpointError("no part to merge".into()));
        };
        for p in parts {
            refuse(p.step != all.step, || {
                format!("parts of different steps: {} and {}", all.step, p.step)
            })?;
            refuse(p.network != all.network, || {
                "parts of different networks".into()
            })?;
            all.chunks.extend(p.chunks);
        }
        all.chunks.sort_by_key(|c| c.index);
        if let Some(w) = all.chunks.windows(2).find(|w| w[0].index == w[1].index) {
            return Err(CheckpointError(format!(
                "chunk {} is in two parts",
                w[0].index
            )));
        }
        Ok(all)
    }

    /// The state of chunk `index`, if held.
    pub fn chunk(&self, index: u64) -> Option<&ChunkState> {
        self.chunks
            .binary_search_by_key(&index, |c| c.index)
            .ok()
            .map(|i| &self.chunks[i])
    }

    /// The chunks of the network not held (none for a complete checkpoint).
    pub fn missing(&self) -> Vec<u64> {
        (0..self.network.n_chunks)
            .filter(|&i| self.chunk(i).is_none())
            .collect()
    }

    /// Bytes of the held chunks' arrays and counters (what must be saved,
    /// besides the key and the step).
    pub fn bytes(&self) -> usize {
        self.chunks.iter().map(ChunkState::bytes).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::test_specs::network;

    fn part(step: u64, indexes: &[u64]) -> ChunkStates {
        let spec = network(1, &[40, 30], 16);
        ChunkStates {
            step,
            network: NetworkKey::of(&spec, 3),
            chunks: indexes
                .iter()
                .map(|&index| ChunkState {
                    index,
                    first_gid: 0,
                    len: 0,
                    n_vars: 0,
                    state: vec![],
                    lanes: 1,
                    fixed_scale: 1.0,
                    ring: RingEntries::default(),
                    events: 0,
                    spikes: 0,
                    plastic: Default::default(),
                })
                .collect(),
        }
    }

    #[test]
    fn parts_merge_in_chunk_order_and_the_missing_are_named() {
        let all = ChunkStates::merge([part(7, &[4, 1]), part(7, &[0, 2])]).unwrap();
        let held: Vec<u64> = all.chunks.iter().map(|c| c.index).collect();
        assert_eq!(held, [0, 1, 2, 4]);
        assert_eq!(all.network.n_chunks, 5, "40 neurons by 16: 3, 30: 2");
        assert_eq!(all.missing(), [3]);
        assert!(all.chunk(2).is_some() && all.chunk(3).is_none());
        let twice = ChunkStates::merge([part(7, &[1]), part(7, &[1])]);
        assert_eq!(twice.unwrap_err().0, "chunk 1 is in two parts");
        let steps = ChunkStates::merge([part(7, &[1]), part(8, &[2])]);
        assert!(steps.unwrap_err().0.contains("different steps"));
    }

    #[test]
    fn ring_entries_are_the_non_zero_ones_and_checked() {
        let dense = [0, 5, 0, 0, -3, 7, 0];
        let e = RingEntries::of_dense(&dense);
        assert_eq!(
            (e.index.as_slice(), e.value.as_slice()),
            (&[1, 4, 5][..], &[5, -3, 7][..])
        );
        assert_eq!(e.to_dense(7), dense);
        assert_eq!(e.check(7), Ok(()));
        assert_eq!(
            e.check(5).unwrap_err(),
            "position 5 beyond the ring's 5 entries"
        );
        let bad = |f: fn(&mut RingEntries)| {
            let mut x = e.clone();
            f(&mut x);
            x.check(7).unwrap_err()
        };
        assert_eq!(
            bad(|x| x.index.swap(1, 2)),
            "positions not increasing (5 then 4)"
        );
        assert_eq!(
            bad(|x| x.index[1] = 1),
            "positions not increasing (1 then 1)"
        );
        assert_eq!(bad(|x| x.value[2] = 0), "a zero entry at position 5");
        assert_eq!(
            bad(|x| {
                x.value.pop();
            }),
            "3 positions for 2 values"
        );
        assert!(RingEntries::of_dense(&[0; 4]).is_empty());
        let mut more = e.clone();
        more.extend_nonzero(9, &[0, -1, 0, 2, 0]);
        assert_eq!(more.index, [1, 4, 5, 10, 12]);
        assert_eq!(more.value, [5, -3, 7, -1, 2]);
        assert_eq!(more.check(13), Ok(()));
        // Across blocks of 16, one of them all zeros.
        let mut long = vec![0; 40];
        for (i, v) in [(3, 1), (15, -2), (32, 4), (39, 5)] {
            long[i] = v;
        }
        let e = RingEntries::of_dense(&long);
        assert_eq!(e.index, [3, 15, 32, 39]);
        assert_eq!(e.to_dense(40), long);
    }

    #[test]
    fn keys_name_what_differs() {
        let spec = network(1, &[40, 30], 16);
        let key = NetworkKey::of(&spec, 3);
        assert_eq!(key.check(&key), Ok(()));
        let mut longer = spec.clone();
        longer.simulation.t_stop *= 2.0;
        longer.simulation.threads = Some(3);
        assert_eq!(key.check(&NetworkKey::of(&longer, 3)), Ok(()));
        let seed = NetworkKey::of(&network(2, &[40, 30], 16), 3);
        let err = key.check(&seed).unwrap_err().0;
        assert_eq!(err, "seed differs: the checkpoint's is 1, this network's 2");
        let err = key.check(&NetworkKey::of(&spec, 4)).unwrap_err().0;
        assert!(err.starts_with("the largest delay"), "{err}");
        let mut params = spec;
        params.populations[1].params.insert("tau_m".into(), 11.0);
        let err = key.check(&NetworkKey::of(&params, 3)).unwrap_err().0;
        assert!(err.contains("different network"), "{err}");
    }
}
