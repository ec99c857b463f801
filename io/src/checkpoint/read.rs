//! Reading a checkpoint file back, verified: every dataset's Fletcher32
//! checksum (HDF5 checks it on read and fails), the metadata's checksums
//! (1.10 format: HDF5 checks them on open), the string attributes' digest
//! (`text_fnv1a64`: the global heap has no checksum), the format and its
//! version, and the structure — every attribute and dataset present with
//! the shape the key and the counters give, every dataset checksummed, the
//! chunks tiling the network's gids. Any failure is one
//! `CheckpointFileError` naming the file.

use std::collections::BTreeMap;
use std::path::Path;

use brainsim_sim::checkpoint::{ChunkState, ChunkStates, NetworkKey, RingEntries};
use hdf5::types::VarLenUnicode;
use hdf5::{Dataset, File, Group, H5Type, IndexType, IterationOrder, Location};

use super::digest::Digest;
use super::error::{CheckpointFileError, ErrorKind, ReadContext};
use super::layout::FIRST_READ_VERSION;
use super::layout::{
    self, chunk, chunk_name, parse_chunk_name, root, CHUNKS, FORMAT, SPIKES_WRITTEN,
};
use super::mask::positions;
use super::{CheckpointMeta, ChunkLabels, VarLabel, FORMAT_VERSION};
use crate::sonata_spikes::{open_input_file, IoError};

pub(super) type Result<T> = std::result::Result<T, CheckpointFileError>;

/// Reads and verifies the checkpoint at `path`.
pub fn read(path: &Path) -> Result<(ChunkStates, CheckpointMeta)> {
    std::fs::metadata(path).map_err(|e| CheckpointFileError::fs(path, "reading", &e))?;
    let file = open_input_file(path).map_err(|e| match e {
        IoError::Hdf5 { source, .. } => {
            CheckpointFileError::hdf5(path, "in the file's metadata", &source)
        }
        other => CheckpointFileError::new(path, ErrorKind::Io, other.to_string()),
    })?;
    let mut r = Reader {
        path,
        text: Digest::new(),
    };
    r.format(&file)?;
    let brainsim_version = r.text(&file, root::BRAINSIM_VERSION)?;
    let step: u64 = r.attr(&file, root::STEP)?;
    let t_ms: f64 = r.attr(&file, root::T_MS)?;
    let network = r.key(&file)?;
    let config_text = r.text(&file, root::CONFIG)?;
    let config_hash = r.attr(&file, root::CONFIG_HASH)?;
    let spikes_written = r.spikes_written(&file)?;
    let (chunks, labels) = r.chunks(&file, &network)?;
    let digest: u64 = r.attr(&file, root::TEXT_DIGEST)?;
    if digest != r.text.value() {
        return Err(r.error(
            ErrorKind::Corrupt,
            "corrupt data: checksum mismatch in the string attributes (text_fnv1a64)".into(),
        ));
    }
    if t_ms.to_bits() != (step as f64 * network.dt).to_bits() {
        let m = format!("t_ms = {t_ms} is not step {step} x dt {}", network.dt);
        return Err(r.error(ErrorKind::Inconsistent, m));
    }
    let states = ChunkStates {
        step,
        network,
        chunks,
    };
    layout::check_tiling(&states).map_err(|m| r.error(ErrorKind::Inconsistent, m))?;
    let meta = CheckpointMeta {
        brainsim_version,
        config_text,
        config_hash,
        spikes_written,
        chunks: labels,
    };
    Ok((states, meta))
}

/// The file being read and the digest of the strings read so far (in the
/// writer's order, which the reader follows).
pub(super) struct Reader<'a> {
    path: &'a Path,
    text: Digest,
}

/// `loc`'s path joined with `name`.
fn full(loc: &Location, name: &str) -> String {
    let base = loc.name();
    format!("{}/{name}", base.trim_end_matches('/'))
}

