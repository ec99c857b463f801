//! Why a checkpoint file cannot be used: `CheckpointFileError`, one line
//! naming the file and what is wrong, with a kind a caller can match on.
//! HDF5's error stacks are sorted into those kinds here (a failed checksum,
//! a file shorter than its superblock says, not HDF5 at all), so the user
//! reads "checksum mismatch" rather than HDF5's innermost frame.

use std::fmt;
use std::path::{Path, PathBuf};

/// What is wrong with a checkpoint file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// No such file, or no such directory.
    Missing,
    /// The file is shorter than HDF5's superblock says: cut off.
    Truncated,
    /// A checksum does not match (a flipped bit), or not an HDF5 file.
    Corrupt,
    /// Not a brainsim checkpoint, or a format version this brainsim does
    /// not read.
    UnsupportedFormat,
    /// A group, dataset or attribute the format requires is absent.
    MissingData,
    /// Readable, but the contents contradict each other (shapes, counts,
    /// gids, the step) or the network's key.
    Inconsistent,
    /// The filesystem refused (permissions, listing a directory).
    Io,
}

/// A checkpoint file that cannot be used; displayed as `FILE: what`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckpointFileError {
    /// The file (or the directory, for `latest_valid`).
    pub path: PathBuf,
    /// What kind of problem.
    pub kind: ErrorKind,
    /// What is wrong, one line without the path.
    pub message: String,
}

impl CheckpointFileError {
    /// An error of `kind` about `path`.
    pub fn new(path: &Path, kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            path: path.to_path_buf(),
            kind,
            message: message.into(),
        }
    }

    /// A failed HDF5 call `what` (where: "in dataset /chunks/000003/ring"),
    /// sorted by the frames of HDF5's error stack.
    pub(super) fn hdf5(path: &Path, what: &str, e: &hdf5::Error) -> Self {
        let frames = frames(e);
        let has = |needle: &str| frames.iter().find(|f| f.to_lowercase().contains(needle));
        if let Some(f) = has("truncated file") {
            Self::new(path, ErrorKind::Truncated, f.clone())
        } else if has("checksum").is_some() {
            let m = format!("corrupt data: checksum mismatch {what}");
            Self::new(path, ErrorKind::Corrupt, m)
        } else if has("file signature not found").is_some() {
            Self::new(path, ErrorKind::Corrupt, "not an HDF5 file")
        } else {
            let m = format!("cannot read ({what}): HDF5 error: {e}");
            Self::new(path, ErrorKind::Corrupt, m)
        }
    }

    /// A failed filesystem call while `what`.
    pub(super) fn fs(path: &Path, what: &str, e: &std::io::Error) -> Self {
        let kind = if e.kind() == std::io::ErrorKind::NotFound {
            ErrorKind::Missing
        } else {
            ErrorKind::Io
        };
        Self::new(path, kind, format!("{what}: {e}"))
    }
}

/// The descriptions of every frame of an HDF5 error, outermost first.
fn frames(e: &hdf5::Error) -> Vec<String> {
    match e {
        hdf5::Error::HDF5(stack) => stack
            .clone()
            .expand()
            .map(|s| s.iter().map(|f| f.desc().to_string()).collect())
            .unwrap_or_default(),
        hdf5::Error::Internal(text) => vec![text.clone()],
    }
}

impl fmt::Display for CheckpointFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.message)
    }
}

impl std::error::Error for CheckpointFileError {}

/// Attaches the file and the attempted operation to an HDF5 result.
pub(super) trait ReadContext<T> {
    fn at(self, path: &Path, what: impl FnOnce() -> String) -> Result<T, CheckpointFileError>;
}

impl<T> ReadContext<T> for Result<T, hdf5::Error> {
    fn at(self, path: &Path, what: impl FnOnce() -> String) -> Result<T, CheckpointFileError> {
        self.map_err(|e| CheckpointFileError::hdf5(path, &what(), &e))
    }
}
