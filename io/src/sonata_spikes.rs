//! SONATA spike output: the streaming `SpikeWriter` for `spikes.h5`, plus the pieces
//! every io/ HDF5 module shares — the `IoError` type (file + what failed), the
//! `sorting` enum as libsonata reads it, and the root attributes (`magic`, `version`,
//! `finished`).
//!
//! Layout written (libsonata-readable): root attributes `magic` = uint32 0x0A7A,
//! `version` = uint32[2] [0, 1], `finished` = uint8 (0 while running, 1 after
//! `finish`); per population a group `/spikes/<pop>` with attributes `sorting`
//! (HDF5 enum over u8 {none, by_id, by_time}, always by_time here) and `n_nodes`
//! (uint64, our extension), datasets `timestamps` float64 [N] (attribute `units` =
//! "ms") and `node_ids` uint64 [N] (0-based within the population). Both datasets are
//! chunked and extendable; spikes are buffered per population (bounded buffers) and
//! appended with resize + hyperslab writes. The metadata cache is configured without
//! evictions, so metadata reaches the disk only at `flush`/`finish`: a crash between
//! flushes leaves the file as it was at the last flush.

use std::fmt;
use std::path::{Path, PathBuf};

use hdf5::file::{CacheDecreaseMode, CacheIncreaseMode, FlashIncreaseMode, MetadataCacheConfig};
use hdf5::types::VarLenUnicode;
use hdf5::{Dataset, File, Location};

/// Root attribute `magic` of every SONATA file.
pub const SONATA_MAGIC: u32 = 0x0A7A;
/// Root attribute `version` of the files we write.
pub const SONATA_VERSION: [u32; 2] = [0, 1];

/// Spikes buffered per population before they are appended to the datasets.
const BUFFER_SPIKES: usize = 1 << 16;
/// Chunk length (entries) of the extendable spike datasets.
const CHUNK_SPIKES: usize = 1 << 15;

/// Failure of any io/ file operation; always names the file and what was attempted.
#[derive(Debug)]
pub enum IoError {
    /// An HDF5 call failed.
    Hdf5 {
        path: PathBuf,
        what: String,
        source: hdf5::Error,
    },
    /// A filesystem operation failed.
    Fs {
        path: PathBuf,
        what: String,
        source: std::io::Error,
    },
    /// PNG encoding failed.
    Png {
        path: PathBuf,
        source: png::EncodingError,
    },
    /// The file's content, or the caller's input, is not what the operation needs.
    Invalid { path: PathBuf, what: String },
}

impl IoError {
    /// An `Invalid` error for `path`.
    pub fn invalid(path: &Path, what: impl Into<String>) -> Self {
        IoError::Invalid {
            path: path.to_path_buf(),
            what: what.into(),
        }
    }

    /// The file the error is about.
    pub fn path(&self) -> &Path {
        match self {
            IoError::Hdf5 { path, .. }
            | IoError::Fs { path, .. }
            | IoError::Png { path, .. }
            | IoError::Invalid { path, .. } => path,
        }
    }
}

impl fmt::Display for IoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IoError::Hdf5 { path, what, source } => {
                write!(f, "{}: {what}: HDF5 error: {source}", path.display())
            }
            IoError::Fs { path, what, source } => write!(f, "{}: {what}: {source}", path.display()),
            IoError::Png { path, source } => {
                write!(f, "{}: encoding PNG: {source}", path.display())
            }
            IoError::Invalid { path, what } => write!(f, "{}: {what}", path.display()),
        }
    }
}

impl std::error::Error for IoError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            IoError::Hdf5 { source, .. } => Some(source),
            IoError::Fs { source, .. } => Some(source),
            IoError::Png { source, .. } => Some(source),
            IoError::Invalid { .. } => None,
        }
    }
}

/// Attaches the file and the attempted operation to an HDF5 error.
pub(crate) trait H5Context<T> {
    fn ctx(self, path: &Path, what: impl Into<String>) -> Result<T, IoError>;
}

impl<T> H5Context<T> for Result<T, hdf5::Error> {
    fn ctx(self, path: &Path, what: impl Into<String>) -> Result<T, IoError> {
        self.map_err(|source| IoError::Hdf5 {
            path: path.to_path_buf(),
            what: what.into(),
            source,
        })
    }
}

