//! Raster plot of a SONATA spike file as a PNG, drawn with `plotters` (bitmap
//! backend into an RGB buffer, encoded with the `png` crate): time (ms) on x,
//! neurons on y, populations stacked top to bottom (by name, the order of
//! `SpikeFile::populations`) in distinct colours, their names at the right of
//! their bands, a thin grey separator between bands (drawn over the spikes), at
//! most `max_neurons_per_pop` neurons (the lowest node ids) per population, the
//! y tick labels being node ids within the population. Beneath, on the same time
//! axis, a histogram of each population's rate (Hz, over all its neurons) in bins
//! of `bin_ms` (coarsened to a whole multiple when there would be more bins than
//! pixels), the populations' bars side by side in each bin.
//!
//! Text is drawn with ab_glyph from the DejaVu Sans font the `dejavu` crate embeds
//! (Bitstream Vera licence, free to redistribute): no fontconfig, no system font.
//! Spikes are streamed (`for_each_chunk_in`), only the window (t_start, t_stop]
//! being read for time-sorted populations, and only valid rows.

use std::io::BufWriter;
use std::ops::Range;
use std::path::Path;
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::analyze::Window;
pub use crate::sonata_spikes::IoError;
use crate::spike_reader::SpikeFile;

/// Width of the PNG (pixels).
pub const WIDTH: u32 = 1200;
/// Height of the PNG (pixels).
pub const HEIGHT: u32 = 900;
/// Height of the raster panel (pixels); the histogram panel is beneath it.
const RASTER_PANEL: u32 = 620;
/// Margin right of the plots, for the population names.
const NAMES: u32 = 110;
const FONT: &str = "sans-serif";

/// Population colours (cycled).
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(255, 127, 14),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(23, 190, 207),
];
/// Colour of the separators between population bands.
pub const SEPARATOR: RGBColor = RGBColor(190, 190, 190);

/// What to draw.
#[derive(Debug, Clone, Copy)]
pub struct RasterOptions {
    /// Time window (t_start, t_stop].
    pub window: Window,
    /// Neurons drawn per population (the lowest node ids).
    pub max_neurons_per_pop: u64,
    /// Bin width of the rate histogram (ms).
    pub bin_ms: f64,
}

/// A rendered raster plot: the RGB pixels and where its two plot areas are.
pub struct Raster {
    /// WIDTH x HEIGHT x 3 bytes, rows top to bottom.
    pub rgb: Vec<u8>,
    /// Pixel ranges (x, y) of the raster's plot area.
    pub raster_area: (Range<i32>, Range<i32>),
    /// Pixel ranges (x, y) of the histogram's plot area.
    pub histogram_area: (Range<i32>, Range<i32>),
}

/// One population as drawn: its name, rows, size (for rates) and bin counts.
struct Band {
    name: String,
    rows: u64,
    first_row: u64,
    n_nodes: u64,
    counts: Vec<u64>,
}

/// Registers the embedded font as plotters' "sans-serif" (once per process).
fn register_font() -> Result<(), String> {
    static LOADED: OnceLock<bool> = OnceLock::new();
    let loaded = LOADED.get_or_init(|| {
        plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular()).is_ok()
    });
    if *loaded {
        Ok(())
    } else {
        Err("the embedded DejaVu Sans font did not load".into())
    }
}

/// Draws the raster of `spikes` into `out_png` (`Raster::render`, then `write_png`).
pub fn raster_png(spikes: &Path, out_png: &Path, opts: &RasterOptions) -> Result<(), IoError> {
    let file = SpikeFile::open(spikes)?;
    Raster::render(&file, opts, out_png)?.write_png(out_png)
}

impl Raster {
    /// Draws the raster of `file` (its errors name `file`; drawing errors name
    /// `out_png`, the file the picture is for).
    pub fn render(
        file: &SpikeFile,
        opts: &RasterOptions,
        out_png: &Path,
    ) -> Result<Raster, IoError> {
        let w = opts.window;
        if !(opts.bin_ms.is_finite() && opts.bin_ms > 0.0) {
            let msg = format!("raster: bin width {} ms must be > 0", opts.bin_ms);
            return Err(IoError::invalid(file.path(), msg));
        }
        register_font().map_err(|e| draw_error(out_png, e))?;
        // Histogram bins: no more than about one per pixel.
        let n = w.n_bins(opts.bin_ms);
        let bin_ms = opts.bin_ms * n.div_ceil(WIDTH as usize) as f64;
        let mut bands = bands(file, opts.max_neurons_per_pop, w.n_bins(bin_ms))?;
        let mut rgb = vec![255u8; WIDTH as usize * HEIGHT as usize * 3];
        let (raster_area, histogram_area) = draw(&mut rgb, file, w, bin_ms, &mut bands, out_png)?;
        Ok(Raster {
            rgb,
            raster_area,
            histogram_area,
        })
    }

