//! A run killed with SIGKILL leaves its flushed spikes readable and its
//! metadata saying `running` (with the time flushed), never `finished`.

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
    // Wait until a flush (about once per wall second) has happened: the
    // metadata then records the time flushed.
    let start = Instant::now();
    let flushed = || RunMetadata::read(&dir).is_ok_and(|m| m.t_valid_ms > 0.0);
    while !flushed() {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "no flush within 120 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let meta = RunMetadata::read(&dir).unwrap();
    assert_eq!(meta.status, "running");
    let read = read_spikes(&dir);
    assert!(!read.is_empty(), "no spikes readable after the kill");
    assert!(meta.t_valid_ms > 0.0 && meta.t_valid_ms < 100000.0);
    let _ = std::fs::remove_dir_all(&dir);
}
