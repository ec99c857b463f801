//! Capture and restore of a network's dynamic state at an epoch boundary:
//! `Network::capture` (this rank's chunks) and `Network::restore` (the
//! local chunks out of any set that holds them, e.g. the union of all
//! ranks' captures, into a network built with any layout). The data:
//! `checkpoint`; what it holds and why: DESIGN.md, "Checkpoint state".
//!
//! Invariant (from `Network::run_epoch`): between two epochs, every spike
//! before `step` has been delivered into the ring of every local chunk it
//! targets, except those in `pending` — this rank's spikes of the last local
//! interval and the other ranks' spikes of the last epoch. Each of those is
//! due in a slot in [step, step + max_delay): a local one was emitted in the
//! last interval (at most `local_steps` long, every delay >= it), a remote
//! one in the last epoch (every rank-crossing delay >= it). So delivering
//! `pending` at the boundary is what the next interval would do first, and a
//! capture does it (into the rings themselves, then nothing is pending; with
//! plastic synapses into copies, leaving the network as it was): the rings
//! then hold every spike before the step and no spike is in flight. That
//! state does not depend on the local interval, the epoch or which spikes
//! were remote, i.e. on the layout; the restored network starts with
//! nothing pending.

use super::Network;
use crate::checkpoint::{CheckpointError, ChunkState, ChunkStates, NetworkKey};
use crate::chunk::Chunk;
use crate::ring::{entries_ahead, set_entries_ahead};
use crate::spec::NetworkSpec;

impl Network {
    /// The dynamic state of this rank's chunks at `self.step`, with the
    /// spikes still pending delivered into the rings (`deliver_pending`).
    /// Call it between two `run_epoch`s or after the last. The pending
    /// spikes are delivered now instead of at the start of the next
    /// interval — the same sums and the same plastic updates (which depend
    /// on spike times only), so the run goes on as it would have, and the
    /// capture copies no ring. The chunks are
    /// captured in parallel (rayon), each by one thread.
    pub fn capture(&mut self) -> ChunkStates {
        use rayon::prelude::*;
        self.deliver_pending();
        let rings = self.rings.views();
        let chunks = self
            .chunks
            .par_iter()
            .zip(rings.into_par_iter())
            .map(|(c, ring)| capture_chunk(&self.spec, c, ring, self.step, self.max_delay))
            .collect();
        ChunkStates {
            step: self.step,
            network: NetworkKey::of(&self.spec, self.max_delay),
            chunks,
        }
    }

    /// Puts this rank's chunks into the state `states` holds for them (it
    /// may hold more: each rank may be given the union of all captures) and
    /// moves the network to `states.step`, with nothing pending; the devices
    /// continue from that step. The epoch (`set_epoch_steps`) and the
    /// exchange are set up before, as for a fresh run; any epoch works.
    ///
    /// Everything is checked before anything changes: a checkpoint of
    /// another network (seed, chunk size, dt, sizes, largest delay,
    /// parameters), a chunk missing or of another shape (state variables,
    /// ring lanes, fixed point), or a step past the end of this run is an
    /// error naming what differs, and the network is left as it was.
    pub fn restore(&mut self, states: &ChunkStates) -> Result<(), CheckpointError> {
        let key = NetworkKey::of(&self.spec, self.max_delay);
        states.network.check(&key)?;
        if states.step > self.n_steps {
            return Err(CheckpointError(format!(
                "the checkpoint is at step {}, after the end of this run (step {})",
                states.step, self.n_steps
            )));
        }
        let mine = self
            .chunks
            .iter()
            .map(|c| chunk_state(&self.spec, c, states))
            .collect::<Result<Vec<_>, _>>()?;
        let (step, horizon) = (states.step, states.network.ring_horizon);
        let stride = |c: &Chunk| c.n_lanes() * c.info.len as usize;
        for ((c, ring), st) in self.chunks.iter_mut().zip(self.rings.rings()).zip(mine) {
            let n = c.info.len as usize;
            let model = c.model_mut();
            for (k, &raw) in st.state.iter().enumerate() {
                model.restore(k / n, k % n, raw);
            }
            set_entries_ahead(ring, stride(c), step, horizon, &st.ring);
            c.events = st.events;
            c.spikes = st.spikes;
            c.restore_plastic(&st.plastic);
            c.inputs.restart_at(step);
            c.out_spikes.clear();
            c.out_samples.clear();
        }
        self.pending.clear();
        self.received.clear();
        self.step = step;
        Ok(())
    }
}

