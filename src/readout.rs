//! The per-window part of `brainsim analyze`: per-neuron rates and
//! first-spike latencies over windows (`--windows encoder`, `--window-ms`),
//! written to `--readout` (default `DIR/readout.csv`), and `--decode
//! rate|latency`, the encoder's vectors read back from its population.
//!
//! The encoder and its mapping of neurons to components come from the run's
//! `config.effective.toml`, validated without opening the spike files it
//! names (analysis needs no inputs of the run). Everything is computed
//! before anything is printed or written (the caller's order).

use std::path::PathBuf;

use brainsim_io::analyze::decode::{decode, Decoding, Encoder, Method};
use brainsim_io::analyze::readout::{fixed_windows, readout_file, PopulationReadout};
use brainsim_io::analyze::{decoding_csv, decoding_json, decoding_table, write_readout, Window};
use brainsim_io::spike_reader::SpikeFile;

use crate::analyze::{Args, Failure, Format};

/// Where the windows come from (`--windows`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum WindowSource {
    /// The run's rate or latency encoder: (t_j + delay, t_{j+1} + delay] per vector j.
    Encoder,
}

/// How `--decode` reads the spikes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum DecodeMethod {
    /// Mean rate per component, compared with the encoded vector (correlation).
    Rate,
    /// Order of the components by first-spike latency, compared with the encoded order.
    Latency,
}

/// What the read-out will compute: its windows, the encoder (when one is
/// needed) and the file to write.
pub struct Plan {
    windows: Vec<Window>,
    encoder: Option<Encoder>,
    /// The per-neuron read-out file.
    pub file: PathBuf,
}

/// What the read-out computed.
pub struct Computed {
    readouts: Vec<PopulationReadout>,
    decoding: Option<Decoding>,
}

/// The run's encoder (`--encoder`, else its only one), from
/// `DIR/config.effective.toml`.
fn encoder(a: &Args) -> Result<Encoder, Failure> {
    let path = a.dir.join("config.effective.toml");
    let text = std::fs::read_to_string(&path).map_err(|e| {
        Failure::BadInput(format!(
            "{}: {e} (--windows encoder and --decode read the run's encoder from it)",
            path.display()
        ))
    })?;
    let config = brainsim_io::config::parse_without_spike_files(&path, &text)
        .map_err(|e| Failure::BadInput(e.to_string()))?;
    Encoder::of(&config.spec, a.encoder)
        .map_err(|m| Failure::BadInput(format!("{}: {m}", path.display())))
}

/// The read-out asked for by `a` over the analysis window `span`; `None`
/// when neither windows nor a decoding were asked for.
pub fn plan(a: &Args, span: Window) -> Result<Option<Plan>, Failure> {
    let wanted = a.windows.is_some() || a.window_ms.is_some() || a.decode.is_some();
    if !wanted {
        if a.readout.is_some() {
            let msg = "--readout needs windows: --windows encoder, --window-ms or --decode";
            return Err(Failure::BadInput(msg.into()));
        }
        return Ok(None);
    }
    let needs_encoder = a.decode.is_some() || a.windows.is_some();
    let encoder = if needs_encoder {
        Some(encoder(a)?)
    } else {
        None
    };
    let windows = match (a.window_ms, &encoder) {
        (Some(ms), _) => fixed_windows(span, ms).map_err(Failure::BadInput)?,
        (None, Some(e)) => e.windows(span),
        (None, None) => unreachable!("windows or decode asked for an encoder"),
    };
    if windows.is_empty() {
        let msg = format!(
            "no read-out window lies in the analysis window ({}, {}] ms; check --t-start/--t-stop",
            span.t_start, span.t_stop
        );
        return Err(Failure::BadInput(msg));
    }
    let file = a
        .readout
        .clone()
        .unwrap_or_else(|| a.dir.join("readout.csv"));
    Ok(Some(Plan {
        windows,
        encoder,
        file,
    }))
}

/// Reads the per-neuron read-out and decodes it when asked.
pub fn compute(
    file: &SpikeFile,
    plan: &Plan,
    method: Option<DecodeMethod>,
    bad: &impl Fn(brainsim_io::analyze::IoError) -> Failure,
) -> Result<Computed, Failure> {
    let readouts = readout_file(file, &plan.windows).map_err(bad)?;
    let decoding = match (method, &plan.encoder) {
        (Some(m), Some(enc)) => {
            let Some(r) = readouts.iter().find(|r| r.population == enc.population) else {
                let msg = format!(
                    "{}: no spikes recorded for population {:?}, which the encoder drives",
                    file.path().display(),
                    enc.population
                );
                return Err(Failure::BadInput(msg));
            };
            let m = match m {
                DecodeMethod::Rate => Method::Rate,
                DecodeMethod::Latency => Method::Latency,
            };
            Some(decode(m, enc, r, &plan.windows))
        }
        _ => None,
    };
    Ok(Computed { readouts, decoding })
}

/// Prints the decoding, if one was computed, in `format`; whether it did.
pub fn print_decoding(c: &Computed, format: Format) -> bool {
    let Some(d) = &c.decoding else {
        return false;
    };
    match format {
        Format::Table => print!("{}", decoding_table(d)),
        Format::Csv => print!("{}", decoding_csv(std::slice::from_ref(d))),
        Format::Json => print!("{}", decoding_json(std::slice::from_ref(d))),
    }
    true
}

/// Writes the per-neuron read-out to the plan's file.
pub fn write(plan: &Plan, c: &Computed) -> Result<(), Failure> {
    write_readout(&plan.file, &plan.windows, &c.readouts).map_err(|e| Failure::Other(e.to_string()))
}
