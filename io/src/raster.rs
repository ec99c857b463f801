//! Raster plot of a SONATA spike file as a PNG: time on x, neurons on y,
//! populations stacked top to bottom (by name, the order of
//! `SpikeFile::populations`) in distinct colours with a thin grey separator
//! (drawn over the spikes), at most `max_neurons_per_pop` neurons (the lowest
//! node ids) per population.
//!
//! Drawn into an RGB buffer (1200 x 800, margins for the axes) and encoded with the
//! `png` crate; no text: the x axis has tick marks at "nice" time steps (1, 2, 5 x
//! 10^k ms), the y axis a tick at each population boundary and a colour strip per
//! population in the left margin. Spikes are streamed (`for_each_chunk_in`), only the
//! [t_start, t_stop) window being read for time-sorted populations.

use std::io::BufWriter;
use std::path::Path;

pub use crate::sonata_spikes::IoError;
use crate::spike_reader::SpikeFile;

/// Width of the PNG (pixels).
pub const WIDTH: u32 = 1200;
/// Height of the PNG (pixels).
pub const HEIGHT: u32 = 800;
const LEFT: usize = 70;
const RIGHT: usize = 20;
const TOP: usize = 20;
const BOTTOM: usize = 50;

const WHITE: [u8; 3] = [255, 255, 255];
const BLACK: [u8; 3] = [0, 0, 0];
const GREY: [u8; 3] = [190, 190, 190];
/// Population colours (cycled).
const PALETTE: [[u8; 3]; 8] = [
    [31, 119, 180],
    [214, 39, 40],
    [44, 160, 44],
    [255, 127, 14],
    [148, 103, 189],
    [140, 86, 75],
    [227, 119, 194],
    [23, 190, 207],
];

/// An RGB image.
struct Canvas {
    w: usize,
    h: usize,
    px: Vec<u8>,
}

impl Canvas {
    fn new(w: usize, h: usize) -> Self {
        Canvas {
            w,
            h,
            px: WHITE.repeat(w * h),
        }
    }

    fn set(&mut self, x: usize, y: usize, c: [u8; 3]) {
        if x < self.w && y < self.h {
            let i = 3 * (y * self.w + x);
            self.px[i..i + 3].copy_from_slice(&c);
        }
    }

    /// Fills [x0, x1) x [y0, y1).
    fn rect(&mut self, x0: usize, x1: usize, y0: usize, y1: usize, c: [u8; 3]) {
        for y in y0..y1 {
            for x in x0..x1 {
                self.set(x, y, c);
            }
        }
    }
}

/// A tick step of 1, 2 or 5 x 10^k giving at most about 10 ticks over `span`.
fn tick_step(span: f64) -> f64 {
    let raw = span / 10.0;
    let mag = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|&s| s >= raw)
        .unwrap_or(10.0 * mag)
}

/// Draws the raster of `spikes` over [t_start, t_stop) (ms) into `out_png`.
pub fn raster_png(
    spikes: &Path,
    out_png: &Path,
    t_start: f64,
    t_stop: f64,
    max_neurons_per_pop: u64,
) -> Result<(), IoError> {
    if !(t_start.is_finite() && t_stop.is_finite() && t_stop > t_start) {
        let msg = format!("raster: need finite t_start < t_stop, got [{t_start}, {t_stop})");
        return Err(IoError::invalid(spikes, msg));
    }
    let file = SpikeFile::open(spikes)?;
    let pops = file.populations();
    let rows = rows_per_population(&file, &pops, max_neurons_per_pop)?;
    let frame = Frame::new(rows.iter().sum(), t_start, t_stop);
    let mut c = Canvas::new(WIDTH as usize, HEIGHT as usize);
    draw_bands(&mut c, &frame, &rows);
    draw_spikes(&mut c, &frame, &file, &pops, &rows)?;
    // Separators and axes after the spikes, so spikes never hide them.
    draw_axes(&mut c, &frame, &rows);
    write_png(out_png, &c)
}

