//! One chunk of neurons with everything it owns: model state, ring buffer,
//! incoming synapses, device inputs and probes. The epoch loop hands chunks to
//! rayon threads; a chunk is touched by one thread at a time.
//!
//! Delayed input waits in the chunk's ring (lent by the network's
//! `RingArena` for each call, see `ring`): i32 sums in the fixed point of the
//! chunk's synapse store (2^-k pA, overflow excluded by construction, see
//! `synapse`). Integer addition is associative, so the input of a step does
//! not depend on the order in which spikes are delivered: this is what makes
//! results bit-identical for any number of threads and ranks (see DESIGN.md).

use crate::connect::procedural::ProceduralRows;
use crate::exchange::Spike;
use crate::layout::ChunkInfo;
use crate::model::NeuronModel;
use crate::plastic::{Clock, Histories, PlasticChunkState, PlasticStore, Target};
use crate::ring::{Ring, RowRef};
use crate::stimulus::ChunkInputs;
use crate::synapse::SynapseStore;

/// Spikes whose row-index entries are fetched ahead of the look-up.
const INDEX_PREFETCH_AHEAD: usize = 16;

/// A state variable of one neuron sampled for a report.
#[derive(Clone, Debug)]
pub struct Probe {
    /// Index of the report in `chunk_setup::reports`.
    pub record: u32,
    /// State-variable index in the model (`ModelInfo::state_index`).
    pub var: usize,
    /// Neuron index within the chunk.
    pub neuron: u32,
    /// Column of the neuron in the report (its position in `node_ids`).
    pub column: u32,
    /// Sampled after every step s with (s + 1) % interval_steps == 0.
    pub interval_steps: u64,
}

/// One sampled value: report `record`, column `column`, after step `step`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sample {
    /// Index of the report in `chunk_setup::reports`.
    pub record: u32,
    /// The step after whose update the value was read.
    pub step: u64,
    /// Column of the neuron in the report.
    pub column: u32,
    /// The value, in the model's unit for the variable.
    pub value: f64,
}

/// Per-step buffers of an update, one set per thread: they are rewritten
/// every step, so sharing them across the chunks a thread updates keeps them
/// in L1 instead of pulling each chunk's own copy in from L3.
#[derive(Default)]
struct StepScratch {
    /// `[lane][neuron]`: weights (pA) arriving at the end of the step.
    input: Vec<f64>,
    /// External current (pA) of each neuron during the step.
    i_stim: Vec<f64>,
    spiked: Vec<u32>,
}

thread_local! {
    static SCRATCH: std::cell::RefCell<StepScratch> = std::cell::RefCell::default();
}

/// One chunk of neurons with everything it owns (see the module docs).
pub struct Chunk {
    /// Which neurons: population, first gid, length.
    pub info: ChunkInfo,
    model: Box<dyn NeuronModel>,
    n_lanes: usize,
    /// The chunk's incoming synapses, rows by source gid.
    pub synapses: SynapseStore,
    /// The device inputs that target the chunk's neurons.
    pub inputs: ChunkInputs,
    /// The state-report probes on the chunk's neurons.
    pub probes: Vec<Probe>,
    /// Ring slots (a power of two > the maximum delay); 0 until allocated.
    ring_slots: u64,
    /// Prefetch ring lines at delivery (`RingArena::misses_cache`).
    prefetch_ring: bool,
    /// Spikes of the last `update_epoch` call (one local interval), by step.
    pub out_spikes: Vec<Spike>,
    /// Samples of the last `update_epoch` call (one local interval).
    pub out_samples: Vec<Sample>,
    /// Synaptic events delivered into this chunk so far.
    pub events: u64,
    /// Spikes of this chunk's neurons so far.
    pub spikes: u64,
    /// Scratch: the rows of the spikes being delivered.
    rows: Vec<RowRef>,
    /// The chunk's plastic synapses, one store per plastic projection.
    pub plastic: Vec<PlasticStore>,
    /// The projections onto the chunk whose rows are regenerated at each
    /// spike instead of stored.
    pub procedural: Vec<ProceduralRows>,
    /// Each neuron's spike history, when a plastic rule reads it (else
    /// empty).
    pub history: Histories,
    /// 1 / tau_minus of the chunk's population (NEST's archiving node).
    inv_tau_minus: f64,
    /// Spike stamps and delays in NEST's ms.
    clock: Clock,
}

