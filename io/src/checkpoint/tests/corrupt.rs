//! Every class of bad checkpoint file is refused by `read` with one line
//! that names the file and the problem: missing, truncated, a flipped byte
//! in a dataset, in the metadata or in a string, a wrong format version, a
//! missing dataset, not a checkpoint, not HDF5.

use std::path::{Path, PathBuf};

use super::*;
use crate::checkpoint::layout::root;
use crate::sonata_spikes::test_util::no_spawn;

/// A fresh checkpoint (5 chunks of up to 16 neurons, 3 variables).
fn good(name: &str) -> PathBuf {
    let (s, m) = states(300, &[40, 30], 16, 3, 2, 5);
    written(name, &s, &m)
}

/// Asserts that `read(path)` fails with `kind` and one line naming the
/// file and containing `what`; removes the directory.
fn refused(path: &Path, kind: ErrorKind, what: &str) {
    let err = read(path).unwrap_err();
    let line = err.to_string();
    assert_eq!(err.kind, kind, "{line}");
    assert!(line.starts_with(&format!("{}: ", path.display())), "{line}");
    assert!(line.contains(what), "{line}");
    assert_eq!(line.lines().count(), 1, "{line}");
    std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
}

/// Runs `f` on the file opened read-write with HDF5.
fn edit(path: &Path, f: impl FnOnce(&hdf5::File)) {
    let file = {
        let _guard = no_spawn();
        hdf5::File::open_rw(path).unwrap()
    };
    f(&file);
    file.close().unwrap();
}

#[test]
fn a_missing_file_is_named() {
    let dir = test_dir("ckpt-missing");
    std::fs::create_dir_all(&dir).unwrap();
    refused(&dir.join("t5.h5"), ErrorKind::Missing, "No such file");
}

#[test]
fn a_truncated_file_is_refused() {
    let path = good("ckpt-truncated");
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    refused(&path, ErrorKind::Truncated, "truncated file");
}

#[test]
fn a_flipped_byte_in_a_state_dataset_fails_its_checksum() {
    let path = good("ckpt-flip-state");
    // Chunk 3 (the first of 30 neurons), variable 1 (w), neuron 2.
    flip(&path, &value(3, 16 + 2).to_le_bytes());
    refused(
        &path,
        ErrorKind::Corrupt,
        "checksum mismatch in dataset /chunks/000003/state/w",
    );
}

/// The positions of chunk 4's non-zero ring entries.
fn ring_positions_of_chunk_4() -> Vec<usize> {
    (0..).filter(|&i| ring_position(4, i)).take(20).collect()
}

#[test]
fn a_flipped_byte_in_a_ring_fails_its_checksum() {
    let path = good("ckpt-flip-ring");
    let needle: Vec<u8> = ring_positions_of_chunk_4()[8..11]
        .iter()
        .flat_map(|&i| ring_value(4, i).to_le_bytes())
        .collect();
    flip(&path, &needle);
    refused(
        &path,
        ErrorKind::Corrupt,
        "checksum mismatch in dataset /chunks/000004/ring_value",
    );
}

#[test]
fn a_flipped_byte_in_a_ring_bitmap_fails_its_checksum() {
    let path = good("ckpt-flip-ring-mask");
    let positions: Vec<u32> = (0..140)
        .filter(|&i| ring_position(4, i))
        .map(|i| i as u32)
        .collect();
    flip(&path, &crate::checkpoint::mask::bitmap(&positions, 140));
    refused(
        &path,
        ErrorKind::Corrupt,
        "checksum mismatch in dataset /chunks/000004/ring_mask",
    );
}

/// Replaces dataset `name` of chunk `chunk` with `f` of its values
/// (checksummed all the same, as a writer with a bug would make it).
fn rewrite<T: hdf5::H5Type>(path: &Path, chunk: &str, name: &str, f: impl FnOnce(&mut Vec<T>)) {
    edit(path, |file| {
        let at = format!("chunks/{chunk}/{name}");
        let mut values: Vec<T> = file.dataset(&at).unwrap().read_raw().unwrap();
        f(&mut values);
        file.unlink(&at).unwrap();
        let g = file.group(&format!("chunks/{chunk}")).unwrap();
        let d = g.new_dataset_builder().with_data(&values[..]);
        d.chunk(values.len()).fletcher32().create(name).unwrap();
    });
}

/// Ring entries that are not those of a ring are refused, naming the chunk:
/// a bitmap of the wrong length (chunk 1: 160 entries, 20 bytes), a bit set
/// past the ring's end (chunk 4: 140 entries, 18 bytes), more bits than
/// values, a value 0.
#[test]
fn ring_entries_that_are_no_ring_are_refused() {
    let path = good("ckpt-ring-length");
    let (s, _) = states(300, &[40, 30], 16, 3, 2, 5);
    let entries = s.chunks[1].ring.len();
    assert_eq!((s.chunks[1].ring_len(5), entries), (160, 32));
    rewrite::<u8>(&path, "000001", "ring_mask", |m| m.push(1));
    refused(
        &path,
        ErrorKind::Inconsistent,
        "dataset /chunks/000001/ring_mask has shape [21], expected [20]",
    );
    let path = good("ckpt-ring-beyond");
    rewrite::<u8>(&path, "000004", "ring_mask", |m| m[17] |= 0x80);
    refused(
        &path,
        ErrorKind::Inconsistent,
        "/chunks/000004: ring entries: bit 143 set, beyond the ring's 140 entries",
    );
    let path = good("ckpt-ring-count");
    rewrite::<u8>(&path, "000001", "ring_mask", |m| m[0] |= 0x80);
    refused(
        &path,
        ErrorKind::Inconsistent,
        "/chunks/000001: ring entries: 33 marked in ring_mask, 32 in ring_entries",
    );
    let path = good("ckpt-ring-zero");
    rewrite::<i32>(&path, "000001", "ring_value", |v| v[3] = 0);
    refused(
        &path,
        ErrorKind::Inconsistent,
        "/chunks/000001: ring entries: a zero entry at position 19",
    );
}

