//! The background thread that writes a checkpoint file while the run goes
//! on. It runs in Linux's SCHED_IDLE class, so it takes CPU only when the
//! simulation's threads leave a core idle instead of preempting one of them
//! (which would hold up every thread at the step's barrier).
//!
//! Invariant: the run never waits for an idle-class thread. When the run
//! must wait for the write (the next checkpoint, the end of the run) and it
//! is not done, `join` first moves the thread back to the normal class:
//! otherwise, on a machine whose cores other processes keep busy, the
//! writer would get no CPU while the run waits for it — measured here with
//! two other builds running: 20 s of waiting for a write of 0.05 s of CPU.

use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// A write under way on its own thread, returning its wall seconds.
pub(super) struct Writer {
    handle: JoinHandle<Result<f64, String>>,
    /// Set, under the lock, once someone waits for the thread; the thread
    /// takes the idle class under the same lock only if it is not set.
    waited_for: Arc<Mutex<bool>>,
}

impl Writer {
    /// Runs `write` on a new thread in the idle class.
    pub(super) fn spawn(write: impl FnOnce() -> Result<f64, String> + Send + 'static) -> Self {
        let waited_for = Arc::new(Mutex::new(false));
        let flag = Arc::clone(&waited_for);
        let handle = std::thread::spawn(move || {
            {
                let waited = flag.lock().unwrap_or_else(|e| e.into_inner());
                if !*waited {
                    // SAFETY: pthread_self() is a valid handle to this thread.
                    unsafe { set_class(libc::pthread_self(), libc::SCHED_IDLE) };
                }
            }
            write()
        });
        Writer { handle, waited_for }
    }

    /// Waits for the write (at normal priority from now on, if it is not
    /// done) and returns its result.
    pub(super) fn join(self) -> Result<f64, String> {
        if !self.handle.is_finished() {
            let mut waited = self.waited_for.lock().unwrap_or_else(|e| e.into_inner());
            *waited = true;
            use std::os::unix::thread::JoinHandleExt;
            // SAFETY: the thread has not been joined, so its pthread_t is
            // valid (even if it has just ended).
            unsafe { set_class(self.handle.as_pthread_t(), libc::SCHED_OTHER) };
        }
        self.handle
            .join()
            .map_err(|_| "the checkpoint writer panicked".to_string())?
    }
}

/// Puts `thread` in scheduling class `policy` (priority 0, what SCHED_IDLE
/// and SCHED_OTHER take). Best effort: on failure the thread keeps its
/// class.
///
/// # Safety
/// `thread` must be a valid handle to a thread of this process.
unsafe fn set_class(thread: libc::pthread_t, policy: libc::c_int) {
    let param = libc::sched_param { sched_priority: 0 };
    // SAFETY: `thread` is valid (the caller's contract) and `param` is a
    // valid sched_param that outlives the call.
    unsafe { libc::pthread_setschedparam(thread, policy, &param) };
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// The scheduling class of the calling thread.
    fn class() -> libc::c_int {
        // SAFETY: sched_getscheduler(0) reads the calling thread's policy.
        unsafe { libc::sched_getscheduler(0) }
    }

    #[test]
    fn the_writer_runs_idle_until_waited_for_then_at_normal_priority() {
        let (tx, rx) = std::sync::mpsc::channel();
        let w = Writer::spawn(move || {
            tx.send(class()).unwrap();
            // Busy until someone waits (and lifts the class), at most 10 s.
            let start = std::time::Instant::now();
            while class() == libc::SCHED_IDLE && start.elapsed() < Duration::from_secs(10) {
                std::thread::sleep(Duration::from_millis(1));
            }
            Ok(f64::from(class()))
        });
        assert_eq!(rx.recv().unwrap(), libc::SCHED_IDLE, "idle while alone");
        let after = w.join().unwrap();
        assert_eq!(
            after as libc::c_int,
            libc::SCHED_OTHER,
            "normal once waited for"
        );
        let failed = Writer::spawn(|| Err("disk full".into()));
        assert_eq!(failed.join().unwrap_err(), "disk full");
    }
}
