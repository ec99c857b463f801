//! `brainsim analyze`: per-population firing statistics of a SONATA spike file over a
//! time window — mean rate, mean CV of inter-spike intervals, Fano factor of the
//! population spike count — and their table for the CLI.
//!
//! Streaming, O(n_nodes + n_bins) memory: per neuron the last spike time, the spike
//! count and a running (Welford) mean and sum of squared deviations of its ISIs; per
//! bin the population spike count. Needs each population's timestamps sorted by time:
//! monotonicity is verified while reading (an error if violated); when the `sorting`
//! attribute says by_time the window is located by bisection and only it is read.

use std::fmt::Write as _;
use std::path::Path;

pub use crate::sonata_spikes::IoError;
use crate::spike_reader::SpikeFile;

/// Spikes read per HDF5 hyperslab.
const READ_CHUNK: usize = 1 << 20;

/// Statistics of one population over [t_start, t_stop).
#[derive(Debug, Clone, PartialEq)]
pub struct PopulationStats {
    /// Name of the group under `/spikes`.
    pub population: String,
    /// Population size (attribute `n_nodes`; if absent, the largest node id seen + 1).
    pub n_nodes: u64,
    /// Spikes with t in [t_start, t_stop).
    pub n_spikes: u64,
    /// Mean rate per neuron, in Hz (silent neurons included).
    pub rate_hz: f64,
    /// Mean over neurons with >= 3 spikes in the window of std(ISI)/mean(ISI)
    /// (population std); None if no neuron qualifies.
    pub cv_isi: Option<f64>,
    /// Number of neurons averaged into `cv_isi`.
    pub n_cv: u64,
    /// variance / mean (population variance) of the population's spike counts in the
    /// full bins of the window; None if there is no full bin or no spike in them.
    pub fano: Option<f64>,
}

/// Per-neuron running ISI statistics (Welford).
#[derive(Clone, Copy)]
struct Neuron {
    last: f64,
    spikes: u64,
    isi_mean: f64,
    isi_m2: f64,
}

const SILENT: Neuron = Neuron {
    last: f64::NAN,
    spikes: 0,
    isi_mean: 0.0,
    isi_m2: 0.0,
};

impl Neuron {
    fn spike(&mut self, t: f64) {
        if self.spikes > 0 {
            let isi = t - self.last;
            let n = self.spikes as f64; // number of ISIs including this one
            let delta = isi - self.isi_mean;
            self.isi_mean += delta / n;
            self.isi_m2 += delta * (isi - self.isi_mean);
        }
        self.last = t;
        self.spikes += 1;
    }

    /// CV of the ISIs, for neurons with >= 3 spikes and a positive mean ISI.
    fn cv(&self) -> Option<f64> {
        if self.spikes < 3 || self.isi_mean <= 0.0 {
            return None;
        }
        let n_isi = (self.spikes - 1) as f64;
        Some((self.isi_m2 / n_isi).max(0.0).sqrt() / self.isi_mean)
    }
}

/// Firing statistics of every population of `path` over [t_start, t_stop) (ms), the
/// Fano factor from bins of `bin_ms`.
pub fn analyze_spikes(
    path: &Path,
    t_start: f64,
    t_stop: f64,
    bin_ms: f64,
) -> Result<Vec<PopulationStats>, IoError> {
    if !(t_start.is_finite() && t_stop.is_finite() && t_stop > t_start) {
        let msg = format!("analyze: need finite t_start < t_stop, got [{t_start}, {t_stop})");
        return Err(IoError::invalid(path, msg));
    }
    if !(bin_ms.is_finite() && bin_ms > 0.0) {
        return Err(IoError::invalid(
            path,
            format!("analyze: bin width {bin_ms} ms must be > 0"),
        ));
    }
    let file = SpikeFile::open(path)?;
    let duration = t_stop - t_start;
    // Full bins only; the epsilon keeps e.g. 1000 / 0.1 from losing its last bin.
    let n_bins = (duration / bin_ms + 1e-9).floor() as usize;
    file.populations()
        .iter()
        .map(|pop| analyze_population(&file, pop, t_start, t_stop, bin_ms, n_bins))
        .collect()
}

