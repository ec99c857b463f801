//! Spec builders for the crate's unit tests: small networks written in code
//! (sim has no config reader), valid as `io::config` would leave them —
//! gids assigned in population order, parameters completed with the model's
//! defaults. The integration tests have their own (`tests/common`).

use super::*;
use crate::model;

/// An `iaf_psc_exp` population of `size` neurons with NEST's defaults
/// (`first_gid` is set by `network`).
pub(crate) fn lif(name: &str, size: u32) -> PopulationSpec {
    let m = model::lookup("iaf_psc_exp").expect("registered model");
    PopulationSpec {
        name: name.into(),
        size,
        first_gid: 0,
        model: m.name.into(),
        params: m.with_defaults(&ParamMap::new()).expect("defaults"),
        initial: BTreeMap::new(),
        expected_rate: None,
    }
}

/// A network of `iaf_psc_exp` populations of the given sizes (dt 0.1 ms,
/// 100 ms), chunks of `chunk_size`, no projections, devices or records.
pub(crate) fn network(seed: u32, sizes: &[u32], chunk_size: usize) -> NetworkSpec {
    let mut populations = Vec::new();
    let mut first = 0;
    for (i, &size) in sizes.iter().enumerate() {
        let mut p = lif(&format!("P{i}"), size);
        p.first_gid = first;
        first += size;
        populations.push(p);
    }
    NetworkSpec {
        simulation: SimulationSpec {
            dt: 0.1,
            t_stop: 100.0,
            seed,
            threads: None,
            chunk_size,
        },
        populations,
        projections: Vec::new(),
        stimuli: Vec::new(),
        records: Vec::new(),
    }
}

/// A projection with autapses and multapses allowed, receptor by sign.
pub(crate) fn projection(
    source: usize,
    target: usize,
    rule: ConnRule,
    weight: Distribution,
    delay: Distribution,
) -> ProjectionSpec {
    ProjectionSpec {
        source,
        target,
        rule,
        allow_autapses: true,
        allow_multapses: true,
        weight,
        delay,
        receptor: Receptor::BySign,
        plastic: None,
        procedural: false,
        weights_from: None,
    }
}
