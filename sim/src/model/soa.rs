//! The chunk of neurons every model gets, written once: its state as
//! structure of arrays (one column per state variable), the loop that calls
//! the model's `step` on each neuron, in a portable and an AVX2 variant of
//! the same code, spike collection, and get/set of state by index.
//!
//! Invariant (from `Dynamics`): `step` touches one neuron only, so the loop
//! may be vectorised; both variants compile the same source without FMA
//! contraction (Rust never fuses `a * b + c`), so they give the same bits —
//! `tests::avx2_variant_equals_portable` checks it for every model.

use super::dynamics::Dynamics;
use super::NeuronModel;
use crate::spec::ParamMap;
use crate::twice::{call_at, widest, Width};

/// A chunk of `n` neurons of model `M` (see the module docs).
pub struct Soa<M: Dynamics> {
    c: M::Consts,
    /// Column-major state: variable k of neuron i at `k * n + i`.
    cols: Vec<f64>,
    n: usize,
    /// Ring lanes of the input: `M::RECEPTORS.len()`, or 1 when merged.
    lanes: usize,
    /// Per state variable: the parameter value it is stored relative to.
    offsets: Vec<f64>,
    /// Scratch: the number of spikes of each neuron this step.
    flags: Vec<u8>,
}

impl<M: Dynamics> Soa<M> {
    /// `n` neurons at rest with parameters `p` (complete, checked), step `dt`
    /// and `lanes` input lanes (1 only if `M::merges(p)`).
    pub fn new(p: &ParamMap, dt: f64, n: usize, lanes: usize) -> Self {
        let r = M::RECEPTORS.len();
        assert!(
            lanes == r || (lanes == 1 && M::merges(p)),
            "{}: {lanes} input lanes",
            M::NAME
        );
        let c = M::consts(p, dt);
        let rest = M::rest(&c);
        let mut cols = Vec::with_capacity(M::STATE.len() * n);
        for &x in rest.as_ref() {
            cols.extend(std::iter::repeat_n(x, n));
        }
        let offsets = M::STATE
            .iter()
            .map(|v| v.relative_to.map_or(0.0, |name| p[name]))
            .collect();
        Self {
            c,
            cols,
            n,
            lanes,
            offsets,
            flags: vec![0; n],
        }
    }
}

impl<M: Dynamics> NeuronModel for Soa<M> {
    fn update(&mut self, input: &[f64], i_stim: &[f64], spiked: &mut Vec<u32>) {
        let n = self.n;
        let args = (
            &self.c,
            &mut self.cols[..],
            &input[..self.lanes * n],
            &i_stim[..n],
            &mut self.flags[..],
        );
        let merged = self.lanes == 1 && M::RECEPTORS.len() > 1;
        if merged {
            chunk_step::<M, true>(args, widest());
        } else {
            chunk_step::<M, false>(args, widest());
        }
        collect_spikes(&self.flags, spiked);
    }

    fn get(&self, var: usize, i: usize) -> f64 {
        self.cols[var * self.n + i] + self.offsets[var]
    }

    fn raw(&self, var: usize, i: usize) -> f64 {
        self.cols[var * self.n + i]
    }

    fn restore(&mut self, var: usize, i: usize, raw: f64) {
        self.cols[var * self.n + i] = raw;
    }

    fn set(&mut self, var: usize, i: usize, value: f64) {
        let n = self.n;
        self.cols[var * n + i] = value - self.offsets[var];
        let mut s = M::State::default();
        for (j, x) in s.as_mut().iter_mut().enumerate() {
            *x = self.cols[j * n + i];
        }
        M::after_set(&self.c, &mut s);
        for (j, &x) in s.as_ref().iter().enumerate() {
            self.cols[j * n + i] = x;
        }
    }
}

/// What one chunk step reads and writes: constants, state columns, input
/// lanes, external currents, spike flags.
type StepArgs<'a, M> = (
    &'a <M as Dynamics>::Consts,
    &'a mut [f64],
    &'a [f64],
    &'a [f64],
    &'a mut [u8],
);