    /// Encodes the picture as an 8-bit RGB PNG at `out_png`.
    pub fn write_png(&self, out_png: &Path) -> Result<(), IoError> {
        let out = std::fs::File::create(out_png).map_err(|source| IoError::Fs {
            path: out_png.to_path_buf(),
            what: "creating PNG file".into(),
            source,
        })?;
        let png_err = |source| IoError::Png {
            path: out_png.to_path_buf(),
            source,
        };
        let mut enc = png::Encoder::new(BufWriter::new(out), WIDTH, HEIGHT);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer = enc.write_header().map_err(png_err)?;
        writer.write_image_data(&self.rgb).map_err(png_err)?;
        writer.finish().map_err(png_err)
    }
}

/// A tick label: the value to 6 decimals, without trailing zeros ("50", "0.05").
fn tick(v: &f64) -> String {
    let v = (v * 1e6).round() / 1e6;
    format!("{}", if v == 0.0 { 0.0 } else { v })
}

/// A drawing error, named after the PNG it was for.
fn draw_error(out_png: &Path, e: impl std::fmt::Display) -> IoError {
    IoError::invalid(out_png, format!("drawing the raster: {e}"))
}

/// Draws both panels into `rgb`; returns the pixel ranges of their plot areas.
fn draw(
    rgb: &mut [u8],
    file: &SpikeFile,
    w: Window,
    bin_ms: f64,
    bands: &mut [Band],
    out_png: &Path,
) -> Result<PlotAreas, IoError> {
    let err = |e: DrawingAreaErrorKind<_>| draw_error(out_png, e);
    let root = BitMapBackend::with_buffer(rgb, (WIDTH, HEIGHT)).into_drawing_area();
    let (upper, lower) = root.split_vertically(RASTER_PANEL);
    let raster_area = raster_axes(&upper, w, bands).map_err(err)?;
    let px = Pixels::new(&raster_area, w, bands.iter().map(|b| b.rows).sum());
    let screen = upper.use_screen_coord();
    for (p, band) in bands.iter_mut().enumerate() {
        let colour = PALETTE[p % PALETTE.len()];
        draw_band(file, band, w, bin_ms, &px, |x, y| {
            screen.draw_pixel((x, y), &colour).map_err(err)
        })?;
    }
    separators(&screen, &px, bands).map_err(err)?;
    let histogram_area = histogram(&lower, w, bin_ms, bands).map_err(err)?;
    root.present().map_err(err)?;
    Ok((raster_area, histogram_area))
}

/// Pixel ranges (x, y) of the raster's and the histogram's plot areas.
type PlotAreas = ((Range<i32>, Range<i32>), (Range<i32>, Range<i32>));

/// The bands: rows per population min(population size, limit), the size from
/// `n_nodes` or else from a pass over the node ids; `n_bins` zero counts each.
fn bands(file: &SpikeFile, limit: u64, n_bins: usize) -> Result<Vec<Band>, IoError> {
    let mut bands = Vec::new();
    let mut first_row = 0;
    for pop in file.populations() {
        let n_nodes = match file.n_nodes(&pop) {
            Some(n) => n,
            None => {
                let mut max = None;
                file.for_each_chunk(&pop, 1 << 20, |_, ids| {
                    max = ids.iter().copied().max().max(max);
                    Ok(())
                })?;
                max.map_or(0, |m| m + 1)
            }
        };
        let rows = n_nodes.min(limit);
        bands.push(Band {
            name: pop,
            rows,
            first_row,
            n_nodes,
            counts: vec![0; n_bins],
        });
        first_row += rows;
    }
    Ok(bands)
}

type DrawResult<T> =
    Result<T, DrawingAreaErrorKind<<BitMapBackend<'static> as DrawingBackend>::ErrorType>>;

