//! One chunk of neurons with everything it owns: model state, ring buffer,
//! incoming synapses, device inputs and probes. The epoch loop hands chunks to
//! rayon threads; a chunk is touched by one thread at a time.
//!
//! Ring buffer: `[slot][receptor][neuron]` of i32 in the fixed point of the
//! chunk's synapse store (2^-k pA, overflow excluded by construction, see
//! `synapse`). Integer addition is associative, so the input of a step does
//! not depend on the order in which spikes are delivered: this is what makes
//! results bit-identical for any number of threads and ranks (see DESIGN.md).

use crate::exchange::Spike;
use crate::layout::ChunkInfo;
use crate::model::NeuronModel;
use crate::stimulus::ChunkInputs;
use crate::synapse::SynapseStore;

/// A state variable of one neuron sampled for a report.
#[derive(Clone, Debug)]
pub struct Probe {
    pub record: u32,
    pub var: usize,
    pub neuron: u32,
    pub column: u32,
    pub interval_steps: u64,
}

/// One sampled value: report `record`, column `column`, after step `step`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sample {
    pub record: u32,
    pub step: u64,
    pub column: u32,
    pub value: f64,
}

pub struct Chunk {
    pub info: ChunkInfo,
    model: Box<dyn NeuronModel>,
    n_receptors: usize,
    pub synapses: SynapseStore,
    pub inputs: ChunkInputs,
    pub probes: Vec<Probe>,
    ring: Vec<i32>,
    ring_slots: u64,
    input: Vec<f64>,
    i_stim: Vec<f64>,
    spiked: Vec<u32>,
    /// Spikes of the current epoch (filled by `update_epoch`).
    pub out_spikes: Vec<Spike>,
    pub out_samples: Vec<Sample>,
    /// Synaptic events delivered into this chunk so far.
    pub events: u64,
    /// Scratch: (row start, row end, ring base) of the spikes being delivered.
    rows: Vec<(u32, u32, u64)>,
}

impl Chunk {
    pub fn new(
        info: ChunkInfo,
        model: Box<dyn NeuronModel>,
        n_receptors: usize,
        synapses: SynapseStore,
    ) -> Self {
        let n = info.len as usize;
        Self {
            info,
            model,
            n_receptors,
            synapses,
            inputs: ChunkInputs::default(),
            probes: Vec::new(),
            ring: Vec::new(),
            ring_slots: 0,
            input: vec![0.0; n * n_receptors],
            i_stim: vec![0.0; n],
            spiked: Vec::new(),
            out_spikes: Vec::new(),
            out_samples: Vec::new(),
            events: 0,
            rows: Vec::new(),
        }
    }

    pub fn model_mut(&mut self) -> &mut dyn NeuronModel {
        self.model.as_mut()
    }

    /// Allocates the ring buffer; `slots` must be a power of two > max delay.
    pub fn allocate_ring(&mut self, slots: u64) {
        self.ring_slots = slots;
        self.ring = vec![0; slots as usize * self.n_receptors * self.info.len as usize];
    }

    pub fn ring_bytes(&self) -> usize {
        self.ring.capacity() * 4
    }

    /// Advances every neuron through steps [s0, s1), collecting spikes and samples.
    pub fn update_epoch(&mut self, s0: u64, s1: u64) {
        self.out_spikes.clear();
        self.out_samples.clear();
        let n = self.info.len as usize;
        let stride = self.n_receptors * n;
        let inv_scale = 1.0 / self.synapses.fixed_scale;
        for step in s0..s1 {
            let base = (step & (self.ring_slots - 1)) as usize * stride;
            let slot = &mut self.ring[base..base + stride];
            for (x, r) in self.input.iter_mut().zip(slot.iter_mut()) {
                *x = f64::from(*r) * inv_scale;
                *r = 0;
            }
            self.inputs.apply(step, &mut self.input, &mut self.i_stim);
            self.spiked.clear();
            self.model
                .update(&self.input, &self.i_stim, &mut self.spiked);
            let first = self.info.first_gid;
            self.out_spikes.extend(self.spiked.iter().map(|&i| Spike {
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

    /// Adds the weights of `spikes` into the ring buffer.
    ///
    /// Invariant (from the epoch loop): every spike was emitted in an epoch that
    /// has been fully updated, and every delay is >= the epoch length, so slot
    /// `step + delay` has not been consumed yet and lies less than `ring_slots`
    /// steps ahead of the oldest unconsumed slot.
    pub fn deliver(&mut self, spikes: &[Spike]) {
        let stride = (self.n_receptors * self.info.len as usize) as u64;
        let len = self.ring.len() as u64;
        let mask = self.ring_slots - 1;
        // Rows are scattered in memory: look them all up first, then walk them
        // with software prefetch a few rows ahead (the walk is latency-bound).
        self.rows.clear();
        for sp in spikes {
            let (a, b) = self.synapses.row_range(sp.gid);
            if a < b {
                self.rows.push((a, b, (sp.step & mask) * stride));
            }
        }
        let syns = self.synapses.synapses();
        let ring = &mut self.ring[..];
        for (i, &(a, b, base)) in self.rows.iter().enumerate() {
            if let Some(&(pa, pb, _)) = self.rows.get(i + PREFETCH_ROWS_AHEAD) {
                prefetch_range(&syns[pa as usize..pb as usize]);
            }
            let row = &syns[a as usize..b as usize];
            self.events += row.len() as u64;
            for syn in row {
                let mut pos = base + u64::from(syn.offset);
                if pos >= len {
                    pos -= len;
                }
                ring[pos as usize] += syn.weight;
            }
        }
    }
}

/// Rows fetched ahead of the one being delivered.
const PREFETCH_ROWS_AHEAD: usize = 4;

/// Hints the cache to load `data` (at most 1 KiB of it).
#[inline(always)]
fn prefetch_range<T>(data: &[T]) {
    #[cfg(target_arch = "x86_64")]
    {
        let bytes = std::mem::size_of_val(data).min(1024);
        let p = data.as_ptr() as *const i8;
        let mut off = 0;
        while off < bytes {
            // SAFETY: prefetch never faults and has no architectural effect;
            // the address lies within `data` anyway.
            unsafe { std::arch::x86_64::_mm_prefetch(p.add(off), std::arch::x86_64::_MM_HINT_T0) };
            off += 64;
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = data;
}