/// Rows per population: min(population size, limit); the size comes from
/// `n_nodes`, or else from a pass over the node ids.
fn rows_per_population(file: &SpikeFile, pops: &[String], limit: u64) -> Result<Vec<u64>, IoError> {
    let mut rows = Vec::with_capacity(pops.len());
    for pop in pops {
        let n = match file.n_nodes(pop) {
            Some(n) => n,
            None => {
                let mut max = None;
                file.for_each_chunk(pop, 1 << 20, |_, ids| {
                    max = ids.iter().copied().max().max(max);
                    Ok(())
                })?;
                max.map_or(0, |m| m + 1)
            }
        };
        rows.push(n.min(limit));
    }
    Ok(rows)
}

/// The plot area [x0, x1) x [y0, y1) inside the margins, with the time window
/// on x and `total_rows` neuron rows on y.
struct Frame {
    x0: usize,
    x1: usize,
    y0: usize,
    y1: usize,
    t_start: f64,
    t_stop: f64,
    total_rows: u64,
}

impl Frame {
    fn new(total_rows: u64, t_start: f64, t_stop: f64) -> Self {
        Frame {
            x0: LEFT,
            x1: WIDTH as usize - RIGHT,
            y0: TOP,
            y1: HEIGHT as usize - BOTTOM,
            t_start,
            t_stop,
            total_rows,
        }
    }

    /// Top pixel of neuron row `row` (row `total_rows` is the bottom edge).
    fn row_y(&self, row: u64) -> usize {
        let ph = (self.y1 - self.y0) as u64;
        self.y0 + (row * ph / self.total_rows.max(1)) as usize
    }

    /// Pixels from `x0` to time `t`, unrounded (0 at t_start, the plot width at t_stop).
    fn x_offset(&self, t: f64) -> f64 {
        (t - self.t_start) / (self.t_stop - self.t_start) * (self.x1 - self.x0) as f64
    }
}

/// Population bands in the left margin: a colour strip and a y tick at the top
/// of each.
fn draw_bands(c: &mut Canvas, f: &Frame, rows: &[u64]) {
    let mut first_row = 0u64;
    for (p, &n) in rows.iter().enumerate() {
        let (top, bottom) = (f.row_y(first_row), f.row_y(first_row + n));
        c.rect(
            LEFT - 14,
            LEFT - 8,
            top,
            bottom.max(top + 1),
            PALETTE[p % PALETTE.len()],
        );
        c.rect(LEFT - 6, LEFT, top, top + 1, BLACK);
        first_row += n;
    }
}

/// Spikes: a pixel wide, a row high (at least one pixel); node ids at or
/// above the population's row count are not drawn.
fn draw_spikes(
    c: &mut Canvas,
    f: &Frame,
    file: &SpikeFile,
    pops: &[String],
    rows: &[u64],
) -> Result<(), IoError> {
    let (t_start, t_stop) = (f.t_start, f.t_stop);
    let mut first_row = 0u64;
    for (p, pop) in pops.iter().enumerate() {
        let n = rows[p];
        let colour = PALETTE[p % PALETTE.len()];
        if n > 0 {
            let window = file.window(pop, t_start, t_stop)?;
            file.for_each_chunk_in(pop, window, 1 << 20, |ts, ids| {
                for (&t, &id) in ts.iter().zip(ids) {
                    // The window of an unsorted population is all of it.
                    if id >= n || !(t >= t_start && t < t_stop) {
                        continue;
                    }
                    let x = f.x0 + f.x_offset(t) as usize;
                    let (top, bottom) = (f.row_y(first_row + id), f.row_y(first_row + id + 1));
                    for y in top..bottom.max(top + 1) {
                        c.set(x.min(f.x1 - 1), y, colour);
                    }
                }
                Ok(())
            })?;
        }
        first_row += n;
    }
    Ok(())
}

/// Grey separators between populations, the two axes, and x ticks at every
/// multiple of a nice step inside the window.
fn draw_axes(c: &mut Canvas, f: &Frame, rows: &[u64]) {
    let (x0, x1, y0, y1) = (f.x0, f.x1, f.y0, f.y1);
    let mut boundary = 0u64;
    for &n in &rows[..rows.len().saturating_sub(1)] {
        boundary += n;
        let y = f.row_y(boundary);
        c.rect(x0, x1, y, y + 1, GREY);
    }
    c.rect(x0 - 1, x0, y0, y1 + 1, BLACK);
    c.rect(x0 - 1, x1, y1, y1 + 1, BLACK);
    let step = tick_step(f.t_stop - f.t_start);
    let mut k = (f.t_start / step).ceil();
    // The relative epsilon keeps a tick exactly at t_stop despite rounding.
    while k * step < f.t_stop + step * 1e-9 {
        let x = x0 + f.x_offset(k * step).round() as usize;
        c.rect(x.min(x1 - 1), x.min(x1 - 1) + 1, y1 + 1, y1 + 8, BLACK);
        k += 1.0;
    }
}

