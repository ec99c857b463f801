//! Tests of the spike writer: round trip across buffer boundaries with every attribute
//! and type checked, input validation, drop and crash (abort) after a flush, speed.

use super::test_util::{run_child, synthetic_spikes, test_dir};
use super::*;
use hdf5::types::{IntSize, TypeDescriptor};

const POPS: [(&str, u32, u32); 3] = [("exc", 0, 800), ("inh", 800, 200), ("ext", 1000, 50)];

fn pops() -> Vec<(String, u32, u32)> {
    POPS.iter()
        .map(|(n, f, s)| (n.to_string(), *f, *s))
        .collect()
}

/// Expected (timestamps, node_ids) of one population.
fn expected(spikes: &[(f64, u32)], first: u32, size: u32) -> (Vec<f64>, Vec<u64>) {
    spikes
        .iter()
        .filter(|(_, g)| *g >= first && *g < first + size)
        .map(|&(t, g)| (t, u64::from(g - first)))
        .unzip()
}

fn read_pop(file: &File, name: &str) -> (Vec<f64>, Vec<u64>) {
    let g = file.group(&format!("spikes/{name}")).unwrap();
    let t = g.dataset("timestamps").unwrap().read_raw::<f64>().unwrap();
    let id = g.dataset("node_ids").unwrap().read_raw::<u64>().unwrap();
    (t, id)
}