impl Chunk {
    /// A chunk with its neurons (`model`, `n_lanes` ring lanes per neuron) and
    /// `synapses`; no devices, no probes, no ring until `set_ring_slots`.
    pub fn new(
        info: ChunkInfo,
        model: Box<dyn NeuronModel>,
        n_lanes: usize,
        synapses: SynapseStore,
    ) -> Self {
        Self {
            info,
            model,
            n_lanes,
            synapses,
            inputs: ChunkInputs::default(),
            probes: Vec::new(),
            ring_slots: 0,
            prefetch_ring: false,
            out_spikes: Vec::new(),
            out_samples: Vec::new(),
            events: 0,
            spikes: 0,
            rows: Vec::new(),
            plastic: Vec::new(),
            procedural: Vec::new(),
            history: Histories::default(),
            inv_tau_minus: 0.0,
            clock: Clock::new(1.0),
        }
    }

    /// Gives the chunk its plastic synapses; `tau_minus` (ms) of its
    /// population and the step `dt` for the rules. Keeps a spike history
    /// per neuron when a rule reads it.
    pub fn set_plastic(&mut self, stores: Vec<PlasticStore>, tau_minus: f64, dt: f64) {
        let reads = stores
            .iter()
            .any(|s| s.rule.reads_history() && !s.is_empty());
        self.history = if reads {
            Histories::new(self.info.len as usize)
        } else {
            Histories::default()
        };
        self.plastic = stores;
        self.inv_tau_minus = 1.0 / tau_minus;
        self.clock = Clock::new(dt);
    }

    /// Input lanes per neuron in the ring (see `model::ModelInfo::build`).
    pub fn n_lanes(&self) -> usize {
        self.n_lanes
    }

    /// The neuron model's state of this chunk.
    pub fn model(&self) -> &dyn NeuronModel {
        self.model.as_ref()
    }

    /// The chunk's neuron model (its state), to change it.
    pub fn model_mut(&mut self) -> &mut dyn NeuronModel {
        self.model.as_mut()
    }

    /// Sets the ring size; `slots` must be a power of two > max delay.
    /// Returns the entries the chunk's ring needs.
    pub fn set_ring_slots(&mut self, slots: u64) -> usize {
        assert!(slots.is_power_of_two());
        self.ring_slots = slots;
        slots as usize * self.ring_stride()
    }

    /// Whether delivery prefetches ring lines ahead.
    pub fn set_ring_prefetch(&mut self, on: bool) {
        self.prefetch_ring = on;
    }

    fn ring_stride(&self) -> usize {
        self.n_lanes * self.info.len as usize
    }