/// The raster panel's axes, labels and population names; returns the pixel
/// ranges of its plot area. y runs from `total` (top) to 0: row r spans
/// (total - r - 1, total - r].
fn raster_axes(
    area: &DrawingArea<BitMapBackend<'_>, Shift>,
    w: Window,
    bands: &[Band],
) -> DrawResult<(Range<i32>, Range<i32>)> {
    let total: u64 = bands.iter().map(|b| b.rows).sum();
    let mut chart = ChartBuilder::on(area)
        .margin(10)
        .margin_right(NAMES)
        .x_label_area_size(30)
        .y_label_area_size(70)
        .build_cartesian_2d(w.t_start..w.t_stop, 0.0..total.max(1) as f64)?;
    // Tick labels: the node id within its population.
    let node_id = |y: &f64| {
        let row = (total as f64 - y).round().max(0.0) as u64;
        let band = bands
            .iter()
            .rev()
            .find(|b| b.first_row <= row && b.rows > 0);
        band.map_or_else(String::new, |b| (row - b.first_row).min(b.rows).to_string())
    };
    chart
        .configure_mesh()
        .disable_mesh()
        .y_desc("neuron (node id in population)")
        .x_label_formatter(&tick)
        .y_label_formatter(&node_id)
        .label_style((FONT, 14))
        .axis_desc_style((FONT, 16))
        .draw()?;
    let screen = area.use_screen_coord();
    for (p, b) in bands.iter().enumerate() {
        let mid = total as f64 - b.first_row as f64 - b.rows as f64 / 2.0;
        let (_, y) = chart.backend_coord(&(w.t_stop, mid));
        let x = chart.plotting_area().get_pixel_range().0.end + 8;
        let style = TextStyle::from((FONT, 18))
            .color(&PALETTE[p % PALETTE.len()])
            .pos(Pos::new(HPos::Left, VPos::Center));
        screen.draw(&Text::new(b.name.clone(), (x, y), style))?;
    }
    Ok(chart.plotting_area().get_pixel_range())
}

/// Maps times and rows to pixels of the raster's plot area.
struct Pixels {
    x: Range<i32>,
    y: Range<i32>,
    window: Window,
    total_rows: u64,
}

impl Pixels {
    fn new(area: &(Range<i32>, Range<i32>), window: Window, total_rows: u64) -> Self {
        Pixels {
            x: area.0.clone(),
            y: area.1.clone(),
            window,
            total_rows,
        }
    }

    /// Top pixel of row `row` (row `total_rows` is the bottom edge).
    fn row_y(&self, row: u64) -> i32 {
        let h = (self.y.end - self.y.start) as u64;
        self.y.start + (row * h / self.total_rows.max(1)) as i32
    }

    /// Pixel column of time `t` in the window (t_stop in the last column).
    fn x_of(&self, t: f64) -> i32 {
        let w = f64::from(self.x.end - self.x.start);
        let x = self.x.start + ((t - self.window.t_start) / self.window.duration() * w) as i32;
        x.clamp(self.x.start, self.x.end - 1)
    }
}

/// Streams one population's spikes in the window: counts every spike into its
/// histogram bin, and draws those of the first `rows` neurons, a pixel wide and a
/// row high (at least one pixel), with `pixel`.
fn draw_band(
    file: &SpikeFile,
    band: &mut Band,
    w: Window,
    bin_ms: f64,
    px: &Pixels,
    mut pixel: impl FnMut(i32, i32) -> Result<(), IoError>,
) -> Result<(), IoError> {
    let range = w.rows(file, &band.name)?;
    let (rows, first_row) = (band.rows, band.first_row);
    let counts = &mut band.counts;
    file.for_each_chunk_in(&band.name, range, 1 << 20, |ts, ids| {
        for (&t, &id) in ts.iter().zip(ids) {
            // The range of an unsorted population is all of it.
            if !w.contains(t) {
                continue;
            }
            if let Some(c) = counts.get_mut(w.bin_of(t, bin_ms)) {
                *c += 1;
            }
            if id >= rows {
                continue;
            }
            let x = px.x_of(t);
            let (top, bottom) = (px.row_y(first_row + id), px.row_y(first_row + id + 1));
            for y in top..bottom.max(top + 1) {
                pixel(x, y)?;
            }
        }
        Ok(())
    })
}

