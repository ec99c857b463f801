//! Weight recordings during the run (`[[record]] type = "weights"`, io's
//! `weight_report`): at each due step every rank sends the weights of its
//! recorded synapses of the projection to rank 0 (one `gather_f64`), which
//! appends them as one row in the canonical edge order.
//!
//! - At creation (collective) each rank picks its synapses of the
//!   projection within the record's source/target subset, once; rank 0
//!   gathers their (source, target, delay) and computes the canonical
//!   order (`weights::canonical_order`), which it applies to every later
//!   gather (a rank's synapses keep their order for the whole run).
//! - Due steps: 0, k, 2k, ... <= the last step for `interval` (k steps),
//!   the last step for `at = "end"`. The epoch loop cuts its epochs at
//!   them (`next_due_after`, `Network::run_epoch_until`), and before
//!   reading the weights the pending spikes are delivered
//!   (`Network::deliver_pending`): a row at step s holds the weights after
//!   every pre-synaptic spike emitted before s, whatever the layout.
//!
//! Invariant: every rank creates the recorder and calls `record_due` after
//! each epoch (and once before the first) with the same steps, so the
//! gathers match.

use brainsim_io::config::WeightRecord;
use brainsim_io::outdir::OutputDir;
use brainsim_io::weight_report::{file_name, WeightReportWriter};
use brainsim_io::weights::canonical_order;
use brainsim_sim::comm::Comm;
use brainsim_sim::spec::NetworkSpec;
use brainsim_sim::Network;

use crate::weights::{node_rows, pack, table_of};

/// One projection's recording.
struct Item {
    record: WeightRecord,
    /// Indices of this rank's recorded synapses in `Network::plastic_weights`.
    local: Vec<usize>,
    /// Rank 0: gathered position of each edge, in canonical order.
    order: Vec<usize>,
    /// Rank 0's writer.
    writer: Option<WeightReportWriter>,
}

/// The run's weight recordings (see the module doc).
#[derive(Default)]
pub struct WeightRecorder {
    items: Vec<Item>,
    /// Steps of the run.
    n_steps: u64,
    dt: f64,
}

/// The recording files of `records` (names in the output directory).
pub fn record_files(spec: &NetworkSpec, records: &[WeightRecord]) -> Vec<String> {
    records
        .iter()
        .map(|r| {
            let p = &spec.projections[r.projection];
            let name = |i: usize| &spec.populations[i].name;
            file_name(name(p.source), name(p.target), r.projection)
        })
        .collect()
}

/// Whether a synapse (source gid, target gid) is in `r`'s subset.
fn kept(spec: &NetworkSpec, r: &WeightRecord, s: u32, t: u32) -> bool {
    let p = &spec.projections[r.projection];
    let within = |ids: &Option<Vec<u32>>, gid: u32, pop: usize| {
        let first = spec.populations[pop].first_gid;
        ids.as_ref()
            .is_none_or(|ids| ids.binary_search(&(gid - first)).is_ok())
    };
    within(&r.source_node_ids, s, p.source) && within(&r.target_node_ids, t, p.target)
}

impl WeightRecorder {
    /// Collective: the recorder of `records` for `net` (rank 0 creates the
    /// files with their edges; resuming at `resume_step`, it keeps the
    /// rows recorded before it, `WeightReportWriter::resume`).
    pub fn create(
        spec: &NetworkSpec,
        records: &[WeightRecord],
        net: &Network,
        dir: &OutputDir,
        comm: &dyn Comm,
        resume_step: Option<u64>,
    ) -> Result<Self, String> {
        let mut items = Vec::with_capacity(records.len());
        for (r, file) in records.iter().zip(record_files(spec, records)) {
            let synapses = net.plastic_weights(r.projection);
            let local: Vec<usize> = (0..synapses.len())
                .filter(|&k| kept(spec, r, synapses[k].0, synapses[k].1))
                .collect();
            let mine: Vec<_> = local.iter().map(|&k| synapses[k]).collect();
            let all = comm.gather_f64(&pack(&mine));
            let (mut order, mut writer) = (Vec::new(), None);
            if comm.rank() == 0 {
                let rows = node_rows(spec, r.projection, &all);
                order = canonical_order(&rows);
                let mut table = table_of(spec, r.projection, 0.0);
                table.rows = order.iter().map(|&i| rows[i]).collect();
                let path = dir.path().join(file);
                let w = match resume_step {
                    Some(s) => {
                        WeightReportWriter::resume(&path, &table, s as f64 * spec.simulation.dt)
                    }
                    None => WeightReportWriter::create(&path, &table),
                };
                writer = Some(w.map_err(|e| e.to_string())?);
            }
            items.push(Item {
                record: r.clone(),
                local,
                order,
                writer,
            });
        }
        Ok(WeightRecorder {
            items,
            n_steps: spec.simulation.n_steps(),
            dt: spec.simulation.dt,
        })
    }

    /// Whether `item` records at `step`.
    fn due(&self, item: &Item, step: u64) -> bool {
        match item.record.interval_steps {
            Some(k) => step.is_multiple_of(k) && step <= self.n_steps,
            None => step == self.n_steps,
        }
    }

    /// The first step after `step` at which a recording is due (the run's
    /// last step when none is).
    pub fn next_due_after(&self, step: u64) -> u64 {
        let next = |i: &Item| match i.record.interval_steps {
            Some(k) => (step / k + 1) * k,
            None => self.n_steps,
        };
        self.items.iter().map(next).fold(self.n_steps, u64::min)
    }

    /// Collective: records every item due at the network's step (first
    /// delivering the pending spikes, see the module doc).
    pub fn record_due(&mut self, net: &mut Network, comm: &dyn Comm) -> Result<(), String> {
        let step = net.step;
        if !self.items.iter().any(|i| self.due(i, step)) {
            return Ok(());
        }
        net.deliver_pending();
        let t_ms = step as f64 * self.dt;
        for k in 0..self.items.len() {
            if !self.due(&self.items[k], step) {
                continue;
            }
            let item = &mut self.items[k];
            let mine = net.plastic_weights_at(item.record.projection, &item.local);
            let all = comm.gather_f64(&mine);
            if let Some(w) = item.writer.as_mut() {
                let row: Vec<f64> = item.order.iter().map(|&i| all[i]).collect();
                w.append(t_ms, &row).map_err(|e| e.to_string())?;
            }
        }
        Ok(())
    }

    /// Makes the rows so far readable after a crash (rank 0).
    pub fn flush(&mut self) -> Result<(), String> {
        for w in self.items.iter_mut().filter_map(|i| i.writer.as_mut()) {
            w.flush().map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    /// Marks the files finished and closes them (rank 0).
    pub fn close(&mut self) -> Result<(), String> {
        for item in &mut self.items {
            if let Some(w) = item.writer.take() {
                w.finish().map_err(|e| e.to_string())?;
            }
        }
        Ok(())
    }
}