    fn ring<'a>(&self, data: &'a mut [i32]) -> Ring<'a> {
        Ring {
            data,
            slots: self.ring_slots,
            stride: self.ring_stride() as u64,
            prefetch: self.prefetch_ring,
        }
    }

    /// Advances every neuron through steps [s0, s1), collecting spikes and
    /// samples; `ring` is this chunk's ring.
    pub fn update_epoch(&mut self, s0: u64, s1: u64, ring: &mut [i32]) {
        SCRATCH.with_borrow_mut(|scratch| self.update_epoch_with(s0, s1, ring, scratch));
    }

    fn update_epoch_with(&mut self, s0: u64, s1: u64, ring: &mut [i32], sc: &mut StepScratch) {
        let mut ring = self.ring(ring);
        self.out_spikes.clear();
        self.out_samples.clear();
        let n = self.info.len as usize;
        sc.input.resize(self.n_lanes * n, 0.0);
        sc.i_stim.clear();
        sc.i_stim.resize(n, 0.0);
        let inv_scale = 1.0 / self.synapses.fixed_scale;
        for step in s0..s1 {
            let (input, i_stim, inputs) = (&mut sc.input, &mut sc.i_stim, &mut self.inputs);
            ring.take_slot(step, |slot| {
                inputs.apply(step, slot, i_stim);
                for (x, r) in input.iter_mut().zip(slot.iter()) {
                    *x = f64::from(*r) * inv_scale;
                }
            });
            sc.spiked.clear();
            self.model.update(&sc.input, &sc.i_stim, &mut sc.spiked);
            let first = self.info.first_gid;
            self.spikes += sc.spiked.len() as u64;
            if !self.history.is_empty() {
                let t = self.clock.stamp_ms(step + 1);
                for &i in &sc.spiked {
                    let stamp = step as i64 + 1;
                    self.history.push(i as usize, stamp, t, self.inv_tau_minus);
                }
            }
            self.out_spikes.extend(sc.spiked.iter().map(|&i| Spike {
                step,
                gid: first + i,
            }));
            for p in &self.probes {
                if (step + 1) % p.interval_steps == 0 {
                    let value = self.model.get(p.var, p.neuron as usize);
                    self.out_samples.push(Sample {
                        record: p.record,
                        step,
                        column: p.column,
                        value,
                    });
                }
            }
        }
    }

    /// Adds the weights of `spikes` into this chunk's `ring`.
    ///
    /// Invariant (from the epoch loop): every spike was emitted in a local
    /// interval that has been fully updated (a remote one: in an epoch that has
    /// been fully exchanged), and every delay is >= the local interval (a
    /// rank-crossing delay >= the epoch), so slot `step + delay` has not been
    /// consumed yet and lies less than `ring_slots` steps ahead of the next
    /// step to be updated.
    /// Plastic synapses are updated by the spikes they deliver; each
    /// source's spikes must come in stamp order (`plastic::store`).
    pub fn deliver(&mut self, spikes: &[Spike], ring: &mut [i32]) {
        let mut rows = std::mem::take(&mut self.rows);
        self.events += self.deliver_with(spikes, ring, &mut rows);
        self.rows = rows;
        for p in &self.procedural {
            self.events += p.deliver(spikes, ring, self.ring_slots);
        }
        if !self.plastic.is_empty() {
            self.events += self.deliver_plastic(spikes, ring);
        }
    }

    /// The plastic stores' part of `deliver`; then, now and then
    /// (`Histories::trim_due`), the histories are trimmed to what a later
    /// spike can still read.
    fn deliver_plastic(&mut self, spikes: &[Spike], ring: &mut [i32]) -> u64 {
        let target = Target {
            history: &self.history,
            inv_tau_minus: self.inv_tau_minus,
            clock: self.clock,
            fixed_scale: self.synapses.fixed_scale,
        };
        let mut events = 0;
        for store in &mut self.plastic {
            events += store.deliver(spikes, &target, ring, self.ring_slots);
        }
        if !self.history.is_empty() && self.history.trim_due() {
            let cut = self.plastic.iter().map(PlasticStore::history_cut).min();
            self.history.trim_before(cut.unwrap_or(i64::MIN));
        }
        events
    }

    /// The plastic stores' and histories' state (`plastic::snapshot`).
    pub fn capture_plastic(&self) -> PlasticChunkState {
        let cut = self.plastic.iter().map(PlasticStore::history_cut).min();
        PlasticChunkState {
            stores: self.plastic.iter().map(PlasticStore::capture).collect(),
            history: self.history.capture(cut.unwrap_or(i64::MIN)),
        }
    }

    /// Ok when `s` is the plastic state of a chunk like this one (the same
    /// stores, the histories of its neurons or none as here); else what
    /// differs.
    pub fn plastic_fits(&self, s: &PlasticChunkState) -> Result<(), String> {
        if s.stores.len() != self.plastic.len() {
            let (a, b) = (s.stores.len(), self.plastic.len());
            return Err(format!("{a} plastic stores in the checkpoint, {b} here"));
        }
        for (mine, theirs) in self.plastic.iter().zip(&s.stores) {
            mine.fits(theirs)?;
        }
        let n = if self.history.is_empty() {
            0
        } else {
            self.history.len()
        };
        if s.history.count.len() != n {
            let a = s.history.count.len();
            return Err(format!(
                "spike histories of {a} neurons in the checkpoint, {n} here"
            ));
        }
        s.history.check(n)
    }

    /// Takes back the plastic state `s` (which `plastic_fits`).
    pub fn restore_plastic(&mut self, s: &PlasticChunkState) {
        for (store, st) in self.plastic.iter_mut().zip(&s.stores) {
            store.restore(st);
        }
        if !self.history.is_empty() {
            self.history.restore(&s.history);
        }
    }

    /// `deliver` without counting the events in the chunk (it is not
    /// changed; `ring` may be a copy of its ring): `rows` is scratch.
    /// Returns the events added. Same invariant as `deliver`.
    pub fn deliver_with(&self, spikes: &[Spike], ring: &mut [i32], rows: &mut Vec<RowRef>) -> u64 {
        // Rows are scattered in memory: look them all up first, then walk them
        // with software prefetch a few rows ahead (see `ring`).
        rows.clear();
        let mut events = 0;
        for sp in spikes.iter().take(INDEX_PREFETCH_AHEAD) {
            self.synapses.prefetch_row_range(sp.gid);
        }
        for (i, sp) in spikes.iter().enumerate() {
            if let Some(next) = spikes.get(i + INDEX_PREFETCH_AHEAD) {
                self.synapses.prefetch_row_range(next.gid);
            }
            let (a, b) = self.synapses.row_range(sp.gid);
            if a < b {
                rows.push((a, b, sp.step));
                events += u64::from(b - a);
            }
        }
        self.ring(ring).deliver(self.synapses.view(), rows);
        events
    }
}