fn analyze_population(
    file: &SpikeFile,
    pop: &str,
    t_start: f64,
    t_stop: f64,
    bin_ms: f64,
    n_bins: usize,
) -> Result<PopulationStats, IoError> {
    let path = file.path();
    let declared = file.n_nodes(pop);
    let mut neurons = vec![SILENT; declared.unwrap_or(0) as usize];
    let mut bins = vec![0u64; n_bins];
    let mut n_spikes = 0u64;
    let mut prev = f64::NEG_INFINITY;
    let window = file.window(pop, t_start, t_stop)?;
    let mut index = window.start;

    file.for_each_chunk_in(pop, window, READ_CHUNK, |ts, ids| {
        for (&t, &id) in ts.iter().zip(ids) {
            if t < prev || t.is_nan() {
                let msg = format!(
                    "/spikes/{pop}: timestamps not sorted by time (spike {index}: {t} after \
                     {prev}); analyze needs time-sorted spike files"
                );
                return Err(IoError::invalid(path, msg));
            }
            prev = t;
            index += 1;
            if t < t_start || t >= t_stop {
                continue;
            }
            let i = id as usize;
            if i >= neurons.len() {
                if let Some(n) = declared {
                    let msg = format!("/spikes/{pop}: node id {id} >= n_nodes {n}");
                    return Err(IoError::invalid(path, msg));
                }
                neurons.resize(i + 1, SILENT);
            }
            neurons[i].spike(t);
            n_spikes += 1;
            let b = ((t - t_start) / bin_ms).floor() as usize;
            if let Some(c) = bins.get_mut(b) {
                *c += 1;
            }
        }
        Ok(())
    })?;

    let n_nodes = declared.unwrap_or(neurons.len() as u64);
    let rate_hz = if n_nodes == 0 {
        0.0
    } else {
        n_spikes as f64 / (n_nodes as f64 * (t_stop - t_start) / 1000.0)
    };
    let (mut cv_sum, mut n_cv) = (0.0, 0u64);
    for cv in neurons.iter().filter_map(Neuron::cv) {
        cv_sum += cv;
        n_cv += 1;
    }
    let cv_isi = (n_cv > 0).then(|| cv_sum / n_cv as f64);
    Ok(PopulationStats {
        population: pop.to_string(),
        n_nodes,
        n_spikes,
        rate_hz,
        cv_isi,
        n_cv,
        fano: fano_factor(&bins),
    })
}

/// variance / mean of the counts (population variance); None if empty or all zero.
fn fano_factor(counts: &[u64]) -> Option<f64> {
    if counts.is_empty() {
        return None;
    }
    let n = counts.len() as f64;
    let mean = counts.iter().map(|&c| c as f64).sum::<f64>() / n;
    if mean <= 0.0 {
        return None;
    }
    let var = counts
        .iter()
        .map(|&c| (c as f64 - mean).powi(2))
        .sum::<f64>()
        / n;
    Some(var / mean)
}

