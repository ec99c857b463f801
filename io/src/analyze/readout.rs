//! Per-neuron read-outs over a list of windows: each neuron's spike count,
//! rate and first spike in each window (`readout_file`), the input of
//! `--decode` (`decode`) and of the per-neuron CSV / HDF5 files
//! (`readout_files`).
//!
//! Windows are (t_start, t_stop] as everywhere in `analyze` (`Window`),
//! sorted and disjoint. One streaming pass per population over the spikes
//! from the first window's start to the last one's end, in time order
//! (verified: an error otherwise); memory is windows x neurons x 12 bytes,
//! bounded by `MAX_CELLS`.

use super::{IoError, Window, READ_CHUNK};
use crate::spike_reader::SpikeFile;

/// Most (window, neuron) cells of one read-out (12 bytes each).
pub const MAX_CELLS: usize = 50_000_000;

/// The read-out of one population: `[window][neuron]` counts and first spikes.
#[derive(Debug, Clone, PartialEq)]
pub struct PopulationReadout {
    /// Name of the group under `/spikes`.
    pub population: String,
    /// Population size (`n_nodes`, else the largest node id seen + 1).
    pub n_nodes: usize,
    /// Spikes of neuron i in window w at `counts[w * n_nodes + i]`.
    pub counts: Vec<u32>,
    /// Its first spike in the window (ms), NaN if none.
    pub first: Vec<f64>,
}

impl PopulationReadout {
    /// Spikes of neuron `node` in window `w`.
    pub fn count(&self, w: usize, node: usize) -> u32 {
        self.counts[w * self.n_nodes + node]
    }

    /// The first spike (ms) of neuron `node` in window `w`, if any.
    pub fn first_spike(&self, w: usize, node: usize) -> Option<f64> {
        let t = self.first[w * self.n_nodes + node];
        (!t.is_nan()).then_some(t)
    }
}

/// Consecutive windows of `width_ms` over `span` (the last one may be
/// shorter); an error message if the width is not > 0 or they are too many.
pub fn fixed_windows(span: Window, width_ms: f64) -> Result<Vec<Window>, String> {
    if !(width_ms.is_finite() && width_ms > 0.0) {
        return Err(format!("--window-ms {width_ms} must be > 0"));
    }
    let n = span.n_bins(width_ms);
    if n > MAX_CELLS {
        return Err(format!(
            "{} ms in windows of {width_ms} ms is more than {MAX_CELLS} windows",
            span.duration()
        ));
    }
    Ok((0..n)
        .map(|k| Window {
            t_start: span.t_start + k as f64 * width_ms,
            t_stop: (span.t_start + (k + 1) as f64 * width_ms).min(span.t_stop),
        })
        .collect())
}

/// The read-out of every population of `file` over `windows` (sorted,
/// disjoint, at least one).
pub fn readout_file(
    file: &SpikeFile,
    windows: &[Window],
) -> Result<Vec<PopulationReadout>, IoError> {
    file.populations()
        .iter()
        .map(|pop| readout_population(file, pop, windows))
        .collect()
}

fn too_many(file: &SpikeFile, pop: &str, windows: usize, n: usize) -> IoError {
    let msg = format!(
        "/spikes/{pop}: {windows} windows x {n} neurons is more than {MAX_CELLS} read-out cells; use fewer windows"
    );
    IoError::invalid(file.path(), msg)
}

fn readout_population(
    file: &SpikeFile,
    pop: &str,
    windows: &[Window],
) -> Result<PopulationReadout, IoError> {
    let path = file.path();
    let declared = file.n_nodes(pop).map(|n| n as usize);
    let n_w = windows.len();
    let mut n = declared.unwrap_or(0);
    if n_w.saturating_mul(n) > MAX_CELLS {
        return Err(too_many(file, pop, n_w, n));
    }
    let (mut counts, mut first) = (vec![0u32; n_w * n], vec![f64::NAN; n_w * n]);
    let span = Window {
        t_start: windows[0].t_start,
        t_stop: windows[n_w - 1].t_stop,
    };
    let rows = span.rows(file, pop)?;
    let (mut index, mut prev, mut w) = (rows.start, f64::NEG_INFINITY, 0usize);
    file.for_each_chunk_in(pop, rows, READ_CHUNK, |ts, ids| {
        for (&t, &id) in ts.iter().zip(ids) {
            if t < prev || t.is_nan() {
                let msg = format!(
                    "/spikes/{pop}: timestamps not sorted by time (spike {index}: {t} after \
                     {prev}); analyze needs time-sorted spike files"
                );
                return Err(IoError::invalid(path, msg));
            }
            (prev, index) = (t, index + 1);
            while w < n_w && !windows[w].contains(t) && t > windows[w].t_stop {
                w += 1;
            }
            if w == n_w || !windows[w].contains(t) {
                continue;
            }
            let i = id as usize;
            if i >= n {
                if let Some(d) = declared {
                    let msg = format!("/spikes/{pop}: node id {id} >= n_nodes {d}");
                    return Err(IoError::invalid(path, msg));
                }
                if n_w.saturating_mul(i + 1) > MAX_CELLS {
                    return Err(too_many(file, pop, n_w, i + 1));
                }
                (counts, first) = widen(&counts, &first, n, i + 1, n_w);
                n = i + 1;
            }
            let cell = w * n + i;
            counts[cell] += 1;
            if first[cell].is_nan() {
                first[cell] = t;
            }
        }
        Ok(())
    })?;
    Ok(PopulationReadout {
        population: pop.to_string(),
        n_nodes: n,
        counts,
        first,
    })
}

/// `[window][neuron]` tables of `n` neurons widened to `m`.
fn widen(counts: &[u32], first: &[f64], n: usize, m: usize, n_w: usize) -> (Vec<u32>, Vec<f64>) {
    let (mut c, mut f) = (vec![0u32; n_w * m], vec![f64::NAN; n_w * m]);
    for w in 0..n_w {
        c[w * m..w * m + n].copy_from_slice(&counts[w * n..(w + 1) * n]);
        f[w * m..w * m + n].copy_from_slice(&first[w * n..(w + 1) * n]);
    }
    (c, f)
}
