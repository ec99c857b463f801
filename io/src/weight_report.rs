//! Weight recordings (`[[record]] type = "weights"`): the weights of some
//! synapses of one plastic projection over time, in the spirit of a SONATA
//! edge report, `OUT/weight_report_<source>_<target>_<i>.h5`:
//! - `/edges` as a weights file (`weights`: the same attributes and edge
//!   columns `source_node_id`, `target_node_id`, `delay`, written by the
//!   same code, edges in the same canonical order), without `t_ms`;
//! - `/edges/weight` f64 `[n_times x n_edges]` (attribute `units`), one
//!   row per recording time, and `/edges/time` f64 `[n_times]` (ms,
//!   attribute `units`), both extendable.
//!
//! Crash contract (as the other streamed outputs, io/DESIGN.md): a row is
//! written to `weight` before its time is appended to `time`, and the file
//! reaches the disk only at `flush`; so `len(time)` rows of `weight` are
//! valid in any file left behind (rows beyond it may be garbage).
//!
//! `finish` rewrites the file in one pass (a temporary file, rows copied
//! one by one into a contiguous `weight` of its final shape, `finished` =
//! 1, renamed over the streamed one): the streamed file's layout depends
//! on when the wall-clock flushes happened, the finished file's only on
//! its content, so it is the same bytes for any layout of the run.

use std::path::{Path, PathBuf};

use hdf5::{Dataset, File};
use ndarray::ArrayView2;

use crate::sonata_spikes::{
    create_output_file, set_finished, write_root_attrs, write_str_attr, H5Context, IoError,
};
use crate::weights::{write_edges, WeightTable};

/// Edges per HDF5 chunk of `weight` (one row of 8192 doubles: 64 KiB).
const CHUNK_EDGES: usize = 1 << 13;

/// The file name of the recording of projection `i`.
pub fn file_name(source: &str, target: &str, i: usize) -> String {
    format!("weight_report_{source}_{target}_{i}.h5")
}

/// Streams a projection's weights, one row per recording time.
pub struct WeightReportWriter {
    path: PathBuf,
    /// The edges and attributes, for the rewrite at `finish`.
    table: WeightTable,
    file: File,
    weight: Dataset,
    time: Dataset,
    n_edges: usize,
    rows: usize,
}

impl WeightReportWriter {
    /// Creates (truncating) the recording of `table`'s edges (its `rows`,
    /// already in canonical order; their weights are not written).
    pub fn create(path: &Path, table: &WeightTable) -> Result<Self, IoError> {
        let file = create_output_file(path)?;
        write_root_attrs(&file, path)?;
        let g = file.create_group("edges").ctx(path, "creating /edges")?;
        write_edges(&g, table, &table.rows, path)?;
        let n = table.rows.len();
        let weight = g
            .new_dataset::<f64>()
            .chunk((1, n.clamp(1, CHUNK_EDGES)))
            .shape((0.., 0..))
            .create("weight")
            .ctx(path, "creating /edges/weight")?;
        write_str_attr(&weight, "units", &table.units, path)?;
        let time = g
            .new_dataset::<f64>()
            .chunk(1024)
            .shape(0..)
            .create("time")
            .ctx(path, "creating /edges/time")?;
        write_str_attr(&time, "units", "ms", path)?;
        file.flush().ctx(path, "flushing file")?;
        Ok(WeightReportWriter {
            path: path.to_path_buf(),
            table: table.clone(),
            file,
            weight,
            time,
            n_edges: n,
            rows: 0,
        })
    }

    /// The recording of `table`'s edges continued by a resumed run at
    /// `t_ms` (`brainsim resume`): the rows the file at `path` holds
    /// before `t_ms` (streamed or finished, up to the rows its `time`
    /// holds) are read and written again into a new recording, which goes
    /// on from there (the row at `t_ms` is recorded again by the resumed
    /// run). A file that is missing or records another number of edges is
    /// an error naming it.
    pub fn resume(path: &Path, table: &WeightTable, t_ms: f64) -> Result<Self, IoError> {
        let (times, rows) = {
            let f = crate::sonata_spikes::open_input_file(path)?;
            let times: Vec<f64> = f
                .dataset("edges/time")
                .and_then(|d| d.read_raw())
                .ctx(path, "reading /edges/time")?;
            let weight = f
                .dataset("edges/weight")
                .ctx(path, "reading /edges/weight")?;
            let shape = weight.shape();
            let n = table.rows.len();
            if shape.len() != 2 || shape[1] != n {
                let m = format!("records {shape:?} weights, this run records {n} edges");
                return Err(IoError::invalid(path, m));
            }
            let keep = times
                .iter()
                .take(shape[0])
                .take_while(|&&t| t < t_ms)
                .count();
            let mut rows = Vec::with_capacity(keep);
            for r in 0..keep {
                let what = format!("reading row {r} of /edges/weight");
                let row: ndarray::Array1<f64> = weight.read_slice_1d((r, ..)).ctx(path, &what)?;
                rows.push(row.to_vec());
            }
            (times, rows)
        };
        let mut w = Self::create(path, table)?;
        for (t, row) in times.iter().zip(&rows) {
            w.append(*t, row)?;
        }
        w.flush()?;
        Ok(w)
    }