/// The most state variables a model may have (see `chunk_loop`).
pub const MAX_STATE: usize = 8;
/// The most receptors a model may have (one input lane each).
pub const MAX_RECEPTORS: usize = 2;

/// The chunk step: splits the state into its columns and the input into its
/// lanes, and runs the variant the CPU allows.
fn chunk_step<M: Dynamics, const MERGED: bool>(a: StepArgs<'_, M>, wide: Width) {
    let (c, cols, input, i_stim, flags) = a;
    let n = flags.len();
    assert!(M::STATE.len() <= MAX_STATE && M::RECEPTORS.len() <= MAX_RECEPTORS);
    assert!(cols.len() == M::STATE.len() * n && i_stim.len() == n);
    let mut it = cols.chunks_exact_mut(n.max(1));
    let mut col = || it.next().unwrap_or_default();
    let (c0, c1, c2, c3, c4, c5, c6, c7) = (col(), col(), col(), col(), col(), col(), col(), col());
    let (x0, x1) = input.split_at(n.min(input.len()));
    call_at!(wide; portable_loop, avx2_loop, avx512_loop::<M, MERGED>
        (c, c0, c1, c2, c3, c4, c5, c6, c7, x0, x1, i_stim, flags));
}

// The chunk loop: each neuron's state and input gathered from the columns,
// stepped, scattered back. The columns and lanes are separate slice
// arguments (see `crate::twice`); the two variants expand the same body.
crate::twice::portable_and_avx2! {
    #[allow(clippy::too_many_arguments)]
    fn portable_loop / avx2_loop / avx512_loop<M: Dynamics, const MERGED: bool>(
        c: &M::Consts,
        c0: &mut [f64], c1: &mut [f64], c2: &mut [f64], c3: &mut [f64],
        c4: &mut [f64], c5: &mut [f64], c6: &mut [f64], c7: &mut [f64],
        x0: &[f64], x1: &[f64], i_stim: &[f64], flags: &mut [u8],
    ) {
        let n = flags.len();
        let k = M::STATE.len();
        let cols = [c0, c1, c2, c3, c4, c5, c6, c7];
        for col in &cols[..k] {
            assert!(col.len() == n);
        }
        let (x0, i_stim) = (&x0[..n], &i_stim[..n]);
        let two = x1.len() == n;
        for i in 0..n {
            let mut s = M::State::default();
            for (j, x) in s.as_mut().iter_mut().enumerate() {
                // SAFETY: j < k, and each of the first k columns has n
                // entries (asserted above); i < n.
                *x = unsafe { *cols[j].get_unchecked(i) };
            }
            let mut inp = M::Input::default();
            if let Some(x) = inp.as_mut().first_mut() {
                *x = x0[i];
            }
            if two {
                inp.as_mut()[1] = x1[i];
            }
            let spike = M::step::<MERGED>(c, &mut s, &inp, i_stim[i]);
            for (j, &x) in s.as_ref().iter().enumerate() {
                // SAFETY: as for the load.
                unsafe { *cols[j].get_unchecked_mut(i) = x };
            }
            flags[i] = spike;
        }
    }
}

/// Appends the index of each neuron once per spike it emitted (`flags`
/// holds the counts), in order.
fn collect_spikes(flags: &[u8], spiked: &mut Vec<u32>) {
    let mut base = 0;
    for word in flags.chunks(8) {
        if word.iter().any(|&f| f != 0) {
            for (j, &f) in word.iter().enumerate() {
                for _ in 0..f {
                    spiked.push((base + j) as u32);
                }
            }
        }
        base += word.len();
    }
}

/// Runs `steps` steps of a chunk through the portable variant and through
/// each wider one the CPU has (AVX2, AVX-512), and returns whether states
/// and spikes agree bit for bit every time.
#[cfg(test)]
pub(crate) fn variants_agree<M: Dynamics>(p: &ParamMap, lanes: usize, steps: usize) -> bool {
    [Width::Avx2, Width::Avx512]
        .into_iter()
        .filter(|&w| w <= widest())
        .all(|wide| variant_agrees::<M>(p, lanes, steps, wide))
}

