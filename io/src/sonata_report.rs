//! SONATA state reports (`<name>.h5`, e.g. membrane potential): the streaming
//! `ReportWriter`, one frame (a value per recorded node) per call.
//!
//! Layout (libsonata `ElementReportReader`-readable, point neurons): root attributes
//! `magic`, `version`, `finished`; `/report/<pop>/data` float32 `[T x V]` (attribute
//! `units`), extendable along T and chunked in row-major tiles so both whole-row
//! reads (libsonata reads row by row) and appends stay cheap; `mapping/node_ids`
//! uint64 `[V]` (attribute `sorted` uint8, which libsonata reads),
//! `mapping/index_pointers` uint64 `[V + 1]` = 0..=V with a hard link
//! `index_pointer` (bmtk's name), `mapping/element_ids` uint32 `[V]` all 0, and
//! `mapping/time` float64 `[3]` = (start, stop, dt), attribute `units` = "ms".
//! Frames are buffered (about 4 MiB) and appended a block of rows at a time. `time` always matches the rows on disk:
//! it is written at create with stop = start (T = 0) and rewritten at every
//! `flush`/`finish`, so a file flushed and then crashed still reads consistently.

use std::path::{Path, PathBuf};

use hdf5::{Dataset, File};
use ndarray::ArrayView2;

pub use crate::sonata_spikes::IoError;
use crate::sonata_spikes::{
    create_output_file, open_input_file, open_output_file, set_finished, set_unfinished,
    write_root_attrs, write_scalar_attr, write_str_attr, H5Context,
};

/// Target number of f32 values per HDF5 chunk (64 KiB).
const CHUNK_VALUES: usize = 1 << 14;
/// Target number of f32 values buffered before a block of rows is written (4 MiB).
const BUFFER_VALUES: usize = 1 << 20;

/// Streams frames of a point-neuron report into a SONATA report file.
pub struct ReportWriter {
    path: PathBuf,
    file: File,
    data: Dataset,
    time: Dataset,
    n_values: usize,
    t_start: f64,
    dt: f64,
    /// Row-major frames not yet written.
    buf: Vec<f32>,
    /// Rows per written block (a multiple of the chunk rows).
    block_rows: usize,
    rows_written: usize,
}

/// (chunk rows, chunk columns, block rows) for V values per row.
fn layout(n_values: usize) -> (usize, usize, usize) {
    let chunk_cols = n_values.min(CHUNK_VALUES);
    let chunk_rows = (CHUNK_VALUES / chunk_cols).max(1);
    let block_rows = ((BUFFER_VALUES / n_values) / chunk_rows).max(1) * chunk_rows;
    (chunk_rows, chunk_cols, block_rows)
}

impl ReportWriter {
    /// Creates (truncating) the report of `population` over `node_ids` (0-based within
    /// the population), frames starting at `t_start_ms`, one every `dt_ms`; `units` is
    /// the unit of the values (e.g. "mV").
    pub fn create(
        path: &Path,
        population: &str,
        node_ids: &[u64],
        t_start_ms: f64,
        dt_ms: f64,
        units: &str,
    ) -> Result<Self, IoError> {
        check_create_args(path, population, node_ids, t_start_ms, dt_ms)?;
        let n = node_ids.len();
        let (chunk_rows, chunk_cols, block_rows) = layout(n);

        let file = create_output_file(path)?;
        write_root_attrs(&file, path)?;
        let root = format!("report/{population}");
        let pop = file
            .create_group_builder()
            .create_intermediate_group(true)
            .create(&*root);
        let pop = pop.ctx(path, format!("creating /{root}"))?;
        let data = pop
            .new_dataset::<f32>()
            .chunk((chunk_rows, chunk_cols))
            .shape((0.., n))
            .create("data")
            .ctx(path, format!("creating /{root}/data"))?;
        write_str_attr(&data, "units", units, path)?;
        let time = write_mapping(&pop, &root, node_ids, t_start_ms, dt_ms, path)?;
        // The empty report (T = 0, `time` stop = start) is on disk from the start.
        file.flush().ctx(path, "flushing file")?;

        Ok(ReportWriter {
            path: path.to_path_buf(),
            file,
            data,
            time,
            n_values: n,
            t_start: t_start_ms,
            dt: dt_ms,
            buf: Vec::with_capacity(block_rows * n),
            block_rows,
            rows_written: 0,
        })
    }