/// A fixed-width text table of the statistics, one row per population.
pub fn format_table(stats: &[PopulationStats]) -> String {
    let opt = |v: Option<f64>| v.map_or_else(|| "-".to_string(), |v| format!("{v:.3}"));
    let header = [
        "population",
        "n_nodes",
        "n_spikes",
        "rate_hz",
        "cv_isi",
        "n_cv",
        "fano",
    ];
    let rows: Vec<[String; 7]> = stats
        .iter()
        .map(|s| {
            [
                s.population.clone(),
                s.n_nodes.to_string(),
                s.n_spikes.to_string(),
                format!("{:.3}", s.rate_hz),
                opt(s.cv_isi),
                s.n_cv.to_string(),
                opt(s.fano),
            ]
        })
        .collect();
    let mut width = header.map(str::len);
    for row in &rows {
        for (w, cell) in width.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: &[&str]| {
        for (i, (cell, w)) in cells.iter().zip(width).enumerate() {
            let sep = if i == 0 { "" } else { "  " };
            if i == 0 {
                let _ = write!(out, "{sep}{cell:<w$}");
            } else {
                let _ = write!(out, "{sep}{cell:>w$}");
            }
        }
        out.push('\n');
    };
    line(&header);
    for row in &rows {
        line(&row.each_ref().map(String::as_str));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sonata_spikes::test_util::test_dir;
    use crate::sonata_spikes::{create_output_file, SpikeWriter};

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * b.abs().max(1.0)
    }

    fn write(path: &Path, pops: &[(&str, u32, u32)], mut spikes: Vec<(f64, u32)>) {
        spikes.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let pops: Vec<_> = pops
            .iter()
            .map(|(n, f, s)| (n.to_string(), *f, *s))
            .collect();
        let mut w = SpikeWriter::create(path, &pops).unwrap();
        w.append(&spikes).unwrap();
        w.finish().unwrap();
    }

    #[test]
    fn regular_trains_have_cv_zero_and_known_rate() {
        let dir = test_dir("analyze-regular");
        let path = dir.join("spikes.h5");
        // "reg": 100 neurons, neuron i fires every 10 ms from 0.1 * i (100 Hz), over
        // 2 s; 20 more neurons stay silent. "slow": 10 neurons at 20 Hz (every 50 ms).
        let mut spikes = Vec::new();
        for i in 0..100u32 {
            for k in 0..200 {
                spikes.push((0.1 * f64::from(i) + 10.0 * f64::from(k), i));
            }
        }
        for i in 0..10u32 {
            for k in 0..40 {
                spikes.push((50.0 * f64::from(k) + 1.0, 120 + i));
            }
        }
        write(&path, &[("reg", 0, 120), ("slow", 120, 10)], spikes);

        let stats = analyze_spikes(&path, 0.0, 2000.0, 5.0).unwrap();
        assert_eq!(stats.len(), 2);
        let reg = &stats[0];
        assert_eq!(reg.population, "reg");
        assert_eq!((reg.n_nodes, reg.n_spikes, reg.n_cv), (120, 20_000, 100));
        assert!(
            close(reg.rate_hz, 20_000.0 / (120.0 * 2.0)),
            "{}",
            reg.rate_hz
        );
        assert!(reg.cv_isi.unwrap().abs() < 1e-9, "{:?}", reg.cv_isi);
        // Every 5 ms bin holds exactly 50 spikes: variance 0.
        assert!(reg.fano.unwrap().abs() < 1e-12, "{:?}", reg.fano);
        let slow = &stats[1];
        assert_eq!((slow.n_nodes, slow.n_spikes, slow.n_cv), (10, 400, 10));
        assert!(close(slow.rate_hz, 20.0));
        assert!(slow.cv_isi.unwrap().abs() < 1e-9);

        // A window [500, 1000): half a second, 50 spikes per "reg" neuron.
        let stats = analyze_spikes(&path, 500.0, 1000.0, 5.0).unwrap();
        assert_eq!(stats[0].n_spikes, 5000);
        assert!(close(stats[0].rate_hz, 5000.0 / (120.0 * 0.5)));
        let table = format_table(&stats);
        assert!(table.starts_with("population"), "{table}");
        assert!(table.contains("reg") && table.contains("slow"), "{table}");
        assert_eq!(table.lines().count(), 3);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn hand_computed_cv_and_fano() {
        let dir = test_dir("analyze-hand");
        let path = dir.join("spikes.h5");
        // Window [0, 40), bins of 10 ms. Population "p", 4 neurons:
        //   n0: 1, 3, 7, 15    ISIs 2, 4, 8: mean 14/3, var (sum sq 84)/3 - (14/3)^2 = 56/9
        //                      CV = sqrt(56/9) / (14/3) = sqrt(56)/14
        //   n1: 2, 12, 22      ISIs 10, 10: CV 0
        //   n2: 5, 30          2 spikes: not in CV
        //   n3: silent; plus a spike of n1 at 45 outside the window.
        // CV = (sqrt(56)/14 + 0) / 2, n_cv = 2.
        // Bin counts: [0,10): 1,3,7,2,5 = 5; [10,20): 15,12 = 2; [20,30): 22 = 1;
        // [30,40): 30 = 1. mean 9/4, var (25+4+1+1)/4 - (9/4)^2 = 124/16 - 81/16 = 43/16,
        // Fano = (43/16) / (9/4) = 43/36.
        let spikes = vec![
            (1.0, 0),
            (3.0, 0),
            (7.0, 0),
            (15.0, 0),
            (2.0, 1),
            (12.0, 1),
            (22.0, 1),
            (45.0, 1),
            (5.0, 2),
            (30.0, 2),
        ];
        write(&path, &[("p", 0, 4)], spikes);
        let s = &analyze_spikes(&path, 0.0, 40.0, 10.0).unwrap()[0];
        assert_eq!((s.n_nodes, s.n_spikes, s.n_cv), (4, 9, 2));
        assert!(close(s.rate_hz, 9.0 / (4.0 * 0.04)), "{}", s.rate_hz);
        assert!(
            close(s.cv_isi.unwrap(), 56f64.sqrt() / 14.0 / 2.0),
            "{:?}",
            s.cv_isi
        );
        assert!(close(s.fano.unwrap(), 43.0 / 36.0), "{:?}", s.fano);

        // Window [10, 35) with 10 ms bins: two full bins [10,20) = 2, [20,30) = 1
        // (30 counts for the rate, not for the Fano factor): mean 1.5, var 0.25.
        let s = &analyze_spikes(&path, 10.0, 35.0, 10.0).unwrap()[0];
        assert_eq!((s.n_spikes, s.n_cv), (4, 0));
        assert_eq!(s.cv_isi, None);
        assert!(close(s.fano.unwrap(), 0.25 / 1.5));
        // No spike in the window: no Fano factor, rate 0.
        let s = &analyze_spikes(&path, 100.0, 200.0, 10.0).unwrap()[0];
        assert_eq!((s.n_spikes, s.rate_hz, s.fano), (0, 0.0, None));
        assert!(analyze_spikes(&path, 10.0, 10.0, 1.0).is_err());
        assert!(analyze_spikes(&path, 0.0, 10.0, 0.0).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A spikes file as another tool might write it: population `x` with
    /// only `timestamps` and `node_ids` (no sorting attribute, no n_nodes).
    fn write_bare_population(path: &Path, times: &[f64], ids: &[u64]) {
        let file = create_output_file(path).unwrap();
        let g = file.create_group("spikes/x").unwrap();
        g.new_dataset_builder()
            .with_data(times)
            .create("timestamps")
            .unwrap();
        g.new_dataset_builder()
            .with_data(ids)
            .create("node_ids")
            .unwrap();
    }

    #[test]
    fn unsorted_file_is_an_error() {
        let dir = test_dir("analyze-unsorted");
        let path = dir.join("spikes.h5");
        write_bare_population(&path, &[1.0, 3.0, 2.0], &[0, 1, 2]);
        let err = analyze_spikes(&path, 0.0, 10.0, 1.0).unwrap_err();
        assert!(err.to_string().contains("not sorted"), "{err}");

        // Sorted but without n_nodes: population size from the largest id.
        let path2 = dir.join("spikes2.h5");
        write_bare_population(&path2, &[1.0, 2.0, 3.0], &[0, 4, 1]);
        let s = &analyze_spikes(&path2, 0.0, 10.0, 1.0).unwrap()[0];
        assert_eq!((s.n_nodes, s.n_spikes), (5, 3));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
