//! Streaming reader of SONATA spike files (`/spikes/<population>/{timestamps,node_ids}`).
//!
//! Never loads a whole dataset: spikes are delivered in hyperslab chunks, in file
//! order, to a callback. For time-sorted populations (`sorting` = by_time) a time
//! window can be located by bisection (`time_index`) so only the window is read. Works
//! on files from other writers too: `sorting` may be the libsonata enum or a string
//! (bmtk), and `n_nodes` (our extension) may be missing.
//!
//! Only the valid rows are ever read: a population group's `valid_rows` attribute
//! (rows written and flushed; the datasets may hold garbage beyond it after a failed
//! write) bounds every read; without it (files of other tools) all rows are valid.
//! The `/spikes` attribute `valid_until_ms` (every spike at or before it is within
//! the valid rows) is exposed for callers. Files are opened without HDF5 file
//! locking, so a run's files can be read while the run still writes them.

use std::ops::Range;
use std::path::{Path, PathBuf};

use hdf5::types::{VarLenAscii, VarLenUnicode};
use hdf5::{Dataset, File, Group};

use crate::sonata_spikes::{open_input_file, H5Context};
pub use crate::sonata_spikes::{IoError, Sorting};

/// An open spike file.
pub struct SpikeFile {
    path: PathBuf,
    file: File,
}

/// The two datasets of one population and the number of valid rows in them.
struct PopulationData {
    timestamps: Dataset,
    node_ids: Dataset,
    /// `valid_rows` if the group has it (checked to be within both datasets), else
    /// the datasets' common length (checked to be equal).
    len: u64,
}

