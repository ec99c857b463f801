//! A chunk's plastic state in its checkpoint group (format 3): the group
//! `plastic` (absent when the chunk has none) holds one group per store,
//! named by its place in the chunk (`0`, `1`, ...), with the projection,
//! the refused-weight count, the synapses and rows as attributes and the
//! weights and the five row arrays as datasets; and the group `history`
//! with the neurons and entries as attributes, each neuron's entry count,
//! the entries (stamp, t, k) neuron after neuron, and the recent blocks as
//! `[neurons][4]` datasets. Everything checksummed, as the rest of the
//! file; the reader checks every shape against the attributes and the
//! state against `plastic::snapshot`'s invariants.

use std::path::Path;

use brainsim_sim::plastic::recent::RECENT;
use brainsim_sim::plastic::{HistoryState, PlasticChunkState, StoreState};
use hdf5::{Group, H5Type};

use super::error::{ErrorKind, ReadContext};
use super::read::{Reader, Result};
use super::write::dataset;
use crate::sonata_spikes::{write_scalar_attr, H5Context, IoError};

/// The chunk group's member holding its plastic state.
pub(super) const PLASTIC: &str = "plastic";
/// Attribute of `plastic`: the number of store groups.
const STORES: &str = "stores";
/// Attributes of a store group.
const PROJECTION: &str = "projection";
const OVERFLOWS: &str = "refused_weights";
const SYNAPSES: &str = "synapses";
const ROWS: &str = "rows";
/// The store's datasets: `[synapses]`, then five `[rows]`.
const WEIGHT: &str = "weight";
const ROW_LAST: &str = "row_last_stamp";
const ROW_F64: [&str; 4] = ["row_t_last", "row_kplus", "row_u", "row_x"];
/// The history group, its attributes and datasets.
const HISTORY: &str = "history";
const NEURONS: &str = "neurons";
const ENTRIES: &str = "entries";
const COUNT: &str = "count";
const STAMP: &str = "stamp";
const T: &str = "t";
const K: &str = "k";
const RECENT_STAMP: &str = "recent_stamp";
const RECENT_T: &str = "recent_t";
const RECENT_K: &str = "recent_k";

/// Writes `p` into the chunk group `g` (nothing when it is empty).
pub(super) fn write(
    g: &Group,
    path: &Path,
    p: &PlasticChunkState,
) -> std::result::Result<(), IoError> {
    if p.is_empty() {
        return Ok(());
    }
    let group = |parent: &Group, name: &str| {
        parent
            .create_group(name)
            .ctx(path, format!("creating group {}/{name}", parent.name()))
    };
    let pg = group(g, PLASTIC)?;
    write_scalar_attr(&pg, STORES, &(p.stores.len() as u64), path)?;
    for (i, s) in p.stores.iter().enumerate() {
        let sg = group(&pg, &i.to_string())?;
        write_scalar_attr(&sg, PROJECTION, &s.projection, path)?;
        write_scalar_attr(&sg, OVERFLOWS, &s.overflows, path)?;
        write_scalar_attr(&sg, SYNAPSES, &(s.weight.len() as u64), path)?;
        write_scalar_attr(&sg, ROWS, &(s.rows() as u64), path)?;
        dataset(&sg, WEIGHT, &s.weight, &[s.weight.len()], path)?;
        dataset(&sg, ROW_LAST, &s.last, &[s.rows()], path)?;
        for (name, a) in ROW_F64.iter().zip([&s.t_last, &s.kplus, &s.u, &s.x]) {
            dataset(&sg, name, a, &[s.rows()], path)?;
        }
    }
    let h = &p.history;
    let hg = group(&pg, HISTORY)?;
    let (n, e) = (h.count.len(), h.stamp.len());
    write_scalar_attr(&hg, NEURONS, &(n as u64), path)?;
    write_scalar_attr(&hg, ENTRIES, &(e as u64), path)?;
    dataset(&hg, COUNT, &h.count, &[n], path)?;
    dataset(&hg, STAMP, &h.stamp, &[e], path)?;
    dataset(&hg, T, &h.t, &[e], path)?;
    dataset(&hg, K, &h.k, &[e], path)?;
    dataset(&hg, RECENT_STAMP, &h.recent_stamp, &[n, RECENT], path)?;
    dataset(&hg, RECENT_T, &h.recent_t, &[n, RECENT], path)?;
    dataset(&hg, RECENT_K, &h.recent_k, &[n, RECENT], path)?;
    Ok(())
}

