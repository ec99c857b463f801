//! `parrot_neuron`: repeats every spike it receives, as NEST's model of the
//! same name: each event arriving at the end of a step makes it emit one
//! spike at the end of that step, whatever the event's weight (its receptor
//! counts events: `ReceptorKind::Count`), so k events in one step give k
//! spikes. It has no state and no parameters; use it to relay a device's
//! spikes (e.g. to give several targets the same Poisson train).

use super::decl::{Param, ReceptorDecl, ReceptorKind, StateVar};
use super::dynamics::Dynamics;
use super::ModelInfo;
use crate::spec::ParamMap;

/// The registry entry of `parrot_neuron`.
pub static INFO: ModelInfo = ModelInfo::of::<ParrotNeuron>();

/// `parrot_neuron` (see the module docs).
pub struct ParrotNeuron;

impl Dynamics for ParrotNeuron {
    const NAME: &'static str = "parrot_neuron";
    const PARAMS: &'static [Param] = &[];
    const STATE: &'static [StateVar] = &[];
    const RECEPTORS: &'static [ReceptorDecl] = &[ReceptorDecl::new("events", ReceptorKind::Count)];
    const BY_SIGN: Option<(u8, u8)> = None;
    type Consts = ();
    type State = [f64; 0];
    type Input = [f64; 1];

    fn consts(_p: &ParamMap, _dt: f64) {}

    fn rest(_c: &()) -> [f64; 0] {
        []
    }

    #[inline(always)]
    fn step<const MERGED: bool>(_c: &(), _s: &mut [f64; 0], x: &[f64; 1], _stim: f64) -> u8 {
        // Each event added exactly 1.0 (fixed point holds small integers
        // exactly); more than 255 in one step are capped.
        x[0].clamp(0.0, 255.0) as u8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn avx2_variant_equals_portable() {
        assert!(crate::model::soa::variants_agree::<ParrotNeuron>(
            &ParamMap::new(),
            1,
            20
        ));
    }
}
