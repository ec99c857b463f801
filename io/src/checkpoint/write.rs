//! Writing a checkpoint file, atomically: `DIR/.t<step>.h5.tmp` is written
//! (every dataset chunked with HDF5's Fletcher32 checksum, the metadata in
//! the checksummed 1.10 format) and closed, fsynced, renamed to
//! `DIR/t<step>.h5`, and the directory fsynced.
//!
//! Invariant (relied on by `dir::scan`, `prune` and resume): a file named
//! `t<step>.h5` is complete — it gets that name only by the rename, after
//! HDF5 closed it and its data reached the disk. A crash at any point
//! leaves at most a `.tmp` file (never read, removed by `prune`) and every
//! earlier checkpoint as it was.

use std::fs;
use std::path::{Path, PathBuf};

use brainsim_sim::checkpoint::{ChunkState, ChunkStates};
use hdf5::plist::file_access::FileCloseDegree;
use hdf5::plist::group_create::LinkCreationOrder;
use hdf5::{File, Group, H5Type, Location};
use ndarray::{ArrayView, IxDyn};

use super::digest::Digest;
use super::dir::{file_name, tmp_name};
use super::layout::{chunk, chunk_name, chunk_rows, root, CHUNKS, FORMAT, SPIKES_WRITTEN};
use super::mask::bitmap;
use super::{CheckpointMeta, ChunkLabels, FORMAT_VERSION};
use crate::sonata_spikes::{set_cloexec, write_scalar_attr, write_str_attr, H5Context, IoError};

