//! Helpers shared by the io/ tests: unique temp dirs, synthetic spike trains, and
//! child processes for the crash tests (spawned so that no HDF5 descriptor leaks).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{RwLock, RwLockReadGuard};

/// Taken (shared) from an HDF5 open until its descriptor is close-on-exec, and
/// (exclusive) while a test spawns a child process, so that no child inherits a
/// descriptor and with it the file's lock.
static SPAWN_GUARD: RwLock<()> = RwLock::new(());

pub(crate) fn no_spawn() -> RwLockReadGuard<'static, ()> {
    SPAWN_GUARD.read().unwrap_or_else(|e| e.into_inner())
}

/// Runs this test binary's test `test` in a child process with `env` = `value`;
/// returns whether it succeeded.
pub(crate) fn run_child(test: &str, env: &str, value: &Path) -> bool {
    spawn_child(test, env, value).wait().unwrap().success()
}

/// Starts this test binary's test `test` in a child process with `env` = `value`.
pub(crate) fn spawn_child(test: &str, env: &str, value: &Path) -> std::process::Child {
    let _spawning = SPAWN_GUARD.write().unwrap_or_else(|e| e.into_inner());
    std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--test-threads=1", "--nocapture"])
        .env(env, value)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

/// A fresh, empty directory under the system temp dir.
pub(crate) fn test_dir(name: &str) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let dir = std::env::temp_dir().join(format!(
        "brainsim-io-{name}-{}-{n}-{nanos}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("creating test dir");
    dir
}

/// Deterministic spike trains: `n` spikes sorted by (time, gid) over gids `0..n_gids`.
pub(crate) fn synthetic_spikes(n: usize, n_gids: u32) -> Vec<(f64, u32)> {
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut t = 0.0;
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        t += 0.1;
        let k = (next() % 8) as usize;
        let mut gids: Vec<u32> = (0..k)
            .map(|_| (next() % u64::from(n_gids)) as u32)
            .collect();
        gids.sort_unstable();
        gids.dedup();
        out.extend(gids.into_iter().map(|g| (t, g)).take(n - out.len()));
    }
    out
}
