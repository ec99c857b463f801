//! SIGINT, SIGTERM and SIGUSR1 (Ctrl-C; what Slurm sends before the
//! wall-time limit with `--signal`): the first asks the run to stop at the
//! next epoch the ranks agree on, close every output and end as
//! `interrupted`; a second one exits at once (code 130). SIGUSR1 is there
//! for launchers: `srun` turns a SIGTERM it receives into SIGKILL for the
//! ranks and `mpirun` kills them a second after, but both pass SIGUSR1 on
//! to every rank unchanged, so the batch script of `brainsim submit`
//! forwards the time-limit warning as SIGUSR1.
//!
//! The handler only stores to atomics (async-signal-safe); the epoch loop
//! reads the flag (`stop_requested`), and the ranks agree on it with one
//! all-reduce (every epoch with one rank; with several, every epoch that
//! ends a multiple of `STOP_CHECK_STEPS` steps — `stop_check_epochs`), so
//! every rank stops after the same epoch: within one epoch or 1 ms of
//! biological time of the signal, whichever is longer.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

static STOP: AtomicBool = AtomicBool::new(false);
static SIGNALS: AtomicU32 = AtomicU32::new(0);

/// Steps (at dt = 0.1 ms, 1 ms) between two agreements on a stop request
/// with several ranks: an all-reduce per epoch would cost the microcircuit,
/// whose epoch is one step, about 1% (15,000 per 1.5 s).
pub const STOP_CHECK_STEPS: u64 = 10;

/// Epochs between two agreements on a stop request with several ranks
/// whose epoch is `epoch_steps` long (every epoch of 10 steps or more).
pub fn stop_check_epochs(epoch_steps: u64) -> u64 {
    (STOP_CHECK_STEPS / epoch_steps.max(1)).max(1)
}

extern "C" fn on_signal(_: libc::c_int) {
    if SIGNALS.fetch_add(1, Ordering::SeqCst) >= 1 {
        // SAFETY: _exit is async-signal-safe and takes no pointers.
        unsafe { libc::_exit(130) };
    }
    STOP.store(true, Ordering::SeqCst);
}

/// Installs the handler for SIGINT, SIGTERM and SIGUSR1 (once, at start).
pub fn install() {
    for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGUSR1] {
        // SAFETY: a zeroed sigaction is a valid "no flags, empty mask"
        // value; the handler is an `extern "C" fn(c_int)` that only touches
        // atomics, as a signal handler must.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(sig, &action, std::ptr::null_mut());
        }
    }
}

/// Has a stop been asked for (a signal, or `request_stop`)?
pub fn stop_requested() -> bool {
    STOP.load(Ordering::SeqCst)
}

/// Asks the run to stop as a signal would (for in-process tests and
/// embedding programs).
pub fn request_stop() {
    STOP.store(true, Ordering::SeqCst);
}

/// Withdraws a stop request (for in-process tests that run again).
pub fn clear_stop() {
    STOP.store(false, Ordering::SeqCst);
    SIGNALS.store(0, Ordering::SeqCst);
}