/// Writes `states` and `meta` to `dir/t<step>.h5` (replacing a file of that
/// step) and returns its path. `states` must hold every chunk of its
/// network, and `meta.chunks` label each; `dir` must exist. An error before
/// the rename removes the temporary file and leaves every `t*.h5` as it
/// was; after it (the directory's fsync failed) the new checkpoint is in
/// place but may not survive a power loss.
pub fn write(dir: &Path, states: &ChunkStates, meta: &CheckpointMeta) -> Result<PathBuf, IoError> {
    let path = dir.join(file_name(states.step));
    check_input(&path, states, meta)?;
    let tmp = dir.join(tmp_name(states.step));
    let fs_err = |p: &Path, what: &str| {
        let (p, what) = (p.to_path_buf(), what.to_string());
        move |source| IoError::Fs {
            path: p,
            what,
            source,
        }
    };
    let done = write_tmp(&tmp, states, meta)
        .and_then(|()| {
            let f = fs::File::open(&tmp).map_err(fs_err(&tmp, "opening for fsync"))?;
            f.sync_all().map_err(fs_err(&tmp, "fsync"))
        })
        .and_then(|()| fs::rename(&tmp, &path).map_err(fs_err(&path, "renaming into place")));
    if let Err(e) = done {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    // The rename is durable once the directory is.
    let d = fs::File::open(dir).map_err(fs_err(dir, "opening directory for fsync"))?;
    d.sync_all()
        .map_err(fs_err(dir, "fsync of the directory"))?;
    Ok(path)
}

/// Refuses what the file could not represent or a reader would refuse.
fn check_input(path: &Path, states: &ChunkStates, meta: &CheckpointMeta) -> Result<(), IoError> {
    let bad = |what: String| Err(IoError::invalid(path, format!("cannot checkpoint: {what}")));
    let missing = states.missing();
    if !missing.is_empty() {
        return bad(format!("the state lacks chunks {missing:?}"));
    }
    super::layout::check_tiling(states)
        .map_err(|m| IoError::invalid(path, format!("cannot checkpoint: {m}")))?;
    if meta.chunks.len() != states.chunks.len() {
        return bad(format!(
            "{} chunk labels for {} chunks",
            meta.chunks.len(),
            states.chunks.len()
        ));
    }
    let horizon = states.network.ring_horizon;
    for (c, labels) in states.chunks.iter().zip(&meta.chunks) {
        let (len, vars) = (c.len as usize, c.n_vars as usize);
        if c.state.len() != vars * len {
            return bad(format!("chunk {}: arrays of the wrong length", c.index));
        }
        if let Err(e) = c.ring.check(c.ring_len(horizon)) {
            return bad(format!("chunk {}: ring entries: {e}", c.index));
        }
        let stores = c.plastic.stores.iter().map(|s| s.check());
        let history = c.plastic.history.check(c.plastic.history.count.len());
        if let Some(Err(e)) = stores.chain([history]).find(Result::is_err) {
            return bad(format!("chunk {}: plastic state: {e}", c.index));
        }
        let names: Vec<&str> = labels.variables.iter().map(|v| v.name.as_str()).collect();
        if names.len() != vars {
            return bad(format!(
                "chunk {}: {} names for {vars} variables",
                c.index,
                names.len()
            ));
        }
        let invalid = |n: &&str| n.is_empty() || n.contains('/') || *n == ".";
        let dup = (1..names.len()).any(|i| names[..i].contains(&names[i]));
        if names.iter().any(invalid) || dup {
            return bad(format!("chunk {}: variable names {names:?}", c.index));
        }
    }
    if meta.spikes_written.keys().any(String::is_empty) {
        return bad("a population without a name".into());
    }
    Ok(())
}

/// Writes the whole file at `tmp` and closes it.
fn write_tmp(tmp: &Path, states: &ChunkStates, meta: &CheckpointMeta) -> Result<(), IoError> {
    let _ = fs::remove_file(tmp); // left by a crash
    #[cfg(test)]
    let no_spawn = crate::sonata_spikes::test_util::no_spawn();
    let file = File::with_options()
        .with_fapl(|p| p.libver_v110().fclose_degree(FileCloseDegree::Strong))
        .create(tmp)
        .ctx(tmp, "creating file")?;
    set_cloexec(&file, tmp)?;
    #[cfg(test)]
    drop(no_spawn);
    let mut text = Digest::new();
    write_root(&file, tmp, states, meta, &mut text)?;
    let written = file
        .create_group(SPIKES_WRITTEN)
        .ctx(tmp, "creating group")?;
    for (pop, n) in &meta.spikes_written {
        write_scalar_attr(&written, pop, n, tmp)?;
    }
    let chunks = file
        .create_group(CHUNKS)
        .ctx(tmp, "creating group /chunks")?;
    for (c, labels) in states.chunks.iter().zip(&meta.chunks) {
        let horizon = states.network.ring_horizon;
        write_chunk(&chunks, tmp, c, labels, horizon, &mut text)?;
    }
    write_scalar_attr(&file, root::TEXT_DIGEST, &text.value(), tmp)?;
    drop((written, chunks));
    file.close().ctx(tmp, "closing file")
}

/// A string attribute, added to the file's text digest.
fn text_attr(
    loc: &Location,
    name: &str,
    value: &str,
    path: &Path,
    text: &mut Digest,
) -> Result<(), IoError> {
    text.add(value);
    write_str_attr(loc, name, value, path)
}

/// The root attributes but the digest.
fn write_root(
    file: &File,
    path: &Path,
    states: &ChunkStates,
    meta: &CheckpointMeta,
    text: &mut Digest,
) -> Result<(), IoError> {
    let key = &states.network;
    text_attr(file, root::FORMAT, FORMAT, path, text)?;
    write_scalar_attr(file, root::FORMAT_VERSION, &FORMAT_VERSION, path)?;
    text_attr(
        file,
        root::BRAINSIM_VERSION,
        &meta.brainsim_version,
        path,
        text,
    )?;
    write_scalar_attr(file, root::STEP, &states.step, path)?;
    write_scalar_attr(file, root::T_MS, &(states.step as f64 * key.dt), path)?;
    write_scalar_attr(file, root::DT_MS, &key.dt, path)?;
    write_scalar_attr(file, root::SEED, &key.seed, path)?;
    write_scalar_attr(file, root::CHUNK_SIZE, &key.chunk_size, path)?;
    write_scalar_attr(file, root::N_NEURONS, &key.n_neurons, path)?;
    write_scalar_attr(file, root::N_CHUNKS, &key.n_chunks, path)?;
    write_scalar_attr(file, root::RING_HORIZON, &key.ring_horizon, path)?;
    write_scalar_attr(file, root::FINGERPRINT, &key.fingerprint, path)?;
    text_attr(file, root::CONFIG, &meta.config_text, path, text)?;
    write_scalar_attr(file, root::CONFIG_HASH, &meta.config_hash, path)
}

/// One chunk's group: its counters and labels, its state variables, its
/// ring's non-zero entries (of `horizon` slots).
fn write_chunk(
    chunks: &Group,
    path: &Path,
    c: &ChunkState,
    labels: &ChunkLabels,
    horizon: u64,
    text: &mut Digest,
) -> Result<(), IoError> {
    let g = chunks
        .create_group(&chunk_name(c.index))
        .ctx(path, format!("creating group for chunk {}", c.index))?;
    text_attr(&g, chunk::POPULATION, &labels.population, path, text)?;
    write_scalar_attr(&g, chunk::FIRST_GID, &c.first_gid, path)?;
    write_scalar_attr(&g, chunk::N_NEURONS, &c.len, path)?;
    write_scalar_attr(&g, chunk::LANES, &c.lanes, path)?;
    write_scalar_attr(&g, chunk::FIXED_SCALE, &c.fixed_scale, path)?;
    write_scalar_attr(&g, chunk::EVENTS, &c.events, path)?;
    write_scalar_attr(&g, chunk::SPIKES, &c.spikes, path)?;
    write_scalar_attr(&g, chunk::RING_ENTRIES, &(c.ring.len() as u64), path)?;
    let state = g
        .create_group_builder()
        .with_gcpl(|p| p.link_creation_order(LinkCreationOrder::Indexed))
        .create(chunk::STATE)
        .ctx(path, format!("creating group {}/state", g.name()))?;
    let len = c.len as usize;
    for (var, label) in labels.variables.iter().enumerate() {
        let values = &c.state[var * len..(var + 1) * len];
        let d = dataset(&state, &label.name, values, &[len], path)?;
        text_attr(&d, chunk::UNITS, &label.unit, path, text)?;
        if let Some(param) = &label.relative_to {
            text_attr(&d, chunk::RELATIVE_TO, param, path, text)?;
        }
    }
    let mask = bitmap(&c.ring.index, c.ring_len(horizon));
    dataset(&g, chunk::RING_MASK, &mask, &[mask.len()], path)?;
    let entries = c.ring.len();
    dataset(&g, chunk::RING_VALUE, &c.ring.value, &[entries], path)?;
    super::plastic::write(&g, path, &c.plastic)
}

/// A dataset of `shape` holding `data`, chunked along its first axis and
/// checksummed (Fletcher32); an empty one is contiguous (HDF5 chunks have
/// at least one element, and there is nothing to checksum).
pub(super) fn dataset<T: H5Type>(
    group: &Group,
    name: &str,
    data: &[T],
    shape: &[usize],
    path: &Path,
) -> Result<hdf5::Dataset, IoError> {
    let what = || format!("writing dataset {}/{name}", group.name());
    let view = ArrayView::from_shape(IxDyn(shape), data)
        .map_err(|e| IoError::invalid(path, format!("{}: {e}", what())))?;
    let builder = group.new_dataset_builder().with_data(view);
    let created = if data.is_empty() {
        builder.create(name)
    } else {
        let row_bytes = shape[1..].iter().product::<usize>() * std::mem::size_of::<T>();
        let mut chunk = shape.to_vec();
        chunk[0] = chunk_rows(shape[0], row_bytes);
        builder.chunk(chunk).fletcher32().create(name)
    };
    created.ctx(path, what())
}
