//! Weight files: the synapses of one plastic projection and their weights,
//! in the spirit of a SONATA edge file, `OUT/weights_<source>_<target>_<i>.h5`
//! (`i` the projection's index in the config):
//! - `/edges` with attributes `source_population`, `target_population`,
//!   `synapse_model` (strings), `projection` (u64) and `t_ms` (f64, the
//!   biological time of the weights: the end of the run);
//! - datasets `source_node_id`, `target_node_id` (u64, 0-based within
//!   their populations), `delay` (f64, ms), `weight` (f64, attribute
//!   `units`), one row per synapse.
//!
//! Edges are in the canonical order (`canonical_order`): by source, then
//! target, then the synapse's place in its source's row. Every writer of
//! edges (this file, the weight recordings of `weight_report`) uses it, and
//! `weights_from` relies on it to give each synapse its weight back.
//!
//! Written once, at the end of a run, to a temporary name then renamed.

use std::path::{Path, PathBuf};

use hdf5::types::VarLenUnicode;
use hdf5::Group;

use crate::sonata_spikes::{
    create_output_file, open_input_file, set_finished, write_root_attrs, write_scalar_attr,
    write_str_attr, H5Context, IoError,
};

/// One projection's synapses (see the module doc).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WeightTable {
    /// Source population name.
    pub source_population: String,
    /// Target population name.
    pub target_population: String,
    /// The synapse model's name.
    pub synapse_model: String,
    /// The projection's index in the config.
    pub projection: u64,
    /// Biological time of the weights (ms).
    pub t_ms: f64,
    /// Unit of the weights ("pA", "nS", "mV").
    pub units: String,
    /// (source node id, target node id, delay ms, weight); the order of a
    /// source's synapses among themselves is their order in its row.
    pub rows: Vec<(u64, u64, f64, f64)>,
}

/// The file name of projection `i` from `source` to `target`.
pub fn file_name(source: &str, target: &str, i: usize) -> String {
    format!("weights_{source}_{target}_{i}.h5")
}

/// The canonical order of `rows` (indices into it): by (source, target),
/// stable, so the synapses of one pair keep their order. Gathered rows
/// list each chunk's synapses in row order (`plastic::store`), and all the
/// synapses of a pair are in one chunk, so the order does not depend on
/// the layout.
pub fn canonical_order(rows: &[(u64, u64, f64, f64)]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by_key(|&i| canonical_key(&rows[i]));
    order
}

/// What the canonical order sorts by (stably): source, then target.
fn canonical_key(row: &(u64, u64, f64, f64)) -> (u64, u64) {
    (row.0, row.1)
}

/// Writes the attributes of `/edges` and its `source_node_id`,
/// `target_node_id` and `delay` columns from `rows` (canonical order).
pub(crate) fn write_edges(
    g: &Group,
    table: &WeightTable,
    rows: &[(u64, u64, f64, f64)],
    path: &Path,
) -> Result<(), IoError> {
    write_str_attr(g, "source_population", &table.source_population, path)?;
    write_str_attr(g, "target_population", &table.target_population, path)?;
    write_str_attr(g, "synapse_model", &table.synapse_model, path)?;
    write_scalar_attr(g, "projection", &table.projection, path)?;
    for (name, first) in [("source_node_id", true), ("target_node_id", false)] {
        let ids: Vec<u64> = rows.iter().map(|r| if first { r.0 } else { r.1 }).collect();
        g.new_dataset_builder()
            .with_data(&ids)
            .create(name)
            .ctx(path, format!("writing /edges/{name}"))?;
    }
    let delay: Vec<f64> = rows.iter().map(|r| r.2).collect();
    let d = g
        .new_dataset_builder()
        .with_data(&delay)
        .create("delay")
        .ctx(path, "writing /edges/delay")?;
    write_str_attr(&d, "units", "ms", path)
}

/// Writes `table` to `path`, its rows first put in canonical order in
/// place (the order `canonical_order` gives: a stable sort by source and
/// target), so that no second copy of them is made: at the end of a run
/// with millions of plastic synapses the rows are the largest thing in
/// memory. Returns the path.
pub fn write_weights(path: &Path, table: &mut WeightTable) -> Result<PathBuf, IoError> {
    table.rows.sort_by_key(canonical_key);
    let table = &*table;
    let rows = &table.rows;
    let tmp = path.with_extension("h5.tmp");
    let file = create_output_file(&tmp)?;
    write_root_attrs(&file, &tmp)?;
    let g = file.create_group("edges").ctx(&tmp, "creating /edges")?;
    write_edges(&g, table, rows, &tmp)?;
    write_scalar_attr(&g, "t_ms", &table.t_ms, &tmp)?;
    let weight: Vec<f64> = rows.iter().map(|r| r.3).collect();
    let w = g
        .new_dataset_builder()
        .with_data(&weight)
        .create("weight")
        .ctx(&tmp, "writing /edges/weight")?;
    write_str_attr(&w, "units", &table.units, &tmp)?;
    set_finished(&file, &tmp)?;
    file.close().ctx(&tmp, "closing file")?;
    std::fs::rename(&tmp, path).map_err(|e| IoError::invalid(path, format!("renaming: {e}")))?;
    Ok(path.to_path_buf())
}