/// Encodes the canvas as an 8-bit RGB PNG at `out_png`.
fn write_png(out_png: &Path, c: &Canvas) -> Result<(), IoError> {
    let out = std::fs::File::create(out_png).map_err(|source| IoError::Fs {
        path: out_png.to_path_buf(),
        what: "creating PNG file".into(),
        source,
    })?;
    let png_err = |source| IoError::Png {
        path: out_png.to_path_buf(),
        source,
    };
    let mut enc = png::Encoder::new(BufWriter::new(out), c.w as u32, c.h as u32);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    let mut writer = enc.write_header().map_err(png_err)?;
    writer.write_image_data(&c.px).map_err(png_err)?;
    writer.finish().map_err(png_err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sonata_spikes::test_util::{synthetic_spikes, test_dir};
    use crate::sonata_spikes::SpikeWriter;

    fn decode(path: &Path) -> (png::OutputInfo, Vec<u8>) {
        let f = std::io::BufReader::new(std::fs::File::open(path).unwrap());
        let mut reader = png::Decoder::new(f).read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        (info, buf)
    }

    fn count(buf: &[u8], c: [u8; 3]) -> usize {
        buf.chunks_exact(3).filter(|p| *p == c).count()
    }

    #[test]
    fn raster_is_a_png_of_the_right_size_with_coloured_spikes() {
        let dir = test_dir("raster");
        let spikes = dir.join("spikes.h5");
        let pops = vec![("exc".to_string(), 0, 400), ("inh".to_string(), 400, 100)];
        let mut w = SpikeWriter::create(&spikes, &pops).unwrap();
        w.append(&synthetic_spikes(50_000, 500)).unwrap();
        w.finish().unwrap();

        let png = dir.join("raster.png");
        raster_png(&spikes, &png, 0.0, 500.0, 200).unwrap();
        let bytes = std::fs::read(&png).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        let (info, buf) = decode(&png);
        assert_eq!((info.width, info.height), (WIDTH, HEIGHT));
        assert_eq!(info.color_type, png::ColorType::Rgb);
        assert_eq!(info.bit_depth, png::BitDepth::Eight);
        let (exc, inh) = (count(&buf, PALETTE[0]), count(&buf, PALETTE[1]));
        assert!(exc > 5_000 && inh > 2_000, "exc {exc} inh {inh} pixels");
        // Two bands of 200 rows each: exc in the top half, inh in the bottom half.
        let row_of = |i: usize| (i / 3) / WIDTH as usize;
        let mid = (TOP + HEIGHT as usize - BOTTOM) / 2;
        for (i, p) in buf
            .chunks_exact(3)
            .enumerate()
            .filter(|(_, p)| *p == PALETTE[1])
        {
            let x = i % WIDTH as usize;
            assert!(
                x < LEFT || row_of(i * 3) >= mid,
                "inh pixel {p:?} above the middle"
            );
        }
        assert!(count(&buf, GREY) >= WIDTH as usize - LEFT - RIGHT);

        // A window with no spikes still gives a valid image.
        raster_png(&spikes, &png, 1e6, 1e6 + 10.0, 10).unwrap();
        let (info, buf) = decode(&png);
        assert_eq!((info.width, info.height), (WIDTH, HEIGHT));
        assert!(count(&buf, BLACK) > 0);
        assert!(raster_png(&spikes, &png, 5.0, 5.0, 10).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn ticks_are_nice() {
        for (span, step) in [(1000.0, 100.0), (250.0, 50.0), (12.0, 2.0), (0.3, 0.05)] {
            assert!(
                (tick_step(span) - step).abs() < 1e-9 * step,
                "{span}: {}",
                tick_step(span)
            );
        }
    }
}
