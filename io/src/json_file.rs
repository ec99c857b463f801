//! Small JSON records in the output directory (`job.json`,
//! `progress.json`): written to a temporary name and renamed, so a reader
//! never sees half a file; read back as `None` when absent, or an error
//! naming the file.

use std::fs;
use std::io;
use std::path::Path;

use serde::de::DeserializeOwned;
use serde::Serialize;

/// Writes `value` as pretty JSON to `dir/name` through `dir/.name.tmp`.
pub fn write<T: Serialize>(value: &T, dir: &Path, name: &str) -> io::Result<()> {
    let text = serde_json::to_string_pretty(value).map_err(io::Error::other)? + "\n";
    let tmp = dir.join(format!(".{name}.tmp"));
    fs::write(&tmp, text).and_then(|_| fs::rename(&tmp, dir.join(name)))
}

/// Reads `dir/name`: `Ok(None)` when there is none, an error naming the
/// file when it cannot be read or parsed.
pub fn read<T: DeserializeOwned>(dir: &Path, name: &str) -> Result<Option<T>, String> {
    let path = dir.join(name);
    match fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| format!("{}: {e}", path.display())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}
