//! The checkpoint file's layout — the names of its attributes, groups and
//! datasets and how its datasets are chunked — shared by the writer and the
//! reader, so the two cannot disagree. DESIGN.md, "Checkpoint files", is the
//! user's description of the same layout: change both together, and bump
//! `FORMAT_VERSION` when a reader of the old version could not read the new
//! files.

use brainsim_sim::checkpoint::ChunkStates;

/// The format version this brainsim writes, and the newest it reads.
///
/// 2: the ring as its non-zero entries (`ring_mask`, `ring_value`,
/// `ring_entries`) instead of the dense `ring` of version 1.
/// 3: a chunk group's `plastic` group (`checkpoint::plastic`): plastic
/// synapses and spike histories. A reader of version 2 would miss it, so
/// the version changes; a version 2 file has no plastic state (those
/// brainsims refused checkpoints of plastic networks) and is read as is.
pub const FORMAT_VERSION: u32 = 3;

/// The oldest format version this brainsim reads.
pub(super) const FIRST_READ_VERSION: u32 = 2;

/// Root attribute `format`: says what the file is.
pub(super) const FORMAT: &str = "brainsim checkpoint";

/// Root attributes.
pub(super) mod root {
    pub(crate) const FORMAT: &str = "format";
    pub(crate) const FORMAT_VERSION: &str = "format_version";
    pub(crate) const BRAINSIM_VERSION: &str = "brainsim_version";
    pub(crate) const STEP: &str = "step";
    pub(crate) const T_MS: &str = "t_ms";
    pub(crate) const DT_MS: &str = "dt_ms";
    pub(crate) const SEED: &str = "seed";
    pub(crate) const CHUNK_SIZE: &str = "chunk_size";
    pub(crate) const N_NEURONS: &str = "n_neurons";
    pub(crate) const N_CHUNKS: &str = "n_chunks";
    pub(crate) const RING_HORIZON: &str = "ring_horizon";
    pub(crate) const FINGERPRINT: &str = "fingerprint";
    pub(crate) const CONFIG: &str = "config";
    pub(crate) const CONFIG_HASH: &str = "config_hash";
    /// FNV-1a of every string attribute, in writing order (`Digest`).
    pub(crate) const TEXT_DIGEST: &str = "text_fnv1a64";
}

/// Group of u64 attributes, one per population: spikes written so far.
pub(super) const SPIKES_WRITTEN: &str = "spikes_written";
/// Group of the chunk groups.
pub(super) const CHUNKS: &str = "chunks";

/// Attributes of a chunk group.
pub(super) mod chunk {
    pub(crate) const POPULATION: &str = "population";
    pub(crate) const FIRST_GID: &str = "first_gid";
    pub(crate) const N_NEURONS: &str = "n_neurons";
    pub(crate) const LANES: &str = "lanes";
    pub(crate) const FIXED_SCALE: &str = "fixed_scale";
    pub(crate) const EVENTS: &str = "events";
    pub(crate) const SPIKES: &str = "spikes";
    /// u64: the ring's non-zero entries (the length of the two datasets).
    pub(crate) const RING_ENTRIES: &str = "ring_entries";
    /// Group of one f64 `[n_neurons]` dataset per state variable, in
    /// storage order (link creation order is tracked).
    pub(crate) const STATE: &str = "state";
    /// u8 `[ceil(ring_horizon x lanes x n_neurons / 8)]`: the bitmap of the
    /// positions of the ring's non-zero entries in `[ring_horizon][lanes]
    /// [n_neurons]` (`mask`).
    pub(crate) const RING_MASK: &str = "ring_mask";
    /// i32 `[ring_entries]`: the entries at those positions in position
    /// order, none 0.
    pub(crate) const RING_VALUE: &str = "ring_value";
    /// Attributes of a state variable's dataset.
    pub(crate) const UNITS: &str = "units";
    pub(crate) const RELATIVE_TO: &str = "relative_to";
}

/// A chunk group's name: its index, zero-padded so that name order (h5py's)
/// is index order.
pub(super) fn chunk_name(index: u64) -> String {
    format!("{index:06}")
}

/// Largest HDF5 chunk, in bytes: small enough for HDF5's default chunk cache
/// (1 MiB), large enough that the chunk index and the 4-byte checksums are
/// a negligible part of the file.
const MAX_CHUNK_BYTES: usize = 1 << 20;

/// Rows per HDF5 chunk of a dataset of `rows` rows of `row_bytes` bytes
/// (chunked along the first axis only); at least 1.
pub(super) fn chunk_rows(rows: usize, row_bytes: usize) -> usize {
    (MAX_CHUNK_BYTES / row_bytes.max(1)).clamp(1, rows.max(1))
}

/// The index of a chunk group's name, if it is one `chunk_name` makes.
pub(super) fn parse_chunk_name(name: &str) -> Option<u64> {
    let index = name.parse().ok()?;
    (name.bytes().all(|b| b.is_ascii_digit()) && chunk_name(index) == name).then_some(index)
}

/// Checks what `sim::layout::chunks` guarantees of a complete checkpoint's
/// chunks, which the file must not contradict: the chunks 0..n_chunks, in
/// index order, tile the gids 0..n_neurons contiguously, each of 1 to
/// chunk_size neurons, each with a positive, finite fixed-point scale.
pub(super) fn check_tiling(states: &ChunkStates) -> Result<(), String> {
    let key = &states.network;
    if states.chunks.len() as u64 != key.n_chunks {
        let n = states.chunks.len();
        return Err(format!("{n} chunks, the network has {}", key.n_chunks));
    }
    let mut next_gid = 0u64;
    for (i, c) in states.chunks.iter().enumerate() {
        if c.index != i as u64 {
            return Err(format!("chunk {i} missing"));
        }
        if u64::from(c.first_gid) != next_gid {
            let g = c.first_gid;
            return Err(format!("chunk {i} starts at gid {g}, not {next_gid}"));
        }
        if c.len == 0 || u64::from(c.len) > key.chunk_size {
            let (n, size) = (c.len, key.chunk_size);
            return Err(format!("chunk {i} has {n} neurons (chunk_size {size})"));
        }
        if !(c.fixed_scale.is_finite() && c.fixed_scale > 0.0) {
            return Err(format!("chunk {i} has fixed_scale {}", c.fixed_scale));
        }
        next_gid += u64::from(c.len);
    }
    if next_gid != key.n_neurons {
        let n = key.n_neurons;
        return Err(format!(
            "the chunks hold {next_gid} neurons, the network {n}"
        ));
    }
    Ok(())
}