    /// Opens the existing report of `population` in `path` to append to it
    /// after its first `keep_frames` frames (the rest is cut off; `finished`
    /// back to 0). The file must hold at least that many frames on disk
    /// (`mapping/time`), else an error and the file is not changed.
    pub fn reopen(path: &Path, population: &str, keep_frames: usize) -> Result<Self, IoError> {
        let file = open_output_file(path)?;
        let root = format!("report/{population}");
        let data = file
            .dataset(&format!("{root}/data"))
            .ctx(path, format!("opening /{root}/data"))?;
        let time = file
            .dataset(&format!("{root}/mapping/time"))
            .ctx(path, format!("opening /{root}/mapping/time"))?;
        let t: Vec<f64> = time.read_raw().ctx(path, "reading mapping/time")?;
        let shape = data.shape();
        if t.len() != 3 || shape.len() != 2 || t[2].is_nan() || t[2] <= 0.0 {
            return Err(IoError::invalid(path, "not a point-neuron report"));
        }
        let on_disk = (((t[1] - t[0]) / t[2]).round() as usize).min(shape[0]);
        if on_disk < keep_frames {
            let msg = format!("holds {on_disk} frames, {keep_frames} needed to continue");
            return Err(IoError::invalid(path, msg));
        }
        let n = shape[1];
        data.resize((keep_frames, n)).ctx(
            path,
            format!("cutting /{root}/data to {keep_frames} frames"),
        )?;
        set_unfinished(&file, path)?;
        let mut w = ReportWriter {
            path: path.to_path_buf(),
            file,
            data,
            time,
            n_values: n,
            t_start: t[0],
            dt: t[2],
            buf: Vec::with_capacity(layout(n).2 * n),
            block_rows: layout(n).2,
            rows_written: keep_frames,
        };
        w.flush()?;
        Ok(w)
    }

    /// The file being written.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Frames appended so far (written or buffered).
    pub fn n_frames(&self) -> usize {
        self.rows_written + self.buf.len() / self.n_values
    }

    /// Appends one frame: a value per node, in the order of `node_ids` at create.
    pub fn append_frame(&mut self, values: &[f32]) -> Result<(), IoError> {
        if values.len() != self.n_values {
            let msg = format!(
                "report frame of {} values, expected {}",
                values.len(),
                self.n_values
            );
            return Err(IoError::invalid(&self.path, msg));
        }
        self.buf.extend_from_slice(values);
        if self.buf.len() >= self.block_rows * self.n_values {
            self.write_buffer()?;
        }
        Ok(())
    }

    /// Appends the buffered rows to `data` (resize + hyperslab write).
    fn write_buffer(&mut self) -> Result<(), IoError> {
        let rows = self.buf.len() / self.n_values;
        if rows == 0 {
            return Ok(());
        }
        let (old, new) = (self.rows_written, self.rows_written + rows);
        let what = || format!("appending frames [{old}, {new}) to {}", self.data.name());
        let view = ArrayView2::from_shape((rows, self.n_values), &self.buf)
            .map_err(|e| IoError::invalid(&self.path, format!("{}: {e}", what())))?;
        self.data
            .resize((new, self.n_values))
            .ctx(&self.path, what())?;
        self.data
            .write_slice(view, (old..new, ..))
            .ctx(&self.path, what())?;
        self.rows_written = new;
        self.buf.clear();
        Ok(())
    }

    /// Writes the buffered frames, sets `mapping/time` to the frames on disk and
    /// flushes the file: a crash after this leaves all frames so far readable.
    pub fn flush(&mut self) -> Result<(), IoError> {
        self.write_buffer()?;
        let stop = self.t_start + self.rows_written as f64 * self.dt;
        self.time
            .write_raw(&[self.t_start, stop, self.dt])
            .ctx(&self.path, format!("writing {}", self.time.name()))?;
        self.file.flush().ctx(&self.path, "flushing file")
    }

    /// Final write (`mapping/time` stop = start + T * dt); sets `finished` = 1, closes.
    pub fn finish(mut self) -> Result<(), IoError> {
        self.flush()?;
        set_finished(&self.file, &self.path)?;
        self.file.flush().ctx(&self.path, "flushing file")?;
        let ReportWriter {
            path,
            file,
            data,
            time,
            ..
        } = self;
        drop((data, time));
        file.close().ctx(&path, "closing file")
    }
}

