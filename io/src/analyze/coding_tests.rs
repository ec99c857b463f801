//! Tests of the per-neuron read-outs, the decoders and the read-out files,
//! on spike trains and read-outs made by hand.

use super::decode::{decode, pearson, Encoder, EncoderKind, Method};
use super::readout::{fixed_windows, readout_file, PopulationReadout};
use super::*;
use crate::sonata_spikes::test_util::test_dir;
use crate::sonata_spikes::SpikeWriter;
use brainsim_sim::spec::InputTable;

fn win(a: f64, b: f64) -> Window {
    Window::new(a, b).unwrap()
}

/// Population "p": 4 neurons (gids 10..14). Windows (0, 10], (10, 20],
/// (25, 30]: a spike at exactly 10 belongs to the first, 22 to none.
#[test]
fn readout_counts_and_first_spikes_per_window() {
    let dir = test_dir("readout");
    let path = dir.join("spikes.h5");
    let mut w = SpikeWriter::create(&path, &[("p".to_string(), 10, 4)]).unwrap();
    w.append(&[
        (1.0, 11),
        (2.0, 11),
        (10.0, 13),
        (10.1, 13),
        (22.0, 10),
        (26.0, 11),
        (30.0, 11),
    ])
    .unwrap();
    w.finish().unwrap();
    let f = SpikeFile::open(&path).unwrap();
    let windows = [win(0.0, 10.0), win(10.0, 20.0), win(25.0, 30.0)];
    let r = &readout_file(&f, &windows).unwrap()[0];
    assert_eq!(r.n_nodes, 4);
    let counts: Vec<Vec<u32>> = (0..3)
        .map(|w| (0..4).map(|i| r.count(w, i)).collect())
        .collect();
    assert_eq!(counts, [[0, 2, 0, 1], [0, 0, 0, 1], [0, 2, 0, 0]]);
    assert_eq!(r.first_spike(0, 1), Some(1.0));
    assert_eq!(r.first_spike(0, 3), Some(10.0));
    assert_eq!(r.first_spike(1, 3), Some(10.1));
    assert_eq!(r.first_spike(2, 1), Some(26.0));
    assert_eq!(r.first_spike(0, 0), None);

    // The files: CSV rows for every neuron and window, HDF5 matrices.
    let csv = dir.join("readout.csv");
    write_readout(&csv, &windows, std::slice::from_ref(r)).unwrap();
    let text = std::fs::read_to_string(&csv).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], READOUT_CSV_HEADER);
    assert_eq!(lines.len(), 1 + 3 * 4);
    assert_eq!(lines[2], "p,1,0,0,10,2,200,1,1");
    assert_eq!(lines[1], "p,0,0,0,10,0,0,,");
    let h5 = dir.join("readout.h5");
    write_readout(&h5, &windows, std::slice::from_ref(r)).unwrap();
    let file = crate::sonata_spikes::open_input_file(&h5).unwrap();
    let spikes = file
        .dataset("readout/p/spikes")
        .unwrap()
        .read_2d::<u32>()
        .unwrap();
    assert_eq!(spikes.shape(), [3, 4]);
    assert_eq!(spikes[[2, 1]], 2);
    let latency = file
        .dataset("readout/p/latency_ms")
        .unwrap()
        .read_2d::<f64>()
        .unwrap();
    assert_eq!(latency[[1, 3]], 10.1 - 10.0);
    assert!(latency[[1, 0]].is_nan());
    let bounds = file
        .dataset("readout/windows")
        .unwrap()
        .read_2d::<f64>()
        .unwrap();
    assert_eq!(bounds.row(2).to_vec(), [25.0, 30.0]);
    drop(file);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn fixed_windows_cover_the_span() {
    let w = fixed_windows(win(5.0, 30.0), 10.0).unwrap();
    assert_eq!(w, [win(5.0, 15.0), win(15.0, 25.0), win(25.0, 30.0)]);
    assert!(fixed_windows(win(0.0, 1.0), 0.0).is_err());
}

fn encoder(kind: EncoderKind, values: Vec<Vec<f64>>, targets: Vec<u32>) -> Encoder {
    let times = (0..values.len()).map(|j| 100.0 * j as f64).collect();
    Encoder {
        index: 0,
        kind,
        population: "p".into(),
        targets,
        table: InputTable {
            times,
            values,
            components: None,
        },
        delay: 1.5,
        dt: 0.1,
    }
}

