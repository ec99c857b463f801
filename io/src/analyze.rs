//! `brainsim analyze`: per-population firing statistics of a SONATA spike file over a
//! time window — mean rate, mean CV of inter-spike intervals, Fano factor of the
//! population spike count — their table, CSV and JSON (`format`), and the valid
//! extent of a possibly unfinished run (`extent`). Per-neuron rates and first
//! spikes over a list of windows (`readout`, written by `readout_files`) and the
//! decoding of a rate or latency encoder's vectors from them (`decode`, printed by
//! `decode_format`).
//!
//! Windows are (t_start, t_stop]: a spike of step s is stamped (s + 1) * dt, the end
//! of its step, so (a, b] holds exactly the spikes of the steps inside [a, b), and the
//! whole run is (0, t_stop] — the last step's spikes, at t_stop, included. Edges
//! are compared with a relative tolerance of 1e-12 (`Window::contains`), so a spike
//! whose (s + 1) * dt rounds a hair above t_stop still counts.
//!
//! Streaming, O(n_nodes + n_bins) memory: per neuron the last spike time, the spike
//! count and a running (Welford) mean and sum of squared deviations of its ISIs; per
//! bin the population spike count. Needs each population's timestamps sorted by time:
//! monotonicity is verified while reading (an error if violated); when the `sorting`
//! attribute says by_time the window is located by bisection and only it is read.

use std::path::Path;

pub use crate::sonata_spikes::IoError;
use crate::spike_reader::SpikeFile;

pub mod decode;
mod decode_format;
mod encoder;
mod extent;
mod format;
pub mod readout;
mod readout_files;
pub use decode_format::{decoding_csv, decoding_json, decoding_table, DECODE_CSV_HEADER};
pub use extent::{valid_extent, Extent, ExtentSource};
pub use format::{format_csv, format_json, format_table};
pub use readout_files::{write_readout, READOUT_CSV_HEADER};

/// Most bins of a window (8 bytes each per population).
pub const MAX_BINS: usize = 100_000_000;

/// Spikes read per HDF5 hyperslab.
const READ_CHUNK: usize = 1 << 20;

/// A time window (t_start, t_stop] in ms, t_start < t_stop, both finite.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Window {
    /// Start (ms, excluded).
    pub t_start: f64,
    /// End (ms, included).
    pub t_stop: f64,
}

/// `t` moved up by the edge tolerance (relative 1e-12, at least 1e-12 ms).
fn edge(t: f64) -> f64 {
    t + 1e-12 * t.abs().max(1.0)
}

impl Window {
    /// The window (t_start, t_stop]; an error message unless both are finite and
    /// t_start < t_stop.
    pub fn new(t_start: f64, t_stop: f64) -> Result<Self, String> {
        if t_start.is_finite() && t_stop.is_finite() && t_start < t_stop {
            Ok(Window { t_start, t_stop })
        } else {
            Err(format!(
                "need finite t_start < t_stop, got ({t_start}, {t_stop}]"
            ))
        }
    }

    /// Its length (ms).
    pub fn duration(&self) -> f64 {
        self.t_stop - self.t_start
    }

    /// Whether `t` lies in (t_start, t_stop], up to the edge tolerance.
    pub fn contains(&self, t: f64) -> bool {
        t > edge(self.t_start) && t <= edge(self.t_stop)
    }

    /// The index range of `pop`'s valid spikes that may lie in the window
    /// (`SpikeFile::window` on the tolerant edges).
    pub fn rows(&self, file: &SpikeFile, pop: &str) -> Result<std::ops::Range<u64>, IoError> {
        file.window(pop, edge(self.t_start), edge(self.t_stop))
    }

    /// The bin (of width `bin_ms`, the k-th being (t_start + k bin, t_start + (k+1)
    /// bin]) holding a time `t` inside the window.
    pub fn bin_of(&self, t: f64, bin_ms: f64) -> usize {
        let x = (t - self.t_start) / bin_ms;
        ((x - 1e-9).ceil().max(1.0) - 1.0) as usize
    }

    /// Number of bins of `bin_ms` covering the window; the last may be partial.
    pub fn n_bins(&self, bin_ms: f64) -> usize {
        (self.duration() / bin_ms - 1e-9).ceil().max(1.0) as usize
    }

    /// Number of full bins of `bin_ms` in the window (the epsilon keeps e.g.
    /// 1000 / 0.1 from losing its last bin).
    pub fn n_full_bins(&self, bin_ms: f64) -> usize {
        (self.duration() / bin_ms + 1e-9).floor() as usize
    }
}

/// Statistics of one population over a window (t_start, t_stop].
#[derive(Debug, Clone, PartialEq)]
pub struct PopulationStats {
    /// Name of the group under `/spikes`.
    pub population: String,
    /// Population size (attribute `n_nodes`; if absent, the largest node id seen + 1).
    pub n_nodes: u64,
    /// Spikes with t in (t_start, t_stop].
    pub n_spikes: u64,
    /// Mean rate per neuron, in Hz (silent neurons included).
    pub rate_hz: f64,
    /// Mean over neurons with >= 3 spikes in the window of std(ISI)/mean(ISI)
    /// (population std); None if no neuron qualifies.
    pub cv_isi: Option<f64>,
    /// Number of neurons averaged into `cv_isi`.
    pub n_cv: u64,
    /// variance / mean (population variance) of the population's spike counts in the
    /// full bins of the window; None if there is no full bin or no spike in them.
    pub fano: Option<f64>,
}

