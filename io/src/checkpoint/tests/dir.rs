//! A directory of checkpoints: temporary files are never checkpoints and
//! `prune` removes them; a corrupt newest checkpoint falls back to the
//! previous one; `prune` keeps the newest K, always the newest.

use std::fs;
use std::path::{Path, PathBuf};

use super::*;

/// `dir` with checkpoints at `steps` (paths in the same order).
fn with_checkpoints(dir: &Path, steps: &[u64]) -> Vec<PathBuf> {
    steps
        .iter()
        .map(|&step| {
            let (s, m) = states(step, &[20], 8, 2, 1, 3);
            write(dir, &s, &m).unwrap()
        })
        .collect()
}

/// The names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut n: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    n.sort();
    n
}

#[test]
fn names_are_canonical() {
    assert_eq!(file_name(120), "t120.h5");
    assert_eq!(parse_file_name("t120.h5"), Some(120));
    assert_eq!(parse_file_name("t0.h5"), Some(0));
    for other in [
        "t0120.h5",
        "t.h5",
        "t12.h5.tmp",
        ".t12.h5.tmp",
        "t-1.h5",
        "t+1.h5",
        "x1.h5",
    ] {
        assert_eq!(parse_file_name(other), None, "{other}");
    }
}

#[test]
fn temporary_files_are_not_checkpoints_and_prune_removes_them() {
    let dir = test_dir("ckpt-tmp");
    let paths = with_checkpoints(&dir, &[10, 20]);
    // A crash while writing step 30 leaves its temporary file, complete or not.
    fs::copy(&paths[1], dir.join(".t30.h5.tmp")).unwrap();
    let half = fs::read(&paths[1]).unwrap();
    fs::write(dir.join(".t40.h5.tmp"), &half[..half.len() / 3]).unwrap();
    fs::write(dir.join("notes.txt"), "mine").unwrap();
    assert_eq!(latest_valid(&dir).unwrap(), Some((paths[1].clone(), 20)));
    let removed = prune(&dir, 2).unwrap();
    assert_eq!(removed.len(), 2, "{removed:?}");
    assert_eq!(names(&dir), ["notes.txt", "t10.h5", "t20.h5"]);
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_corrupt_newest_checkpoint_falls_back_to_the_previous_one() {
    let dir = test_dir("ckpt-fallback");
    let paths = with_checkpoints(&dir, &[10, 20, 30]);
    flip(&paths[2], &value(1, 3).to_le_bytes());
    // A valid checkpoint under the wrong name is skipped too.
    fs::copy(&paths[0], dir.join("t40.h5")).unwrap();
    let scan = scan(&dir).unwrap();
    let latest = scan.latest.unwrap();
    assert_eq!((latest.path, latest.states.step), (paths[1].clone(), 20));
    let skipped: Vec<(ErrorKind, String)> = scan
        .skipped
        .iter()
        .map(|e| {
            (
                e.kind,
                e.path.file_name().unwrap().to_string_lossy().into_owned(),
            )
        })
        .collect();
    assert_eq!(
        skipped,
        [
            (ErrorKind::Inconsistent, "t40.h5".to_string()),
            (ErrorKind::Corrupt, "t30.h5".to_string())
        ]
    );
    assert_eq!(latest_valid(&dir).unwrap(), Some((paths[1].clone(), 20)));
    // When none reads, the newest one's error.
    flip(&paths[1], &value(1, 3).to_le_bytes());
    flip(&paths[0], &value(1, 3).to_le_bytes());
    fs::remove_file(dir.join("t40.h5")).unwrap();
    let err = latest_valid(&dir).unwrap_err();
    assert_eq!(
        (err.kind, err.path.clone()),
        (ErrorKind::Corrupt, paths[2].clone()),
        "{err}"
    );
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_empty_directory_has_none_and_a_missing_one_is_an_error() {
    let dir = test_dir("ckpt-empty");
    assert_eq!(latest_valid(&dir).unwrap(), None);
    let gone = dir.join("checkpoints");
    let err = latest_valid(&gone).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Missing, "{err}");
    assert!(
        err.to_string()
            .starts_with(&format!("{}: ", gone.display())),
        "{err}"
    );
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn prune_keeps_the_newest_k() {
    let dir = test_dir("ckpt-prune");
    // Out of order, and beyond 9 (names sort as text, steps as numbers).
    with_checkpoints(&dir, &[30, 100, 9, 20]);
    prune(&dir, 3).unwrap();
    assert_eq!(names(&dir), ["t100.h5", "t20.h5", "t30.h5"]);
    prune(&dir, 0).unwrap();
    assert_eq!(names(&dir), ["t100.h5"], "the newest is never removed");
    assert!(prune(&dir, 2).unwrap().is_empty());
    fs::remove_dir_all(&dir).unwrap();
}
