//! Keeping the pool's other threads awake through a step's serial part.
//!
//! A step of an NEF run is short (about a tenth of a millisecond for 25,600
//! neurons) and starts with a serial part (nodes, ensemble inputs). A rayon
//! worker that finds no work for a while goes to sleep, and waking it when
//! the next parallel region starts cost about 20 us on this machine (a
//! fifth of a step on 2 threads; measured by timing the first piece another
//! thread took). So before the serial part the stepping thread spawns one
//! `keep_awake` job per other thread: it wakes a worker while the serial
//! part runs, spins until the step's parallel part begins (or `SPIN_LIMIT`
//! passes, so that a descheduled stepping thread costs little), and
//! returns, and the worker then takes the region's pieces at once.
//!
//! Invariant: nothing here touches the network's state; which thread steps
//! which chunk never changes a result (see the parent module), so this
//! decides only when the pieces start.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The longest a job spins waiting for its step's parallel part.
const SPIN_LIMIT: Duration = Duration::from_micros(100);

/// Steps whose parallel part has begun (shared by the stepping thread and
/// the spinning jobs).
#[derive(Default)]
pub(super) struct Awake {
    begun: AtomicU64,
}

impl Awake {
    /// Spawns, on `scope`, one job per other thread of the pool that spins
    /// until step `step`'s parallel part begins (`begin`).
    pub(super) fn spawn<'s>(&'s self, scope: &rayon::Scope<'s>, step: u64) {
        for _ in 1..rayon::current_num_threads() {
            scope.spawn(move |_| self.spin(step));
        }
    }

    /// Marks step `step`'s parallel part as begun.
    pub(super) fn begin(&self, step: u64) {
        self.begun.store(step, Ordering::Release);
    }

    fn spin(&self, step: u64) {
        let t0 = Instant::now();
        while self.begun.load(Ordering::Acquire) < step {
            for _ in 0..64 {
                std::hint::spin_loop();
            }
            if t0.elapsed() > SPIN_LIMIT {
                return;
            }
        }
    }
}
