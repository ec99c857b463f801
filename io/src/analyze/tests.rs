//! Tests of the `analyze` statistics, formats and valid extent.

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
    // "reg": 100 neurons, neuron i fires every 10 ms from 0.1 * (i + 1) (100 Hz),
    // over 2 s (the last spike at t_stop = 2000, which (0, t_stop] includes); 20
    // more neurons stay silent. "slow": 10 neurons at 20 Hz (every 50 ms).
    let mut spikes = Vec::new();
    for i in 0..100u32 {
        for k in 0..200 {
            spikes.push((0.1 * f64::from(i + 1) + 10.0 * f64::from(k), i));
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

    // A window (500, 1000]: half a second, 50 spikes per "reg" neuron.
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
    // Window (0, 40], bins of 10 ms. Population "p", 4 neurons:
    //   n0: 1, 3, 7, 15    ISIs 2, 4, 8: mean 14/3, var (sum sq 84)/3 - (14/3)^2 = 56/9
    //                      CV = sqrt(56/9) / (14/3) = sqrt(56)/14
    //   n1: 2, 12, 22      ISIs 10, 10: CV 0
    //   n2: 5, 30          2 spikes: not in CV
    //   n3: silent; plus a spike of n1 at 45 outside the window.
    // CV = (sqrt(56)/14 + 0) / 2, n_cv = 2.
    // Bin counts: (0,10]: 1,3,7,2,5 = 5; (10,20]: 15,12 = 2; (20,30]: 22,30 = 2;
    // (30,40]: 0. mean 9/4, var (25+4+4+0)/4 - (9/4)^2 = 132/16 - 81/16 = 51/16,
    // Fano = (51/16) / (9/4) = 51/36.
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
    assert!(close(s.fano.unwrap(), 51.0 / 36.0), "{:?}", s.fano);

    // Window (7, 34] with 10 ms bins: three full bins (7,17] = 15,12 = 2,
    // (17,27] = 22 = 1, (27,37] is not full (30 counts for the rate, not for the
    // Fano factor); 7 itself is out: mean 1.5, var 0.25.
    let s = &analyze_spikes(&path, 7.0, 34.0, 10.0).unwrap()[0];
    assert_eq!((s.n_spikes, s.n_cv), (4, 0));
    assert_eq!(s.cv_isi, None);
    assert!(close(s.fano.unwrap(), 0.25 / 1.5), "{:?}", s.fano);
    // No spike in the window: no Fano factor, rate 0.
    let s = &analyze_spikes(&path, 100.0, 200.0, 10.0).unwrap()[0];
    assert_eq!((s.n_spikes, s.rate_hz, s.fano), (0, 0.0, None));
    assert!(analyze_spikes(&path, 10.0, 10.0, 1.0).is_err());
    assert!(analyze_spikes(&path, 0.0, 10.0, 0.0).is_err());
    let err = analyze_spikes(&path, 0.0, 1e12, 1.0).unwrap_err();
    assert!(err.to_string().contains("bins"), "{err}");
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

/// A file with one time-sorted population `p` of `n_nodes` = 4 as a writer leaves
/// it mid-run: `times` and `ids` (the datasets, possibly longer than the valid
/// rows), and the attributes `valid_rows` and `/spikes/valid_until_ms` if given.
fn write_partial(
    path: &Path,
    times: &[f64],
    ids: &[u64],
    valid_rows: Option<u64>,
    valid_until: Option<f64>,
) {
    use crate::sonata_spikes::{write_scalar_attr, Sorting};
    let file = create_output_file(path).unwrap();
    let g = file.create_group("spikes/p").unwrap();
    write_scalar_attr(&g, "sorting", &Sorting::ByTime, path).unwrap();
    write_scalar_attr(&g, "n_nodes", &4u64, path).unwrap();
    if let Some(n) = valid_rows {
        write_scalar_attr(&g, "valid_rows", &n, path).unwrap();
    }
    if let Some(t) = valid_until {
        let spikes = file.group("spikes").unwrap();
        write_scalar_attr(&spikes, "valid_until_ms", &t, path).unwrap();
    }
    let ds = g.new_dataset_builder().with_data(times);
    ds.create("timestamps").unwrap();
    let ds = g.new_dataset_builder().with_data(ids);
    ds.create("node_ids").unwrap();
}

#[test]
fn window_is_left_open_and_includes_the_last_step() {
    let dir = test_dir("analyze-edges");
    let path = dir.join("spikes.h5");
    // dt = 0.1, t_stop = 100: the first step's spike at 0.1, the last one's at
    // 1000 * 0.1 (= t_stop), and step 2's at 3 * 0.1 = 0.30000000000000004, a hair
    // above 0.3.
    let step_end = |s: u32| f64::from(s + 1) * 0.1;
    assert!(step_end(2) > 0.3 && step_end(999) == 100.0);
    let spikes = vec![(step_end(0), 0), (step_end(2), 1), (step_end(999), 2)];
    write(&path, &[("p", 0, 4)], spikes);
    let s = &analyze_spikes(&path, 0.0, 100.0, 10.0).unwrap()[0];
    assert_eq!(s.n_spikes, 3);
    assert!(close(s.rate_hz, 3.0 / (4.0 * 0.1)), "{}", s.rate_hz);
    // (0, 0.3] holds steps 0..3, including the spike at 0.30000000000000004;
    // (0.3, 100] the rest.
    assert_eq!(analyze_spikes(&path, 0.0, 0.3, 0.1).unwrap()[0].n_spikes, 2);
    assert_eq!(
        analyze_spikes(&path, 0.3, 100.0, 1.0).unwrap()[0].n_spikes,
        1
    );
    // The spike at t_start is out: (0.1, 100].
    assert_eq!(
        analyze_spikes(&path, 0.1, 100.0, 1.0).unwrap()[0].n_spikes,
        2
    );
    // Bins (k dt, (k+1) dt]: the spike at 0.1 in bin 0, the one at
    // 0.30000000000000004 in bin 2 (it is step 2's), the one at 100 in the last.
    let w = Window::new(0.0, 100.0).unwrap();
    assert_eq!(w.bin_of(0.1, 0.1), 0);
    assert_eq!(w.bin_of(step_end(2), 0.1), 2);
    assert_eq!(w.bin_of(100.0, 0.1), 999);
    assert_eq!(
        (w.n_bins(0.1), w.n_full_bins(0.1), w.n_bins(30.0)),
        (1000, 1000, 4)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn only_valid_rows_are_read() {
    let dir = test_dir("analyze-valid-rows");
    let path = dir.join("spikes.h5");
    // 4 valid rows up to 3 ms, then garbage a failed write left: unsorted times
    // and a node id far beyond n_nodes; node_ids one row shorter than timestamps.
    let times = [1.0, 2.0, 2.0, 3.0, 1e9, -5.0];
    let ids = [0, 1, 2, 3, u64::MAX];
    write_partial(&path, &times, &ids, Some(4), Some(3.0));
    let f = SpikeFile::open(&path).unwrap();
    assert_eq!((f.n_spikes("p"), f.valid_rows("p").unwrap()), (4, 4));
    assert_eq!(f.valid_until_ms().unwrap(), Some(3.0));
    assert_eq!(f.last_timestamp("p").unwrap(), Some(3.0));
    let mut seen = 0;
    f.for_each_chunk("p", 2, |t, _| {
        seen += t.len();
        Ok(())
    })
    .unwrap();
    assert_eq!(seen, 4);
    let s = &analyze_file(&f, Window::new(0.0, 1e9).unwrap(), 1e3).unwrap()[0];
    assert_eq!(s.n_spikes, 4);
    let extent = valid_extent(&f, None).unwrap().unwrap();
    assert_eq!(extent.t_valid_ms, 3.0);
    assert_eq!(extent.source, ExtentSource::SpikeFile);
    drop(f);

    // valid_rows beyond the data is corrupt; so are unequal lengths without it.
    let bad = dir.join("bad.h5");
    write_partial(&bad, &times, &ids, Some(6), None);
    let err = analyze_spikes(&bad, 0.0, 10.0, 1.0).unwrap_err();
    assert!(err.to_string().contains("valid_rows 6 beyond"), "{err}");
    let bad2 = dir.join("bad2.h5");
    write_partial(&bad2, &times, &ids, None, None);
    let err = analyze_spikes(&bad2, 0.0, 10.0, 1.0).unwrap_err();
    assert!(err.to_string().contains("differ"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn extent_of_finished_running_and_old_runs() {
    use crate::metadata::RunMetadata;
    let dir = test_dir("analyze-extent");
    let path = dir.join("spikes.h5");
    write_partial(&path, &[1.0, 2.5], &[0, 1], None, None);
    let f = SpikeFile::open(&path).unwrap();
    let mut meta = RunMetadata {
        status: "finished".into(),
        t_stop_ms: 100.0,
        t_valid_ms: 100.0,
        ..Default::default()
    };
    let of = |m: Option<&RunMetadata>| {
        valid_extent(&f, m)
            .unwrap()
            .map(|e| (e.t_valid_ms, e.source))
    };
    assert_eq!(of(None), None);
    assert_eq!(of(Some(&meta)), Some((100.0, ExtentSource::TStop)));
    meta.status = "interrupted".into();
    meta.t_valid_ms = 40.0;
    assert_eq!(of(Some(&meta)), Some((40.0, ExtentSource::Metadata)));
    // A writer predating t_valid_ms: the last spike.
    meta.status = "running".into();
    meta.t_valid_ms = 0.0;
    assert_eq!(of(Some(&meta)), Some((2.5, ExtentSource::LastSpike)));
    drop(f);
    // valid_until_ms of the file wins over the metadata.
    let path2 = dir.join("spikes2.h5");
    write_partial(&path2, &[1.0, 2.5], &[0, 1], Some(2), Some(30.0));
    let f = SpikeFile::open(&path2).unwrap();
    let e = valid_extent(&f, Some(&meta)).unwrap().unwrap();
    assert_eq!((e.t_valid_ms, e.source), (30.0, ExtentSource::SpikeFile));
    drop(f);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn csv_and_json_agree_with_the_table() {
    let dir = test_dir("analyze-formats");
    let path = dir.join("spikes.h5");
    let spikes = vec![(1.0, 0), (3.0, 0), (7.0, 0), (2.0, 1), (12.0, 5), (13.0, 5)];
    write(&path, &[("a", 0, 4), ("b", 4, 3)], spikes);
    let w = Window::new(0.0, 20.0).unwrap();
    let stats = analyze_spikes(&path, w.t_start, w.t_stop, 5.0).unwrap();
    let table = format_table(&stats);
    let csv = format_csv(&stats, w);
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some(format::CSV_HEADER));
    let json: serde_json::Value = serde_json::from_str(&format_json(&stats, w)).unwrap();
    let json = json.as_array().unwrap();
    assert_eq!(json.len(), 2);
    for ((s, line), (row, obj)) in stats.iter().zip(lines).zip(table.lines().skip(1).zip(json)) {
        let cells: Vec<&str> = line.split(',').collect();
        let table_cells: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(cells.len(), 9, "{line}");
        assert_eq!(
            (cells[0], table_cells[0]),
            (s.population.as_str(), cells[0])
        );
        assert_eq!(obj["population"], s.population.as_str());
        assert_eq!(cells[1].parse::<u64>().unwrap(), s.n_nodes);
        assert_eq!(obj["neurons"], s.n_nodes);
        assert_eq!(table_cells[1], cells[1]);
        assert_eq!(cells[2].parse::<u64>().unwrap(), s.n_spikes);
        assert_eq!(obj["spikes"], s.n_spikes);
        let rate: f64 = cells[3].parse().unwrap();
        assert_eq!(rate, s.rate_hz);
        assert_eq!(obj["rate_hz"].as_f64(), Some(s.rate_hz));
        assert_eq!(format!("{rate:.3}"), table_cells[3]);
        let opt = |cell: &str| (!cell.is_empty()).then(|| cell.parse::<f64>().unwrap());
        assert_eq!(opt(cells[4]), s.cv_isi);
        assert_eq!(obj["cv_isi"].as_f64(), s.cv_isi);
        assert_eq!(opt(cells[6]), s.fano);
        assert_eq!(obj["fano"].as_f64(), s.fano);
        let shown = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.3}"));
        assert_eq!(
            (shown(s.cv_isi).as_str(), shown(s.fano).as_str()),
            (table_cells[4], table_cells[6])
        );
        assert_eq!((cells[7], cells[8]), ("0", "20"));
        assert_eq!(
            (obj["t_start_ms"].as_f64(), obj["t_stop_ms"].as_f64()),
            (Some(0.0), Some(20.0))
        );
    }
    // "a" has a CV (neuron 0: 3 spikes), "b" none: empty field, null.
    assert!(stats[0].cv_isi.is_some() && stats[1].cv_isi.is_none());
    assert!(json[1]["cv_isi"].is_null());
    std::fs::remove_dir_all(&dir).unwrap();
}