/// The arguments of `ReportWriter::create`, checked before the file is touched:
/// a population name usable as one HDF5 group, at least one node, and a time
/// axis (finite start, finite dt > 0).
fn check_create_args(
    path: &Path,
    population: &str,
    node_ids: &[u64],
    t_start_ms: f64,
    dt_ms: f64,
) -> Result<(), IoError> {
    if population.is_empty() || population.contains('/') || population == "." {
        return Err(IoError::invalid(
            path,
            format!("invalid population name {population:?}"),
        ));
    }
    if node_ids.is_empty() {
        return Err(IoError::invalid(path, "report: no node to record"));
    }
    if !(t_start_ms.is_finite() && dt_ms.is_finite() && dt_ms > 0.0) {
        let msg = format!("report: need finite start and dt > 0, got {t_start_ms}, {dt_ms}");
        return Err(IoError::invalid(path, msg));
    }
    Ok(())
}

/// Writes `/<root>/mapping` (node ids and their `sorted` flag, index pointers
/// with bmtk's alias, element ids, `time` for zero frames); returns `time`,
/// which every flush rewrites.
fn write_mapping(
    pop: &hdf5::Group,
    root: &str,
    node_ids: &[u64],
    t_start_ms: f64,
    dt_ms: f64,
    path: &Path,
) -> Result<Dataset, IoError> {
    let n = node_ids.len();
    let mapping = pop
        .create_group("mapping")
        .ctx(path, format!("creating /{root}/mapping"))?;
    let what = |d: &str| format!("writing /{root}/mapping/{d}");
    let ids = mapping
        .new_dataset_builder()
        .with_data(node_ids)
        .create("node_ids");
    let ids = ids.ctx(path, what("node_ids"))?;
    let sorted = node_ids.windows(2).all(|w| w[0] < w[1]);
    write_scalar_attr(&ids, "sorted", &u8::from(sorted), path)?;
    // Point neurons: node i has one element, column i of `data`.
    let pointers: Vec<u64> = (0..=n as u64).collect();
    mapping
        .new_dataset_builder()
        .with_data(&pointers)
        .create("index_pointers")
        .ctx(path, what("index_pointers"))?;
    mapping
        .link_hard("index_pointers", "index_pointer")
        .ctx(path, what("index_pointer"))?;
    mapping
        .new_dataset_builder()
        .with_data(&vec![0u32; n])
        .create("element_ids")
        .ctx(path, what("element_ids"))?;
    let time = mapping
        .new_dataset_builder()
        .with_data(&[t_start_ms, t_start_ms, dt_ms])
        .create("time")
        .ctx(path, what("time"))?;
    write_str_attr(&time, "units", "ms", path)?;
    Ok(time)
}

/// A whole report read back (for tests and small reports; the writer streams).
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// (start, stop, dt) in ms, right-open.
    pub time: [f64; 3],
    /// `mapping/node_ids`: the node of each column.
    pub node_ids: Vec<u64>,
    /// Row-major [T x V].
    pub data: Vec<f32>,
}

