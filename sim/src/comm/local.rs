//! The in-process backend of `Comm`: P ranks as P threads of one process
//! (like Arbor's local context, generalised to several ranks), sharing
//! mailboxes behind one mutex. A one-rank run uses it with P = 1 (no locks,
//! no MPI); tests use P = 2..4 to run the distributed code paths — routing,
//! exchange, merge, agreement — in plain `cargo test`.
//!
//! Every collective is: deposit this rank's part, barrier, read the others'
//! parts, barrier (so no rank overwrites a mailbox another has not read).
//! A rank whose handle is dropped (it returned or panicked) while another
//! still calls collectives makes that call panic with the missing rank,
//! instead of leaving it waiting forever.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use super::{Comm, Reduce};

/// One rank's handle on an in-process group of ranks.
pub struct LocalComm {
    rank: usize,
    shared: Arc<Shared>,
}

struct Shared {
    size: usize,
    state: Mutex<State>,
    wake: Condvar,
}

#[derive(Default)]
struct State {
    arrived: usize,
    generation: u64,
    /// A rank that dropped its handle.
    left: Option<usize>,
    /// `words[src * size + dst]`: the u32 words rank src sends rank dst.
    words: Vec<Vec<u32>>,
    values: Vec<u64>,
    floats: Vec<Vec<f64>>,
}

impl LocalComm {
    /// A group of `size` ranks: handle r is rank r. Give each to one thread.
    pub fn group(size: usize) -> Vec<LocalComm> {
        assert!(size >= 1, "a group has at least one rank");
        let state = State {
            words: vec![Vec::new(); size * size],
            values: vec![0; size],
            floats: vec![Vec::new(); size],
            ..State::default()
        };
        let shared = Arc::new(Shared {
            size,
            state: Mutex::new(state),
            wake: Condvar::new(),
        });
        (0..size)
            .map(|rank| LocalComm {
                rank,
                shared: Arc::clone(&shared),
            })
            .collect()
    }

    /// The only rank of a one-rank run.
    pub fn single() -> LocalComm {
        LocalComm::group(1).pop().expect("one rank")
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A poisoned lock means another rank panicked: say which went away.
        match self.shared.state.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    /// Waits for every rank, holding the lock on return.
    fn wait<'s>(&'s self, mut st: MutexGuard<'s, State>) -> MutexGuard<'s, State> {
        if let Some(r) = st.left {
            panic!("in-process rank {r} left while rank {} waits", self.rank);
        }
        st.arrived += 1;
        if st.arrived == self.shared.size {
            st.arrived = 0;
            st.generation += 1;
            self.shared.wake.notify_all();
            return st;
        }
        let gen = st.generation;
        while st.generation == gen {
            if let Some(r) = st.left {
                panic!("in-process rank {r} left while rank {} waits", self.rank);
            }
            st = match self.shared.wake.wait(st) {
                Ok(g) => g,
                Err(p) => p.into_inner(),
            };
        }
        st
    }
}

impl Drop for LocalComm {
    fn drop(&mut self) {
        if self.shared.size > 1 {
            let mut st = self.lock();
            st.left.get_or_insert(self.rank);
            self.shared.wake.notify_all();
        }
    }
}

impl Comm for LocalComm {
    fn rank(&self) -> usize {
        self.rank
    }

    fn size(&self) -> usize {
        self.shared.size
    }

    fn barrier(&self) {
        if self.shared.size > 1 {
            drop(self.wait(self.lock()));
        }
    }

    fn all_to_all_v(
        &self,
        send: &[u32],
        send_counts: &[usize],
        recv: &mut Vec<u32>,
        recv_counts: &mut [usize],
    ) {
        let (me, p) = (self.rank, self.shared.size);
        assert_eq!(send_counts.len(), p, "one count per rank");
        recv.clear();
        if p == 1 {
            recv.extend_from_slice(send);
            recv_counts[0] = send.len();
            return;
        }
        let mut st = self.lock();
        let mut at = 0;
        for (dst, &c) in send_counts.iter().enumerate() {
            let mailbox = &mut st.words[me * p + dst];
            mailbox.clear();
            mailbox.extend_from_slice(&send[at..at + c]);
            at += c;
        }
        let st = self.wait(st);
        for src in 0..p {
            let mailbox = &st.words[src * p + me];
            recv.extend_from_slice(mailbox);
            recv_counts[src] = mailbox.len();
        }
        drop(self.wait(st));
    }