/// The `sorting` attribute of `/spikes/<population>`: an HDF5 enum over u8 whose
/// member names are the ones libsonata registers.
#[derive(hdf5::H5Type, Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Sorting {
    #[hdf5(rename = "none")]
    None = 0,
    #[hdf5(rename = "by_id")]
    ById = 1,
    #[hdf5(rename = "by_time")]
    ByTime = 2,
}

impl Sorting {
    /// The member name as stored in the file ("none", "by_id", "by_time").
    pub fn name(self) -> &'static str {
        match self {
            Sorting::None => "none",
            Sorting::ById => "by_id",
            Sorting::ByTime => "by_time",
        }
    }

    /// Parses a member name (for files that store `sorting` as a string, as bmtk does).
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "none" => Some(Sorting::None),
            "by_id" => Some(Sorting::ById),
            "by_time" => Some(Sorting::ByTime),
            _ => None,
        }
    }
}

/// Creates (truncating) an HDF5 file for streaming output: metadata evictions are
/// disabled so that on-disk metadata only changes at explicit flushes.
pub(crate) fn create_output_file(path: &Path) -> Result<File, IoError> {
    let mdc = MetadataCacheConfig {
        evictions_enabled: false,
        incr_mode: CacheIncreaseMode::Off,
        flash_incr_mode: FlashIncreaseMode::Off,
        decr_mode: CacheDecreaseMode::Off,
        ..MetadataCacheConfig::default()
    };
    let file = File::with_options()
        .with_fapl(|p| p.mdc_config(&mdc))
        .create(path)
        .ctx(path, "creating file")?;
    set_cloexec(&file, path)?;
    Ok(file)
}

/// Opens an HDF5 file read-only (close-on-exec, see `set_cloexec`).
pub(crate) fn open_input_file(path: &Path) -> Result<File, IoError> {
    let file = File::open(path).ctx(path, "opening file")?;
    set_cloexec(&file, path)?;
    Ok(file)
}

/// Marks the file's descriptor close-on-exec. HDF5 opens files without O_CLOEXEC and
/// (1.10+) flock()s them: a child process spawned while the file is open would inherit
/// the descriptor and keep the lock after we close the file, so a later open of that
/// file fails with EAGAIN for as long as the child lives. No-op for drivers other
/// than sec2 (the default) and off Unix.
pub(crate) fn set_cloexec(file: &File, path: &Path) -> Result<(), IoError> {
    #[cfg(unix)]
    {
        use hdf5::file::FileDriver;
        if !matches!(
            file.access_plist().map(|p| p.driver()),
            Ok(FileDriver::Sec2)
        ) {
            return Ok(());
        }
        let mut handle: *mut std::ffi::c_void = std::ptr::null_mut();
        let rc = hdf5::sync::sync(|| {
            // SAFETY: `file` is an open file id and `handle` a valid out-pointer; for
            // the sec2 driver HDF5 stores in it the address of the driver's `int` fd,
            // valid while the file is open.
            unsafe {
                hdf5_sys::h5f::H5Fget_vfd_handle(file.id(), hdf5_sys::h5p::H5P_DEFAULT, &mut handle)
            }
        });
        if rc < 0 || handle.is_null() {
            return Err(IoError::invalid(path, "H5Fget_vfd_handle failed"));
        }
        // SAFETY: see above; the pointee is the sec2 driver's file descriptor.
        let fd = unsafe { *handle.cast::<libc::c_int>() };
        // SAFETY: fcntl on a descriptor we own, with integer arguments only.
        let ok = unsafe {
            let flags = libc::fcntl(fd, libc::F_GETFD);
            flags >= 0 && libc::fcntl(fd, libc::F_SETFD, flags | libc::FD_CLOEXEC) >= 0
        };
        if !ok {
            return Err(IoError::Fs {
                path: path.to_path_buf(),
                what: "setting close-on-exec".into(),
                source: std::io::Error::last_os_error(),
            });
        }
    }
    #[cfg(not(unix))]
    let _ = (file, path);
    Ok(())
}

