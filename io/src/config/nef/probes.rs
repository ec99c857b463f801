//! `[[nef.probe]]` to the library's `ProbeSpec`s and the datasets of the
//! probe file. A probe names what it records as Nengo's `nengo.Probe`:
//! - `target = "a"` (an ensemble or array): its decoded value
//!   (`attr = "decoded_output"`, the default);
//! - `target = "n"` (a node): its output (`attr = "output"`);
//! - `target = "a.neurons"`: spikes (`attr = "spikes"`, the default) or
//!   voltages (`attr = "voltage"`), unfiltered;
//! - `connection = k` (the k-th `[[nef.connection]]`, from 0): its output
//!   after its synapse (`attr = "output"`).
//!
//! `synapse` is a lowpass in ms or "none" (the default, as Nengo's).
//! An array's decoded value is one probe per ensemble (`name[k]`), written
//! side by side as one dataset `name`.

use brainsim_sim::nef::{ProbeOf, ProbeSpec};

use super::names::{Named, Names, Ref};
use super::raw::RawProbe;
use super::shapes::synapse;
use crate::config::values::{invalid, join, name, Check};
use crate::nef_probes::ProbeDataset;

/// Probe `at`'s specs (one, or one per ensemble of an array) and dataset;
/// `conns[k]`: the specs' indices of config connection k.
pub(crate) fn probe(
    at: &str,
    r: &RawProbe,
    names: &Names,
    conns: &[Vec<usize>],
    first: usize,
) -> Check<(Vec<ProbeSpec>, ProbeDataset)> {
    let n = name(&join(at, "name"), &r.name)?;
    if n == "time" {
        return invalid(
            join(at, "name"),
            "`time` is the probe file's time axis; choose another name",
        );
    }
    let syn = synapse(&join(at, "synapse"), r.synapse.as_ref(), None)?;
    let of = recorded(at, r, names, conns)?;
    if syn.is_some() && matches!(of[0], ProbeOf::Spikes(_) | ProbeOf::Voltage(_)) {
        return invalid(
            join(at, "synapse"),
            "spikes and voltages are recorded unfiltered (leave `synapse` out)",
        );
    }
    let specs: Vec<ProbeSpec> = of
        .iter()
        .enumerate()
        .map(|(k, &of)| ProbeSpec {
            name: if of_array(r, names) {
                format!("{n}[{k}]")
            } else {
                n.clone()
            },
            of,
            synapse: syn,
        })
        .collect();
    let dataset = ProbeDataset {
        name: n,
        probes: (first..first + specs.len()).collect(),
    };
    Ok((specs, dataset))
}

/// What probe `at` records: one `ProbeOf`, or one per ensemble of an array.
fn recorded(at: &str, r: &RawProbe, names: &Names, conns: &[Vec<usize>]) -> Check<Vec<ProbeOf>> {
    let attr = r.attr.as_deref();
    let attr_field = join(at, "attr");
    let wrong_attr = |a: &str, takes: &str| {
        invalid(
            attr_field.clone(),
            format!("{a:?} is not recorded here; this probe takes {takes}"),
        )
    };
    Ok(match (&r.target, r.connection) {
        (Some(_), Some(_)) | (None, None) => {
            return invalid(at, "a probe names either a `target` or a `connection`")
        }
        (None, Some(k)) => {
            let field = join(at, "connection");
            let Some(specs) = usize::try_from(k).ok().and_then(|k| conns.get(k)) else {
                return invalid(
                    field,
                    format!("no [[nef.connection]] {k} (there are {})", conns.len()),
                );
            };
            if specs.len() != 1 {
                return invalid(field, format!("connection {k} into or out of an array is {} connections; probe its target instead", specs.len()));
            }
            match attr {
                None | Some("output") => vec![ProbeOf::Connection(specs[0])],
                Some(a) => return wrong_attr(a, "\"output\""),
            }
        }
        (Some(t), None) => match names.resolve(&join(at, "target"), t)? {
            Ref::Thing(Named::Ensemble(e)) => match attr {
                None | Some("decoded_output") => vec![ProbeOf::Decoded(e)],
                Some(a) => {
                    return wrong_attr(
                        a,
                        "\"decoded_output\" (spikes and voltages: target `name.neurons`)",
                    )
                }
            },
            Ref::Thing(Named::Array { first, n, .. }) => match attr {
                None | Some("decoded_output") => (first..first + n).map(ProbeOf::Decoded).collect(),
                Some(a) => return wrong_attr(a, "\"decoded_output\""),
            },
            Ref::Thing(Named::Node(k)) => match attr {
                None | Some("output") => vec![ProbeOf::Node(k)],
                Some(a) => return wrong_attr(a, "\"output\""),
            },
            Ref::Neurons(e) => match attr {
                None | Some("spikes") => vec![ProbeOf::Spikes(e)],
                Some("voltage") => vec![ProbeOf::Voltage(e)],
                Some(a) => return wrong_attr(a, "\"spikes\" or \"voltage\""),
            },
        },
    })
}

/// Whether the probe records an array.
fn of_array(r: &RawProbe, names: &Names) -> bool {
    r.target
        .as_deref()
        .is_some_and(|t| matches!(names.resolve("", t), Ok(Ref::Thing(Named::Array { .. }))))
}
