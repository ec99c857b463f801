//! Bad checkpoints are refused before anything changes: a truncated file, a
//! flipped byte, a checkpoint of another config, another format version, a
//! missing checkpoint directory and a `--t-stop` before the checkpoint each
//! give one line naming the file and what is wrong, exit code 2, and leave
//! every file of the output directory as it was. A corrupt newest
//! checkpoint is skipped with a warning when none is named.

use super::*;
use brainsim_io::metadata::RunMetadata;
use std::collections::BTreeMap;

/// A finished 50 ms run with checkpoints at 20, 40 and 50 ms, in `dir/name`.
fn finished_run(dir: &Path, name: &str, seed: &str) -> PathBuf {
    let text = std::fs::read_to_string(repo("configs/brunel.toml")).unwrap();
    let text = set_key(&set_key(&text, "chunk_size", "125"), "seed", seed)
        .replace("[simulation]\n", "[simulation]\nscale = 0.05\n");
    let cfg = dir.join(format!("{name}.toml"));
    std::fs::write(&cfg, text).unwrap();
    let out = dir.join(name);
    run_ok(&[
        "run",
        cfg.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--t-stop",
        "50",
        "--checkpoint-every",
        "20",
        "--checkpoint-keep",
        "5",
        "--quiet",
    ]);
    out
}

/// Every file under `dir` with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut all = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            if e.file_type().unwrap().is_dir() {
                todo.push(e.path());
            } else {
                all.insert(e.path(), std::fs::read(e.path()).unwrap());
            }
        }
    }
    all
}

/// `brainsim resume OUT ARGS` must fail with exit 2, one line starting with
/// `brainsim: FILE: ` and containing `what`, and change nothing in OUT.
fn refused(out: &Path, args: &[&str], file: &Path, what: &str) {
    let before = snapshot(out);
    let res = bin()
        .arg("resume")
        .arg(out)
        .args(args)
        .arg("--quiet")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&res.stderr);
    assert_eq!(res.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with(&format!("brainsim: {}: ", file.display())),
        "{err}"
    );
    assert!(err.contains(what), "{err}");
    assert!(snapshot(out) == before, "the output directory changed");
}

fn checkpoint(out: &Path, step: u64) -> PathBuf {
    out.join("checkpoints").join(format!("t{step}.h5"))
}

#[test]
fn a_truncated_checkpoint_is_refused() {
    let dir = scratch("ckpt-bad-truncated");
    let out = finished_run(&dir, "run", "1");
    let file = checkpoint(&out, 400);
    let bytes = std::fs::read(&file).unwrap();
    std::fs::write(&file, &bytes[..bytes.len() / 2]).unwrap();
    let given = ["--t-stop", "80", "--checkpoint", file.to_str().unwrap()];
    refused(&out, &given, &file, "truncated file");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_flipped_byte_is_refused() {
    let dir = scratch("ckpt-bad-flip");
    let out = finished_run(&dir, "run", "1");
    let file = checkpoint(&out, 400);
    let mut bytes = std::fs::read(&file).unwrap();
    // A byte of the config text the checkpoint carries.
    let at = bytes
        .windows(9)
        .position(|w| w == b"tau_syn_e")
        .expect("config text in the file");
    bytes[at] ^= 0x20;
    std::fs::write(&file, &bytes).unwrap();
    let given = ["--t-stop", "80", "--checkpoint", file.to_str().unwrap()];
    refused(&out, &given, &file, "checksum mismatch");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_checkpoint_of_another_config_is_refused() {
    let dir = scratch("ckpt-bad-config");
    let out = finished_run(&dir, "run", "1");
    let other = finished_run(&dir, "other", "2");
    let file = checkpoint(&other, 400);
    let given = ["--t-stop", "80", "--checkpoint", file.to_str().unwrap()];
    refused(
        &out,
        &given,
        &file,
        "written by a different config: seed differs",
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn another_format_version_is_refused() {
    let dir = scratch("ckpt-bad-version");
    let out = finished_run(&dir, "run", "1");
    let file = checkpoint(&out, 400);
    let f = hdf5::File::open_rw(&file).unwrap();
    f.attr("format_version")
        .unwrap()
        .write_scalar(&7u32)
        .unwrap();
    f.close().unwrap();
    let given = ["--t-stop", "80", "--checkpoint", file.to_str().unwrap()];
    refused(&out, &given, &file, "unsupported format version 7");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_missing_checkpoint_directory_is_refused() {
    let dir = scratch("ckpt-bad-missing");
    let out = finished_run(&dir, "run", "1");
    std::fs::remove_dir_all(out.join("checkpoints")).unwrap();
    refused(
        &out,
        &["--t-stop", "80"],
        &out.join("checkpoints"),
        "No such file or directory",
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_t_stop_before_the_checkpoint_is_refused() {
    let dir = scratch("ckpt-bad-t-stop");
    let out = finished_run(&dir, "run", "1");
    let file = checkpoint(&out, 500);
    refused(
        &out,
        &["--t-stop", "30"],
        &file,
        "the checkpoint is at t = 50 ms, after t_stop = 30 ms",
    );
    refused(&out, &[], &file, "nothing to resume");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Without `--checkpoint`, a corrupt newest checkpoint is skipped with a
/// warning naming it, and the run continues from the one before.
#[test]
fn a_corrupt_newest_checkpoint_falls_back_to_the_previous_one() {
    let dir = scratch("ckpt-bad-fallback");
    let out = finished_run(&dir, "run", "1");
    let newest = checkpoint(&out, 500);
    let bytes = std::fs::read(&newest).unwrap();
    std::fs::write(&newest, &bytes[..bytes.len() / 3]).unwrap();
    let res = bin()
        .arg("resume")
        .arg(&out)
        .args(["--t-stop", "80", "--quiet"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&res.stderr);
    assert!(res.status.success(), "{err}");
    assert!(err.contains("warning") && err.contains("t500.h5"), "{err}");
    let meta = RunMetadata::read(&out).unwrap();
    assert_eq!(meta.segments[1].start_step, 400);
    assert!(meta.is_finished());
    let _ = std::fs::remove_dir_all(&dir);
}