/// Writes a scalar variable-length UTF-8 string attribute.
pub(crate) fn write_str_attr(
    loc: &Location,
    name: &str,
    value: &str,
    path: &Path,
) -> Result<(), IoError> {
    let what = || format!("writing attribute {}/{name}", loc.name());
    let v: VarLenUnicode = value
        .parse()
        .map_err(|_| IoError::invalid(path, format!("{}: string has NUL", what())))?;
    loc.new_attr::<VarLenUnicode>()
        .shape(())
        .create(name)
        .and_then(|a| a.write_scalar(&v))
        .ctx(path, what())
}

/// Writes a scalar attribute of any HDF5 type.
pub(crate) fn write_scalar_attr<T: hdf5::H5Type>(
    loc: &Location,
    name: &str,
    value: &T,
    path: &Path,
) -> Result<(), IoError> {
    loc.new_attr::<T>()
        .shape(())
        .create(name)
        .and_then(|a| a.write_scalar(value))
        .ctx(path, format!("writing attribute {}/{name}", loc.name()))
}

/// Root attributes `magic`, `version` and `finished` = 0.
pub(crate) fn write_root_attrs(file: &File, path: &Path) -> Result<(), IoError> {
    write_scalar_attr(file, "magic", &SONATA_MAGIC, path)?;
    file.new_attr_builder()
        .with_data(&SONATA_VERSION[..])
        .create("version")
        .ctx(path, "writing attribute /version")?;
    write_scalar_attr(file, "finished", &0u8, path)
}

/// Sets the root attribute `finished` to 1.
pub(crate) fn set_finished(file: &File, path: &Path) -> Result<(), IoError> {
    file.attr("finished")
        .and_then(|a| a.write_scalar(&1u8))
        .ctx(path, "setting attribute /finished")
}

/// Creates an empty, extendable, chunked 1-D dataset.
fn extendable_1d<T: hdf5::H5Type>(
    group: &hdf5::Group,
    name: &str,
    path: &Path,
) -> Result<Dataset, IoError> {
    group
        .new_dataset::<T>()
        .chunk(CHUNK_SPIKES)
        .shape(0..)
        .create(name)
        .ctx(path, format!("creating dataset {}/{name}", group.name()))
}

/// One population's datasets and spike buffer.
struct PopulationOut {
    name: String,
    first_gid: u32,
    size: u32,
    timestamps: Dataset,
    node_ids: Dataset,
    buf_t: Vec<f64>,
    buf_id: Vec<u64>,
    written: usize,
}

impl PopulationOut {
    fn contains(&self, gid: u32) -> bool {
        gid.wrapping_sub(self.first_gid) < self.size
    }

    /// Appends the buffer to the datasets (resize + hyperslab write) and clears it.
    fn write_buffer(&mut self, path: &Path) -> Result<(), IoError> {
        if self.buf_t.is_empty() {
            return Ok(());
        }
        let (old, new) = (self.written, self.written + self.buf_t.len());
        let what = || format!("appending spikes to /spikes/{}", self.name);
        self.timestamps.resize(new).ctx(path, what())?;
        self.timestamps
            .write_slice(self.buf_t.as_slice(), old..new)
            .ctx(path, what())?;
        self.node_ids.resize(new).ctx(path, what())?;
        self.node_ids
            .write_slice(self.buf_id.as_slice(), old..new)
            .ctx(path, what())?;
        self.written = new;
        self.buf_t.clear();
        self.buf_id.clear();
        Ok(())
    }
}

/// Streams spikes (time-sorted) into a SONATA `spikes.h5`, one group per population.
pub struct SpikeWriter {
    path: PathBuf,
    file: File,
    /// Sorted by `first_gid`.
    pops: Vec<PopulationOut>,
    last_pop: usize,
    last_time: f64,
    total: u64,
}

