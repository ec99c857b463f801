//! Helpers to run the `brainsim` binary and inspect what it leaves behind.

mod analyze;
mod bad_input;
mod brunel;
mod check;
mod checkpoint;
mod checkpoint_bad;
mod checkpoint_signals;
mod coding;
mod crash;
mod ks;
mod microcircuit;
mod models;
mod mpi;
mod nef;
mod nengo_export;
mod outputs;
mod partition;
mod plastic;
mod plastic_nest;
mod procedural;
mod reliability;
mod slurm;
mod slurm_limit;
mod submit;
mod sweep;
mod threads;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use brainsim_io::spike_reader::SpikeFile;

pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_brainsim"))
}

pub fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// A fresh, empty scratch directory unique to `name` and this process.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("brainsim-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn run_ok(args: &[&str]) -> Output {
    let out = bin().args(args).output().expect("brainsim runs");
    assert!(
        out.status.success(),
        "brainsim {args:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Every spike of a run as sorted (global-ish key: population, node id, time bits).
pub fn read_spikes(dir: &Path) -> Vec<(String, u64, u64)> {
    let f = SpikeFile::open(&dir.join("spikes.h5")).unwrap();
    let mut all = Vec::new();
    for pop in f.populations() {
        f.for_each_chunk(&pop, 1 << 16, |ts, ids| {
            all.extend(
                ts.iter()
                    .zip(ids)
                    .map(|(t, &id)| (pop.clone(), id, t.to_bits())),
            );
            Ok(())
        })
        .unwrap();
    }
    all.sort();
    all
}

/// `text` with the first line `key = ...` replaced by `key = value`.
pub fn set_key(text: &str, key: &str, value: &str) -> String {
    let mut done = false;
    text.lines()
        .map(|l| {
            if !done && l.trim_start().starts_with(&format!("{key} =")) {
                done = true;
                format!("{key} = {value}")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}
