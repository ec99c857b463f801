//! The per-neuron read-out as a file, by extension: `.h5` HDF5, anything
//! else CSV.
//!
//! - CSV (`READOUT_CSV_HEADER`): one row per population, window and neuron
//!   (silent neurons included): its spikes, rate (Hz), first spike (ms) and
//!   latency (first spike - window start, ms); no spike: both empty.
//! - HDF5: `/readout/windows` f64 [W x 2] (t_start, t_stop, ms) and per
//!   population `/readout/<pop>/` with `spikes` u32, `rate_hz`,
//!   `first_spike_ms` and `latency_ms` f64, each [W x N] (row w = window w,
//!   column i = node id i; no spike: NaN), each with a `units` attribute.

use std::io::Write as _;
use std::path::Path;

use ndarray::Array2;

use super::readout::PopulationReadout;
use super::{IoError, Window};
use crate::sonata_spikes::{create_output_file, write_str_attr, H5Context};

/// Column names of the CSV read-out.
pub const READOUT_CSV_HEADER: &str =
    "population,node_id,window,t_start_ms,t_stop_ms,spikes,rate_hz,first_spike_ms,latency_ms";

/// Writes the read-out of `readouts` over `windows` to `path` (module docs).
pub fn write_readout(
    path: &Path,
    windows: &[Window],
    readouts: &[PopulationReadout],
) -> Result<(), IoError> {
    if path.extension().is_some_and(|e| e == "h5") {
        write_h5(path, windows, readouts)
    } else {
        write_csv(path, windows, readouts)
    }
}

fn write_csv(
    path: &Path,
    windows: &[Window],
    readouts: &[PopulationReadout],
) -> Result<(), IoError> {
    let fs = |what: &str| {
        let what = what.to_string();
        move |source| IoError::Fs {
            path: path.to_path_buf(),
            what,
            source,
        }
    };
    let file = std::fs::File::create(path).map_err(fs("creating the read-out file"))?;
    let mut out = std::io::BufWriter::new(file);
    let write = |out: &mut std::io::BufWriter<_>, line: String| out.write_all(line.as_bytes());
    write(&mut out, format!("{READOUT_CSV_HEADER}\n")).map_err(fs("writing"))?;
    for r in readouts {
        for (w, win) in windows.iter().enumerate() {
            let secs = win.duration() / 1000.0;
            for i in 0..r.n_nodes {
                let n = r.count(w, i);
                let (first, latency) = match r.first_spike(w, i) {
                    Some(t) => (t.to_string(), (t - win.t_start).to_string()),
                    None => (String::new(), String::new()),
                };
                let line = format!(
                    "{},{i},{w},{},{},{n},{},{first},{latency}\n",
                    r.population,
                    win.t_start,
                    win.t_stop,
                    f64::from(n) / secs
                );
                write(&mut out, line).map_err(fs("writing"))?;
            }
        }
    }
    out.flush().map_err(fs("writing"))
}

fn write_h5(
    path: &Path,
    windows: &[Window],
    readouts: &[PopulationReadout],
) -> Result<(), IoError> {
    let file = create_output_file(path)?;
    let root = file
        .create_group("readout")
        .ctx(path, "creating /readout")?;
    let bounds = Array2::from_shape_fn((windows.len(), 2), |(w, k)| {
        [windows[w].t_start, windows[w].t_stop][k]
    });
    let ds = root
        .new_dataset_builder()
        .with_data(&bounds)
        .create("windows")
        .ctx(path, "writing /readout/windows")?;
    write_str_attr(&ds, "units", "ms", path)?;
    let n_w = windows.len();
    for r in readouts {
        let g = root
            .create_group(&r.population)
            .ctx(path, format!("creating /readout/{}", r.population))?;
        let n = r.n_nodes;
        let shape = (n_w, n);
        let spikes = Array2::from_shape_fn(shape, |(w, i)| r.count(w, i));
        let rate = Array2::from_shape_fn(shape, |(w, i)| {
            f64::from(r.count(w, i)) / (windows[w].duration() / 1000.0)
        });
        let first = Array2::from_shape_fn(shape, |(w, i)| r.first[w * n + i]);
        let latency =
            Array2::from_shape_fn(shape, |(w, i)| r.first[w * n + i] - windows[w].t_start);
        let what = |d: &str| format!("writing /readout/{}/{d}", r.population);
        let ds = g.new_dataset_builder().with_data(&spikes).create("spikes");
        let ds = ds.ctx(path, what("spikes"))?;
        write_str_attr(&ds, "units", "1", path)?;
        for (name, data, units) in [
            ("rate_hz", &rate, "Hz"),
            ("first_spike_ms", &first, "ms"),
            ("latency_ms", &latency, "ms"),
        ] {
            let ds = g.new_dataset_builder().with_data(data).create(name);
            let ds = ds.ctx(path, what(name))?;
            write_str_attr(&ds, "units", units, path)?;
        }
    }
    file.close().ctx(path, "closing file")
}
