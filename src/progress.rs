//! Rank 0's view of a run's progress: a one-line bar on a terminal
//! (biological time, real-time factor, ETA) and the progress record
//! `OUT/progress.json` that `brainsim status` reads (io's
//! `progress_record`, rewritten about once per wall second). The driver
//! calls the progress callback on rank 0 only, so only rank 0 writes.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use brainsim_cluster::Progress;
use brainsim_io::progress_record::ProgressRecorder;

pub struct Bar {
    enabled: bool,
    last: Option<Instant>,
    record: Option<ProgressRecorder>,
}

impl Bar {
    pub fn new(quiet: bool) -> Self {
        Self {
            enabled: !quiet && std::io::stderr().is_terminal(),
            last: None,
            record: None,
        }
    }

    /// Also keeps the progress record in the output directory `out`
    /// (whether or not the bar is drawn).
    pub fn with_record(mut self, out: &Path) -> Self {
        self.record = Some(ProgressRecorder::new(out));
        self
    }

    pub fn update(&mut self, p: Progress) {
        if let Some(r) = &mut self.record {
            r.update(p.step, p.n_steps, p.dt, p.wall_seconds);
        }
        if !self.enabled
            || self
                .last
                .is_some_and(|t| t.elapsed() < Duration::from_millis(200))
                && p.step < p.n_steps
        {
            return;
        }
        self.last = Some(Instant::now());
        let bio_ms = p.step as f64 * p.dt;
        let frac = p.step as f64 / p.n_steps.max(1) as f64;
        let rtf = if bio_ms > 0.0 {
            p.wall_seconds / (bio_ms / 1000.0)
        } else {
            0.0
        };
        let eta = if frac > 0.0 {
            p.wall_seconds * (1.0 - frac) / frac
        } else {
            0.0
        };
        let width = 30;
        let filled = (frac * width as f64) as usize;
        let mut err = std::io::stderr();
        let _ = write!(
            err,
            "\r[{}{}] {:>9.1} / {:.1} ms  RTF {:>6.2}  ETA {:>6.1} s ",
            "#".repeat(filled),
            " ".repeat(width - filled),
            bio_ms,
            p.n_steps as f64 * p.dt,
            rtf,
            eta
        );
        if p.step >= p.n_steps {
            let _ = writeln!(err);
        }
        let _ = err.flush();
    }
}