impl SpikeWriter {
    /// Creates the file (truncating). populations: (name, first_gid, size); gids are
    /// global, contiguous per population, and populations must not overlap.
    pub fn create(path: &Path, populations: &[(String, u32, u32)]) -> Result<Self, IoError> {
        let mut order: Vec<&(String, u32, u32)> = populations.iter().collect();
        order.sort_by_key(|p| p.1);
        for (i, (name, first, size)) in order.iter().enumerate() {
            if name.is_empty() || name.contains('/') || name == "." {
                return Err(IoError::invalid(
                    path,
                    format!("invalid population name {name:?}"),
                ));
            }
            if u64::from(*first) + u64::from(*size) > u64::from(u32::MAX) + 1 {
                return Err(IoError::invalid(
                    path,
                    format!("population {name}: gids exceed u32"),
                ));
            }
            if order[..i].iter().any(|p| &p.0 == name) {
                return Err(IoError::invalid(
                    path,
                    format!("population {name} given twice"),
                ));
            }
            if let Some(next) = order.get(i + 1) {
                if u64::from(*first) + u64::from(*size) > u64::from(next.1) {
                    let msg = format!("populations {name} and {} overlap in gids", next.0);
                    return Err(IoError::invalid(path, msg));
                }
            }
        }

        let file = create_output_file(path)?;
        write_root_attrs(&file, path)?;
        let spikes = file
            .create_group("spikes")
            .ctx(path, "creating group /spikes")?;
        let mut pops = Vec::with_capacity(order.len());
        for (name, first_gid, size) in order {
            let g = spikes
                .create_group(name)
                .ctx(path, format!("creating /spikes/{name}"))?;
            write_scalar_attr(&g, "sorting", &Sorting::ByTime, path)?;
            write_scalar_attr(&g, "n_nodes", &u64::from(*size), path)?;
            let timestamps = extendable_1d::<f64>(&g, "timestamps", path)?;
            write_str_attr(&timestamps, "units", "ms", path)?;
            let node_ids = extendable_1d::<u64>(&g, "node_ids", path)?;
            pops.push(PopulationOut {
                name: name.clone(),
                first_gid: *first_gid,
                size: *size,
                timestamps,
                node_ids,
                buf_t: Vec::with_capacity(BUFFER_SPIKES),
                buf_id: Vec::with_capacity(BUFFER_SPIKES),
                written: 0,
            });
        }
        Ok(SpikeWriter {
            path: path.to_path_buf(),
            file,
            pops,
            last_pop: 0,
            last_time: f64::NEG_INFINITY,
            total: 0,
        })
    }

    /// The file being written.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Index of the population holding `gid`.
    fn population_of(&self, gid: u32) -> Result<usize, IoError> {
        if self
            .pops
            .get(self.last_pop)
            .is_some_and(|p| p.contains(gid))
        {
            return Ok(self.last_pop);
        }
        let i = self.pops.partition_point(|p| p.first_gid <= gid);
        if i > 0 && self.pops[i - 1].contains(gid) {
            Ok(i - 1)
        } else {
            Err(IoError::invalid(
                &self.path,
                format!("spike of gid {gid}: in no population"),
            ))
        }
    }

    /// Spikes sorted by time (then gid): (time_ms, global gid). Buffered per population;
    /// a population's buffer is appended to its datasets when it reaches 64 Ki spikes.
    /// Times must be finite and non-decreasing across calls; on error the writer should
    /// be abandoned (part of the batch may have been taken).
    pub fn append(&mut self, spikes: &[(f64, u32)]) -> Result<(), IoError> {
        for &(t, gid) in spikes {
            if !(t >= self.last_time && t.is_finite()) {
                let msg = format!(
                    "spike time {t} (gid {gid}) after {}: not sorted",
                    self.last_time
                );
                return Err(IoError::invalid(&self.path, msg));
            }
            self.last_time = t;
            let p = self.population_of(gid)?;
            self.last_pop = p;
            let pop = &mut self.pops[p];
            pop.buf_t.push(t);
            pop.buf_id.push(u64::from(gid - pop.first_gid));
            if pop.buf_t.len() >= BUFFER_SPIKES {
                pop.write_buffer(&self.path)?;
            }
        }
        self.total += spikes.len() as u64;
        Ok(())
    }

    /// Writes all buffers and flushes the file (H5Fflush): a crash after this leaves
    /// every spike appended so far readable.
    pub fn flush(&mut self) -> Result<(), IoError> {
        for pop in &mut self.pops {
            pop.write_buffer(&self.path)?;
        }
        self.file.flush().ctx(&self.path, "flushing file")
    }

    /// Final write; sets root attribute `finished` = 1 and closes the file. Returns the
    /// total number of spikes written.
    pub fn finish(mut self) -> Result<u64, IoError> {
        self.flush()?;
        set_finished(&self.file, &self.path)?;
        self.file.flush().ctx(&self.path, "flushing file")?;
        let SpikeWriter {
            path,
            file,
            pops,
            total,
            ..
        } = self;
        drop(pops);
        file.close().ctx(&path, "closing file")?;
        Ok(total)
    }
}

