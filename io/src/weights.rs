//! Weight files: the synapses of one plastic projection and their weights,
//! in the spirit of a SONATA edge file, `OUT/weights_<source>_<target>_<i>.h5`
//! (`i` the projection's index in the config):
//! - `/edges` with attributes `source_population`, `target_population`,
//!   `synapse_model` (strings), `projection` (u64) and `t_ms` (f64, the
//!   biological time of the weights: the end of the run);
//! - datasets `source_node_id`, `target_node_id` (u64, 0-based within
//!   their populations), `delay` (f64, ms), `weight` (f64, attribute
//!   `units`), one row per synapse, sorted by (source, target, delay,
//!   weight) so the file does not depend on the layout.
//!
//! Written once, at the end of a run, to a temporary name then renamed.

use std::path::{Path, PathBuf};

use crate::sonata_spikes::{
    create_output_file, set_finished, write_root_attrs, write_scalar_attr, write_str_attr,
    H5Context, IoError,
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
    /// (source node id, target node id, delay ms, weight), any order.
    pub rows: Vec<(u64, u64, f64, f64)>,
}

/// The file name of projection `i` from `source` to `target`.
pub fn file_name(source: &str, target: &str, i: usize) -> String {
    format!("weights_{source}_{target}_{i}.h5")
}

/// Writes `table` to `path` (rows sorted first); returns the path.
pub fn write_weights(path: &Path, table: &WeightTable) -> Result<PathBuf, IoError> {
    let mut rows = table.rows.clone();
    rows.sort_by(|a, b| {
        (a.0, a.1)
            .cmp(&(b.0, b.1))
            .then(a.2.total_cmp(&b.2))
            .then(a.3.total_cmp(&b.3))
    });
    let tmp = path.with_extension("h5.tmp");
    let file = create_output_file(&tmp)?;
    write_root_attrs(&file, &tmp)?;
    let g = file.create_group("edges").ctx(&tmp, "creating /edges")?;
    write_str_attr(&g, "source_population", &table.source_population, &tmp)?;
    write_str_attr(&g, "target_population", &table.target_population, &tmp)?;
    write_str_attr(&g, "synapse_model", &table.synapse_model, &tmp)?;
    write_scalar_attr(&g, "projection", &table.projection, &tmp)?;
    write_scalar_attr(&g, "t_ms", &table.t_ms, &tmp)?;
    let column = |name: &str, data: Vec<f64>| -> Result<hdf5::Dataset, IoError> {
        g.new_dataset_builder()
            .with_data(&data)
            .create(name)
            .ctx(&tmp, format!("writing /edges/{name}"))
    };
    for (name, f) in [("source_node_id", 0usize), ("target_node_id", 1)] {
        let ids: Vec<u64> = rows
            .iter()
            .map(|r| if f == 0 { r.0 } else { r.1 })
            .collect();
        g.new_dataset_builder()
            .with_data(&ids)
            .create(name)
            .ctx(&tmp, format!("writing /edges/{name}"))?;
    }
    let delay = column("delay", rows.iter().map(|r| r.2).collect())?;
    write_str_attr(&delay, "units", "ms", &tmp)?;
    let weight = column("weight", rows.iter().map(|r| r.3).collect())?;
    write_str_attr(&weight, "units", &table.units, &tmp)?;
    set_finished(&file, &tmp)?;
    file.close().ctx(&tmp, "closing file")?;
    std::fs::rename(&tmp, path).map_err(|e| IoError::invalid(path, format!("renaming: {e}")))?;
    Ok(path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sonata_spikes::open_input_file;
    use crate::sonata_spikes::test_util::test_dir;

    #[test]
    fn a_weight_table_reads_back_sorted() {
        let dir = test_dir("weights");
        let path = dir.join(file_name("E", "I", 3));
        let table = WeightTable {
            source_population: "E".into(),
            target_population: "I".into(),
            synapse_model: "stdp_synapse".into(),
            projection: 3,
            t_ms: 100.0,
            units: "pA".into(),
            rows: vec![(2, 0, 1.5, 4.0), (0, 7, 1.0, 5.5), (0, 1, 2.0, 0.25)],
        };
        write_weights(&path, &table).unwrap();
        let f = open_input_file(&path).unwrap();
        let read = |n: &str| {
            f.dataset(&format!("edges/{n}"))
                .unwrap()
                .read_raw::<f64>()
                .unwrap()
        };
        assert_eq!(read("weight"), [0.25, 5.5, 4.0]);
        assert_eq!(read("delay"), [2.0, 1.0, 1.5]);
        let src = f
            .dataset("edges/source_node_id")
            .unwrap()
            .read_raw::<u64>()
            .unwrap();
        assert_eq!(src, [0, 0, 2]);
        assert!(!dir.join("weights_E_I_3.h5.tmp").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
