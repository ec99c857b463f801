//! The probe file of an NEF run, `probes.h5`: what every probe recorded,
//! one dataset per probe of the config, `/probes/<name>` of shape [steps x
//! width] (f64), and the time axis `/time` (ms, t = n dt for the steps n =
//! 1..steps: Nengo's `sim.trange()`, in ms).
//!
//! Attributes: each dataset's `units` (`1` for decoded values, node and
//! connection outputs and voltages; `1/s` for spikes, Nengo's amplitude /
//! dt in the step of a spike), `of` (what it records, e.g. `decoded_output
//! of a`; for an array, each ensemble's, joined by `; `) and `synapse_ms` (its lowpass; absent when unfiltered); on the
//! root `dt_ms`, `steps` and `finished` = 1.
//!
//! Invariant (nothing half-written looks like a result): the file is
//! written whole to `probes.h5.tmp` and renamed to `probes.h5` once closed,
//! so `probes.h5` exists only for a run that got to the end.

use std::path::Path;

use brainsim_sim::nef::{NetSpec, ProbeOf};
use hdf5::File;
use ndarray::ArrayView2;

use crate::sonata_spikes::{write_scalar_attr, write_str_attr, H5Context, IoError};

/// The probe file's name in the output directory.
pub const PROBES_FILE: &str = "probes.h5";

/// One dataset of the probe file: `probes` (indices into `NetSpec::probes`,
/// of one width each) side by side under `name` (several only for an
/// ensemble array's decoded value).
#[derive(Clone, Debug, PartialEq)]
pub struct ProbeDataset {
    /// The dataset's name.
    pub name: String,
    /// The probes whose columns it holds, in order.
    pub probes: Vec<usize>,
}

impl ProbeDataset {
    /// One dataset per probe of `spec`, named as the probe.
    pub fn one_per_probe(spec: &NetSpec) -> Vec<Self> {
        spec.probes
            .iter()
            .enumerate()
            .map(|(k, p)| Self {
                name: p.name.clone(),
                probes: vec![k],
            })
            .collect()
    }
}

/// What one probe recorded: `steps` rows of `width` values, one after
/// another.
pub struct ProbeRows<'a> {
    /// Values per row.
    pub width: usize,
    /// The rows, flat.
    pub rows: &'a [f64],
}

/// Writes `dir/probes.h5` (see the module docs) for a run of `steps`
/// steps of `dt_ms`; `records[k]` is probe k of `spec`.
pub fn write_probes(
    dir: &Path,
    spec: &NetSpec,
    datasets: &[ProbeDataset],
    records: &[ProbeRows],
    steps: u64,
    dt_ms: f64,
) -> Result<(), IoError> {
    let path = dir.join(PROBES_FILE);
    let tmp = dir.join(format!("{PROBES_FILE}.tmp"));
    let written = write_file(&tmp, spec, datasets, records, steps, dt_ms);
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    std::fs::rename(&tmp, &path).map_err(|e| IoError::invalid(&path, format!("renaming: {e}")))
}

fn write_file(
    path: &Path,
    spec: &NetSpec,
    datasets: &[ProbeDataset],
    records: &[ProbeRows],
    steps: u64,
    dt_ms: f64,
) -> Result<(), IoError> {
    let file = File::create(path).ctx(path, "creating the file")?;
    write_scalar_attr(&file, "dt_ms", &dt_ms, path)?;
    write_scalar_attr(&file, "steps", &steps, path)?;
    let time: Vec<f64> = (1..=steps).map(|n| n as f64 * dt_ms).collect();
    let t = file
        .new_dataset_builder()
        .with_data(&time)
        .create("time")
        .ctx(path, "writing /time")?;
    write_str_attr(&t, "units", "ms", path)?;
    let group = file.create_group("probes").ctx(path, "creating /probes")?;
    for d in datasets {
        let what = format!("writing /probes/{}", d.name);
        let parts: Vec<&ProbeRows> = d.probes.iter().map(|&k| &records[k]).collect();
        let width: usize = parts.iter().map(|p| p.width).sum();
        let steps = steps as usize;
        if let Some(p) = parts.iter().find(|p| p.rows.len() != steps * p.width) {
            let msg = format!(
                "{what}: {} values for {steps} rows of {}",
                p.rows.len(),
                p.width
            );
            return Err(IoError::invalid(path, msg));
        }
        let mut flat = Vec::with_capacity(steps * width);
        for r in 0..steps {
            for p in &parts {
                flat.extend_from_slice(&p.rows[r * p.width..(r + 1) * p.width]);
            }
        }
        let view = ArrayView2::from_shape((steps, width), &flat)
            .map_err(|e| IoError::invalid(path, format!("{what}: {e}")))?;
        let ds = group
            .new_dataset_builder()
            .with_data(view)
            .create(d.name.as_str())
            .ctx(path, &what)?;
        let first = &spec.probes[d.probes[0]];
        write_str_attr(&ds, "units", units(first.of), path)?;
        let of: Vec<String> = d
            .probes
            .iter()
            .map(|&k| describe(spec, spec.probes[k].of))
            .collect();
        write_str_attr(&ds, "of", &of.join("; "), path)?;
        if let Some(tau) = first.synapse {
            write_scalar_attr(&ds, "synapse_ms", &(tau * 1000.0), path)?;
        }
    }
    write_scalar_attr(&file, "finished", &1u8, path)?;
    file.close().ctx(path, "closing the file")
}

