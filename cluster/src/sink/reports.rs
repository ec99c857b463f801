//! The state-report sink: each rank samples its own probes; per epoch the
//! samples are gathered to rank 0 (a collective on every rank), which writes
//! one SONATA report file per (record, variable), in the unit the model
//! declares for the variable.
//!
//! Invariant: rank 0 writes a report's frames in step order and a frame's
//! values in column order, whatever rank sampled them (samples are sorted by
//! (report, step, column) after the gather).

use brainsim_io::outdir::OutputDir;
use brainsim_io::sonata_report::ReportWriter;
use brainsim_sim::chunk::Sample;
use brainsim_sim::comm::Comm;
use brainsim_sim::model;
use brainsim_sim::network::ReportInfo;
use brainsim_sim::spec::NetworkSpec;
use brainsim_sim::EpochOutput;

use super::Sink;
use crate::resume::frames_before;

/// State reports of the run (see the module doc).
pub struct ReportSink {
    /// Rank 0's writers, one per report; empty on the other ranks.
    writers: Vec<ReportWriter>,
    files: Vec<String>,
    packed: Vec<f64>,
}

/// The unit of `rep`'s variable, as its population's model declares it.
fn unit(spec: &NetworkSpec, rep: &ReportInfo) -> Result<&'static str, String> {
    let pop = &spec.populations[rep.population];
    model::lookup(&pop.model)
        .and_then(|m| m.unit_of(&rep.variable))
        .ok_or_else(|| format!("model {} has no state variable {}", pop.model, rep.variable))
}

impl ReportSink {
    /// The sink of `reports`; None when there are none. Files are created
    /// on rank 0 only; a resumed run (`resume_step`) reopens them, cut back
    /// to the frames sampled before the step.
    pub fn create(
        spec: &NetworkSpec,
        reports: &[ReportInfo],
        dir: &OutputDir,
        rank: usize,
        resume_step: Option<u64>,
    ) -> Result<Option<ReportSink>, String> {
        if reports.is_empty() {
            return Ok(None);
        }
        let dt = spec.simulation.dt;
        let mut writers = Vec::new();
        let mut files = Vec::new();
        for rep in reports {
            let file = OutputDir::report_name(&rep.name, &rep.variable);
            if rank == 0 {
                let ids: Vec<u64> = rep.node_ids.iter().map(|&i| u64::from(i)).collect();
                let interval = rep.interval_steps as f64 * dt;
                let pop = &spec.populations[rep.population].name;
                let path = dir.path().join(&file);
                let w = match resume_step {
                    Some(step) => {
                        let keep = frames_before(step, rep.interval_steps);
                        ReportWriter::reopen(&path, pop, keep)
                    }
                    None => {
                        ReportWriter::create(&path, pop, &ids, interval, interval, unit(spec, rep)?)
                    }
                }
                .map_err(|e| e.to_string())?;
                writers.push(w);
            }
            files.push(file);
        }
        Ok(Some(ReportSink {
            writers,
            files,
            packed: Vec::new(),
        }))
    }
}

/// Samples (record, step, column, value) flattened to f64 for the gather.
fn pack_samples(samples: &[Sample], out: &mut Vec<f64>) {
    out.clear();
    for s in samples {
        out.extend_from_slice(&[
            f64::from(s.record),
            s.step as f64,
            f64::from(s.column),
            s.value,
        ]);
    }
}

/// Writes gathered samples (any rank order) as frames, one per (report, step).
fn write_frames(packed: &[f64], writers: &mut [ReportWriter]) -> Result<(), String> {
    let mut samples: Vec<(u32, u64, u32, f64)> = packed
        .chunks_exact(4)
        .map(|w| (w[0] as u32, w[1] as u64, w[2] as u32, w[3]))
        .collect();
    samples.sort_unstable_by_key(|s| (s.0, s.1, s.2));
    let mut frame: Vec<f32> = Vec::new();
    let mut i = 0;
    while i < samples.len() {
        let (r, step) = (samples[i].0, samples[i].1);
        frame.clear();
        while i < samples.len() && samples[i].0 == r && samples[i].1 == step {
            frame.push(samples[i].3 as f32);
            i += 1;
        }
        writers[r as usize]
            .append_frame(&frame)
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

impl Sink for ReportSink {
    fn record(&mut self, out: &EpochOutput, comm: &dyn Comm) -> Result<(), String> {
        pack_samples(&out.samples, &mut self.packed);
        let all = if comm.size() == 1 {
            std::mem::take(&mut self.packed)
        } else {
            comm.gather_f64(&self.packed)
        };
        if comm.rank() == 0 {
            write_frames(&all, &mut self.writers)?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), String> {
        for w in &mut self.writers {
            w.flush().map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    fn close(&mut self) -> Result<(), String> {
        for w in self.writers.drain(..) {
            w.finish().map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    fn finalize(&mut self, _comm: &dyn Comm) -> Result<(), String> {
        Ok(())
    }

    fn outputs(&self) -> Vec<String> {
        self.files.clone()
    }
}