/// Every state variable of a model: what a checkpoint saves of a neuron.
fn n_vars(spec: &NetworkSpec, c: &Chunk) -> usize {
    let model = &spec.populations[c.info.population].model;
    crate::model::lookup(model).map_or(0, |m| m.state.len())
}

/// Chunk `c`'s state at `step`, nothing pending: the non-zero entries of
/// its `ring` are saved relative to the step (`horizon` slots).
fn capture_chunk(
    spec: &NetworkSpec,
    c: &Chunk,
    ring: &[i32],
    step: u64,
    horizon: u64,
) -> ChunkState {
    let n = c.info.len as usize;
    let ahead = entries_ahead(ring, c.n_lanes() * n, step, horizon);
    let nonzero = |r: &[i32]| r.iter().filter(|&&x| x != 0).count();
    debug_assert_eq!(nonzero(ring), ahead.len(), "events beyond the horizon");
    let vars = n_vars(spec, c);
    let model = c.model();
    let mut state = Vec::with_capacity(vars * n);
    for var in 0..vars {
        state.extend((0..n).map(|i| model.raw(var, i)));
    }
    ChunkState {
        index: c.info.index as u64,
        first_gid: c.info.first_gid,
        len: c.info.len,
        n_vars: vars as u32,
        state,
        lanes: c.n_lanes() as u32,
        fixed_scale: c.synapses.fixed_scale,
        ring: ahead,
        events: c.events,
        spikes: c.spikes,
        plastic: c.capture_plastic(),
    }
}

/// The state `states` holds for chunk `c`, checked to fit it.
fn chunk_state<'a>(
    spec: &NetworkSpec,
    c: &Chunk,
    states: &'a ChunkStates,
) -> Result<&'a ChunkState, CheckpointError> {
    let i = c.info.index;
    let refuse = |what: String| Err(CheckpointError(format!("chunk {i}: {what}")));
    let Some(st) = states.chunk(i as u64) else {
        return refuse(format!(
            "not in the checkpoint (gids {:?}; it holds {} of the {} chunks)",
            c.info.gids(),
            states.chunks.len(),
            states.network.n_chunks
        ));
    };
    let (n, vars, lanes) = (c.info.len as usize, n_vars(spec, c), c.n_lanes());
    if (st.first_gid, st.len) != (c.info.first_gid, c.info.len) {
        return refuse(format!(
            "gids {}..{} in the checkpoint, {:?} here",
            st.first_gid,
            st.first_gid + st.len,
            c.info.gids()
        ));
    }
    if st.n_vars as usize != vars || st.state.len() != vars * n {
        return refuse(format!(
            "{} state values ({} variables) in the checkpoint, the model {} has {vars} \
             per neuron",
            st.state.len(),
            st.n_vars,
            spec.populations[c.info.population].model
        ));
    }
    if st.lanes as usize != lanes {
        return refuse(format!(
            "{} ring lanes in the checkpoint, {lanes} here (recording a per-receptor \
             variable keeps a population's receptor lanes apart: record what the \
             checkpointed run recorded)",
            st.lanes
        ));
    }
    if st.fixed_scale.to_bits() != c.synapses.fixed_scale.to_bits() {
        return refuse(format!(
            "ring fixed point of {} units per pA in the checkpoint, {} here",
            st.fixed_scale, c.synapses.fixed_scale
        ));
    }
    if let Err(e) = st.ring.check(st.ring_len(states.network.ring_horizon)) {
        return refuse(format!("ring entries in the checkpoint: {e}"));
    }
    if let Err(e) = c.plastic_fits(&st.plastic) {
        return refuse(format!("plastic synapses in the checkpoint: {e}"));
    }
    Ok(st)
}