#[test]
fn round_trip_many_spikes_with_attributes() {
    let dir = test_dir("spikes-roundtrip");
    let path = dir.join("spikes.h5");
    let spikes = synthetic_spikes(300_000, 1050);
    let mut w = SpikeWriter::create(&path, &pops()).unwrap();
    // Uneven batches, with a flush in the middle (non-chunk-aligned appends).
    let mut rest = &spikes[..];
    for (i, batch) in [1usize, 7, 1000, 65_535, 65_537, 3]
        .iter()
        .cycle()
        .enumerate()
    {
        let n = (*batch).min(rest.len());
        w.append(&rest[..n]).unwrap();
        rest = &rest[n..];
        if i == 3 {
            w.flush().unwrap();
        }
        if rest.is_empty() {
            break;
        }
    }
    assert_eq!(w.finish().unwrap(), spikes.len() as u64);

    let file = open_input_file(&path).unwrap();
    assert_eq!(
        file.attr("magic").unwrap().read_scalar::<u32>().unwrap(),
        0x0A7A
    );
    assert!(file.attr("magic").unwrap().dtype().unwrap().is::<u32>());
    assert_eq!(
        file.attr("version").unwrap().read_raw::<u32>().unwrap(),
        vec![0, 1]
    );
    assert!(file.attr("version").unwrap().dtype().unwrap().is::<u32>());
    assert_eq!(
        file.attr("finished").unwrap().read_scalar::<u8>().unwrap(),
        1
    );
    assert!(file.attr("finished").unwrap().dtype().unwrap().is::<u8>());
    let mut names = file.group("spikes").unwrap().member_names().unwrap();
    names.sort();
    assert_eq!(names, ["exc", "ext", "inh"]);

    let mut total = 0;
    for (name, first, size) in POPS {
        let (t, id) = read_pop(&file, name);
        let (et, eid) = expected(&spikes, first, size);
        assert!(et.len() > 1000, "{name}: test data too small");
        assert_eq!(t, et, "{name}: timestamps");
        assert_eq!(id, eid, "{name}: node_ids");
        total += t.len();

        let g = file.group(&format!("spikes/{name}")).unwrap();
        let sorting = g.attr("sorting").unwrap();
        match sorting.dtype().unwrap().to_descriptor().unwrap() {
            TypeDescriptor::Enum(e) => {
                assert_eq!(e.size, IntSize::U1);
                assert!(!e.signed);
                let m: Vec<(String, u64)> = e
                    .members
                    .iter()
                    .map(|m| (m.name.clone(), m.value))
                    .collect();
                let want = [("none", 0), ("by_id", 1), ("by_time", 2)];
                assert_eq!(m, want.map(|(n, v)| (n.to_string(), v)));
            }
            other => panic!("sorting is {other:?}, not an enum"),
        }
        assert_eq!(sorting.read_scalar::<Sorting>().unwrap(), Sorting::ByTime);
        assert_eq!(sorting.read_scalar::<u8>().unwrap(), 2);
        let n_nodes = g.attr("n_nodes").unwrap();
        assert!(n_nodes.dtype().unwrap().is::<u64>());
        assert_eq!(n_nodes.read_scalar::<u64>().unwrap(), u64::from(size));
        let ts = g.dataset("timestamps").unwrap();
        assert!(ts.dtype().unwrap().is::<f64>());
        assert!(g.dataset("node_ids").unwrap().dtype().unwrap().is::<u64>());
        let units = ts.attr("units").unwrap();
        assert_eq!(
            units.dtype().unwrap().to_descriptor().unwrap(),
            TypeDescriptor::VarLenUnicode
        );
        assert_eq!(units.read_scalar::<VarLenUnicode>().unwrap().as_str(), "ms");
    }
    assert_eq!(total, spikes.len());
    drop(file);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn rejects_bad_input() {
    let dir = test_dir("spikes-bad");
    let path = dir.join("spikes.h5");
    let overlap = vec![("a".to_string(), 0, 10), ("b".to_string(), 5, 10)];
    let err = SpikeWriter::create(&path, &overlap)
        .err()
        .expect("overlap accepted");
    assert!(err.to_string().contains("overlap"), "{err}");
    let dup = vec![("a".to_string(), 0, 10), ("a".to_string(), 10, 10)];
    assert!(SpikeWriter::create(&path, &dup).is_err());

    let mut w = SpikeWriter::create(&path, &pops()).unwrap();
    let err = w.append(&[(1.0, 5000)]).unwrap_err();
    assert!(err.to_string().contains("gid 5000"), "{err}");
    assert!(err.to_string().contains("spikes.h5"), "{err}");
    drop(w);
    let mut w = SpikeWriter::create(&path, &pops()).unwrap();
    w.append(&[(2.0, 1), (2.0, 0)]).unwrap(); // same time: order within a step is free
    assert!(w.append(&[(1.5, 3)]).is_err());
    drop(w);
    let mut w = SpikeWriter::create(&path, &pops()).unwrap();
    assert!(w.append(&[(f64::NAN, 3)]).is_err());
    drop(w);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn drop_without_finish_keeps_flushed_spikes() {
    let dir = test_dir("spikes-drop");
    let path = dir.join("spikes.h5");
    let spikes = synthetic_spikes(100_000, 1050);
    let mut w = SpikeWriter::create(&path, &pops()).unwrap();
    w.append(&spikes[..70_000]).unwrap();
    w.flush().unwrap();
    w.append(&spikes[70_000..]).unwrap(); // stays (partly) in the buffers
    drop(w);

    let file = open_input_file(&path).unwrap();
    assert_eq!(
        file.attr("finished").unwrap().read_scalar::<u8>().unwrap(),
        0
    );
    for (name, first, size) in POPS {
        let (t, id) = read_pop(&file, name);
        let (et, eid) = expected(&spikes[..70_000], first, size);
        assert!(t.len() >= et.len());
        assert_eq!(t[..et.len()], et[..], "{name}");
        assert_eq!(id[..eid.len()], eid[..], "{name}");
    }
    drop(file);
    std::fs::remove_dir_all(&dir).unwrap();
}

const CRASH_ENV: &str = "BRAINSIM_IO_CRASH_CHILD";

/// Child: writes, flushes, keeps writing (crossing a buffer boundary without a
/// flush), then aborts. Parent: the flushed spikes must be readable.
#[test]
fn crash_after_flush_keeps_flushed_spikes() {
    let spikes = synthetic_spikes(250_000, 1050);
    if let Ok(path) = std::env::var(CRASH_ENV) {
        let mut w = SpikeWriter::create(Path::new(&path), &pops()).unwrap();
        w.append(&spikes[..100_000]).unwrap();
        w.flush().unwrap();
        w.append(&spikes[100_000..]).unwrap();
        std::process::abort();
    }
    let dir = test_dir("spikes-crash");
    let path = dir.join("spikes.h5");
    let test = "sonata_spikes::tests::crash_after_flush_keeps_flushed_spikes";
    assert!(!run_child(test, CRASH_ENV, &path), "child did not crash");

    let file = open_input_file(&path).unwrap();
    assert_eq!(
        file.attr("finished").unwrap().read_scalar::<u8>().unwrap(),
        0
    );
    for (name, first, size) in POPS {
        let (t, id) = read_pop(&file, name);
        assert_eq!(t.len(), id.len(), "{name}: dataset lengths differ");
        let (et, eid) = expected(&spikes[..100_000], first, size);
        assert_eq!(t, et, "{name}: not the state at the flush");
        assert_eq!(id, eid, "{name}");
    }
    drop(file);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn append_ten_million_spikes_fast() {
    let dir = test_dir("spikes-perf");
    let path = dir.join("spikes.h5");
    let spikes: Vec<(f64, u32)> = (0..10_000_000u64)
        .map(|i| ((i / 1000) as f64 * 0.1, (i * 7919 % 100_000) as u32))
        .collect();
    let pops = vec![
        ("exc".to_string(), 0, 80_000),
        ("inh".to_string(), 80_000, 20_000),
    ];
    let start = std::time::Instant::now();
    let mut w = SpikeWriter::create(&path, &pops).unwrap();
    for batch in spikes.chunks(1000) {
        w.append(batch).unwrap();
    }
    assert_eq!(w.finish().unwrap(), 10_000_000);
    let elapsed = start.elapsed();
    eprintln!("10 M spikes appended + finished in {elapsed:?}");
    assert!(elapsed.as_secs_f64() < 5.0, "too slow: {elapsed:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}
