//! SONATA spike output: the streaming `SpikeWriter` for `spikes.h5`, plus the pieces
//! every io/ HDF5 module shares — the `IoError` type (file + what failed), the
//! `sorting` enum as libsonata reads it, and the root attributes (`magic`, `version`,
//! `finished`).
//!
//! Layout written (libsonata-readable): root attributes `magic` = uint32 0x0A7A,
//! `version` = uint32 `[2]` = (0, 1), `finished` = uint8 (0 while running, 1 after
//! `finish`); per population a group `/spikes/<pop>` with attributes `sorting`
//! (HDF5 enum over u8 {none, by_id, by_time}, always by_time here) and `n_nodes`
//! (uint64, our extension), datasets `timestamps` float64 `[N]` (attribute `units` =
//! "ms") and `node_ids` uint64 `[N]` (0-based within the population). Both datasets are
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
        /// The file.
        path: PathBuf,
        /// The operation, e.g. "creating dataset /spikes/exc/timestamps".
        what: String,
        /// HDF5's error.
        source: hdf5::Error,
    },
    /// A filesystem operation failed.
    Fs {
        /// The file.
        path: PathBuf,
        /// The operation, e.g. "creating PNG file".
        what: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// PNG encoding failed.
    Png {
        /// The PNG file.
        path: PathBuf,
        /// The encoder's error.
        source: png::EncodingError,
    },
    /// The file's content, or the caller's input, is not what the operation needs.
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        what: String,
    },
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
    /// No order.
    #[hdf5(rename = "none")]
    None = 0,
    /// Sorted by node id.
    #[hdf5(rename = "by_id")]
    ById = 1,
    /// Sorted by timestamp (what `SpikeWriter` writes).
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
    let mdc = flush_only_cache();
    #[cfg(test)]
    let _no_spawn = test_util::no_spawn();
    let file = File::with_options()
        .with_fapl(|p| p.mdc_config(&mdc))
        .create(path)
        .ctx(path, "creating file")?;
    set_cloexec(&file, path)?;
    Ok(file)
}

/// The metadata cache of an output file: no evictions and no automatic
/// resizing, so HDF5 metadata reaches the disk only at a flush (the
/// flushing contract, io/DESIGN.md).
fn flush_only_cache() -> MetadataCacheConfig {
    MetadataCacheConfig {
        evictions_enabled: false,
        incr_mode: CacheIncreaseMode::Off,
        flash_incr_mode: FlashIncreaseMode::Off,
        decr_mode: CacheDecreaseMode::Off,
        ..MetadataCacheConfig::default()
    }
}

/// Opens an existing output file for writing, with the metadata cache of
/// `create_output_file` (the flushing contract holds for what is appended).
pub(crate) fn open_output_file(path: &Path) -> Result<File, IoError> {
    let mdc = flush_only_cache();
    #[cfg(test)]
    let _no_spawn = test_util::no_spawn();
    let file = File::with_options()
        .with_fapl(|p| p.mdc_config(&mdc))
        .open_rw(path)
        .ctx(path, "opening file for writing")?;
    set_cloexec(&file, path)?;
    Ok(file)
}

/// Sets the root attribute `finished` back to 0 (a file appended to again).
pub(crate) fn set_unfinished(file: &File, path: &Path) -> Result<(), IoError> {
    file.attr("finished")
        .and_then(|a| a.write_scalar(&0u8))
        .ctx(path, "setting attribute /finished")
}

/// Opens an HDF5 file read-only (close-on-exec, see `set_cloexec`) without HDF5 file
/// locking (`H5Pset_file_locking`, HDF5 >= 1.10.7): a writer holds its file locked
/// for as long as it is open, and a locking reader would fail ("unable to lock
/// file") on a live run's files. A read-only reader needs no lock: what it sees is
/// bounded by what the writer flushed (`valid_rows`).
pub(crate) fn open_input_file(path: &Path) -> Result<File, IoError> {
    #[cfg(test)]
    let _no_spawn = test_util::no_spawn();
    let file = File::with_options()
        .with_fapl(|p| p.file_locking(false))
        .open(path)
        .ctx(path, "opening file")?;
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
        // SAFETY: fcntl with integer arguments only, on the descriptor of `file`, which
        // the borrow keeps open; it changes only the FD_CLOEXEC flag.
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

/// Overwrites the existing scalar attribute `name` of `loc`.
fn set_scalar_attr<T: hdf5::H5Type>(
    loc: &Location,
    name: &str,
    value: &T,
    path: &Path,
) -> Result<(), IoError> {
    loc.attr(name)
        .and_then(|a| a.write_scalar(value))
        .ctx(path, format!("setting attribute {}/{name}", loc.name()))
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
    /// `/spikes/<name>`, which carries `valid_rows`.
    group: hdf5::Group,
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
    /// `/spikes`, which carries `valid_until_ms`.
    spikes: hdf5::Group,
    /// Sorted by `first_gid`.
    pops: Vec<PopulationOut>,
    /// Every spike up to this time (ms) has been appended (`set_valid_until`).
    valid_until: f64,
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
        write_scalar_attr(&spikes, "valid_until_ms", &0.0f64, path)?;
        let mut pops = Vec::with_capacity(order.len());
        for (name, first_gid, size) in order {
            let g = spikes
                .create_group(name)
                .ctx(path, format!("creating /spikes/{name}"))?;
            write_scalar_attr(&g, "sorting", &Sorting::ByTime, path)?;
            write_scalar_attr(&g, "n_nodes", &u64::from(*size), path)?;
            write_scalar_attr(&g, "valid_rows", &0u64, path)?;
            let timestamps = extendable_1d::<f64>(&g, "timestamps", path)?;
            write_str_attr(&timestamps, "units", "ms", path)?;
            let node_ids = extendable_1d::<u64>(&g, "node_ids", path)?;
            pops.push(PopulationOut {
                name: name.clone(),
                group: g,
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
            spikes,
            pops,
            valid_until: 0.0,
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

    /// Spikes appended so far per population (name, count), written or
    /// buffered, in gid order of the populations.
    pub fn counts(&self) -> Vec<(String, u64)> {
        self.pops
            .iter()
            .map(|p| (p.name.clone(), (p.written + p.buf_t.len()) as u64))
            .collect()
    }

    /// Declares that every spike with time <= `t_ms` has been appended; the
    /// next `flush` records it as `/spikes` attribute `valid_until_ms`.
    pub fn set_valid_until(&mut self, t_ms: f64) {
        self.valid_until = t_ms;
    }

    /// Writes all buffers, records the valid prefix (`valid_rows` of each
    /// population, `valid_until_ms` of `/spikes`) and flushes the file
    /// (H5Fflush): a crash — or a failed write — after this leaves every
    /// spike appended so far readable, and says where the valid data end.
    /// The attributes are written only after the rows they count.
    pub fn flush(&mut self) -> Result<(), IoError> {
        for pop in &mut self.pops {
            pop.write_buffer(&self.path)?;
        }
        self.file.flush().ctx(&self.path, "flushing file")?;
        for pop in &self.pops {
            set_scalar_attr(&pop.group, "valid_rows", &(pop.written as u64), &self.path)?;
        }
        set_scalar_attr(
            &self.spikes,
            "valid_until_ms",
            &self.valid_until,
            &self.path,
        )?;
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
            spikes,
            pops,
            total,
            ..
        } = self;
        drop((pops, spikes));
        file.close().ctx(&path, "closing file")?;
        Ok(total)
    }
}

/// Helpers shared by the io/ tests.
#[cfg(test)]
pub(crate) mod test_util;

#[cfg(test)]
mod tests;
