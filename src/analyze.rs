//! `brainsim analyze DIR`: checks a run's spikes.h5 before it counts, then prints
//! streaming statistics (table, CSV or JSON) and draws a raster plot; with
//! windows, per-neuron read-outs and the decoding of an encoder (`readout`).
//!
//! Order: read and check everything first — open the file, find its valid extent,
//! compute the statistics and read-outs, render the raster into memory — then
//! print, then write the read-out and the PNG, so a corrupt or unreadable input
//! (exit 2, one line) leaves nothing behind. An unfinished run is analysed over its
//! valid extent, with a warning. A sweep directory (with `sweep.csv`) gets one
//! row per variant and population (`crate::sweep::summary`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use brainsim_io::analyze::{
    analyze_file, format_csv, format_json, format_table, valid_extent, Extent, IoError,
    PopulationStats, Window,
};
use brainsim_io::metadata::RunMetadata;
use brainsim_io::raster::{Raster, RasterOptions};
use brainsim_io::spike_reader::SpikeFile;

use crate::readout::{self, DecodeMethod, WindowSource};

/// How the statistics are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// An aligned table, with the window above it.
    Table,
    /// CSV, a header and one line per population.
    Csv,
    /// A JSON array, one object per population.
    Json,
}

/// `brainsim analyze` arguments.
#[derive(clap::Args)]
pub struct Args {
    /// Output directory of a run; or a sweep directory (with sweep.csv): one row per variant and population,
    /// also written to DIR/sweep_summary.csv.
    pub dir: PathBuf,
    /// Start of the analysis window (ms, excluded: the window is (t-start, t-stop]).
    #[arg(long = "t-start", default_value_t = 0.0)]
    pub t_start: f64,
    /// End of the analysis window (ms, included; default and at most: the run's
    /// valid duration).
    #[arg(long = "t-stop")]
    pub t_stop: Option<f64>,
    /// Bin width for the Fano factor and the raster's rate histogram (ms).
    #[arg(long, default_value_t = 10.0)]
    pub bin: f64,
    /// Raster plot file (default: DIR/raster.png).
    #[arg(long)]
    pub png: Option<PathBuf>,
    /// Do not draw the raster plot.
    #[arg(long = "no-png", conflicts_with = "png")]
    pub no_png: bool,
    /// Neurons drawn per population in the raster plot.
    #[arg(long, default_value_t = 200)]
    pub raster_neurons: u64,
    /// Output format of the statistics or of the decoding (on stdout).
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Per-window read-outs over the windows of the run's rate or latency encoder:
    /// (t_j + delay, t_{j+1} + delay] for each vector j of its table, clipped to
    /// (t-start, t-stop] (the encoder is read from DIR/config.effective.toml).
    #[arg(long, value_enum, conflicts_with = "window_ms")]
    pub windows: Option<WindowSource>,
    /// Per-window read-outs over consecutive windows of this many ms from t-start.
    #[arg(long = "window-ms")]
    pub window_ms: Option<f64>,
    #[allow(rustdoc::broken_intra_doc_links)]
    /// The encoder, by the index of its [[stimulus]] table (from 0), when the run
    /// has several rate or latency encoders.
    #[arg(long)]
    pub encoder: Option<usize>,
    /// Per-neuron read-out file: spikes, rate, first spike and latency of every
    /// neuron in every window; `.h5` writes HDF5, anything else CSV (default with
    /// windows or --decode: DIR/readout.csv).
    #[arg(long)]
    pub readout: Option<PathBuf>,
    /// Decode the encoder's vectors from its population's spikes and print that
    /// (in --format) instead of the statistics: `rate` = mean rate per component,
    /// correlated with the encoded vector; `latency` = order of the components by
    /// first-spike latency, compared with the encoded order. Windows: the encoder's
    /// unless --window-ms.
    #[arg(long, value_enum)]
    pub decode: Option<DecodeMethod>,
}

/// Why analyze stopped: bad input (exit 2) or anything else (exit 1).
pub(crate) enum Failure {
    BadInput(String),
    Other(String),
}

/// An io error: bad input if it is about the spike file, else another failure.
fn classify(spikes: &Path) -> impl Fn(IoError) -> Failure + '_ {
    move |e| {
        if e.path() == spikes {
            Failure::BadInput(e.to_string())
        } else {
            Failure::Other(e.to_string())
        }
    }
}

/// Runs `brainsim analyze`; the exit code is 0, 1 or 2 (module docs).
pub fn main(args: &Args) -> ExitCode {
    let (code, msg) = match run(args) {
        Ok(()) => return ExitCode::SUCCESS,
        Err(Failure::BadInput(m)) => (2, m),
        Err(Failure::Other(m)) => (1, m),
    };
    // One line, whatever the underlying library said.
    let msg: Vec<&str> = msg
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    eprintln!("brainsim: {}", msg.join("; "));
    ExitCode::from(code)
}

