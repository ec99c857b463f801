//! Spike trains that differ between targets: the latency encoder's spikes
//! and a spike_generator replaying a SONATA spikes file. Delivered like a
//! spike_generator's: a spike stamped at step T, with a delay of d steps,
//! is consumed by the update of step T + d - 1, so its PSC starts at
//! T + d (as in NEST).

/// One device's events to the targets it has in one chunk.
#[derive(Clone, Debug)]
pub struct TargetTrainsInput {
    /// (consumption step, neuron index within the chunk), sorted.
    events: Vec<(u64, u32)>,
    lane: usize,
    weight: f64,
    /// `weight` in the chunk's fixed point (set by `ChunkInputs::set_fixed_scale`).
    pub(super) weight_fixed: i32,
    /// Index of the first event not consumed yet.
    next: usize,
}

impl TargetTrainsInput {
    /// Events given as (stamp step, neuron index within the chunk), each
    /// consumed `delay_steps` (>= 1) later minus one step, `weight` pA into
    /// ring lane `lane`.
    pub fn new(stamps: Vec<(u64, u32)>, delay_steps: u64, lane: usize, weight: f64) -> Self {
        let d = delay_steps.max(1);
        let mut events: Vec<(u64, u32)> = stamps
            .into_iter()
            .map(|(s, t)| ((s + d).saturating_sub(1), t))
            .collect();
        events.sort_unstable();
        Self {
            events,
            lane,
            weight,
            weight_fixed: 0,
            next: 0,
        }
    }

    /// The (consumption step, target) events, sorted.
    pub fn events(&self) -> &[(u64, u32)] {
        &self.events
    }

    /// The weight (pA) of one event.
    pub(super) fn weight(&self) -> f64 {
        self.weight
    }

    /// Adds to `bound[t]` the most this device brings target t in one step.
    pub(super) fn add_max_step_input(&self, bound: &mut [f64]) {
        let mut most = vec![0usize; bound.len()];
        for run in self.events.chunk_by(|a, b| a == b) {
            let t = run[0].1 as usize;
            most[t] = most[t].max(run.len());
        }
        for (b, m) in bound.iter_mut().zip(most) {
            *b += m as f64 * self.weight.abs();
        }
    }

    /// Moves the cursor to the first event consumed at `step` or later (a
    /// restored checkpoint's step, see `ChunkInputs::restart_at`).
    pub(super) fn restart_at(&mut self, step: u64) {
        self.next = self.events.partition_point(|&(s, _)| s < step);
    }

    /// Adds the events consumed at `step` (steps only move forward).
    #[inline]
    pub(super) fn apply(&mut self, step: u64, slot: &mut [i32], n: usize) {
        let slot = &mut slot[self.lane * n..];
        while let Some(&(s, t)) = self.events.get(self.next) {
            if s > step {
                break;
            }
            if s == step {
                slot[t as usize] += self.weight_fixed;
            }
            self.next += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_consumed_at_stamp_plus_delay_minus_one() {
        let stamps = vec![(10, 1), (3, 0), (10, 1), (0, 0)];
        let mut tr = TargetTrainsInput::new(stamps, 5, 0, 2.0);
        tr.weight_fixed = 1;
        let mut bound = vec![0.0; 2];
        tr.add_max_step_input(&mut bound);
        assert_eq!(bound, [2.0, 4.0], "two events on one step for target 1");
        let mut got = Vec::new();
        for step in 0..20 {
            let mut slot = [0i32; 2];
            tr.apply(step, &mut slot, 2);
            if slot != [0, 0] {
                got.push((step, slot));
            }
        }
        assert_eq!(got, [(4, [1, 0]), (7, [1, 0]), (14, [0, 2])]);
    }
}
