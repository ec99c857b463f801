//! The one trait a neuron model implements: its declarations (see `decl`),
//! its per-chunk constants, and the step of one neuron. Everything else —
//! the structure-of-arrays loop, SIMD variants, spike collection, recording
//! and initial values by name, get/set of the whole state, lane merging, the
//! memory estimate — is written once, in `soa` and `ModelInfo::of`.

use super::decl::{Param, ReceptorDecl, StateVar};
use super::ParamError;
use crate::spec::ParamMap;

/// A neuron model: declarations plus the step of one neuron.
///
/// Invariant the layer relies on: `step` reads and writes only its own
/// neuron's state, so the chunk loop may run neurons in any order (and in
/// SIMD lanes) with bit-identical results.
pub trait Dynamics: Send + Sync + Sized + 'static {
    /// NEST-style model name used in configs.
    const NAME: &'static str;
    /// Parameters with NEST names, units, defaults and ranges.
    const PARAMS: &'static [Param];
    /// Every per-neuron state variable, hidden ones included; `V_m` first.
    /// `State` holds them in this order.
    const STATE: &'static [StateVar];
    /// Receptors; a synapse's lane is the receptor's index.
    const RECEPTORS: &'static [ReceptorDecl];
    /// The receptors (excitatory, inhibitory) a weight's sign chooses when a
    /// projection names none (NEST's convention); `None`: one must be named
    /// (or the model has one receptor, then it is that one).
    const BY_SIGN: Option<(u8, u8)>;

    /// Constants of a chunk (propagators, thresholds), derived once from the
    /// parameters and the step.
    type Consts: Send + Sync + 'static;
    /// One neuron's state, `[f64; STATE.len()]`.
    type State: Copy + Default + AsRef<[f64]> + AsMut<[f64]> + Send + 'static;
    /// One neuron's input of one step, `[f64; RECEPTORS.len()]`: the summed
    /// weights per receptor arriving at the end of the step.
    type Input: Copy + Default + AsRef<[f64]> + AsMut<[f64]>;

    /// Checks across parameters (ranges are checked from `PARAMS`).
    fn check(_p: &ParamMap, _dt: f64) -> Result<(), ParamError> {
        Ok(())
    }

    /// The chunk constants for parameters `p` (complete, checked) and step `dt`.
    fn consts(p: &ParamMap, dt: f64) -> Self::Consts;

    /// The state of a neuron at rest, as stored (see `StateVar::relative_to`).
    fn rest(c: &Self::Consts) -> Self::State;

    /// True when every receptor feeds the same linear filter (equal synaptic
    /// time constants, say): the layer may then sum all receptors' input into
    /// one ring lane and call `step::<true>` with it in `input[0]` (the rest
    /// 0). The model must then compute its dynamics from the exact sum of its
    /// receptors' inputs in both `step::<true>` and `step::<false>`, so that
    /// keeping the lanes apart (to record a per-receptor variable) changes no
    /// result.
    fn merges(_p: &ParamMap) -> bool {
        false
    }

    /// Re-derives hidden state after a public variable of `s` was written
    /// (an initial value); checkpoints restore every variable and skip it.
    fn after_set(_c: &Self::Consts, _s: &mut Self::State) {}

    /// Advances one neuron by one step. `i_stim` is the external current (pA)
    /// held during the step. Returns the number of spikes it emits at the end
    /// of the step (0 or 1, except for relays such as `parrot_neuron`). With
    /// `MERGED`, the per-receptor variables need not be kept.
    fn step<const MERGED: bool>(
        c: &Self::Consts,
        s: &mut Self::State,
        input: &Self::Input,
        i_stim: f64,
    ) -> u8;
}
