//! A piecewise constant current (NEST's step_current_generator) on some of
//! a chunk's neurons. Amplitude k acts on the updates of the steps from
//! steps(t_k) + delay on (NEST: the generator sets it at t_k and the
//! current travels with the connection's delay; measured against NEST 3.10,
//! sim/DESIGN.md), 0 before the first change. Not an event: it goes to
//! `i_stim` in f64, as a dc_generator's current.

/// One device's current to the targets it has in one chunk.
#[derive(Clone, Debug)]
pub struct StepCurrentInput {
    /// Neuron indexes within the chunk.
    targets: Vec<u32>,
    /// First step with each amplitude (strictly increasing).
    starts: Vec<u64>,
    /// Current (pA) from each start on.
    amplitudes: Vec<f64>,
    /// Amplitudes in effect so far (0: none yet).
    next: usize,
}

impl StepCurrentInput {
    /// Amplitude `amplitudes[k]` (pA) from step `starts[k]` on, to `targets`.
    pub fn new(targets: Vec<u32>, starts: Vec<u64>, amplitudes: Vec<f64>) -> Self {
        Self {
            targets,
            starts,
            amplitudes,
            next: 0,
        }
    }

    /// Adds the current of `step` to `i_stim` (steps only move forward).
    #[inline]
    /// Forgets the amplitude reached: the next `apply` finds it again from
    /// its step (see `ChunkInputs::restart_at`).
    pub(super) fn restart(&mut self) {
        self.next = 0;
    }

    pub(super) fn apply(&mut self, step: u64, i_stim: &mut [f64]) {
        while self.next < self.starts.len() && self.starts[self.next] <= step {
            self.next += 1;
        }
        if let Some(&a) = self.next.checked_sub(1).map(|k| &self.amplitudes[k]) {
            for &t in &self.targets {
                i_stim[t as usize] += a;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amplitudes_hold_from_their_start_step() {
        let mut s = StepCurrentInput::new(vec![1], vec![3, 5], vec![10.0, -2.5]);
        let got: Vec<f64> = (0..8)
            .map(|step| {
                let mut i = [0.0; 2];
                s.apply(step, &mut i);
                assert_eq!(i[0], 0.0);
                i[1]
            })
            .collect();
        assert_eq!(got, [0.0, 0.0, 0.0, 10.0, 10.0, -2.5, -2.5, -2.5]);
    }
}