/// Grey lines between population bands, over the spikes.
fn separators(
    screen: &DrawingArea<BitMapBackend<'_>, Shift>,
    px: &Pixels,
    bands: &[Band],
) -> DrawResult<()> {
    for b in bands.iter().skip(1) {
        let y = px.row_y(b.first_row);
        let line = [(px.x.start, y), (px.x.end - 1, y)];
        screen.draw(&PathElement::new(line, SEPARATOR))?;
    }
    Ok(())
}

/// The histogram panel: each population's rate per bin, bars side by side;
/// returns the pixel ranges of its plot area.
fn histogram(
    area: &DrawingArea<BitMapBackend<'_>, Shift>,
    w: Window,
    bin_ms: f64,
    bands: &[Band],
) -> DrawResult<(Range<i32>, Range<i32>)> {
    let bin_start = |k: usize| w.t_start + k as f64 * bin_ms;
    let rate = |b: &Band, k: usize| {
        let width = w.t_stop.min(bin_start(k + 1)) - bin_start(k);
        b.counts[k] as f64 / (b.n_nodes.max(1) as f64 * width / 1000.0)
    };
    let max = bands
        .iter()
        .flat_map(|b| (0..b.counts.len()).map(move |k| rate(b, k)))
        .fold(0.0, f64::max);
    let mut chart = ChartBuilder::on(area)
        .margin(10)
        .margin_right(NAMES)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(
            w.t_start..w.t_stop,
            0.0..if max > 0.0 { max * 1.1 } else { 1.0 },
        )?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc("time (ms)")
        .y_desc(format!("rate (Hz), bins of {} ms", tick(&bin_ms)))
        .x_label_formatter(&tick)
        .y_label_formatter(&tick)
        .label_style((FONT, 14))
        .axis_desc_style((FONT, 16))
        .draw()?;
    let n = bands.len().max(1) as f64;
    for (p, b) in bands.iter().enumerate() {
        let colour = PALETTE[p % PALETTE.len()].filled();
        let bars = (0..b.counts.len()).filter(|&k| b.counts[k] > 0).map(|k| {
            let (t0, t1) = (bin_start(k), w.t_stop.min(bin_start(k + 1)));
            let x0 = t0 + (t1 - t0) * p as f64 / n;
            let x1 = t0 + (t1 - t0) * (p + 1) as f64 / n;
            Rectangle::new([(x0, 0.0), (x1, rate(b, k))], colour)
        });
        chart.draw_series(bars)?;
    }
    Ok(chart.plotting_area().get_pixel_range())
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

    /// Pixels of colour `c` inside the pixel ranges `area`.
    fn count_in(buf: &[u8], area: &(Range<i32>, Range<i32>), c: RGBColor) -> usize {
        pixels_in(buf, area)
            .filter(|(_, _, p)| *p == [c.0, c.1, c.2])
            .count()
    }

    /// (x, y, rgb) of the pixels inside `area`.
    fn pixels_in<'a>(
        buf: &'a [u8],
        area: &(Range<i32>, Range<i32>),
    ) -> impl Iterator<Item = (i32, i32, [u8; 3])> + 'a {
        let area = area.clone();
        buf.chunks_exact(3).enumerate().filter_map(move |(i, p)| {
            let (x, y) = ((i % WIDTH as usize) as i32, (i / WIDTH as usize) as i32);
            (area.0.contains(&x) && area.1.contains(&y)).then(|| (x, y, [p[0], p[1], p[2]]))
        })
    }

    fn opts(t_start: f64, t_stop: f64, rows: u64) -> RasterOptions {
        RasterOptions {
            window: Window::new(t_start, t_stop).unwrap(),
            max_neurons_per_pop: rows,
            bin_ms: 10.0,
        }
    }

    #[test]
    fn raster_is_a_png_with_coloured_spikes_labels_and_a_histogram() {
        let dir = test_dir("raster");
        let spikes = dir.join("spikes.h5");
        let pops = vec![("exc".to_string(), 0, 400), ("inh".to_string(), 400, 100)];
        let mut w = SpikeWriter::create(&spikes, &pops).unwrap();
        w.append(&synthetic_spikes(50_000, 500)).unwrap();
        w.finish().unwrap();

        let png = dir.join("raster.png");
        raster_png(&spikes, &png, &opts(0.0, 500.0, 200)).unwrap();
        let bytes = std::fs::read(&png).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        let (info, buf) = decode(&png);
        assert_eq!((info.width, info.height), (WIDTH, HEIGHT));
        assert_eq!(info.color_type, png::ColorType::Rgb);
        assert_eq!(info.bit_depth, png::BitDepth::Eight);
        let file = SpikeFile::open(&spikes).unwrap();
        let r = Raster::render(&file, &opts(0.0, 500.0, 200), &png).unwrap();
        assert_eq!(r.rgb, buf, "render and the PNG differ");
        let (ra, ha) = (&r.raster_area, &r.histogram_area);
        assert!(
            ra.1.end <= ha.1.start,
            "histogram not beneath: {ra:?} {ha:?}"
        );

        // Spikes: bands of 200 (exc) and 100 (inh) rows, exc above the separator.
        let (exc, inh) = (
            count_in(&buf, ra, PALETTE[0]),
            count_in(&buf, ra, PALETTE[1]),
        );
        assert!(exc > 5_000 && inh > 2_000, "exc {exc} inh {inh} pixels");
        let boundary = ra.1.start + 200 * (ra.1.end - ra.1.start) / 300;
        for (_, y, p) in pixels_in(&buf, ra) {
            let c = RGBColor(p[0], p[1], p[2]);
            assert!(
                c != PALETTE[1] || y > boundary,
                "inh pixel at y {y}, above {boundary}"
            );
            assert!(
                c != PALETTE[0] || y < boundary,
                "exc pixel at y {y}, below {boundary}"
            );
        }
        let separator = count_in(&buf, &(ra.0.clone(), boundary..boundary + 1), SEPARATOR);
        assert_eq!(separator, (ra.0.end - ra.0.start) as usize);

        // The histogram has bars of both populations (50 bins of 10 ms).
        let (exc, inh) = (
            count_in(&buf, ha, PALETTE[0]),
            count_in(&buf, ha, PALETTE[1]),
        );
        assert!(
            exc > 2_000 && inh > 2_000,
            "histogram: exc {exc} inh {inh} pixels"
        );

        // Text: the population names in their colours right of the raster, and
        // (anti-aliased) tick labels and axis titles left of and below the plots.
        // (Anti-aliased: count blue-ish pixels beside exc's band, red-ish beside inh's.)
        let names = (ra.0.end + 1..WIDTH as i32, ra.1.clone());
        let (mut blue, mut red) = (0, 0);
        for (_, y, [r, _, b]) in pixels_in(&buf, &names) {
            blue += usize::from(y < boundary && b > r.saturating_add(40));
            red += usize::from(y > boundary && r > b.saturating_add(40));
        }
        assert!(blue > 20 && red > 20, "name pixels: {blue} blue, {red} red");
        let left = (0..ra.0.start - 1, 0..HEIGHT as i32);
        let grey_text = pixels_in(&buf, &left)
            .filter(|(_, _, p)| p[0] == p[1] && p[1] == p[2] && p[0] > 30 && p[0] < 220)
            .count();
        assert!(grey_text > 200, "{grey_text} anti-aliased text pixels");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn empty_window_and_bad_bins() {
        let dir = test_dir("raster-empty");
        let spikes = dir.join("spikes.h5");
        let pops = vec![("exc".to_string(), 0, 400)];
        let mut w = SpikeWriter::create(&spikes, &pops).unwrap();
        w.append(&synthetic_spikes(5_000, 400)).unwrap();
        w.finish().unwrap();
        let file = SpikeFile::open(&spikes).unwrap();
        let png = dir.join("raster.png");
        // A window with no spikes still gives an image, with no spike and no bar.
        let r = Raster::render(&file, &opts(1e6, 1e6 + 10.0, 10), &png).unwrap();
        assert_eq!(r.rgb.len(), (WIDTH * HEIGHT * 3) as usize);
        assert_eq!(count_in(&r.rgb, &r.raster_area, PALETTE[0]), 0);
        assert_eq!(count_in(&r.rgb, &r.histogram_area, PALETTE[0]), 0);
        assert!(r.rgb.chunks_exact(3).any(|p| p == [0, 0, 0]), "no axes");
        // Tiny bins are coarsened to about one per pixel, not refused.
        let tiny = RasterOptions {
            bin_ms: 1e-6,
            ..opts(0.0, 500.0, 10)
        };
        let r = Raster::render(&file, &tiny, &png).unwrap();
        assert!(count_in(&r.rgb, &r.histogram_area, PALETTE[0]) > 100);
        let bad = RasterOptions {
            bin_ms: 0.0,
            ..opts(0.0, 500.0, 10)
        };
        assert!(Raster::render(&file, &bad, &png).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
