//! Checkpoint files: the round trip bit for bit, and every bad file refused
//! with its class (`tests/corrupt.rs`); a kill while writing
//! (`tests/crash.rs`); the directory's latest valid
//! checkpoint and pruning (`tests/dir.rs`); the size and time of a
//! microcircuit-sized checkpoint (`tests/size.rs`).

mod corrupt;
mod crash;
mod dir;
mod size;

use std::collections::BTreeMap;
use std::path::Path;

use brainsim_sim::checkpoint::{ChunkState, ChunkStates, NetworkKey, RingEntries};

use super::*;
pub(super) use crate::sonata_spikes::test_util::test_dir;

/// A network of `pops` populations (sizes), cut in chunks of `chunk_size`,
/// with `vars` state variables, `lanes` ring lanes and `horizon` ring slots
/// — every value distinct and recognisable (`value`, `ring_value`), one
/// ring entry in `RING_EVERY` non-zero (`ring_position`).
pub(super) fn states(
    step: u64,
    pops: &[u32],
    chunk_size: u32,
    vars: u32,
    lanes: u32,
    horizon: u64,
) -> (ChunkStates, CheckpointMeta) {
    let mut chunks = Vec::new();
    let mut labels = Vec::new();
    let mut gid = 0u32;
    for (p, &size) in pops.iter().enumerate() {
        let mut start = 0;
        while start < size {
            let len = chunk_size.min(size - start);
            let index = chunks.len() as u64;
            let n = (vars * len) as usize;
            let ring_len = horizon as usize * (lanes * len) as usize;
            chunks.push(ChunkState {
                index,
                first_gid: gid,
                len,
                n_vars: vars,
                state: (0..n).map(|i| value(index, i)).collect(),
                lanes,
                fixed_scale: 2f64.powi(20 + p as i32),
                ring: RingEntries::of_dense(
                    &(0..ring_len)
                        .map(|i| match ring_position(index, i) {
                            true => ring_value(index, i),
                            false => 0,
                        })
                        .collect::<Vec<_>>(),
                ),
                events: 1_000_000 + index,
                spikes: 1000 + index,
                plastic: Default::default(),
            });
            labels.push(ChunkLabels {
                population: format!("pop{p}"),
                variables: (0..vars).map(label).collect(),
            });
            start += len;
            gid += len;
        }
    }
    let network = NetworkKey {
        seed: 12345,
        chunk_size: u64::from(chunk_size),
        dt: 0.1,
        n_neurons: u64::from(gid),
        n_chunks: chunks.len() as u64,
        ring_horizon: horizon,
        fingerprint: 0x9e37_79b9_7f4a_7c15,
    };
    let spikes: BTreeMap<String, u64> = (0..pops.len())
        .map(|p| (format!("pop{p}"), 10_000 * p as u64 + 7))
        .collect();
    let config = "[simulation]\nt_stop = 100.0 # µs? no: ms\n".to_string();
    let meta = CheckpointMeta::new(config, spikes, labels);
    let states = ChunkStates {
        step,
        network,
        chunks,
    };
    (states, meta)
}

/// The label of variable `v`: `V_m` (relative to E_L), then others, not in
/// name order (the file keeps the storage order).
fn label(v: u32) -> VarLabel {
    let named = |name: &str, unit: &str, relative_to: Option<&str>| VarLabel {
        name: name.into(),
        unit: unit.into(),
        relative_to: relative_to.map(Into::into),
    };
    match v {
        0 => named("V_m", "mV", Some("E_L")),
        1 => named("w", "pA", None),
        2 => named("I_syn_ex", "pA", None),
        3 => named("refractory_count", "", None),
        _ => named(&format!("x{v}"), "", None),
    }
}

/// State value `i` of chunk `index`: distinct, with specials in chunk 0.
pub(super) fn value(index: u64, i: usize) -> f64 {
    match (index, i) {
        (0, 0) => -0.0,
        (0, 1) => f64::from_bits(0x7ff8_dead_beef_0001), // quiet NaN, payload
        (0, 2) => f64::from_bits(0xfff0_0000_0000_0001), // signalling NaN, sign
        (0, 3) => f64::INFINITY,
        (0, 4) => f64::from_bits(1), // subnormal
        _ => -65.0 + index as f64 * 1e-3 + i as f64 * 1e-7,
    }
}

/// One ring entry in this many is non-zero.
pub(super) const RING_EVERY: usize = 5;

/// Is ring entry `i` of chunk `index` non-zero? One in `RING_EVERY`, at
/// positions that differ between neighbouring chunks.
pub(super) fn ring_position(index: u64, i: usize) -> bool {
    (i + index as usize).is_multiple_of(RING_EVERY)
}

/// Ring value `i` of chunk `index` (where `ring_position`; never 0).
pub(super) fn ring_value(index: u64, i: usize) -> i32 {
    match (index as i32).wrapping_mul(1_000_003) ^ (i as i32).wrapping_mul(-7919) {
        0 => 1,
        v => v,
    }
}