/// Runs `steps` steps of a chunk twice, through the portable variant and
/// variant `wide`, and returns whether states and spikes agree bit for bit
/// (for the models' tests).
#[cfg(test)]
fn variant_agrees<M: Dynamics>(p: &ParamMap, lanes: usize, steps: usize, wide: Width) -> bool {
    use crate::rng::Stream;
    let n = 257;
    let mut a = Soa::<M>::new(p, 0.1, n, lanes);
    let mut s = Stream::new(5, 6, 7, 8);
    for x in a.cols.iter_mut() {
        *x *= 1.0 + 0.2 * s.uniform();
    }
    let mut b = Soa::<M>::new(p, 0.1, n, lanes);
    b.cols.clone_from(&a.cols);
    let mut fired = 0;
    for _ in 0..steps {
        let input: Vec<f64> = (0..lanes * n).map(|_| 400.0 * s.uniform()).collect();
        let stim: Vec<f64> = (0..n).map(|_| 200.0 * s.uniform()).collect();
        let merged = lanes == 1 && M::RECEPTORS.len() > 1;
        if merged {
            chunk_step::<M, true>(step_args(&mut a, &input, &stim), Width::Portable);
            chunk_step::<M, true>(step_args(&mut b, &input, &stim), wide);
        } else {
            chunk_step::<M, false>(step_args(&mut a, &input, &stim), Width::Portable);
            chunk_step::<M, false>(step_args(&mut b, &input, &stim), wide);
        }
        if a.flags != b.flags {
            return false;
        }
        fired += a.flags.iter().filter(|&&f| f != 0).count();
    }
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert!(fired > 0, "{}: no spike in the test", M::NAME);
    bits(&a.cols) == bits(&b.cols)
}

#[cfg(test)]
fn step_args<'a, M: Dynamics>(
    x: &'a mut Soa<M>,
    input: &'a [f64],
    stim: &'a [f64],
) -> StepArgs<'a, M> {
    (&x.c, &mut x.cols[..], input, stim, &mut x.flags[..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::MODELS;
    use crate::rng::Stream;

    /// For every model: a chunk whose whole state is copied with `raw` into
    /// a fresh one by `restore` continues bit for bit like the original (what
    /// checkpoints rely on), and spikes on the way.
    #[test]
    fn restored_state_continues_bit_for_bit() {
        for m in MODELS {
            let p = m.with_defaults(&ParamMap::new()).unwrap();
            let (n, lanes) = (50, m.receptors.len());
            let mut a = (m.build)(&p, 0.1, n, lanes);
            let mut s = Stream::new(1, 2, 3, 4);
            // Lane 0 (excitatory where the model has a pair) dominates.
            let input = |s: &mut Stream| -> Vec<f64> {
                let scale = |k: usize| if k < n { 100.0 } else { 10.0 };
                (0..lanes * n)
                    .map(|k| (scale(k) * s.uniform()).round() / 8.0)
                    .collect()
            };
            let stim = vec![600.0; n];
            let mut spikes = (Vec::new(), Vec::new());
            for _ in 0..300 {
                a.update(&input(&mut s), &stim, &mut spikes.0);
            }
            let mut b = (m.build)(&p, 0.1, n, lanes);
            for var in 0..m.state.len() {
                for i in 0..n {
                    b.restore(var, i, a.raw(var, i));
                }
            }
            spikes.0.clear();
            for _ in 0..300 {
                let x = input(&mut s);
                a.update(&x, &stim, &mut spikes.0);
                b.update(&x, &stim, &mut spikes.1);
            }
            assert_eq!(spikes.0, spikes.1, "{}", m.name);
            assert!(!spikes.0.is_empty(), "{}: no spike", m.name);
            for var in 0..m.state.len() {
                for i in 0..n {
                    assert_eq!(
                        a.raw(var, i).to_bits(),
                        b.raw(var, i).to_bits(),
                        "{}",
                        m.name
                    );
                }
            }
        }
    }
}