impl Reader<'_> {
    /// The plastic state of the chunk group `g` of `neurons` neurons (the
    /// empty state when it has none), checked.
    pub(super) fn plastic(&self, g: &Group, neurons: usize) -> Result<PlasticChunkState> {
        if !g.link_exists(PLASTIC) {
            return Ok(PlasticChunkState::default());
        }
        let pg = self.group(g, PLASTIC)?;
        let n_stores: u64 = self.attr(&pg, STORES)?;
        let inconsistent =
            |what: String| self.error(ErrorKind::Inconsistent, format!("{}: {what}", pg.name()));
        let members = pg
            .member_names()
            .at(self.path(), || format!("in group {}", pg.name()))?;
        if members.len() as u64 != n_stores + 1 {
            let m = format!(
                "{} members for {n_stores} stores and a history",
                members.len()
            );
            return Err(inconsistent(m));
        }
        let mut stores = Vec::new();
        for i in 0..n_stores {
            let s = self.store(&self.group(&pg, &i.to_string())?)?;
            s.check().map_err(inconsistent)?;
            stores.push(s);
        }
        let history = self.history(&self.group(&pg, HISTORY)?)?;
        if !history.count.is_empty() && history.count.len() != neurons {
            let m = format!(
                "histories of {} neurons in a chunk of {neurons}",
                history.count.len()
            );
            return Err(inconsistent(m));
        }
        history.check(history.count.len()).map_err(inconsistent)?;
        Ok(PlasticChunkState { stores, history })
    }

    /// One store group.
    fn store(&self, sg: &Group) -> Result<StoreState> {
        let synapses: u64 = self.attr(sg, SYNAPSES)?;
        let rows: u64 = self.attr(sg, ROWS)?;
        let (syn, rows) = (synapses as usize, rows as usize);
        let f64s = |name: &str| self.array::<f64>(sg, name, &[rows]);
        Ok(StoreState {
            projection: self.attr(sg, PROJECTION)?,
            weight: self.array(sg, WEIGHT, &[syn])?,
            last: self.array(sg, ROW_LAST, &[rows])?,
            t_last: f64s(ROW_F64[0])?,
            kplus: f64s(ROW_F64[1])?,
            u: f64s(ROW_F64[2])?,
            x: f64s(ROW_F64[3])?,
            overflows: self.attr(sg, OVERFLOWS)?,
        })
    }

    /// The history group.
    fn history(&self, hg: &Group) -> Result<HistoryState> {
        let n = self.attr::<u64>(hg, NEURONS)? as usize;
        let e = self.attr::<u64>(hg, ENTRIES)? as usize;
        Ok(HistoryState {
            count: self.array(hg, COUNT, &[n])?,
            stamp: self.array(hg, STAMP, &[e])?,
            t: self.array(hg, T, &[e])?,
            k: self.array(hg, K, &[e])?,
            recent_stamp: self.array(hg, RECENT_STAMP, &[n, RECENT])?,
            recent_t: self.array(hg, RECENT_T, &[n, RECENT])?,
            recent_k: self.array(hg, RECENT_K, &[n, RECENT])?,
        })
    }

    /// The values of the dataset `name` of `g`, of `shape`, checksummed.
    fn array<T: H5Type>(&self, g: &Group, name: &str, shape: &[usize]) -> Result<Vec<T>> {
        let d = self.dataset(g, name, shape)?;
        self.values(&d)
    }
}