fn run(a: &Args) -> Result<(), Failure> {
    if a.dir.join(crate::sweep::SWEEP_CSV).is_file() {
        return crate::sweep::summary::run(a);
    }
    let spikes = a.dir.join("spikes.h5");
    if !spikes.is_file() && a.dir.join("probes.h5").is_file() {
        let msg = format!(
            "{}: an NEF run's output (probes.h5, no spikes.h5): `analyze` reads spiking runs; read its probes with h5py or pandas (README, \"NEF models\")",
            a.dir.display()
        );
        return Err(Failure::BadInput(msg));
    }
    if !spikes.is_file() {
        let msg = format!(
            "{}: no spikes.h5 (is this a run's output directory?)",
            a.dir.display()
        );
        return Err(Failure::BadInput(msg));
    }
    let (file, window, stats) = open_and_count(a, &a.dir)?;
    let bad = classify(&spikes);
    let plan = readout::plan(a, window)?;
    let computed = match &plan {
        Some(p) => Some(readout::compute(&file, p, a.decode, &bad)?),
        None => None,
    };
    let png = (!a.no_png).then(|| a.png.clone().unwrap_or_else(|| a.dir.join("raster.png")));
    let raster = match &png {
        Some(path) => {
            let opts = RasterOptions {
                window,
                max_neurons_per_pop: a.raster_neurons,
                bin_ms: a.bin,
            };
            Some(Raster::render(&file, &opts, path).map_err(&bad)?)
        }
        None => None,
    };
    let decoded = computed
        .as_ref()
        .is_some_and(|c| readout::print_decoding(c, a.format));
    if !decoded {
        print_stats(a, &stats, window);
    }
    if let (Some(p), Some(c)) = (&plan, &computed) {
        readout::write(p, c)?;
        if a.format == Format::Table {
            println!("per-neuron read-out: {}", p.file.display());
        }
    }
    if let (Some(raster), Some(path)) = (raster, png) {
        raster.write_png(&path).map_err(&bad)?;
        if a.format == Format::Table {
            println!("raster plot: {}", path.display());
        }
    }
    Ok(())
}

/// The spike file of the run in `dir` opened, checked and counted over the
/// window of `a` (clamped to the run's valid extent, with the warning of an
/// unfinished run): what `analyze` prints for one run, and for each variant
/// of a sweep.
pub(crate) fn open_and_count(
    a: &Args,
    dir: &Path,
) -> Result<(SpikeFile, Window, Vec<PopulationStats>), Failure> {
    let spikes = dir.join("spikes.h5");
    let meta = read_metadata(dir)?;
    let bad = classify(&spikes);
    let file = SpikeFile::open(&spikes).map_err(&bad)?;
    let extent = valid_extent(&file, meta.as_ref()).map_err(&bad)?;
    warn_unfinished(&file, meta.as_ref(), extent);
    let window = choose_window(a, &spikes, extent)?;
    if !(a.bin.is_finite() && a.bin > 0.0) {
        return Err(Failure::BadInput(format!("--bin {} must be > 0", a.bin)));
    }
    let stats = analyze_file(&file, window, a.bin).map_err(&bad)?;
    Ok((file, window, stats))
}

/// The statistics in the chosen format, on stdout.
fn print_stats(a: &Args, stats: &[PopulationStats], window: Window) {
    match a.format {
        Format::Table => {
            let (t0, t1) = (window.t_start, window.t_stop);
            println!("window ({t0}, {t1}] ms, Fano bins {} ms", a.bin);
            print!("{}", format_table(stats));
        }
        Format::Csv => print!("{}", format_csv(stats, window)),
        Format::Json => print!("{}", format_json(stats, window)),
    }
}

/// `DIR/metadata.json`, None if there is none; bad input if it cannot be read.
fn read_metadata(dir: &Path) -> Result<Option<RunMetadata>, Failure> {
    match RunMetadata::read(dir) {
        Ok(m) => Ok(Some(m)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => {
            let path = dir.join(brainsim_io::metadata::METADATA_FILE);
            Err(Failure::BadInput(format!("{}: {e}", path.display())))
        }
    }
}

/// A warning on stderr for a run that did not finish (by its metadata, or by the
/// spike file's `finished` flag), naming the status and the valid duration used.
fn warn_unfinished(file: &SpikeFile, meta: Option<&RunMetadata>, extent: Option<Extent>) {
    let file_unfinished = file.finished() == Some(false);
    let status = match meta {
        Some(m) if !m.is_finished() => match &m.error {
            Some(e) => format!("run {} ({e})", m.status),
            None => format!("run {}", m.status),
        },
        _ if file_unfinished => "spikes.h5 not finished (finished = 0)".to_string(),
        _ => return,
    };
    let valid = extent.map_or_else(
        || "the window given".to_string(),
        |e| format!("the valid {} ms ({})", e.t_valid_ms, e.source.describe()),
    );
    let of = meta.map_or_else(String::new, |m| format!(" of t_stop {} ms", m.t_stop_ms));
    eprintln!(
        "brainsim: warning: {}: {status}; analysing {valid}{of}",
        file.path().display()
    );
}

/// The window (t-start, t-stop]: t-stop defaults to, and is clamped to, the valid
/// extent (with a warning when clamped).
fn choose_window(a: &Args, spikes: &Path, extent: Option<Extent>) -> Result<Window, Failure> {
    let t_stop = match (a.t_stop, extent) {
        (Some(t), Some(e)) if t > e.t_valid_ms => {
            eprintln!(
                "brainsim: warning: --t-stop {t} is beyond the valid {} ms ({}); using {}",
                e.t_valid_ms,
                e.source.describe(),
                e.t_valid_ms
            );
            e.t_valid_ms
        }
        (Some(t), _) => t,
        (None, Some(e)) => e.t_valid_ms,
        (None, None) => {
            let msg = format!(
                "{}: no metadata.json and no valid_until_ms to take the run's duration from; \
                 pass --t-stop",
                spikes.display()
            );
            return Err(Failure::BadInput(msg));
        }
    };
    Window::new(a.t_start, t_stop).map_err(|m| {
        let valid = extent.map_or_else(String::new, |e| {
            format!(" (valid data end at {} ms)", e.t_valid_ms)
        });
        Failure::BadInput(format!("window: {m}{valid}; check --t-start/--t-stop"))
    })
}