    /// Appends the weights at `t_ms` (one per edge, canonical order).
    pub fn append(&mut self, t_ms: f64, weights: &[f64]) -> Result<(), IoError> {
        if weights.len() != self.n_edges {
            let msg = format!("{} weights, expected {}", weights.len(), self.n_edges);
            return Err(IoError::invalid(&self.path, msg));
        }
        let (old, new) = (self.rows, self.rows + 1);
        let what = format!("appending row {old} to /edges/weight");
        let view = ArrayView2::from_shape((1, self.n_edges), weights)
            .map_err(|e| IoError::invalid(&self.path, format!("{what}: {e}")))?;
        self.weight
            .resize((new, self.n_edges))
            .ctx(&self.path, &what)?;
        self.weight
            .write_slice(view, (old..new, ..))
            .ctx(&self.path, &what)?;
        self.time
            .resize(new)
            .ctx(&self.path, "appending to /edges/time")?;
        self.time
            .write_slice(&[t_ms], old..new)
            .ctx(&self.path, "appending to /edges/time")?;
        self.rows = new;
        Ok(())
    }

    /// Makes every row appended so far readable after a crash.
    pub fn flush(&mut self) -> Result<(), IoError> {
        self.file.flush().ctx(&self.path, "flushing file")
    }

    /// Rewrites the file with what was appended (see the module doc),
    /// marked finished.
    pub fn finish(mut self) -> Result<(), IoError> {
        self.flush()?;
        let tmp = self.path.with_extension("h5.tmp");
        self.rewrite(&tmp)?;
        let WeightReportWriter {
            path,
            file,
            weight,
            time,
            ..
        } = self;
        drop((weight, time));
        file.close().ctx(&path, "closing file")?;
        std::fs::rename(&tmp, &path).map_err(|e| IoError::invalid(&path, format!("renaming: {e}")))
    }

