//! `brainsim models [NAME]`: the registered neuron models, or one model's
//! declarations — parameters (NEST name, unit, default, valid range), state
//! variables (unit, recordable or hidden) and receptors (kind, weight unit) —
//! as NEST's `GetDefaults` shows them. Read from the model layer's tables, so
//! it is always what the simulator accepts.

use brainsim_sim::model::{self, ModelInfo, Range};
use std::io::Write;
use std::process::ExitCode;

/// Prints every model name, or model `name`'s declarations; an unknown name
/// is bad input (exit 2).
pub fn main(name: Option<&str>) -> ExitCode {
    let text = match name {
        None => model::model_names().join("\n") + "\n",
        Some(n) => match model::lookup(n) {
            Some(m) => describe(m),
            None => {
                eprintln!(
                    "error: no model {n:?} (models: {})",
                    model::model_names().join(", ")
                );
                return ExitCode::from(2);
            }
        },
    };
    // A closed stdout (`| head`) is not an error of ours.
    let _ = std::io::stdout().write_all(text.as_bytes());
    ExitCode::SUCCESS
}

fn range(r: Range) -> &'static str {
    match r {
        Range::Any => "any",
        Range::Positive => "> 0",
        Range::NonNegative => ">= 0",
        Range::Steps => ">= 0, multiple of dt",
    }
}

/// The declarations of `m`, one table per kind.
fn describe(m: &ModelInfo) -> String {
    let mut s = format!("{}\n\nparameters:\n", m.name);
    for p in m.params {
        s += &format!(
            "  {:<12} {:>10} {:<5} {}\n",
            p.name,
            p.default,
            p.unit,
            range(p.range)
        );
    }
    s += "\nstate variables:\n";
    for v in m.state {
        let what = if v.public { "recordable" } else { "hidden" };
        s += &format!("  {:<18} {:<6} {what}\n", v.name, v.unit);
    }
    s += "\nreceptors:\n";
    for (i, r) in m.receptors.iter().enumerate() {
        let sign = match m.by_sign {
            Some((ex, _)) if ex as usize == i => "  (weight >= 0 when none is named)",
            Some((_, inh)) if inh as usize == i => "  (weight < 0 when none is named)",
            _ => "",
        };
        s += &format!(
            "  {:<8} {:?}, weights in {}{sign}\n",
            r.name,
            r.kind,
            r.kind.weight_unit()
        );
    }
    s
}