/// Reads the report of `population` in `path` entirely.
pub fn read_report(path: &Path, population: &str) -> Result<Report, IoError> {
    let file = open_input_file(path)?;
    let base = format!("report/{population}");
    let time: Vec<f64> = file
        .dataset(&format!("{base}/mapping/time"))
        .and_then(|d| d.read_raw())
        .ctx(path, "reading mapping/time")?;
    let node_ids: Vec<u64> = file
        .dataset(&format!("{base}/mapping/node_ids"))
        .and_then(|d| d.read_raw())
        .ctx(path, "reading mapping/node_ids")?;
    let data: Vec<f32> = file
        .dataset(&format!("{base}/data"))
        .and_then(|d| d.read_raw())
        .ctx(path, "reading data")?;
    if time.len() != 3 {
        return Err(IoError::invalid(
            path,
            "mapping/time does not have 3 values",
        ));
    }
    Ok(Report {
        time: [time[0], time[1], time[2]],
        node_ids,
        data,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sonata_spikes::open_input_file;
    use crate::sonata_spikes::test_util::{run_child, test_dir};
    use hdf5::types::VarLenUnicode;

    fn value(row: usize, col: usize) -> f32 {
        -70.0 + (row as f32) * 0.01 + (col as f32) * 0.5
    }

    #[test]
    fn layout_is_bounded() {
        for v in [1, 7, 100, 1000, 16_384, 100_000, 3_000_000] {
            let (r, c, b) = layout(v);
            assert!(r * c <= CHUNK_VALUES && c <= v && b % r == 0, "{v}");
            assert!(b * v <= BUFFER_VALUES.max(v), "{v}: block of {b} rows");
        }
    }

    #[test]
    fn round_trip() {
        let dir = test_dir("report");
        let path = dir.join("v.h5");
        let ids: Vec<u64> = (0..300).map(|i| i * 3 + 1).collect();
        let n_frames = 9000; // several blocks (3456 rows each) plus a partial one
        let mut w = ReportWriter::create(&path, "exc", &ids, 0.5, 0.1, "mV").unwrap();
        assert!(w.append_frame(&[0.0; 3]).is_err());
        for r in 0..n_frames {
            let frame: Vec<f32> = (0..ids.len()).map(|c| value(r, c)).collect();
            w.append_frame(&frame).unwrap();
            if r == 5000 {
                w.flush().unwrap();
            }
        }
        assert_eq!(w.n_frames(), n_frames);
        w.finish().unwrap();

        let f = open_input_file(&path).unwrap();
        assert_eq!(
            f.attr("magic").unwrap().read_scalar::<u32>().unwrap(),
            0x0A7A
        );
        assert_eq!(f.attr("finished").unwrap().read_scalar::<u8>().unwrap(), 1);
        let pop = f.group("report/exc").unwrap();
        let data = pop.dataset("data").unwrap();
        assert!(data.dtype().unwrap().is::<f32>());
        assert_eq!(data.shape(), [n_frames, ids.len()]);
        let all = data.read_2d::<f32>().unwrap();
        for ((r, c), v) in all.indexed_iter() {
            assert_eq!(*v, value(r, c), "data[{r}, {c}]");
        }
        let units = data
            .attr("units")
            .unwrap()
            .read_scalar::<VarLenUnicode>()
            .unwrap();
        assert_eq!(units.as_str(), "mV");
        let m = pop.group("mapping").unwrap();
        assert_eq!(
            m.dataset("node_ids").unwrap().read_raw::<u64>().unwrap(),
            ids
        );
        let sorted = m.dataset("node_ids").unwrap().attr("sorted").unwrap();
        assert_eq!(sorted.read_scalar::<u8>().unwrap(), 1);
        let ptr: Vec<u64> = (0..=ids.len() as u64).collect();
        assert_eq!(
            m.dataset("index_pointers")
                .unwrap()
                .read_raw::<u64>()
                .unwrap(),
            ptr
        );
        assert_eq!(
            m.dataset("index_pointer")
                .unwrap()
                .read_raw::<u64>()
                .unwrap(),
            ptr
        );
        let el = m.dataset("element_ids").unwrap();
        assert!(el.dtype().unwrap().is::<u32>());
        assert_eq!(el.read_raw::<u32>().unwrap(), vec![0; ids.len()]);
        let time = m.dataset("time").unwrap();
        let t = time.read_raw::<f64>().unwrap();
        assert_eq!(t, [0.5, 0.5 + n_frames as f64 * 0.1, 0.1]);
        let tu = time
            .attr("units")
            .unwrap()
            .read_scalar::<VarLenUnicode>()
            .unwrap();
        assert_eq!(tu.as_str(), "ms");
        drop((data, m, pop, f));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A report cut back to K frames and continued reads as one written
    /// straight through; asking for more frames than are on disk is refused
    /// and leaves the file as it was.
    #[test]
    fn reopened_report_continues_as_if_never_closed() {
        let dir = test_dir("report-reopen");
        let ids: Vec<u64> = (0..50).collect();
        let frame = |r: usize| -> Vec<f32> { (0..ids.len()).map(|c| value(r, c)).collect() };
        let straight = dir.join("straight.h5");
        let mut w = ReportWriter::create(&straight, "exc", &ids, 0.2, 0.2, "mV").unwrap();
        (0..400).for_each(|r| w.append_frame(&frame(r)).unwrap());
        w.finish().unwrap();
        let cut = dir.join("cut.h5");
        let mut w = ReportWriter::create(&cut, "exc", &ids, 0.2, 0.2, "mV").unwrap();
        // Frames 250.. are written, then dropped by the reopen at 250.
        (0..300).for_each(|r| w.append_frame(&frame(r)).unwrap());
        w.finish().unwrap();
        let err = ReportWriter::reopen(&cut, "exc", 301).err().unwrap();
        assert!(
            err.to_string().contains("holds 300 frames, 301 needed"),
            "{err}"
        );
        let mut w = ReportWriter::reopen(&cut, "exc", 250).unwrap();
        assert_eq!(w.n_frames(), 250);
        (250..400).for_each(|r| w.append_frame(&frame(r)).unwrap());
        w.finish().unwrap();
        assert_eq!(
            read_report(&cut, "exc").unwrap(),
            read_report(&straight, "exc").unwrap()
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn flushed_then_dropped_is_consistent() {
        let dir = test_dir("report-drop");
        let path = dir.join("v.h5");
        let mut w = ReportWriter::create(&path, "p", &[5, 2, 9], 0.0, 1.0, "mV").unwrap();
        for r in 0..10 {
            w.append_frame(&[r as f32, 1.0, 2.0]).unwrap();
        }
        w.flush().unwrap();
        w.append_frame(&[99.0, 99.0, 99.0]).unwrap(); // buffered only
        drop(w);

        let f = open_input_file(&path).unwrap();
        assert_eq!(f.attr("finished").unwrap().read_scalar::<u8>().unwrap(), 0);
        let data = f
            .dataset("report/p/data")
            .unwrap()
            .read_2d::<f32>()
            .unwrap();
        assert_eq!(data.shape(), [10, 3]);
        assert_eq!(data[[9, 0]], 9.0);
        let t = f
            .dataset("report/p/mapping/time")
            .unwrap()
            .read_raw::<f64>()
            .unwrap();
        assert_eq!(t, [0.0, 10.0, 1.0]);
        let sorted = f
            .dataset("report/p/mapping/node_ids")
            .unwrap()
            .attr("sorted")
            .unwrap();
        assert_eq!(sorted.read_scalar::<u8>().unwrap(), 0);
        drop(f);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    const CRASH_ENV: &str = "BRAINSIM_IO_REPORT_CRASH_CHILD";

    /// Child: writes blocks, flushes, writes more blocks (unflushed), aborts. Parent:
    /// `data` and `mapping/time` are as at the flush.
    #[test]
    fn crash_after_flush_keeps_flushed_frames() {
        let ids: Vec<u64> = (0..1000).collect();
        let frame = |r: usize| -> Vec<f32> { (0..ids.len()).map(|c| value(r, c)).collect() };
        if let Ok(path) = std::env::var(CRASH_ENV) {
            let mut w = ReportWriter::create(Path::new(&path), "p", &ids, 0.0, 0.25, "mV").unwrap();
            for r in 0..2500 {
                w.append_frame(&frame(r)).unwrap();
            }
            w.flush().unwrap();
            for r in 2500..6000 {
                w.append_frame(&frame(r)).unwrap();
            }
            std::process::abort();
        }
        let dir = test_dir("report-crash");
        let path = dir.join("v.h5");
        let test = "sonata_report::tests::crash_after_flush_keeps_flushed_frames";
        assert!(!run_child(test, CRASH_ENV, &path), "child did not crash");
        let f = open_input_file(&path).unwrap();
        let t = f
            .dataset("report/p/mapping/time")
            .unwrap()
            .read_raw::<f64>()
            .unwrap();
        assert_eq!(t, [0.0, 625.0, 0.25]);
        let data = f
            .dataset("report/p/data")
            .unwrap()
            .read_2d::<f32>()
            .unwrap();
        assert_eq!(data.shape(), [2500, 1000]);
        assert!(data.indexed_iter().all(|((r, c), v)| *v == value(r, c)));
        drop(f);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Not a check: writes `spikes.h5` and `v.h5` into $BRAINSIM_SONATA_SAMPLE_DIR
    /// (default: a temp dir) for tests/python/check_sonata.py.
    #[test]
    #[ignore]
    fn write_sample_outdir() {
        let dir = std::env::var_os("BRAINSIM_SONATA_SAMPLE_DIR")
            .map_or_else(|| test_dir("sample"), PathBuf::from);
        std::fs::create_dir_all(&dir).unwrap();
        let pops = vec![("exc".to_string(), 0, 800), ("inh".to_string(), 800, 200)];
        let spikes = crate::sonata_spikes::test_util::synthetic_spikes(200_000, 1000);
        let mut w =
            crate::sonata_spikes::SpikeWriter::create(&dir.join("spikes.h5"), &pops).unwrap();
        w.append(&spikes).unwrap();
        w.finish().unwrap();
        let ids: Vec<u64> = (0..50).map(|i| i * 2).collect();
        let mut r = ReportWriter::create(&dir.join("v.h5"), "exc", &ids, 0.0, 0.1, "mV").unwrap();
        for row in 0..5000 {
            let frame: Vec<f32> = (0..ids.len()).map(|c| value(row, c)).collect();
            r.append_frame(&frame).unwrap();
        }
        r.finish().unwrap();
        // Flushed, never finished.
        let mut r =
            ReportWriter::create(&dir.join("partial.h5"), "inh", &[3, 1], 1.0, 0.5, "mV").unwrap();
        for row in 0..100 {
            r.append_frame(&[row as f32, -(row as f32)]).unwrap();
        }
        r.flush().unwrap();
        std::mem::forget(r);
        eprintln!("sample written to {}", dir.display());
    }
}