#[test]
fn a_flipped_byte_in_an_attribute_fails_the_metadata_checksum() {
    let path = good("ckpt-flip-attr");
    flip(&path, &0x9e37_79b9_7f4a_7c15u64.to_le_bytes()); // the fingerprint
    refused(&path, ErrorKind::Corrupt, "checksum mismatch");
}

#[test]
fn a_flipped_byte_in_the_config_text_fails_the_string_digest() {
    let path = good("ckpt-flip-config");
    flip(&path, b"t_stop = 100.0");
    refused(
        &path,
        ErrorKind::Corrupt,
        "checksum mismatch in the string attributes",
    );
}

/// Another version, older (1: the dense ring) or newer, is refused.
#[test]
fn another_format_version_is_refused() {
    assert_eq!(FORMAT_VERSION, 3);
    for version in [1u32, 99] {
        let path = good(&format!("ckpt-version-{version}"));
        edit(&path, |f| {
            f.attr(root::FORMAT_VERSION)
                .unwrap()
                .write_scalar(&version)
                .unwrap()
        });
        refused(
            &path,
            ErrorKind::UnsupportedFormat,
            &format!("unsupported format version {version} (this brainsim reads versions 2 to 3)"),
        );
    }
}

/// A version 2 file (no plastic state: those brainsims refused plastic
/// checkpoints) is read as it is.
#[test]
fn a_version_2_file_is_read() {
    let (s, m) = states(300, &[40, 30], 16, 3, 2, 5);
    let path = written("ckpt-version-2", &s, &m);
    edit(&path, |f| {
        f.attr(root::FORMAT_VERSION)
            .unwrap()
            .write_scalar(&2u32)
            .unwrap()
    });
    assert_same(&read(&path).unwrap().0, &s);
    std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
}

/// Plastic state that breaks its invariants or its shapes is refused,
/// naming the group: stamps out of order, a weight missing, a store group
/// missing.
#[test]
fn bad_plastic_state_is_refused() {
    let plastic_file = |name: &str| {
        let (mut s, m) = states(300, &[40, 30], 16, 3, 2, 5);
        with_plastic(&mut s);
        written(name, &s, &m)
    };
    let path = plastic_file("ckpt-plastic-order");
    rewrite::<i64>(&path, "000000/plastic/history", "stamp", |v| v.swap(1, 2));
    refused(
        &path,
        ErrorKind::Inconsistent,
        "/chunks/000000/plastic: neuron 2: history stamps not in order",
    );
    let path = plastic_file("ckpt-plastic-weight");
    rewrite::<f64>(&path, "000000/plastic/0", "weight", |v| {
        v.pop();
    });
    refused(
        &path,
        ErrorKind::Inconsistent,
        "dataset /chunks/000000/plastic/0/weight has shape [29], expected [30]",
    );
    let path = plastic_file("ckpt-plastic-store");
    edit(&path, |f| f.unlink("chunks/000000/plastic/1").unwrap());
    refused(
        &path,
        ErrorKind::Inconsistent,
        "/chunks/000000/plastic: 2 members for 2 stores and a history",
    );
}

#[test]
fn a_missing_dataset_is_named() {
    let path = good("ckpt-no-ring");
    edit(&path, |f| f.unlink("chunks/000001/ring_value").unwrap());
    refused(
        &path,
        ErrorKind::MissingData,
        "missing dataset /chunks/000001/ring_value",
    );
}

#[test]
fn a_missing_chunk_is_named() {
    let path = good("ckpt-no-chunk");
    edit(&path, |f| f.unlink("chunks/000002").unwrap());
    refused(&path, ErrorKind::MissingData, "missing chunks [2] (of 5)");
}

#[test]
fn a_dataset_of_the_wrong_shape_is_refused() {
    let path = good("ckpt-shape");
    edit(&path, |f| {
        f.unlink("chunks/000000/state/I_syn_ex").unwrap();
        let g = f.group("chunks/000000/state").unwrap();
        let d = g.new_dataset_builder().with_data(&[1.0f64, 2.0][..]);
        d.chunk(2).fletcher32().create("I_syn_ex").unwrap();
    });
    refused(
        &path,
        ErrorKind::Inconsistent,
        "/chunks/000000/state/I_syn_ex has shape [2], expected [16]",
    );
}

#[test]
fn other_files_are_not_checkpoints() {
    let dir = test_dir("ckpt-other");
    let spikes = dir.join("t1.h5");
    let pops = [("exc".to_string(), 0, 10)];
    crate::sonata_spikes::SpikeWriter::create(&spikes, &pops)
        .unwrap()
        .finish()
        .unwrap();
    let err = read(&spikes).unwrap_err();
    assert_eq!(err.kind, ErrorKind::UnsupportedFormat, "{err}");
    assert!(
        err.to_string().contains("not a brainsim checkpoint"),
        "{err}"
    );
    let text = dir.join("t2.h5");
    std::fs::write(&text, "not HDF5 at all, just text\n".repeat(100)).unwrap();
    refused(&text, ErrorKind::Corrupt, "not an HDF5 file");
}