/// Asserts `a` and `b` equal field by field, floats by bits.
pub(super) fn assert_same(a: &ChunkStates, b: &ChunkStates) {
    assert_eq!(a.step, b.step);
    assert_eq!(a.network.seed, b.network.seed);
    assert_eq!(a.network.chunk_size, b.network.chunk_size);
    assert_eq!(a.network.dt.to_bits(), b.network.dt.to_bits());
    assert_eq!(a.network.n_neurons, b.network.n_neurons);
    assert_eq!(a.network.n_chunks, b.network.n_chunks);
    assert_eq!(a.network.ring_horizon, b.network.ring_horizon);
    assert_eq!(a.network.fingerprint, b.network.fingerprint);
    assert_eq!(a.chunks.len(), b.chunks.len());
    for (x, y) in a.chunks.iter().zip(&b.chunks) {
        let at = format!("chunk {}", x.index);
        assert_eq!(
            (x.index, x.first_gid, x.len, x.n_vars, x.lanes),
            (y.index, y.first_gid, y.len, y.n_vars, y.lanes),
            "{at}"
        );
        assert_eq!(x.fixed_scale.to_bits(), y.fixed_scale.to_bits(), "{at}");
        let bits = |v: &[f64]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&x.state), bits(&y.state), "{at}");
        assert_eq!(x.ring, y.ring, "{at}");
        assert_eq!((x.events, x.spikes), (y.events, y.spikes), "{at}");
        let (p, q) = (&x.plastic, &y.plastic);
        assert_eq!(p.stores.len(), q.stores.len(), "{at}");
        for (s, t) in p.stores.iter().zip(&q.stores) {
            assert_eq!(
                (s.projection, &s.last, s.overflows),
                (t.projection, &t.last, t.overflows)
            );
            for (a, b) in [
                (&s.weight, &t.weight),
                (&s.t_last, &t.t_last),
                (&s.kplus, &t.kplus),
            ]
            .into_iter()
            .chain([(&s.u, &t.u), (&s.x, &t.x)])
            {
                assert_eq!(bits(a), bits(b), "{at}");
            }
        }
        let (h, k) = (&p.history, &q.history);
        assert_eq!(
            (&h.count, &h.stamp, &h.recent_stamp),
            (&k.count, &k.stamp, &k.recent_stamp)
        );
        for (a, b) in [
            (&h.t, &k.t),
            (&h.k, &k.k),
            (&h.recent_t, &k.recent_t),
            (&h.recent_k, &k.recent_k),
        ] {
            assert_eq!(bits(a), bits(b), "{at}");
        }
    }
}

/// Gives chunk 0 (16 neurons) of `s` two plastic stores and histories,
/// with the extremes they hold (the empty place's stamp, -1, subnormal,
/// negative zero, NaN), and chunk 1 a store without histories.
pub(super) fn with_plastic(s: &mut ChunkStates) {
    use brainsim_sim::plastic::{HistoryState, PlasticChunkState, StoreState};
    let store = |projection: u32, syn: usize, rows: usize| StoreState {
        projection,
        weight: (0..syn).map(|i| 45.0 + i as f64 / 7.0).collect(),
        last: (0..rows as i64).map(|r| 10 * r - 1).collect(),
        t_last: (0..rows).map(|r| r as f64 * 0.1 - 0.1).collect(),
        kplus: vec![f64::from_bits(1); rows],
        u: vec![-0.0; rows],
        x: vec![f64::from_bits(0x7ff8_dead_beef_0001); rows],
        overflows: u64::MAX,
    };
    let n = s.chunks[0].len as usize;
    let count: Vec<u32> = (0..n as u32).map(|i| i % 4).collect();
    let e: usize = count.iter().map(|&c| c as usize).sum();
    let mut stamp = Vec::new();
    for &c in &count {
        stamp.extend((0..i64::from(c)).map(|k| 100 + 3 * k));
    }
    let recent = |i: usize| if i % 4 == 3 { i64::MIN } else { i as i64 };
    s.chunks[0].plastic = PlasticChunkState {
        stores: vec![store(2, 30, 6), store(0, 0, 0)],
        history: HistoryState {
            count,
            stamp,
            t: (0..e).map(|i| i as f64 * 0.3).collect(),
            k: (0..e).map(|i| 1.0 + i as f64).collect(),
            recent_stamp: (0..4 * n).map(recent).collect(),
            recent_t: vec![0.5; 4 * n],
            recent_k: vec![1.5; 4 * n],
        },
    };
    s.chunks[1].plastic = PlasticChunkState {
        stores: vec![store(1, 5, 2)],
        history: HistoryState::default(),
    };
}

