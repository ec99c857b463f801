//! A run killed with SIGKILL leaves its flushed spikes readable and its
//! metadata saying `running`, never `finished`.

use super::*;
use brainsim_io::metadata::RunMetadata;
use std::time::{Duration, Instant};

#[test]
fn killed_run_leaves_flushed_spikes_readable() {
    let dir = scratch("crash");
    let mut child = bin()
        .args([
            "run",
            repo("configs/brunel.toml").to_str().unwrap(),
            "--out",
            dir.to_str().unwrap(),
            "--t-stop",
            "100000",
            "--threads",
            "1",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until at least one flush (about once per wall second) has happened.
    let start = Instant::now();
    let spikes = dir.join("spikes.h5");
    while start.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(500));
        if start.elapsed() > Duration::from_secs(4) && spikes.exists() {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let meta = RunMetadata::read(&dir).unwrap();
    assert_eq!(meta.status, "running");
    let read = read_spikes(&dir);
    assert!(!read.is_empty(), "no spikes readable after the kill");
    let _ = std::fs::remove_dir_all(&dir);
}
