//! Models from Nengo: reads a file written by `scripts/nengo_export.py`
//! (format `brainsim-nengo`, versions 1 and 2; every group, dataset and attribute
//! in README.md, "Models from Nengo") into a `brainsim_sim::nef::Built`
//! through `Built::prebuilt`: Nengo's own build (encoders, gains, biases,
//! initial voltages, weight matrices, filter coefficients), nothing solved
//! again. `read` returns it with the run length the file was exported for.
//!
//! How the file's parts become the runner's (`parts`): a connection's
//! weights are widened to its source's full output and its target's full
//! input, the columns and rows its `pre_slice` and `post_slice` name and
//! zeros elsewhere (adding a zero leaves every sum's bits as they were); a
//! node's table becomes a piecewise output starting at t = n dt (n = 1 ..),
//! the very doubles Nengo's clock computes, so step n reads row n - 1
//! (after the table the last row holds); a passthrough node (version 2,
//! `kind = "passthrough"`; version 1 has only tables) becomes
//! `NodeOutput::Passthrough` and connections into it `Post::Node`, whose
//! paths `Built::prebuilt` folds into direct connections; a Lowpass keeps Nengo's
//! coefficients a and b as written, not recomputed from tau (Nengo's
//! discretisation differs from exp(-dt/tau) in the last bit for some tau).
//!
//! Errors: one line, `FILE: /GROUP/NAME: what is wrong` (a wrong format or
//! version, a missing group, dataset or attribute, a wrong type or shape,
//! an index out of range, a part the runner does not support).

mod parts;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use brainsim_sim::nef::Built;
use hdf5::types::{VarLenAscii, VarLenUnicode};
use hdf5::{Dataset, Group, Location};

use crate::sonata_spikes::open_input_file;

/// The format name in the root attribute `format`.
pub const FORMAT: &str = "brainsim-nengo";
/// The newest version this reader reads (root attribute `version`); it
/// reads every version from 1 on (2 added passthrough nodes).
pub const VERSION: i64 = 2;

/// Why a file cannot be read: the file, where in it, and what is wrong.
#[derive(Clone, Debug, PartialEq)]
pub struct NengoFileError {
    /// The file.
    pub path: PathBuf,
    /// The group, dataset or attribute, e.g. `/connections/2/weights`.
    pub at: String,
    /// What is wrong.
    pub what: String,
}

impl std::fmt::Display for NengoFileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}: {}", self.path.display(), self.at, self.what)
    }
}

impl std::error::Error for NengoFileError {}

/// The model in `path` as built by Nengo, and the run length (s) it was
/// exported for (root attribute `t_stop`).
pub fn read(path: &Path) -> Result<(Built, f64), NengoFileError> {
    let file = open_input_file(path).map_err(|e| NengoFileError {
        path: path.to_path_buf(),
        at: "/".into(),
        what: format!("cannot open as HDF5 ({e})"),
    })?;
    let r = Reader { path };
    let root: &Group = &file;
    let format = r.attr_str(root, "format")?;
    if format != FORMAT {
        return Err(r.err(
            root,
            "format",
            format!("is `{format}`, expected `{FORMAT}`"),
        ));
    }
    let version = r.attr_i64(root, "version")?;
    if !(1..=VERSION).contains(&version) {
        return Err(r.err(
            root,
            "version",
            format!("is {version}, this reader reads versions 1 to {VERSION}"),
        ));
    }
    let dt = r.attr_f64(root, "dt")?;
    let t_stop = r.attr_f64(root, "t_stop")?;
    if !(dt > 0.0 && dt.is_finite()) {
        return Err(r.err(root, "dt", format!("is {dt}, must be > 0 (s)")));
    }
    if !(t_stop >= 0.0 && t_stop.is_finite()) {
        return Err(r.err(root, "t_stop", format!("is {t_stop}, must be >= 0 (s)")));
    }
    let built = parts::read_parts(&r, root, dt, version)?;
    Ok((built, t_stop))
}

/// Reads typed values out of one file, with errors naming where.
pub(crate) struct Reader<'a> {
    pub(crate) path: &'a Path,
}