/// Per-neuron running ISI statistics (Welford).
#[derive(Clone, Copy)]
struct Neuron {
    last: f64,
    spikes: u64,
    isi_mean: f64,
    isi_m2: f64,
}

const SILENT: Neuron = Neuron {
    last: f64::NAN,
    spikes: 0,
    isi_mean: 0.0,
    isi_m2: 0.0,
};

impl Neuron {
    fn spike(&mut self, t: f64) {
        if self.spikes > 0 {
            let isi = t - self.last;
            let n = self.spikes as f64; // number of ISIs including this one
            let delta = isi - self.isi_mean;
            self.isi_mean += delta / n;
            self.isi_m2 += delta * (isi - self.isi_mean);
        }
        self.last = t;
        self.spikes += 1;
    }

    /// CV of the ISIs, for neurons with >= 3 spikes and a positive mean ISI.
    fn cv(&self) -> Option<f64> {
        if self.spikes < 3 || self.isi_mean <= 0.0 {
            return None;
        }
        let n_isi = (self.spikes - 1) as f64;
        Some((self.isi_m2 / n_isi).max(0.0).sqrt() / self.isi_mean)
    }
}

/// Firing statistics of every population of `path` over (t_start, t_stop] (ms), the
/// Fano factor from bins of `bin_ms`.
pub fn analyze_spikes(
    path: &Path,
    t_start: f64,
    t_stop: f64,
    bin_ms: f64,
) -> Result<Vec<PopulationStats>, IoError> {
    let window = Window::new(t_start, t_stop)
        .map_err(|m| IoError::invalid(path, format!("analyze: {m}")))?;
    let file = SpikeFile::open(path)?;
    analyze_file(&file, window, bin_ms)
}

/// `analyze_spikes` on an open file.
pub fn analyze_file(
    file: &SpikeFile,
    window: Window,
    bin_ms: f64,
) -> Result<Vec<PopulationStats>, IoError> {
    if !(bin_ms.is_finite() && bin_ms > 0.0) {
        let msg = format!("analyze: bin width {bin_ms} ms must be > 0");
        return Err(IoError::invalid(file.path(), msg));
    }
    if window.n_bins(bin_ms) > MAX_BINS {
        let msg = format!(
            "analyze: {} ms in bins of {bin_ms} ms is more than {MAX_BINS} bins",
            window.duration()
        );
        return Err(IoError::invalid(file.path(), msg));
    }
    file.populations()
        .iter()
        .map(|pop| analyze_population(file, pop, window, bin_ms))
        .collect()
}

fn analyze_population(
    file: &SpikeFile,
    pop: &str,
    window: Window,
    bin_ms: f64,
) -> Result<PopulationStats, IoError> {
    let path = file.path();
    let declared = file.n_nodes(pop);
    let mut neurons = vec![SILENT; declared.unwrap_or(0) as usize];
    // Full bins only.
    let mut bins = vec![0u64; window.n_full_bins(bin_ms)];
    let mut n_spikes = 0u64;
    let mut prev = f64::NEG_INFINITY;
    let rows = window.rows(file, pop)?;
    let mut index = rows.start;

    file.for_each_chunk_in(pop, rows, READ_CHUNK, |ts, ids| {
        for (&t, &id) in ts.iter().zip(ids) {
            if t < prev || t.is_nan() {
                let msg = format!(
                    "/spikes/{pop}: timestamps not sorted by time (spike {index}: {t} after \
                     {prev}); analyze needs time-sorted spike files"
                );
                return Err(IoError::invalid(path, msg));
            }
            prev = t;
            index += 1;
            if !window.contains(t) {
                continue;
            }
            let i = id as usize;
            if i >= neurons.len() {
                if let Some(n) = declared {
                    let msg = format!("/spikes/{pop}: node id {id} >= n_nodes {n}");
                    return Err(IoError::invalid(path, msg));
                }
                neurons.resize(i + 1, SILENT);
            }
            neurons[i].spike(t);
            n_spikes += 1;
            if let Some(c) = bins.get_mut(window.bin_of(t, bin_ms)) {
                *c += 1;
            }
        }
        Ok(())
    })?;

    let n_nodes = declared.unwrap_or(neurons.len() as u64);
    let rate_hz = if n_nodes == 0 {
        0.0
    } else {
        n_spikes as f64 / (n_nodes as f64 * window.duration() / 1000.0)
    };
    let (mut cv_sum, mut n_cv) = (0.0, 0u64);
    for cv in neurons.iter().filter_map(Neuron::cv) {
        cv_sum += cv;
        n_cv += 1;
    }
    let cv_isi = (n_cv > 0).then(|| cv_sum / n_cv as f64);
    Ok(PopulationStats {
        population: pop.to_string(),
        n_nodes,
        n_spikes,
        rate_hz,
        cv_isi,
        n_cv,
        fano: fano_factor(&bins),
    })
}

/// variance / mean of the counts (population variance); None if empty or all zero.
fn fano_factor(counts: &[u64]) -> Option<f64> {
    if counts.is_empty() {
        return None;
    }
    let n = counts.len() as f64;
    let mean = counts.iter().map(|&c| c as f64).sum::<f64>() / n;
    if mean <= 0.0 {
        return None;
    }
    let var = counts
        .iter()
        .map(|&c| (c as f64 - mean).powi(2))
        .sum::<f64>()
        / n;
    Some(var / mean)
}

#[cfg(test)]
mod coding_tests;
#[cfg(test)]
mod tests;