    /// Writes the finished file to `tmp`: the edges, the rows one by one,
    /// the times.
    fn rewrite(&self, tmp: &Path) -> Result<(), IoError> {
        let (rows, n) = (self.rows, self.n_edges);
        let file = create_output_file(tmp)?;
        write_root_attrs(&file, tmp)?;
        let g = file.create_group("edges").ctx(tmp, "creating /edges")?;
        write_edges(&g, &self.table, &self.table.rows, tmp)?;
        let weight = g
            .new_dataset::<f64>()
            .shape((rows, n))
            .create("weight")
            .ctx(tmp, "creating /edges/weight")?;
        write_str_attr(&weight, "units", &self.table.units, tmp)?;
        for r in 0..rows {
            let what = format!("copying row {r} of /edges/weight");
            let row: ndarray::Array1<f64> =
                self.weight.read_slice_1d((r, ..)).ctx(&self.path, &what)?;
            weight.write_slice(&row, (r, ..)).ctx(tmp, &what)?;
        }
        let times: Vec<f64> = self
            .time
            .read_raw()
            .ctx(&self.path, "reading /edges/time")?;
        let time = g
            .new_dataset_builder()
            .with_data(&times)
            .create("time")
            .ctx(tmp, "writing /edges/time")?;
        write_str_attr(&time, "units", "ms", tmp)?;
        set_finished(&file, tmp)?;
        file.close().ctx(tmp, "closing file")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sonata_spikes::open_input_file;
    use crate::sonata_spikes::test_util::{run_child, test_dir};

    fn table() -> WeightTable {
        WeightTable {
            source_population: "E".into(),
            target_population: "I".into(),
            synapse_model: "stdp_synapse".into(),
            projection: 1,
            t_ms: 0.0,
            units: "pA".into(),
            rows: vec![(0, 1, 1.0, 0.0), (0, 2, 1.5, 0.0), (3, 0, 1.0, 0.0)],
        }
    }

    /// A resumed recording keeps the rows before its time, from a
    /// finished file and from a streamed one, and refuses another edge
    /// count.
    #[test]
    fn a_resumed_recording_keeps_the_rows_before_it() {
        let dir = test_dir("weight_report_resume");
        let path = dir.join(file_name("E", "I", 1));
        let mut w = WeightReportWriter::create(&path, &table()).unwrap();
        for k in 0..4 {
            w.append(10.0 * f64::from(k), &[f64::from(k), 2.0, 3.0])
                .unwrap();
        }
        w.finish().unwrap();
        let mut w = WeightReportWriter::resume(&path, &table(), 20.0).unwrap();
        w.append(20.0, &[9.0, 9.0, 9.0]).unwrap();
        w.flush().unwrap();
        drop(w);
        let read = |path: &Path| {
            let f = open_input_file(path).unwrap();
            let t: Vec<f64> = f.dataset("edges/time").unwrap().read_raw().unwrap();
            let w: Vec<f64> = f.dataset("edges/weight").unwrap().read_raw().unwrap();
            (t, w)
        };
        let want_w = vec![0.0, 2.0, 3.0, 1.0, 2.0, 3.0, 9.0, 9.0, 9.0];
        assert_eq!(read(&path), (vec![0.0, 10.0, 20.0], want_w.clone()));
        // From the streamed (unfinished) file just left behind.
        let w = WeightReportWriter::resume(&path, &table(), 15.0).unwrap();
        w.finish().unwrap();
        assert_eq!(read(&path), (vec![0.0, 10.0], want_w[..6].to_vec()));
        let mut fewer = table();
        fewer.rows.pop();
        let err = WeightReportWriter::resume(&path, &fewer, 15.0)
            .err()
            .unwrap();
        assert!(
            err.to_string()
                .contains("records [2, 3] weights, this run records 2 edges"),
            "{err}"
        );
        let missing = dir.join("none.h5");
        assert!(WeightReportWriter::resume(&missing, &table(), 15.0).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn rows_and_times_read_back() {
        let dir = test_dir("weight_report");
        let path = dir.join(file_name("E", "I", 1));
        let mut w = WeightReportWriter::create(&path, &table()).unwrap();
        w.append(0.0, &[1.0, 2.0, 3.0]).unwrap();
        w.append(10.0, &[1.5, 2.5, 3.5]).unwrap();
        assert!(w.append(20.0, &[1.0]).is_err());
        w.finish().unwrap();
        let f = open_input_file(&path).unwrap();
        let weight = f.dataset("edges/weight").unwrap();
        assert_eq!(weight.shape(), [2, 3]);
        assert_eq!(
            weight.read_raw::<f64>().unwrap(),
            [1.0, 2.0, 3.0, 1.5, 2.5, 3.5]
        );
        let time = f.dataset("edges/time").unwrap();
        assert_eq!(time.read_raw::<f64>().unwrap(), [0.0, 10.0]);
        let tgt = f.dataset("edges/target_node_id").unwrap();
        assert_eq!(tgt.read_raw::<u64>().unwrap(), [1, 2, 0]);
        assert_eq!(f.attr("finished").unwrap().read_scalar::<u8>().unwrap(), 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    const CRASH_ENV: &str = "BRAINSIM_IO_WEIGHT_REPORT_CRASH_CHILD";

    /// Child: two rows flushed, a third appended unflushed, abort. Parent:
    /// `time` holds the two flushed times and their rows are intact.
    #[test]
    fn a_crash_keeps_the_flushed_rows() {
        if let Ok(path) = std::env::var(CRASH_ENV) {
            let mut w = WeightReportWriter::create(Path::new(&path), &table()).unwrap();
            w.append(0.0, &[1.0, 2.0, 3.0]).unwrap();
            w.append(5.0, &[4.0, 5.0, 6.0]).unwrap();
            w.flush().unwrap();
            w.append(10.0, &[7.0, 8.0, 9.0]).unwrap();
            std::process::abort();
        }
        let dir = test_dir("weight_report_crash");
        let path = dir.join(file_name("E", "I", 1));
        let test = "weight_report::tests::a_crash_keeps_the_flushed_rows";
        assert!(!run_child(test, CRASH_ENV, &path), "child did not crash");
        let f = open_input_file(&path).unwrap();
        assert_eq!(f.attr("finished").unwrap().read_scalar::<u8>().unwrap(), 0);
        let t = f.dataset("edges/time").unwrap().read_raw::<f64>().unwrap();
        assert_eq!(t, [0.0, 5.0]);
        let weight = f.dataset("edges/weight").unwrap().read_2d::<f64>().unwrap();
        assert!(weight.shape()[0] >= 2);
        assert_eq!(weight.row(0).to_vec(), [1.0, 2.0, 3.0]);
        assert_eq!(weight.row(1).to_vec(), [4.0, 5.0, 6.0]);
        drop(f);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