/// Helpers shared by the io/ tests.
#[cfg(test)]
pub(crate) mod test_util {
    use std::path::PathBuf;
    use std::sync::atomic::{AtomicU64, Ordering};

    /// A fresh, empty directory under the system temp dir.
    pub(crate) fn test_dir(name: &str) -> PathBuf {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir = std::env::temp_dir().join(format!(
            "brainsim-io-{name}-{}-{n}-{nanos}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("creating test dir");
        dir
    }

    /// For crash-test children (spawned by a test of this binary): closes `.h5` files
    /// inherited from the parent — a parent thread may have been inside H5Fcreate,
    /// before `set_cloexec`, when the child was forked; the inherited descriptor would
    /// hold the file's lock for the child's lifetime.
    pub(crate) fn close_inherited_h5_fds() {
        let Ok(dir) = std::fs::read_dir("/proc/self/fd") else {
            return;
        };
        let fds: Vec<i32> = dir
            .filter_map(|e| {
                let e = e.ok()?;
                let fd: i32 = e.file_name().to_str()?.parse().ok()?;
                let target = std::fs::read_link(e.path()).ok()?;
                (fd > 2 && target.extension().is_some_and(|x| x == "h5")).then_some(fd)
            })
            .collect();
        for fd in fds {
            // SAFETY: closes a descriptor inherited across exec that nothing in this
            // process uses (the child has not opened any HDF5 file yet).
            unsafe { libc::close(fd) };
        }
    }

    /// Deterministic spike trains: `n` spikes sorted by (time, gid) over gids `0..n_gids`.
    pub(crate) fn synthetic_spikes(n: usize, n_gids: u32) -> Vec<(f64, u32)> {
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut t = 0.0;
        let mut out = Vec::with_capacity(n);
        while out.len() < n {
            t += 0.1;
            let k = (next() % 8) as usize;
            let mut gids: Vec<u32> = (0..k)
                .map(|_| (next() % u64::from(n_gids)) as u32)
                .collect();
            gids.sort_unstable();
            gids.dedup();
            out.extend(gids.into_iter().map(|g| (t, g)).take(n - out.len()));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::test_util::{synthetic_spikes, test_dir};
    use super::*;
    use hdf5::types::{IntSize, TypeDescriptor};

    const POPS: [(&str, u32, u32); 3] = [("exc", 0, 800), ("inh", 800, 200), ("ext", 1000, 50)];

    fn pops() -> Vec<(String, u32, u32)> {
        POPS.iter()
            .map(|(n, f, s)| (n.to_string(), *f, *s))
            .collect()
    }

    /// Expected (timestamps, node_ids) of one population.
    fn expected(spikes: &[(f64, u32)], first: u32, size: u32) -> (Vec<f64>, Vec<u64>) {
        spikes
            .iter()
            .filter(|(_, g)| *g >= first && *g < first + size)
            .map(|&(t, g)| (t, u64::from(g - first)))
            .unzip()
    }

    fn read_pop(file: &File, name: &str) -> (Vec<f64>, Vec<u64>) {
        let g = file.group(&format!("spikes/{name}")).unwrap();
        let t = g.dataset("timestamps").unwrap().read_raw::<f64>().unwrap();
        let id = g.dataset("node_ids").unwrap().read_raw::<u64>().unwrap();
        (t, id)
    }

    #[test]
    fn round_trip_many_spikes_with_attributes() {
        let dir = test_dir("spikes-roundtrip");
        let path = dir.join("spikes.h5");
        let spikes = synthetic_spikes(300_000, 1050);
        let mut w = SpikeWriter::create(&path, &pops()).unwrap();
        // Uneven batches, with a flush in the middle (non-chunk-aligned appends).
        let mut rest = &spikes[..];
        for (i, batch) in [1usize, 7, 1000, 65_535, 65_537, 3]
            .iter()
            .cycle()
            .enumerate()
        {
            let n = (*batch).min(rest.len());
            w.append(&rest[..n]).unwrap();
            rest = &rest[n..];
            if i == 3 {
                w.flush().unwrap();
            }
            if rest.is_empty() {
                break;
            }
        }
        assert_eq!(w.finish().unwrap(), spikes.len() as u64);

        let file = open_input_file(&path).unwrap();
        assert_eq!(
            file.attr("magic").unwrap().read_scalar::<u32>().unwrap(),
            0x0A7A
        );
        assert!(file.attr("magic").unwrap().dtype().unwrap().is::<u32>());
        assert_eq!(
            file.attr("version").unwrap().read_raw::<u32>().unwrap(),
            vec![0, 1]
        );
        assert!(file.attr("version").unwrap().dtype().unwrap().is::<u32>());
        assert_eq!(
            file.attr("finished").unwrap().read_scalar::<u8>().unwrap(),
            1
        );
        assert!(file.attr("finished").unwrap().dtype().unwrap().is::<u8>());
        let mut names = file.group("spikes").unwrap().member_names().unwrap();
        names.sort();
        assert_eq!(names, ["exc", "ext", "inh"]);

        let mut total = 0;
        for (name, first, size) in POPS {
            let (t, id) = read_pop(&file, name);
            let (et, eid) = expected(&spikes, first, size);
            assert!(et.len() > 1000, "{name}: test data too small");
            assert_eq!(t, et, "{name}: timestamps");
            assert_eq!(id, eid, "{name}: node_ids");
            total += t.len();

            let g = file.group(&format!("spikes/{name}")).unwrap();
            let sorting = g.attr("sorting").unwrap();
            match sorting.dtype().unwrap().to_descriptor().unwrap() {
                TypeDescriptor::Enum(e) => {
                    assert_eq!(e.size, IntSize::U1);
                    assert!(!e.signed);
                    let m: Vec<(String, u64)> = e
                        .members
                        .iter()
                        .map(|m| (m.name.clone(), m.value))
                        .collect();
                    let want = [("none", 0), ("by_id", 1), ("by_time", 2)];
                    assert_eq!(m, want.map(|(n, v)| (n.to_string(), v)));
                }
                other => panic!("sorting is {other:?}, not an enum"),
            }
            assert_eq!(sorting.read_scalar::<Sorting>().unwrap(), Sorting::ByTime);
            assert_eq!(sorting.read_scalar::<u8>().unwrap(), 2);
            let n_nodes = g.attr("n_nodes").unwrap();
            assert!(n_nodes.dtype().unwrap().is::<u64>());
            assert_eq!(n_nodes.read_scalar::<u64>().unwrap(), u64::from(size));
            let ts = g.dataset("timestamps").unwrap();
            assert!(ts.dtype().unwrap().is::<f64>());
            assert!(g.dataset("node_ids").unwrap().dtype().unwrap().is::<u64>());
            let units = ts.attr("units").unwrap();
            assert_eq!(
                units.dtype().unwrap().to_descriptor().unwrap(),
                TypeDescriptor::VarLenUnicode
            );
            assert_eq!(units.read_scalar::<VarLenUnicode>().unwrap().as_str(), "ms");
        }
        assert_eq!(total, spikes.len());
        drop(file);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn rejects_bad_input() {
        let dir = test_dir("spikes-bad");
        let path = dir.join("spikes.h5");
        let overlap = vec![("a".to_string(), 0, 10), ("b".to_string(), 5, 10)];
        let err = SpikeWriter::create(&path, &overlap)
            .err()
            .expect("overlap accepted");
        assert!(err.to_string().contains("overlap"), "{err}");
        let dup = vec![("a".to_string(), 0, 10), ("a".to_string(), 10, 10)];
        assert!(SpikeWriter::create(&path, &dup).is_err());

        let mut w = SpikeWriter::create(&path, &pops()).unwrap();
        let err = w.append(&[(1.0, 5000)]).unwrap_err();
        assert!(err.to_string().contains("gid 5000"), "{err}");
        assert!(err.to_string().contains("spikes.h5"), "{err}");
        drop(w);
        let mut w = SpikeWriter::create(&path, &pops()).unwrap();
        w.append(&[(2.0, 1), (2.0, 0)]).unwrap(); // same time: order within a step is free
        assert!(w.append(&[(1.5, 3)]).is_err());
        drop(w);
        let mut w = SpikeWriter::create(&path, &pops()).unwrap();
        assert!(w.append(&[(f64::NAN, 3)]).is_err());
        drop(w);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn drop_without_finish_keeps_flushed_spikes() {
        let dir = test_dir("spikes-drop");
        let path = dir.join("spikes.h5");
        let spikes = synthetic_spikes(100_000, 1050);
        let mut w = SpikeWriter::create(&path, &pops()).unwrap();
        w.append(&spikes[..70_000]).unwrap();
        w.flush().unwrap();
        w.append(&spikes[70_000..]).unwrap(); // stays (partly) in the buffers
        drop(w);

        let file = open_input_file(&path).unwrap();
        assert_eq!(
            file.attr("finished").unwrap().read_scalar::<u8>().unwrap(),
            0
        );
        for (name, first, size) in POPS {
            let (t, id) = read_pop(&file, name);
            let (et, eid) = expected(&spikes[..70_000], first, size);
            assert!(t.len() >= et.len());
            assert_eq!(t[..et.len()], et[..], "{name}");
            assert_eq!(id[..eid.len()], eid[..], "{name}");
        }
        drop(file);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    const CRASH_ENV: &str = "BRAINSIM_IO_CRASH_CHILD";

    /// Child: writes, flushes, keeps writing (crossing a buffer boundary without a
    /// flush), then aborts. Parent: the flushed spikes must be readable.
    #[test]
    fn crash_after_flush_keeps_flushed_spikes() {
        let spikes = synthetic_spikes(250_000, 1050);
        if let Ok(path) = std::env::var(CRASH_ENV) {
            super::test_util::close_inherited_h5_fds();
            let mut w = SpikeWriter::create(Path::new(&path), &pops()).unwrap();
            w.append(&spikes[..100_000]).unwrap();
            w.flush().unwrap();
            w.append(&spikes[100_000..]).unwrap();
            std::process::abort();
        }
        let dir = test_dir("spikes-crash");
        let path = dir.join("spikes.h5");
        let status = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "sonata_spikes::tests::crash_after_flush_keeps_flushed_spikes",
            ])
            .args(["--test-threads=1", "--nocapture"])
            .env(CRASH_ENV, &path)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(!status.success(), "child did not crash");

        let file = open_input_file(&path).unwrap();
        assert_eq!(
            file.attr("finished").unwrap().read_scalar::<u8>().unwrap(),
            0
        );
        for (name, first, size) in POPS {
            let (t, id) = read_pop(&file, name);
            assert_eq!(t.len(), id.len(), "{name}: dataset lengths differ");
            let (et, eid) = expected(&spikes[..100_000], first, size);
            assert_eq!(t, et, "{name}: not the state at the flush");
            assert_eq!(id, eid, "{name}");
        }
        drop(file);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn append_ten_million_spikes_fast() {
        let dir = test_dir("spikes-perf");
        let path = dir.join("spikes.h5");
        let spikes: Vec<(f64, u32)> = (0..10_000_000u64)
            .map(|i| ((i / 1000) as f64 * 0.1, (i * 7919 % 100_000) as u32))
            .collect();
        let pops = vec![
            ("exc".to_string(), 0, 80_000),
            ("inh".to_string(), 80_000, 20_000),
        ];
        let start = std::time::Instant::now();
        let mut w = SpikeWriter::create(&path, &pops).unwrap();
        for batch in spikes.chunks(1000) {
            w.append(batch).unwrap();
        }
        assert_eq!(w.finish().unwrap(), 10_000_000);
        let elapsed = start.elapsed();
        eprintln!("10 M spikes appended + finished in {elapsed:?}");
        assert!(elapsed.as_secs_f64() < 5.0, "too slow: {elapsed:?}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
#[cfg(test)]
mod cloexec_probe {
    #[test]
    fn probe() {
        let dir = super::test_util::test_dir("probe");
        let p = dir.join("x.h5");
        let f = super::create_output_file(&p).unwrap();
        for e in std::fs::read_dir("/proc/self/fd").unwrap().flatten() {
            if std::fs::read_link(e.path()).ok().as_deref() == Some(p.as_path()) {
                let info = std::fs::read_to_string(format!(
                    "/proc/self/fdinfo/{}",
                    e.file_name().to_str().unwrap()
                ))
                .unwrap();
                eprintln!("fd {:?}: {}", e.file_name(), info.lines().nth(1).unwrap());
            }
        }
        drop(f);
    }
}