/// Writes the checkpoint into a fresh directory named after `name`.
pub(super) fn written(name: &str, s: &ChunkStates, m: &CheckpointMeta) -> std::path::PathBuf {
    let dir = test_dir(name);
    write(&dir, s, m).unwrap()
}

#[test]
fn round_trip_is_bit_exact() {
    // 3 populations, chunks of 16 (the last of each shorter), 3 lanes.
    let (s, m) = states(4321, &[40, 16, 5], 16, 5, 3, 7);
    let path = written("ckpt-round-trip", &s, &m);
    assert_eq!(path.file_name().unwrap(), "t4321.h5");
    let (s2, m2) = read(&path).unwrap();
    assert_same(&s, &s2);
    assert_eq!(m, m2);
    assert_eq!(m2.brainsim_version, env!("CARGO_PKG_VERSION"));
    assert_eq!(m2.config_hash, config_hash(&m.config_text));
    assert!(s2.chunks[0].state[1].is_nan() && s2.chunks[0].state[0].is_sign_negative());
    // Nothing left besides the checkpoint.
    let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["t4321.h5"]);
    std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
}

/// Plastic stores and histories come back bit for bit; a chunk without
/// them has no `plastic` group.
#[test]
fn plastic_state_round_trips_bit_exact() {
    let (mut s, m) = states(77, &[40, 16], 16, 2, 1, 3);
    with_plastic(&mut s);
    let path = written("ckpt-plastic", &s, &m);
    let (s2, _) = read(&path).unwrap();
    assert_same(&s, &s2);
    assert!(!s2.chunks[0].plastic.is_empty() && s2.chunks[2].plastic.is_empty());
    let file = hdf5::File::open(&path).unwrap();
    assert!(
        file.link_exists("chunks/000000/plastic") && !file.link_exists("chunks/000002/plastic")
    );
    drop(file);
    std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
}

#[test]
fn a_chunk_without_state_variables_and_a_rewrite_of_the_same_step() {
    let (mut s, mut m) = states(10, &[3], 4, 0, 1, 2);
    let path = written("ckpt-no-vars", &s, &m);
    let (s2, m2) = read(&path).unwrap();
    assert_same(&s, &s2);
    assert_eq!(m, m2);
    // The same step again replaces the file.
    s.chunks[0].events = 99;
    m.spikes_written.insert("pop0".into(), 3);
    let dir = path.parent().unwrap();
    assert_eq!(write(dir, &s, &m).unwrap(), path);
    let (s3, m3) = read(&path).unwrap();
    assert_eq!((s3.chunks[0].events, m3.spikes_written["pop0"]), (99, 3));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn incomplete_or_mislabelled_states_are_not_written() {
    let dir = test_dir("ckpt-refused");
    let (s, m) = states(5, &[40], 16, 2, 1, 3);
    let mut part = s.clone();
    part.chunks.remove(1);
    let mut labels = m.clone();
    labels.chunks.pop();
    let mut names = m.clone();
    names.chunks[0].variables[1].name = "V_m".into();
    let mut ring = s.clone();
    ring.chunks[2].ring.push(48, 5); // 8 neurons x 3 slots: 24 entries
    for (s, m, what) in [
        (&part, &m, "lacks chunks [1]"),
        (&s, &labels, "2 chunk labels for 3 chunks"),
        (&s, &names, "variable names"),
        (
            &ring,
            &m,
            "chunk 2: ring entries: position 48 beyond the ring's 24 entries",
        ),
    ] {
        let err = write(&dir, s, m).unwrap_err().to_string();
        assert!(err.contains(what), "{err}");
    }
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0, "no file made");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Flips one bit of the only occurrence of `needle` in the file at `path`
/// (at `needle`'s middle byte).
pub(super) fn flip(path: &Path, needle: &[u8]) {
    let mut bytes = std::fs::read(path).unwrap();
    let at: Vec<usize> = bytes
        .windows(needle.len())
        .enumerate()
        .filter(|(_, w)| *w == needle)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(at.len(), 1, "{needle:02x?} occurs {} times", at.len());
    bytes[at[0] + needle.len() / 2] ^= 0x10;
    std::fs::write(path, bytes).unwrap();
}

/// Not a check: writes a small checkpoint into
/// $BRAINSIM_CHECKPOINT_SAMPLE_DIR (default: a temp dir), to look at with
/// h5py (DESIGN.md, "Checkpoint files").
#[test]
#[ignore]
fn write_sample_checkpoint() {
    let dir = std::env::var_os("BRAINSIM_CHECKPOINT_SAMPLE_DIR")
        .map_or_else(|| test_dir("ckpt-sample"), std::path::PathBuf::from);
    std::fs::create_dir_all(&dir).unwrap();
    let (s, m) = states(1000, &[40, 30], 16, 3, 2, 5);
    eprintln!(
        "sample written to {}",
        write(&dir, &s, &m).unwrap().display()
    );
}