/// The units of what a probe records.
fn units(of: ProbeOf) -> &'static str {
    match of {
        ProbeOf::Spikes(_) => "1/s",
        _ => "1",
    }
}

/// What a probe records, in words.
fn describe(spec: &NetSpec, of: ProbeOf) -> String {
    let ens = |e: usize| spec.ensembles[e].0.as_str();
    match of {
        ProbeOf::Decoded(e) => format!("decoded_output of {}", ens(e)),
        ProbeOf::Node(k) => format!("output of {}", spec.nodes[k].0),
        ProbeOf::Spikes(e) => format!("spikes of {}.neurons", ens(e)),
        ProbeOf::Voltage(e) => format!("voltage of {}.neurons", ens(e)),
        ProbeOf::Connection(c) => format!("output of connection {c}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use brainsim_sim::nef::{EnsembleParams, ProbeSpec};

    #[test]
    fn probes_of_one_dataset_are_written_side_by_side_row_by_row() {
        let probe = |name: &str, e| ProbeSpec {
            name: name.into(),
            of: ProbeOf::Decoded(e),
            synapse: Some(0.01),
        };
        let spec = NetSpec {
            dt: 0.001,
            seed: 1,
            ensembles: vec![
                ("x[0]".into(), EnsembleParams::new(5, 2)),
                ("x[1]".into(), EnsembleParams::new(5, 1)),
            ],
            nodes: Vec::new(),
            connections: Vec::new(),
            probes: vec![probe("x[0]", 0), probe("x[1]", 1)],
        };
        let datasets = [ProbeDataset {
            name: "x".into(),
            probes: vec![0, 1],
        }];
        // Three steps: probe 0 two values a row, probe 1 one.
        let (p0, p1) = ([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], [10.0, 20.0, 30.0]);
        let records = [
            ProbeRows {
                width: 2,
                rows: &p0,
            },
            ProbeRows {
                width: 1,
                rows: &p1,
            },
        ];
        let dir = std::env::temp_dir().join(format!("brainsim-nef-probes-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        write_probes(&dir, &spec, &datasets, &records, 3, 1.0).unwrap();
        let f = File::open(dir.join(PROBES_FILE)).unwrap();
        let ds = f.dataset("probes/x").unwrap();
        assert_eq!(ds.shape(), [3, 3]);
        let got: Vec<f64> = ds.read_raw().unwrap();
        assert_eq!(got, [1.0, 2.0, 10.0, 3.0, 4.0, 20.0, 5.0, 6.0, 30.0]);
        let t: Vec<f64> = f.dataset("time").unwrap().read_raw().unwrap();
        assert_eq!(t, [1.0, 2.0, 3.0]);
        assert!(!dir.join("probes.h5.tmp").exists());
        // Rows of the wrong length: an error, and no file left.
        std::fs::remove_file(dir.join(PROBES_FILE)).unwrap();
        let short = [
            ProbeRows {
                width: 2,
                rows: &p0[..4],
            },
            ProbeRows {
                width: 1,
                rows: &p1,
            },
        ];
        assert!(write_probes(&dir, &spec, &datasets, &short, 3, 1.0).is_err());
        assert!(!dir.join(PROBES_FILE).exists() && !dir.join("probes.h5.tmp").exists());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