#[test]
fn encoder_windows_follow_its_times_shifted_by_its_delay() {
    let rate = EncoderKind::Rate {
        gain: 1.0,
        offset: 0.0,
    };
    let e = encoder(rate, vec![vec![1.0]; 3], vec![0]);
    let w = e.windows(win(0.0, 250.0));
    assert_eq!(w, [win(1.5, 101.5), win(101.5, 201.5), win(201.5, 250.0)]);
    assert_eq!(
        e.windows(win(50.0, 120.0)),
        [win(50.0, 101.5), win(101.5, 120.0)]
    );
    assert_eq!(e.vector_of(&win(120.0, 130.0)), Some(1));
    assert_eq!(
        e.vector_of(&win(90.0, 110.0)),
        None,
        "straddles two vectors"
    );
    assert_eq!(e.vector_of(&win(0.0, 1.0)), None, "before the first");
}

/// A read-out of `n` neurons over one window made from per-neuron counts
/// and first spikes.
fn readout(counts: Vec<u32>, first: Vec<f64>) -> PopulationReadout {
    PopulationReadout {
        population: "p".into(),
        n_nodes: counts.len(),
        counts,
        first,
    }
}

#[test]
fn rate_decoding_groups_neurons_by_component_and_inverts_the_encoder() {
    // Targets: nodes 1..=6, target k reads k % 3; node 0 is not a target.
    let kind = EncoderKind::Rate {
        gain: 10.0,
        offset: 5.0,
    };
    let e = encoder(kind, vec![vec![1.0, 3.0, 0.5]], (1..=6).collect());
    let windows = e.windows(win(0.0, 101.5)); // (1.5, 101.5]: 0.1 s
                                              // Rates 15, 35, 10 Hz: 1.5, 3.5, 1 spikes per neuron in 0.1 s.
    let counts = vec![99, 1, 3, 1, 2, 4, 1];
    let r = readout(counts, vec![f64::NAN; 7]);
    let d = decode(Method::Rate, &e, &r, &windows);
    assert_eq!(d.neurons, [2, 2, 2]);
    let w = &d.windows[0];
    assert_eq!(w.values, [Some(15.0), Some(35.0), Some(10.0)]);
    assert_eq!(w.decoded_x, [Some(1.0), Some(3.0), Some(0.5)]);
    assert_eq!(w.encoded_x.as_deref(), Some(&[1.0, 3.0, 0.5][..]));
    assert!((w.correlation.unwrap() - 1.0).abs() < 1e-12);
    assert!((d.correlation.unwrap() - 1.0).abs() < 1e-12);
}

#[test]
fn latency_decoding_orders_components_and_compares_with_the_formula() {
    // tau 10, threshold 1: x = 3 -> 4.05 ms, 2 -> 6.93 ms, 1.5 -> 10.99
    // ms, 0.5 -> none. Components 0..4, one neuron each (targets 0..4).
    let kind = EncoderKind::Latency {
        tau: 10.0,
        threshold: 1.0,
    };
    let e = encoder(kind, vec![vec![2.0, 0.5, 3.0, 1.5]], (0..4).collect());
    let windows = e.windows(win(0.0, 101.5));
    let t0 = windows[0].t_start;
    let first = vec![t0 + 7.0, f64::NAN, t0 + 4.1, t0 + 11.1];
    let d = decode(
        Method::Latency,
        &e,
        &readout(vec![1, 0, 1, 1], first),
        &windows,
    );
    let w = &d.windows[0];
    assert_eq!(w.order, [2, 0, 3]);
    assert_eq!(w.expected_order.as_deref(), Some(&[2, 0, 3][..]));
    assert_eq!(d.matched, (1, 1));
    // A swap is a mismatch.
    let first = vec![t0 + 3.0, f64::NAN, t0 + 4.1, t0 + 11.1];
    let d = decode(
        Method::Latency,
        &e,
        &readout(vec![1, 0, 1, 1], first),
        &windows,
    );
    assert_eq!(d.windows[0].order, [0, 2, 3]);
    assert_eq!(d.matched, (0, 1));
    // Output formats carry the same.
    let json: serde_json::Value =
        serde_json::from_str(&decoding_json(std::slice::from_ref(&d))).unwrap();
    assert_eq!(json[0]["windows"][0]["match"], false);
    let csv = decoding_csv(&[d]);
    assert_eq!(csv.lines().next(), Some(DECODE_CSV_HEADER));
    assert_eq!(csv.lines().count(), 1 + 4);
}

#[test]
fn pearson_by_hand() {
    assert_eq!(pearson(&[1.0, 2.0, 3.0], &[2.0, 4.0, 6.0]), Some(1.0));
    assert_eq!(pearson(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]), Some(-1.0));
    assert_eq!(pearson(&[1.0, 2.0], &[5.0, 5.0]), None);
    assert_eq!(pearson(&[1.0], &[5.0]), None);
}