impl Reader<'_> {
    /// The file's path.
    pub(super) fn path(&self) -> &Path {
        self.path
    }

    pub(super) fn error(&self, kind: ErrorKind, message: String) -> CheckpointFileError {
        CheckpointFileError::new(self.path, kind, message)
    }

    /// The scalar attribute `name` of `loc`.
    pub(super) fn attr<T: H5Type>(&self, loc: &Location, name: &str) -> Result<T> {
        let names = loc
            .attr_names()
            .at(self.path, || format!("in the attributes of {}", loc.name()))?;
        if !names.iter().any(|n| n == name) {
            let m = format!("missing attribute {}", full(loc, name));
            return Err(self.error(ErrorKind::MissingData, m));
        }
        loc.attr(name)
            .and_then(|a| a.read_scalar::<T>())
            .at(self.path, || format!("in attribute {}", full(loc, name)))
    }

    /// The string attribute `name` of `loc`, added to the digest.
    fn text(&mut self, loc: &Location, name: &str) -> Result<String> {
        let value = self.attr::<VarLenUnicode>(loc, name)?.as_str().to_string();
        self.text.add(&value);
        Ok(value)
    }

    /// The format name and version: a brainsim checkpoint of this version.
    fn format(&mut self, file: &File) -> Result<()> {
        let path = self.path;
        let not_ours = |what: String| {
            let m = format!("not a brainsim checkpoint ({what})");
            Err(CheckpointFileError::new(
                path,
                ErrorKind::UnsupportedFormat,
                m,
            ))
        };
        let names = file
            .attr_names()
            .at(path, || "in the attributes of /".into())?;
        if !names.iter().any(|n| n == root::FORMAT) {
            return not_ours("no attribute format".into());
        }
        let format = self.text(file, root::FORMAT)?;
        if format != FORMAT {
            return not_ours(format!("format = {format:?}"));
        }
        let version: u32 = self.attr(file, root::FORMAT_VERSION)?;
        if !(FIRST_READ_VERSION..=FORMAT_VERSION).contains(&version) {
            let m = format!(
                "unsupported format version {version} (this brainsim reads versions \
                 {FIRST_READ_VERSION} to {FORMAT_VERSION})"
            );
            return Err(self.error(ErrorKind::UnsupportedFormat, m));
        }
        Ok(())
    }

    /// The network's key.
    fn key(&self, file: &File) -> Result<NetworkKey> {
        Ok(NetworkKey {
            seed: self.attr(file, root::SEED)?,
            chunk_size: self.attr(file, root::CHUNK_SIZE)?,
            dt: self.attr(file, root::DT_MS)?,
            n_neurons: self.attr(file, root::N_NEURONS)?,
            n_chunks: self.attr(file, root::N_CHUNKS)?,
            ring_horizon: self.attr(file, root::RING_HORIZON)?,
            fingerprint: self.attr(file, root::FINGERPRINT)?,
        })
    }

    /// The group `name` of `g`.
    pub(super) fn group(&self, g: &Group, name: &str) -> Result<Group> {
        if !g.link_exists(name) {
            let m = format!("missing group {}", full(g, name));
            return Err(self.error(ErrorKind::MissingData, m));
        }
        g.group(name)
            .at(self.path, || format!("in group {}", full(g, name)))
    }

    /// `/spikes_written`: an attribute per population.
    fn spikes_written(&self, file: &File) -> Result<BTreeMap<String, u64>> {
        let g = self.group(file, SPIKES_WRITTEN)?;
        let names = g
            .attr_names()
            .at(self.path, || format!("in the attributes of {}", g.name()))?;
        names
            .into_iter()
            .map(|n| Ok((n.clone(), self.attr(&g, &n)?)))
            .collect()
    }

    /// Every chunk group, by index, with its labels.
    fn chunks(
        &mut self,
        file: &File,
        key: &NetworkKey,
    ) -> Result<(Vec<ChunkState>, Vec<ChunkLabels>)> {
        let g = self.group(file, CHUNKS)?;
        let names = g
            .member_names()
            .at(self.path, || "in group /chunks".into())?;
        let mut indexes = Vec::with_capacity(names.len());
        for name in &names {
            let Some(i) = parse_chunk_name(name) else {
                let m = format!("unexpected member /chunks/{name}");
                return Err(self.error(ErrorKind::Inconsistent, m));
            };
            indexes.push(i);
        }
        indexes.sort_unstable();
        let missing: Vec<u64> = (0..key.n_chunks)
            .filter(|i| indexes.binary_search(i).is_err())
            .collect();
        if !missing.is_empty() {
            let m = format!("missing chunks {missing:?} (of {})", key.n_chunks);
            return Err(self.error(ErrorKind::MissingData, m));
        }
        let mut out = (Vec::new(), Vec::new());
        for index in indexes {
            let (state, labels) = self.chunk(&g, index, key.ring_horizon)?;
            out.0.push(state);
            out.1.push(labels);
        }
        Ok(out)
    }

    /// One chunk group.
    fn chunk(
        &mut self,
        chunks: &Group,
        index: u64,
        horizon: u64,
    ) -> Result<(ChunkState, ChunkLabels)> {
        let g = self.group(chunks, &chunk_name(index))?;
        let population = self.text(&g, chunk::POPULATION)?;
        let mut c = ChunkState {
            index,
            first_gid: self.attr(&g, chunk::FIRST_GID)?,
            len: self.attr(&g, chunk::N_NEURONS)?,
            n_vars: 0,
            state: Vec::new(),
            lanes: self.attr(&g, chunk::LANES)?,
            fixed_scale: self.attr(&g, chunk::FIXED_SCALE)?,
            ring: RingEntries::default(),
            events: self.attr(&g, chunk::EVENTS)?,
            spikes: self.attr(&g, chunk::SPIKES)?,
            plastic: Default::default(),
        };
        let len = c.len as usize;
        let state = self.group(&g, chunk::STATE)?;
        let names = state
            .member_names_by(IndexType::CreationOrder, IterationOrder::Increasing)
            .at(self.path, || format!("in group {}", state.name()))?;
        let mut variables = Vec::with_capacity(names.len());
        for name in names {
            let d = self.dataset(&state, &name, &[len])?;
            c.state.extend(self.values::<f64>(&d)?);
            variables.push(self.var_label(&d, name)?);
        }
        c.n_vars = variables.len() as u32;
        c.ring = self.ring(&g, c.ring_len(horizon))?;
        c.plastic = self.plastic(&g, len)?;
        Ok((
            c,
            ChunkLabels {
                population,
                variables,
            },
        ))
    }

    /// The non-zero ring entries of the chunk group `g`, checked to be
    /// those of a ring of `len` entries.
    fn ring(&self, g: &Group, len: u64) -> Result<RingEntries> {
        let inconsistent = |what: String| {
            let m = format!("{}: ring entries: {what}", g.name());
            self.error(ErrorKind::Inconsistent, m)
        };
        let entries: u64 = self.attr(g, chunk::RING_ENTRIES)?;
        if entries > len {
            return Err(inconsistent(format!("{entries} of a ring of {len}")));
        }
        let mask = self.dataset(g, chunk::RING_MASK, &[len.div_ceil(8) as usize])?;
        let value = self.dataset(g, chunk::RING_VALUE, &[entries as usize])?;
        let ring = RingEntries {
            index: positions(&self.values(&mask)?, len).map_err(inconsistent)?,
            value: self.values(&value)?,
        };
        if ring.len() as u64 != entries {
            let set = ring.len();
            return Err(inconsistent(format!(
                "{set} marked in {}, {entries} in {}",
                chunk::RING_MASK,
                chunk::RING_ENTRIES
            )));
        }
        ring.check(len).map_err(inconsistent)?;
        Ok(ring)
    }

    /// The label of the state variable `name`, whose dataset is `d`.
    fn var_label(&mut self, d: &Dataset, name: String) -> Result<VarLabel> {
        let unit = self.text(d, chunk::UNITS)?;
        let attrs = d
            .attr_names()
            .at(self.path, || format!("in the attributes of {}", d.name()))?;
        let relative_to = if attrs.iter().any(|n| n == chunk::RELATIVE_TO) {
            Some(self.text(d, chunk::RELATIVE_TO)?)
        } else {
            None
        };
        Ok(VarLabel {
            name,
            unit,
            relative_to,
        })
    }

    /// The dataset `name` of `g`, which must have `shape` and a checksum.
    pub(super) fn dataset(&self, g: &Group, name: &str, shape: &[usize]) -> Result<Dataset> {
        let what = full(g, name);
        if !g.link_exists(name) {
            return Err(self.error(ErrorKind::MissingData, format!("missing dataset {what}")));
        }
        let d = g
            .dataset(name)
            .at(self.path, || format!("in dataset {what}"))?;
        if d.shape() != shape {
            let m = format!(
                "dataset {what} has shape {:?}, expected {shape:?}",
                d.shape()
            );
            return Err(self.error(ErrorKind::Inconsistent, m));
        }
        let checksummed = d
            .filters()
            .iter()
            .any(|f| matches!(f, hdf5::filters::Filter::Fletcher32));
        if !checksummed && d.size() > 0 {
            let m = format!("dataset {what} has no checksum (Fletcher32 filter)");
            return Err(self.error(ErrorKind::Inconsistent, m));
        }
        Ok(d)
    }

    /// All values of `d`, checksums verified by HDF5.
    pub(super) fn values<T: H5Type>(&self, d: &Dataset) -> Result<Vec<T>> {
        d.read_raw::<T>()
            .at(self.path, || format!("in dataset {}", d.name()))
    }
}
