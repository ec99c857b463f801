//! Largest-first scheduling of the chunks' work in one parallel region.
//!
//! Every local interval ends in a barrier (the next one needs all spikes), and
//! on the full microcircuit an interval is one step: about 20 chunks per
//! thread at 25 us each. Rayon's halving split leaves the last chunk to one
//! thread while the other waits, about one chunk per step (12 % of the run).
//! Here the threads take chunks from one queue, most expensive first (cost =
//! a running mean of the chunk's own measured time), so the tail is made of
//! the cheapest chunks (longest-processing-time-first list scheduling).
//! Which thread runs a chunk does not change any result (see `chunk`).

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;

use rayon::prelude::*;

/// Chunk order for the next region, by decreasing expected cost.
#[derive(Debug, Default)]
pub struct Schedule {
    /// Expected ns of each item (running mean).
    cost: Vec<u64>,
    order: Vec<usize>,
}

impl Schedule {
    /// Runs `work` once on every item, on all threads of the current pool,
    /// largest expected cost first. `work` returns the ns it spent in two
    /// phases; the sums over all items are returned.
    pub fn run<T: Send>(
        &mut self,
        items: Vec<T>,
        work: impl Fn(&mut T) -> (u64, u64) + Sync,
    ) -> (u64, u64) {
        let n = items.len();
        if self.cost.len() != n {
            self.cost = vec![0; n];
        }
        self.order.clear();
        self.order.extend(0..n);
        let cost = &self.cost;
        // Stable order among equal costs: item index.
        self.order.sort_by_key(|&i| (std::cmp::Reverse(cost[i]), i));
        let mut slots: Vec<Option<T>> = items.into_iter().map(Some).collect();
        let queue: Vec<Mutex<(T, u64)>> = self
            .order
            .iter()
            .map(|&i| Mutex::new((slots[i].take().expect("each item once"), 0)))
            .collect();
        let next = AtomicUsize::new(0);
        let (sum_a, sum_b) = (AtomicU64::new(0), AtomicU64::new(0));
        (0..rayon::current_num_threads())
            .into_par_iter()
            .for_each(|_| loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                let Some(cell) = queue.get(k) else { break };
                // Each cell is taken by exactly one thread: never contended.
                let mut slot = cell.lock().expect("a worker panicked");
                let (a, b) = work(&mut slot.0);
                slot.1 = a + b;
                sum_a.fetch_add(a, Ordering::Relaxed);
                sum_b.fetch_add(b, Ordering::Relaxed);
            });
        for (cell, &i) in queue.into_iter().zip(&self.order) {
            let measured = cell.into_inner().expect("a worker panicked").1;
            self.cost[i] = (3 * self.cost[i] + measured) / 4;
        }
        (sum_a.into_inner(), sum_b.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every item is worked on exactly once, the phase times add up, and the
    /// next region queues the items by decreasing measured cost.
    #[test]
    fn every_item_runs_once_and_the_costliest_goes_first() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(3)
            .build()
            .unwrap();
        let mut sched = Schedule::default();
        let mut counts = vec![0u32; 7];
        let sums = pool.install(|| {
            sched.run(counts.iter_mut().enumerate().collect(), |(i, c)| {
                **c += 1;
                (*i as u64 * 100, 1)
            })
        });
        assert_eq!(counts, vec![1; 7]);
        assert_eq!(sums, ((0..7).sum::<u64>() * 100, 7));
        pool.install(|| sched.run((0..7usize).collect(), |_| (0, 0)));
        assert_eq!(sched.order, [6, 5, 4, 3, 2, 1, 0]);
    }
}
