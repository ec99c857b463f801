//! The spike sink: the spikes of the recorded populations (and node subset)
//! as a SONATA spike file. With one rank straight into `spikes.h5`; with
//! several, each rank streams into its own `spikes.rank<R>.h5`, and rank 0
//! merges the parts into `spikes.h5` at the end (`merge.rs`) and removes them.
//! A resumed run (any rank count) writes parts, and the merge takes
//! `spikes.h5` — the spikes before the checkpoint, `resume.rs` — as one more
//! part, into a temporary file renamed over it.
//!
//! A spike of step s is written at time (s + 1) * dt, the end of the step in
//! which the neuron crossed threshold (NEST's convention).

use brainsim_io::outdir::OutputDir;
use brainsim_io::sonata_spikes::SpikeWriter;
use brainsim_sim::comm::Comm;
use brainsim_sim::spec::{NetworkSpec, RecordSpec};
use brainsim_sim::EpochOutput;

use super::Sink;
use crate::merge::merge_spike_files;

/// What the spikes record asks for.
struct Recorded {
    /// (name, first gid, size) of each recorded population.
    pops: Vec<(String, u32, u32)>,
    /// Population of each gid range, for `wants`.
    pop_of: Vec<u32>,
    is_recorded: Vec<bool>,
    /// The recorded gid subset, sorted, if there is one.
    gids: Option<Vec<u32>>,
}

/// The recorded populations of `spec` as (name, first gid, size), the
/// populations of its spike file.
pub fn recorded_populations(spec: &NetworkSpec) -> Vec<(String, u32, u32)> {
    Recorded::new(spec).pops
}

impl Recorded {
    fn new(spec: &NetworkSpec) -> Self {
        let (recorded, gids): (Vec<usize>, Option<Vec<u32>>) = spec
            .records
            .iter()
            .find_map(|r| match r {
                RecordSpec::Spikes { populations, gids } => {
                    Some((populations.clone(), gids.clone()))
                }
                _ => None,
            })
            .unwrap_or_default();
        let pops = recorded
            .iter()
            .map(|&p| {
                let pop = &spec.populations[p];
                (pop.name.clone(), pop.first_gid, pop.size)
            })
            .collect();
        let mut is_recorded = vec![false; spec.populations.len()];
        for &p in &recorded {
            is_recorded[p] = true;
        }
        let pop_of = spec.populations.iter().map(|p| p.first_gid).collect();
        Self {
            pops,
            pop_of,
            is_recorded,
            gids,
        }
    }

    /// Is the spike of `gid` recorded?
    fn wants(&self, gid: u32) -> bool {
        let pop = self.pop_of.partition_point(|&f| f <= gid) - 1;
        self.is_recorded[pop]
            && self
                .gids
                .as_ref()
                .is_none_or(|g| g.binary_search(&gid).is_ok())
    }
}

/// Spikes of this rank into a SONATA file (see the module doc).
pub struct SpikeSink {
    recorded: Recorded,
    writer: Option<SpikeWriter>,
    dir: OutputDir,
    ranks: usize,
    /// A resumed run: parts on every rank, merged after `spikes.h5`.
    resumed: bool,
    dt: f64,
    buffer: Vec<(f64, u32)>,
    /// End (ms) of the last epoch recorded: every spike up to it is written.
    valid_until: f64,
}

impl SpikeSink {
    /// The sink of `rank` of `ranks`; None when no spikes are recorded.
    /// `resumed`: the run continues from a checkpoint (`spikes.h5` holds
    /// the spikes before it).
    pub fn create(
        spec: &NetworkSpec,
        dir: &OutputDir,
        rank: usize,
        ranks: usize,
        resumed: bool,
    ) -> Result<Option<SpikeSink>, String> {
        let recorded = Recorded::new(spec);
        if recorded.pops.is_empty() {
            return Ok(None);
        }
        let path = if ranks == 1 && !resumed {
            dir.spikes()
        } else {
            dir.spike_part(rank)
        };
        let writer = SpikeWriter::create(&path, &recorded.pops).map_err(|e| e.to_string())?;
        Ok(Some(SpikeSink {
            recorded,
            writer: Some(writer),
            dir: dir.clone(),
            ranks,
            resumed,
            dt: spec.simulation.dt,
            buffer: Vec::new(),
            valid_until: 0.0,
        }))
    }
}

impl Sink for SpikeSink {
    fn record(&mut self, out: &EpochOutput, _comm: &dyn Comm) -> Result<(), String> {
        self.buffer.clear();
        for sp in &out.spikes {
            if self.recorded.wants(sp.gid) {
                self.buffer.push(((sp.step + 1) as f64 * self.dt, sp.gid));
            }
        }
        // A spike of step s is at (s + 1) dt <= s1 dt, s1 the epoch's end.
        self.valid_until = out.steps.1 as f64 * self.dt;
        match self.writer.as_mut() {
            Some(w) => {
                w.set_valid_until(self.valid_until);
                w.append(&self.buffer).map_err(|e| e.to_string())
            }
            None => Err("spikes recorded after the sink was closed".into()),
        }
    }

    fn flush(&mut self) -> Result<(), String> {
        match self.writer.as_mut() {
            Some(w) => w.flush().map_err(|e| e.to_string()),
            None => Ok(()),
        }
    }

    fn close(&mut self) -> Result<(), String> {
        match self.writer.take() {
            Some(w) => w.finish().map(|_| ()).map_err(|e| e.to_string()),
            None => Ok(()),
        }
    }

    fn finalize(&mut self, comm: &dyn Comm) -> Result<(), String> {
        if comm.rank() != 0 || (self.ranks == 1 && !self.resumed) {
            return Ok(());
        }
        let parts: Vec<_> = (0..self.ranks).map(|r| self.dir.spike_part(r)).collect();
        let spikes = self.dir.spikes();
        let pops = &self.recorded.pops;
        if self.resumed {
            let inputs: Vec<_> = std::iter::once(spikes.clone())
                .chain(parts.clone())
                .collect();
            let tmp = self.dir.path().join(".spikes.merge.h5.tmp");
            merge_spike_files(&inputs, &tmp, pops, self.valid_until).map_err(|e| e.to_string())?;
            std::fs::rename(&tmp, &spikes).map_err(|e| format!("{}: {e}", spikes.display()))?;
        } else {
            merge_spike_files(&parts, &spikes, pops, self.valid_until)
                .map_err(|e| e.to_string())?;
        }
        for p in &parts {
            let _ = std::fs::remove_file(p);
        }
        Ok(())
    }

    fn written(&self) -> Vec<(String, u64)> {
        match &self.writer {
            Some(w) => w.counts(),
            None => Vec::new(),
        }
    }

    fn outputs(&self) -> Vec<String> {
        vec!["spikes.h5".into()]
    }
}