impl Reader<'_> {
    /// An error at `loc`'s member or attribute `name`.
    pub(crate) fn err(
        &self,
        loc: &Location,
        name: &str,
        what: impl Into<String>,
    ) -> NengoFileError {
        let base = loc.name();
        let at = match (base.as_str(), name) {
            (b, "") => b.to_string(),
            ("/", n) => format!("/{n}"),
            (b, n) => format!("{b}/{n}"),
        };
        NengoFileError {
            path: self.path.to_path_buf(),
            at,
            what: what.into(),
        }
    }

    /// The member group `name` of `g`.
    pub(crate) fn group(&self, g: &Group, name: &str) -> Result<Group, NengoFileError> {
        g.group(name)
            .map_err(|_| self.err(g, name, "missing group"))
    }

    /// A scalar string attribute.
    pub(crate) fn attr_str(&self, loc: &Location, name: &str) -> Result<String, NengoFileError> {
        let a = loc
            .attr(name)
            .map_err(|_| self.err(loc, name, "missing attribute"))?;
        if let Ok(s) = a.read_scalar::<VarLenUnicode>() {
            return Ok(s.as_str().to_string());
        }
        a.read_scalar::<VarLenAscii>()
            .map(|s| s.as_str().to_string())
            .map_err(|_| self.err(loc, name, "must be a string"))
    }

    /// A scalar float attribute.
    pub(crate) fn attr_f64(&self, loc: &Location, name: &str) -> Result<f64, NengoFileError> {
        let a = loc
            .attr(name)
            .map_err(|_| self.err(loc, name, "missing attribute"))?;
        match a.dtype().map(|t| t.is::<f64>()) {
            Ok(true) => a.read_scalar::<f64>().ok(),
            _ => None,
        }
        .ok_or_else(|| self.err(loc, name, "must be a scalar float64"))
    }

    /// A scalar integer attribute.
    pub(crate) fn attr_i64(&self, loc: &Location, name: &str) -> Result<i64, NengoFileError> {
        let a = loc
            .attr(name)
            .map_err(|_| self.err(loc, name, "missing attribute"))?;
        match a.dtype().map(|t| t.is::<i64>()) {
            Ok(true) => a.read_scalar::<i64>().ok(),
            _ => None,
        }
        .ok_or_else(|| self.err(loc, name, "must be a scalar int64"))
    }

    /// An index attribute (a non-negative int64).
    pub(crate) fn attr_index(&self, loc: &Location, name: &str) -> Result<usize, NengoFileError> {
        let v = self.attr_i64(loc, name)?;
        usize::try_from(v).map_err(|_| self.err(loc, name, format!("is {v}, must be >= 0")))
    }

    fn dataset(&self, g: &Group, name: &str) -> Result<Dataset, NengoFileError> {
        g.dataset(name)
            .map_err(|_| self.err(g, name, "missing dataset"))
    }

    /// A float64 dataset of `rank` dimensions: its shape and its values in
    /// row-major order; every value finite.
    pub(crate) fn floats(
        &self,
        g: &Group,
        name: &str,
        rank: usize,
    ) -> Result<(Vec<usize>, Vec<f64>), NengoFileError> {
        let ds = self.dataset(g, name)?;
        let shape = ds.shape();
        if shape.len() != rank {
            return Err(self.err(
                g,
                name,
                format!("has shape {shape:?}, expected {rank} dimensions"),
            ));
        }
        let ok = ds.dtype().map(|t| t.is::<f64>()).unwrap_or(false);
        let v = ok
            .then(|| ds.read_raw::<f64>().ok())
            .flatten()
            .ok_or_else(|| self.err(g, name, "must be float64"))?;
        if let Some(x) = v.iter().find(|x| !x.is_finite()) {
            return Err(self.err(g, name, format!("holds {x}: values must be finite")));
        }
        Ok((shape, v))
    }

    /// A float64 vector of `n` values.
    pub(crate) fn vector(
        &self,
        g: &Group,
        name: &str,
        n: usize,
    ) -> Result<Vec<f64>, NengoFileError> {
        let (shape, v) = self.floats(g, name, 1)?;
        if shape[0] != n {
            return Err(self.err(g, name, format!("has {} values, expected {n}", shape[0])));
        }
        Ok(v)
    }

    /// An int64 vector of distinct indices below `bound`.
    pub(crate) fn indices(
        &self,
        g: &Group,
        name: &str,
        bound: usize,
    ) -> Result<Vec<usize>, NengoFileError> {
        let ds = self.dataset(g, name)?;
        let ok = ds.ndim() == 1 && ds.dtype().map(|t| t.is::<i64>()).unwrap_or(false);
        let v = ok
            .then(|| ds.read_raw::<i64>().ok())
            .flatten()
            .ok_or_else(|| self.err(g, name, "must be a vector of int64"))?;
        let mut seen = vec![false; bound];
        let mut out = Vec::with_capacity(v.len());
        for i in v {
            match usize::try_from(i).ok().filter(|&i| i < bound) {
                Some(i) if !seen[i] => {
                    seen[i] = true;
                    out.push(i);
                }
                Some(_) => return Err(self.err(g, name, format!("index {i} repeated"))),
                None => {
                    return Err(self.err(g, name, format!("index {i} out of 0..{bound}")));
                }
            }
        }
        if out.is_empty() {
            return Err(self.err(g, name, "is empty"));
        }
        Ok(out)
    }
}