impl SpikeFile {
    /// Opens `path` read-only, without HDF5 file locking (see `open_input_file`).
    pub fn open(path: &Path) -> Result<Self, IoError> {
        let file = open_input_file(path)?;
        Ok(SpikeFile {
            path: path.to_path_buf(),
            file,
        })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Population names under `/spikes` (HDF5 name order); empty if there is none.
    pub fn populations(&self) -> Vec<String> {
        self.file
            .group("spikes")
            .and_then(|g| g.member_names())
            .unwrap_or_default()
    }

    fn group(&self, pop: &str) -> Result<Group, IoError> {
        self.file
            .group(&format!("spikes/{pop}"))
            .ctx(&self.path, format!("opening /spikes/{pop}"))
    }

    /// Population size from the `n_nodes` attribute, if present.
    pub fn n_nodes(&self, pop: &str) -> Option<u64> {
        let g = self.file.group(&format!("spikes/{pop}")).ok()?;
        g.attr("n_nodes").ok()?.read_scalar::<u64>().ok()
    }

    /// Number of valid spikes of a population (0 if it does not exist or is unreadable).
    pub fn n_spikes(&self, pop: &str) -> u64 {
        self.population_data(pop).map_or(0, |d| d.len)
    }

    /// Number of valid spikes of a population: its `valid_rows` attribute, or the
    /// datasets' length without one. An error if the population is unreadable or
    /// inconsistent (missing dataset, `valid_rows` beyond the data, lengths differ).
    pub fn valid_rows(&self, pop: &str) -> Result<u64, IoError> {
        Ok(self.population_data(pop)?.len)
    }

    /// The `/spikes` attribute `valid_until_ms`: every spike with a timestamp at or
    /// before it is within the valid rows. None for files without it (other tools,
    /// writers predating it); an error if present but unreadable or not a number.
    pub fn valid_until_ms(&self) -> Result<Option<f64>, IoError> {
        let Ok(g) = self.file.group("spikes") else {
            return Ok(None);
        };
        let Ok(attr) = g.attr("valid_until_ms") else {
            return Ok(None);
        };
        let v = attr
            .read_scalar::<f64>()
            .ctx(&self.path, "reading attribute /spikes/valid_until_ms")?;
        if v.is_nan() {
            let msg = "attribute /spikes/valid_until_ms is NaN";
            return Err(IoError::invalid(&self.path, msg));
        }
        Ok(Some(v))
    }

    /// The timestamp of the last valid spike of a population (None if it has none).
    pub fn last_timestamp(&self, pop: &str) -> Result<Option<f64>, IoError> {
        let d = self.population_data(pop)?;
        if d.len == 0 {
            return Ok(None);
        }
        let i = d.len as usize - 1;
        let v = d
            .timestamps
            .read_slice_1d::<f64, _>(i..i + 1)
            .ctx(&self.path, format!("reading /spikes/{pop}/timestamps[{i}]"))?;
        Ok(Some(v[0]))
    }

    /// The population's `sorting` attribute (enum or string), if present and readable.
    pub fn sorting(&self, pop: &str) -> Option<Sorting> {
        let attr = self
            .file
            .group(&format!("spikes/{pop}"))
            .ok()?
            .attr("sorting")
            .ok()?;
        if let Ok(s) = attr.read_scalar::<Sorting>() {
            return Some(s);
        }
        if let Ok(s) = attr.read_scalar::<VarLenUnicode>() {
            return Sorting::from_name(s.as_str());
        }
        Sorting::from_name(attr.read_scalar::<VarLenAscii>().ok()?.as_str())
    }

    /// The root attribute `finished` (None if absent: the file is not ours).
    pub fn finished(&self) -> Option<bool> {
        Some(self.file.attr("finished").ok()?.read_scalar::<u8>().ok()? != 0)
    }

    fn population_data(&self, pop: &str) -> Result<PopulationData, IoError> {
        let g = self.group(pop)?;
        let what = |d: &str| format!("opening /spikes/{pop}/{d}");
        let timestamps = g
            .dataset("timestamps")
            .ctx(&self.path, what("timestamps"))?;
        let node_ids = g.dataset("node_ids").ctx(&self.path, what("node_ids"))?;
        let (nt, ni) = (timestamps.shape(), node_ids.shape());
        if nt.len() != 1 || ni.len() != 1 {
            let msg = format!("/spikes/{pop}: timestamps {nt:?} and node_ids {ni:?} not 1-D");
            return Err(IoError::invalid(&self.path, msg));
        }
        let (nt, ni) = (nt[0] as u64, ni[0] as u64);
        let len = match g.attr("valid_rows") {
            Ok(a) => a
                .read_scalar::<u64>()
                .ctx(&self.path, format!("reading /spikes/{pop}/valid_rows"))?,
            Err(_) if nt == ni => nt,
            Err(_) => {
                let msg = format!("/spikes/{pop}: timestamps [{nt}] and node_ids [{ni}] differ");
                return Err(IoError::invalid(&self.path, msg));
            }
        };
        if len > nt.min(ni) {
            let msg = format!(
                "/spikes/{pop}: valid_rows {len} beyond the data (timestamps [{nt}], \
                 node_ids [{ni}])"
            );
            return Err(IoError::invalid(&self.path, msg));
        }
        Ok(PopulationData {
            timestamps,
            node_ids,
            len,
        })
    }

    /// Calls `f` on consecutive chunks (at most `chunk_len` spikes) of the whole
    /// population, in file order.
    pub fn for_each_chunk(
        &self,
        pop: &str,
        chunk_len: usize,
        f: impl FnMut(&[f64], &[u64]) -> Result<(), IoError>,
    ) -> Result<(), IoError> {
        self.for_each_chunk_in(pop, 0..u64::MAX, chunk_len, f)
    }

    /// Like `for_each_chunk`, restricted to the spike index range `range` (clamped to
    /// the population's length).
    pub fn for_each_chunk_in(
        &self,
        pop: &str,
        range: Range<u64>,
        chunk_len: usize,
        mut f: impl FnMut(&[f64], &[u64]) -> Result<(), IoError>,
    ) -> Result<(), IoError> {
        let d = self.population_data(pop)?;
        let chunk_len = chunk_len.max(1) as u64;
        let (mut lo, hi) = (range.start.min(d.len), range.end.min(d.len));
        while lo < hi {
            let end = hi.min(lo + chunk_len);
            let sel = lo as usize..end as usize;
            let what = || format!("reading /spikes/{pop} [{lo}, {end})");
            let t = d
                .timestamps
                .read_slice_1d::<f64, _>(sel.clone())
                .ctx(&self.path, what())?;
            let id = d
                .node_ids
                .read_slice_1d::<u64, _>(sel)
                .ctx(&self.path, what())?;
            let (t, id) = (
                t.into_raw_vec_and_offset().0,
                id.into_raw_vec_and_offset().0,
            );
            f(&t, &id)?;
            lo = end;
        }
        Ok(())
    }

    /// Index of the first valid spike with timestamp >= `t` (bisection, O(log N)
    /// single reads). Requires `sorting` = by_time; an error otherwise.
    pub fn time_index(&self, pop: &str, t: f64) -> Result<u64, IoError> {
        self.partition_point(pop, |v| v < t)
    }

    /// Index of the first valid spike with timestamp > `t`; as `time_index`.
    pub fn time_index_after(&self, pop: &str, t: f64) -> Result<u64, IoError> {
        self.partition_point(pop, |v| v <= t)
    }

    /// Index of the first valid spike whose timestamp fails `before` (which must hold
    /// for a prefix of the timestamps), by bisection.
    fn partition_point(&self, pop: &str, before: impl Fn(f64) -> bool) -> Result<u64, IoError> {
        if self.sorting(pop) != Some(Sorting::ByTime) {
            let msg = format!("/spikes/{pop}: not sorted by time, cannot bisect");
            return Err(IoError::invalid(&self.path, msg));
        }
        let d = self.population_data(pop)?;
        let (mut lo, mut hi) = (0u64, d.len);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let v = d
                .timestamps
                .read_slice_1d::<f64, _>(mid as usize..mid as usize + 1)
                .ctx(
                    &self.path,
                    format!("reading /spikes/{pop}/timestamps[{mid}]"),
                )?;
            if before(v[0]) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        Ok(lo)
    }

    /// The index range holding the valid spikes with t in (t_start, t_stop] (the
    /// steps ending in that interval): bisected when the population is sorted by
    /// time, else all valid spikes (callers filter).
    pub fn window(&self, pop: &str, t_start: f64, t_stop: f64) -> Result<Range<u64>, IoError> {
        if self.sorting(pop) == Some(Sorting::ByTime) {
            Ok(self.time_index_after(pop, t_start)?..self.time_index_after(pop, t_stop)?)
        } else {
            Ok(0..self.valid_rows(pop)?)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sonata_spikes::test_util::{spawn_child, synthetic_spikes, test_dir};
    use crate::sonata_spikes::SpikeWriter;
    use std::time::{Duration, Instant};

    const LIVE_ENV: &str = "BRAINSIM_IO_LIVE_WRITER_DIR";

    /// Waits up to 60 s for `path` to exist.
    fn wait_for(path: &Path) -> bool {
        let t0 = Instant::now();
        while !path.exists() {
            if t0.elapsed() > Duration::from_secs(60) {
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        true
    }

    /// The writer of `a_live_file_reads_while_its_writer_holds_it` (a child process
    /// with LIVE_ENV set; otherwise a no-op): writes and flushes 20 000 spikes, says
    /// `ready`, keeps the file open until told `done`, then finishes it.
    #[test]
    fn live_writer_child() {
        let Some(dir) = std::env::var_os(LIVE_ENV).map(PathBuf::from) else {
            return;
        };
        let pops = vec![("a".to_string(), 0, 300)];
        let mut w = SpikeWriter::create(&dir.join("spikes.h5"), &pops).unwrap();
        w.append(&synthetic_spikes(20_000, 300)).unwrap();
        w.flush().unwrap();
        std::fs::write(dir.join("ready"), b"").unwrap();
        assert!(wait_for(&dir.join("done")));
        w.finish().unwrap();
    }

    #[test]
    fn a_live_file_reads_while_its_writer_holds_it() {
        let dir = test_dir("reader-live");
        let mut child = spawn_child("spike_reader::tests::live_writer_child", LIVE_ENV, &dir);
        assert!(wait_for(&dir.join("ready")), "the writer did not start");
        let path = dir.join("spikes.h5");
        if std::env::var_os("HDF5_USE_FILE_LOCKING").is_none() {
            // A plain (locking) open fails while the writer holds the file: the
            // reason SpikeFile opens without locking.
            let _guard = crate::sonata_spikes::test_util::no_spawn();
            assert!(File::open(&path).is_err(), "the writer holds no lock?");
        }
        let f = SpikeFile::open(&path).unwrap();
        assert_eq!(f.finished(), Some(false));
        assert_eq!(f.n_spikes("a"), 20_000);
        let mut n = 0;
        f.for_each_chunk("a", 4096, |t, _| {
            n += t.len();
            Ok(())
        })
        .unwrap();
        assert_eq!(n, 20_000);
        drop(f);
        std::fs::write(dir.join("done"), b"").unwrap();
        assert!(child.wait().unwrap().success(), "the writer failed");
        assert_eq!(SpikeFile::open(&path).unwrap().finished(), Some(true));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn streams_chunks_in_order() {
        let dir = test_dir("reader");
        let path = dir.join("spikes.h5");
        let spikes = synthetic_spikes(150_000, 300);
        let pops = vec![("a".to_string(), 0, 100), ("b".to_string(), 100, 200)];
        let mut w = SpikeWriter::create(&path, &pops).unwrap();
        w.append(&spikes).unwrap();
        w.finish().unwrap();

        let f = SpikeFile::open(&path).unwrap();
        assert_eq!(f.populations(), ["a", "b"]);
        assert_eq!(f.n_nodes("a"), Some(100));
        assert_eq!(f.n_nodes("b"), Some(200));
        assert_eq!(f.n_nodes("zzz"), None);
        assert_eq!(f.sorting("a"), Some(Sorting::ByTime));
        assert_eq!(f.finished(), Some(true));
        assert_eq!(f.n_spikes("zzz"), 0);
        for (pop, first, size) in [("a", 0u32, 100u32), ("b", 100, 200)] {
            let want: Vec<(f64, u64)> = spikes
                .iter()
                .filter(|s| s.1 >= first && s.1 < first + size)
                .map(|&(t, g)| (t, u64::from(g - first)))
                .collect();
            assert_eq!(f.n_spikes(pop), want.len() as u64);
            let mut got = Vec::new();
            let mut calls = 0;
            f.for_each_chunk(pop, 10_000, |t, id| {
                assert!(t.len() <= 10_000 && t.len() == id.len());
                calls += 1;
                got.extend(t.iter().copied().zip(id.iter().copied()));
                Ok(())
            })
            .unwrap();
            assert_eq!(calls, want.len().div_ceil(10_000));
            assert_eq!(got, want, "{pop}");

            // Windows by bisection: (t_start, t_stop].
            let r = f.window(pop, 100.0, 250.05).unwrap();
            let lo = want.iter().position(|s| s.0 > 100.0).unwrap() as u64;
            let hi = want.iter().position(|s| s.0 > 250.05).unwrap() as u64;
            assert_eq!(r, lo..hi);
            let mut n = 0u64;
            f.for_each_chunk_in(pop, r, 777, |t, _| {
                n += t.len() as u64;
                assert!(t.iter().all(|&t| t > 100.0 && t <= 250.05));
                Ok(())
            })
            .unwrap();
            assert_eq!(n, hi - lo);
            assert_eq!(f.time_index(pop, -1.0).unwrap(), 0);
            assert_eq!(f.time_index(pop, 1e12).unwrap(), want.len() as u64);
        }
        // Callback errors propagate.
        let err = f
            .for_each_chunk("a", 10, |_, _| Err(IoError::invalid(&path, "stop")))
            .unwrap_err();
        assert!(err.to_string().ends_with("stop"));
        assert!(f.for_each_chunk("zzz", 10, |_, _| Ok(())).is_err());
        drop(f);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