/// Reads a weights file written by `write_weights` (rows in the file's
/// order; `t_ms` and `units` as stored). A missing dataset or attribute,
/// columns of different lengths, or a file not marked finished is an error.
pub fn read_weights(path: &Path) -> Result<WeightTable, IoError> {
    let f = open_input_file(path)?;
    let finished = f.attr("finished").and_then(|a| a.read_scalar::<u8>());
    if finished.ok() != Some(1) {
        return Err(IoError::invalid(path, "not a finished weights file"));
    }
    let g = f.group("edges").ctx(path, "opening /edges")?;
    let text = |name: &str| -> Result<String, IoError> {
        g.attr(name)
            .and_then(|a| a.read_scalar::<VarLenUnicode>())
            .map(|s| s.as_str().to_string())
            .ctx(path, format!("reading attribute /edges/{name}"))
    };
    let ids = |name: &str| -> Result<Vec<u64>, IoError> {
        g.dataset(name)
            .and_then(|d| d.read_raw::<u64>())
            .ctx(path, format!("reading /edges/{name}"))
    };
    let floats = |name: &str| -> Result<Vec<f64>, IoError> {
        g.dataset(name)
            .and_then(|d| d.read_raw::<f64>())
            .ctx(path, format!("reading /edges/{name}"))
    };
    let (src, tgt) = (ids("source_node_id")?, ids("target_node_id")?);
    let (delay, weight) = (floats("delay")?, floats("weight")?);
    if [tgt.len(), delay.len(), weight.len()] != [src.len(); 3] {
        return Err(IoError::invalid(
            path,
            "/edges: source_node_id, target_node_id, delay and weight differ in length",
        ));
    }
    let units = g
        .dataset("weight")
        .and_then(|d| d.attr("units"))
        .and_then(|a| a.read_scalar::<VarLenUnicode>())
        .map(|s| s.as_str().to_string())
        .unwrap_or_default();
    Ok(WeightTable {
        source_population: text("source_population")?,
        target_population: text("target_population")?,
        synapse_model: text("synapse_model")?,
        projection: g
            .attr("projection")
            .and_then(|a| a.read_scalar::<u64>())
            .ctx(path, "reading attribute /edges/projection")?,
        t_ms: g
            .attr("t_ms")
            .and_then(|a| a.read_scalar::<f64>())
            .unwrap_or(f64::NAN),
        units,
        rows: (0..src.len())
            .map(|i| (src[i], tgt[i], delay[i], weight[i]))
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sonata_spikes::open_input_file;
    use crate::sonata_spikes::test_util::test_dir;

    #[test]
    fn a_weight_table_reads_back_in_canonical_order() {
        let dir = test_dir("weights");
        let path = dir.join(file_name("E", "I", 3));
        let table = WeightTable {
            source_population: "E".into(),
            target_population: "I".into(),
            synapse_model: "stdp_synapse".into(),
            projection: 3,
            t_ms: 100.0,
            units: "pA".into(),
            // Source 0's synapses onto 1 in row order: delay 2.0, then 0.5.
            rows: vec![
                (2, 0, 1.5, 4.0),
                (0, 7, 1.0, 5.5),
                (0, 1, 2.0, 0.25),
                (0, 1, 0.5, 0.75),
            ],
        };
        let given = table.rows.clone();
        let mut table = table;
        write_weights(&path, &mut table).unwrap();
        let back = read_weights(&path).unwrap();
        let want: Vec<_> = [2, 3, 1, 0].iter().map(|&i| given[i]).collect();
        assert_eq!(canonical_order(&given), [2, 3, 1, 0]);
        assert_eq!(back.rows, want);
        assert_eq!((back.projection, back.t_ms), (3, 100.0));
        assert_eq!(back.units, "pA");
        let f = open_input_file(&path).unwrap();
        let read = |n: &str| {
            f.dataset(&format!("edges/{n}"))
                .unwrap()
                .read_raw::<f64>()
                .unwrap()
        };
        assert_eq!(read("weight"), [0.25, 0.75, 5.5, 4.0]);
        assert_eq!(read("delay"), [2.0, 0.5, 1.0, 1.5]);
        let src = f
            .dataset("edges/source_node_id")
            .unwrap()
            .read_raw::<u64>()
            .unwrap();
        assert_eq!(src, [0, 0, 0, 2]);
        assert!(!dir.join("weights_E_I_3.h5.tmp").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
