//! `brainsim analyze DIR`: streaming statistics of a run's spikes and a raster plot.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use brainsim_io::analyze::{analyze_spikes, format_table};
use brainsim_io::metadata::RunMetadata;
use brainsim_io::raster::raster_png;

pub fn main(
    dir: &Path,
    t_start: f64,
    t_stop: Option<f64>,
    bin: f64,
    png: Option<PathBuf>,
    raster_neurons: u64,
) -> ExitCode {
    let spikes = dir.join("spikes.h5");
    if !spikes.exists() {
        eprintln!(
            "brainsim: {}: no spikes.h5 (is this a run's output directory?)",
            dir.display()
        );
        return ExitCode::from(2);
    }
    let meta = RunMetadata::read(dir).ok();
    if let Some(m) = &meta {
        if !m.is_finished() {
            eprintln!("brainsim: warning: {}: the run did not finish (status {}); analysing what was flushed", dir.display(), m.status);
        }
    }
    let Some(t_stop) = t_stop.or(meta.as_ref().map(|m| m.t_stop_ms)) else {
        eprintln!(
            "brainsim: {}: no metadata.json to take t_stop from; pass --t-stop",
            dir.display()
        );
        return ExitCode::from(2);
    };
    if !(t_start.is_finite() && t_stop.is_finite() && t_start < t_stop && bin > 0.0) {
        eprintln!(
            "brainsim: need --t-start < --t-stop and --bin > 0 (got {t_start}, {t_stop}, {bin})"
        );
        return ExitCode::from(2);
    }
    let stats = match analyze_spikes(&spikes, t_start, t_stop, bin) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("brainsim: {e}");
            return ExitCode::from(1);
        }
    };
    println!("window [{t_start}, {t_stop}) ms, Fano bins {bin} ms");
    print!("{}", format_table(&stats));
    let png = png.unwrap_or_else(|| dir.join("raster.png"));
    if let Err(e) = raster_png(&spikes, &png, t_start, t_stop, raster_neurons) {
        eprintln!("brainsim: {e}");
        return ExitCode::from(1);
    }
    println!("raster plot: {}", png.display());
    ExitCode::SUCCESS
}
