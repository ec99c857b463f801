//! What a running NEF network's probes record each step, with Nengo's
//! timing (see the parent module), and how a run hands them out: per rank
//! (`record`, `rows`) or whole on rank 0 (`collect`).

use super::super::net::{Built, ProbeOf};
use super::super::synapse::Lowpass;
use super::super::wiring::Wiring;
use super::Steps;
use crate::comm::Comm;
use rayon::prelude::*;

impl Steps<'_> {
    /// Records every probe with a synapse: its filter's value before this
    /// step's update (Nengo's filters are "update" operators: what reads
    /// them, a probe included, sees the state after the previous step), and
    /// steps the filters of probes of filtered connections with the
    /// connection's output as its readers see it this step (also before
    /// the update).
    /// Reads only `conn_x` and the probes' own state, so it runs alongside
    /// the neurons' step (`Steps::neurons`).
    pub(super) fn record_filtered(
        net: &Built,
        wiring: &Wiring,
        conn_x: &[Vec<f64>],
        filters: &[Option<Lowpass>],
        widths: &[usize],
        records: &mut [Vec<f64>],
        probe_x: &mut [Vec<f64>],
    ) {
        // Each probe writes only its own record and filter state.
        records
            .par_iter_mut()
            .zip(probe_x.par_iter_mut())
            .enumerate()
            .with_min_len(64)
            .for_each(|(k, (rec, px))| {
                let Some(filter) = filters[k] else {
                    return;
                };
                match net.spec.probes[k].of {
                    ProbeOf::Decoded(_) | ProbeOf::Node(_) => {
                        push_sum(rec, &wiring.probe_conn[k], conn_x, widths[k])
                    }
                    ProbeOf::Connection(c) => {
                        rec.extend_from_slice(px);
                        // An unfiltered connection's output of this step is
                        // known after the update (`step_probes_of_unfiltered`).
                        if net.connections[c].filter.is_some() {
                            filter.step(px, &conn_x[c]);
                        }
                    }
                    ProbeOf::Spikes(_) | ProbeOf::Voltage(_) => {}
                }
            });
    }

    /// Steps the filters of the probes of unfiltered connections with
    /// their output of this step (Nengo: such a connection's output is
    /// computed in the step, and the probe's filter updates on it).
    pub(super) fn step_probes_of_unfiltered(&mut self) {
        for (k, p) in self.net.spec.probes.iter().enumerate() {
            if let (ProbeOf::Connection(c), Some(f)) = (p.of, self.probe_filter[k]) {
                if self.net.connections[c].filter.is_none() {
                    f.step(&mut self.probe_x[k], &self.conn_x[c]);
                }
            }
        }
    }

    /// Records every probe without a synapse: this step's values.
    pub(super) fn record_unfiltered(&mut self) {
        for (k, p) in self.net.spec.probes.iter().enumerate() {
            let rec = &mut self.records[k];
            // This rank's neurons of the ensemble, its chunks in order.
            let owned = |e: usize| {
                self.wiring.chunks_of[e]
                    .clone()
                    .filter(|&k| self.ranks.owned[k])
                    .flat_map(|k| self.chunks[k].range.clone())
            };
            match p.of {
                ProbeOf::Spikes(e) => {
                    let amp = self.spike_out[e];
                    rec.extend(owned(e).map(|i| if self.spiked[i] { amp } else { 0.0 }));
                }
                ProbeOf::Voltage(e) => rec.extend(owned(e).map(|i| self.volt[i])),
                _ if p.synapse.is_some() => {}
                ProbeOf::Decoded(_) | ProbeOf::Node(_) => push_sum(
                    rec,
                    &self.wiring.probe_conn[k],
                    &self.conn_x,
                    self.widths[k],
                ),
                ProbeOf::Connection(c) => rec.extend_from_slice(&self.conn_x[c]),
            }
        }
    }

    /// `NefSim::collect` (`comm`: across ranks).
    pub(super) fn collect(&self, comm: Option<&dyn Comm>, k: usize) -> Vec<f64> {
        match self.net.spec.probes[k].of {
            ProbeOf::Spikes(e) | ProbeOf::Voltage(e) => self.ranks.collect_neurons(
                comm,
                &self.records[k],
                self.wiring.chunks_of[e].clone(),
                &self.chunks,
            ),
            _ if self.ranks.rank() == 0 => self.records[k].clone(),
            _ => Vec::new(),
        }
    }
}

/// Bytes each probe's record takes after `steps` steps, whole (as rank 0
/// holds it after `NefSim::collect`): a row of f64 per step.
pub fn probe_record_bytes(net: &Built, steps: u64) -> Vec<f64> {
    probe_widths(net)
        .iter()
        .map(|&w| w as f64 * steps as f64 * 8.0)
        .collect()
}

/// Values per row of each probe.
pub(super) fn probe_widths(net: &Built) -> Vec<usize> {
    let spec = &net.spec;
    spec.probes
        .iter()
        .map(|p| match p.of {
            ProbeOf::Spikes(e) | ProbeOf::Voltage(e) => net.ensembles[e].n_neurons(),
            ProbeOf::Connection(c) => net.connections[c].size_out(),
            ProbeOf::Decoded(e) => spec.ensembles[e].1.dimensions,
            ProbeOf::Node(n) => spec.nodes[n].1.dimensions().expect("built nodes are valid"),
        })
        .collect()
}

/// Appends the sum of the values of connections `conns` (in that order;
/// one is copied as it is) to `rec`, or `width` zeros without any.
fn push_sum(rec: &mut Vec<f64>, conns: &[usize], conn_x: &[Vec<f64>], width: usize) {
    let start = rec.len();
    match conns.split_first() {
        None => rec.resize(start + width, 0.0),
        Some((&first, rest)) => {
            rec.extend_from_slice(&conn_x[first]);
            for &c in rest {
                for (r, v) in rec[start..].iter_mut().zip(&conn_x[c]) {
                    *r += v;
                }
            }
        }
    }
}