    fn all_reduce(&self, value: u64, op: Reduce) -> u64 {
        if self.shared.size == 1 {
            return value;
        }
        let mut st = self.lock();
        st.values[self.rank] = value;
        let st = self.wait(st);
        let out = st.values.iter().copied().reduce(|a, b| op.apply(a, b));
        drop(self.wait(st));
        out.expect("at least one rank")
    }

    fn gather_f64(&self, values: &[f64]) -> Vec<f64> {
        if self.shared.size == 1 {
            return values.to_vec();
        }
        let mut st = self.lock();
        st.floats[self.rank] = values.to_vec();
        let st = self.wait(st);
        let out = if self.rank == 0 {
            st.floats.concat()
        } else {
            Vec::new()
        };
        drop(self.wait(st));
        out
    }

    fn all_gather_f64(&self, values: &[f64], counts: &[usize], out: &mut Vec<f64>) {
        assert_eq!(values.len(), counts[self.rank], "this rank's count");
        out.clear();
        if self.shared.size == 1 {
            out.extend_from_slice(values);
            return;
        }
        let mut st = self.lock();
        st.floats[self.rank].clear();
        st.floats[self.rank].extend_from_slice(values);
        let st = self.wait(st);
        for f in &st.floats {
            out.extend_from_slice(f);
        }
        drop(self.wait(st));
    }
}

/// Runs `f` on `size` in-process ranks, one thread each, and returns each
/// rank's result in rank order. A panic on any rank is re-raised here.
pub fn run_ranks<T: Send>(size: usize, f: impl Fn(&LocalComm) -> T + Sync) -> Vec<T> {
    let f = &f;
    std::thread::scope(|s| {
        let handles: Vec<_> = LocalComm::group(size)
            .into_iter()
            .map(|comm| {
                std::thread::Builder::new()
                    .name(format!("rank{}", comm.rank))
                    // The driver and the build recurse little, but their
                    // frames are large; give a rank a main thread's stack.
                    .stack_size(16 << 20)
                    .spawn_scoped(s, move || f(&comm))
                    .expect("spawn an in-process rank")
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_to_all_delivers_every_word_to_its_rank_in_rank_order() {
        for p in 1..=4usize {
            let got = run_ranks(p, |c| {
                // Rank r sends rank d the words [100 r + d] repeated d + 1 times.
                let me = c.rank() as u32;
                let counts: Vec<usize> = (0..p).map(|d| d + 1).collect();
                let send: Vec<u32> = (0..p as u32)
                    .flat_map(|d| std::iter::repeat_n(100 * me + d, d as usize + 1))
                    .collect();
                let (mut recv, mut rc) = (Vec::new(), vec![0; p]);
                // Twice: mailboxes are reused between collectives.
                c.all_to_all_v(&send, &counts, &mut recv, &mut rc);
                c.all_to_all_v(&send, &counts, &mut recv, &mut rc);
                (recv, rc)
            });
            for (d, (recv, rc)) in got.iter().enumerate() {
                let want: Vec<u32> = (0..p as u32)
                    .flat_map(|s| std::iter::repeat_n(100 * s + d as u32, d + 1))
                    .collect();
                assert_eq!(recv, &want);
                assert_eq!(rc, &vec![d + 1; p]);
            }
        }
    }

    #[test]
    fn reductions_and_gather_see_every_rank() {
        for p in 1..=4usize {
            let got = run_ranks(p, |c| {
                let r = c.rank() as u64;
                let min = c.all_reduce(10 + r, Reduce::Min);
                let max = c.all_reduce(10 + r, Reduce::Max);
                let sum = c.all_reduce(r, Reduce::Sum);
                c.barrier();
                let g = c.gather_f64(&vec![r as f64; c.rank() + 1]);
                (min, max, sum, g)
            });
            let n = p as u64;
            for (r, (min, max, sum, g)) in got.into_iter().enumerate() {
                assert_eq!((min, max, sum), (10, 9 + n, n * (n - 1) / 2));
                if r == 0 {
                    let want: Vec<f64> = (0..p).flat_map(|s| vec![s as f64; s + 1]).collect();
                    assert_eq!(g, want);
                } else {
                    assert!(g.is_empty());
                }
            }
        }
    }

    #[test]
    fn a_rank_that_leaves_makes_the_others_fail_instead_of_hang() {
        let result = std::panic::catch_unwind(|| {
            run_ranks(2, |c| {
                if c.rank() == 1 {
                    return; // never reaches the barrier
                }
                c.barrier();
            })
        });
        assert!(result.is_err());
    }
}
