//! The size and the write and read times of a microcircuit-sized checkpoint
//! (20 chunks x 2048 neurons x 5 variables, a ring of 64 slots x 1 lane of
//! which one entry in `RING_EVERY` is non-zero), printed (`--nocapture`);
//! only the size is asserted (goal: <= 1.5 x the state that must be saved,
//! and below the state with a dense ring), not the times, which depend on
//! the machine.

use std::time::Instant;

use super::*;

#[test]
fn microcircuit_sized_checkpoint_size_and_times() {
    let (s, m) = states(12_345, &[20 * 2048], 2048, 5, 1, 64);
    let dir = test_dir("ckpt-size");
    let t = Instant::now();
    let path = write(&dir, &s, &m).unwrap();
    let write_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let (s2, _) = read(&path).unwrap();
    let read_s = t.elapsed().as_secs_f64();
    assert_same(&s, &s2);
    let size = std::fs::metadata(&path).unwrap().len() as f64;
    let raw = s.bytes() as f64;
    let dense = (20 * 2048 * (5 * 8 + 64 * 4)) as f64;
    eprintln!(
        "checkpoint of 20 x 2048 neurons x 5 vars, ring 64 x 1 (1 in {RING_EVERY} non-zero): \
         raw state {:.2} MB ({:.2} MB with a dense ring), file {:.2} MB ({:.3} x), \
         write {:.3} s (fsync included), read {:.3} s",
        raw / 1e6,
        dense / 1e6,
        size / 1e6,
        size / raw,
        write_s,
        read_s
    );
    assert!(size <= 1.5 * raw, "file {size} B for {raw} B of state");
    assert!(size < dense, "file {size} B, {dense} B with a dense ring");
    std::fs::remove_dir_all(&dir).unwrap();
}
