//! `analyze --decode rate|latency`: what a population's spikes say about
//! the vectors a rate or latency encoder of the run presented to it.
//!
//! The encoder comes from the run's `config.effective.toml` (`Encoder`,
//! `encoder.rs`): its target k (k-th node id of its targets) reads component
//! c(k) — the same function as the device — so the population's neurons are
//! grouped by component. A window is compared with vector j when it lies
//! inside vector j's (shifted) window.
//!
//! - rate: per window and component, the mean rate (Hz) over the
//!   component's neurons; for a rate encoder also the decoded x =
//!   (rate - offset) / gain; Pearson's correlation with the encoded x, per
//!   window and over all compared windows and components.
//! - latency: per window and component, the lower median over the
//!   component's neurons that fired of their first spike's latency from
//!   the window's start (a median of equal values is exact, so equal
//!   latencies tie exactly); the order of the components that fired by
//!   latency, ties by component index; compared with the encoded order
//!   (latency encoder: by spike step as the device computes it, no spike
//!   for x <= threshold; rate encoder: by decreasing rate, none at 0 Hz).

pub use super::encoder::{Encoder, EncoderKind};
use super::readout::PopulationReadout;
use super::Window;

/// How `--decode` reads the spikes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Mean rate per component.
    Rate,
    /// Order of the components by first-spike latency.
    Latency,
}

impl Method {
    /// "rate" or "latency".
    pub fn name(self) -> &'static str {
        match self {
            Method::Rate => "rate",
            Method::Latency => "latency",
        }
    }
}

/// One window of a decoding.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowDecoding {
    /// The window.
    pub window: Window,
    /// The vector it is compared with, if one holds it.
    pub vector: Option<usize>,
    /// Per component: rate (Hz) or latency (ms); `None` if it has no
    /// neurons (latency: none fired).
    pub values: Vec<Option<f64>>,
    /// Rate decoding of a rate encoder: (rate - offset) / gain per component.
    pub decoded_x: Vec<Option<f64>>,
    /// Latency decoding: the components that fired, earliest first.
    pub order: Vec<usize>,
    /// The encoded vector, when compared.
    pub encoded_x: Option<Vec<f64>>,
    /// Latency decoding: the order the encoded vector should give.
    pub expected_order: Option<Vec<usize>>,
    /// Rate decoding: Pearson's correlation of `values` with `encoded_x`.
    pub correlation: Option<f64>,
}

/// The decoding of one population.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoding {
    /// Rate or latency.
    pub method: Method,
    /// The encoder's one-line description.
    pub encoder: String,
    /// The population decoded.
    pub population: String,
    /// Neurons of each component in the population.
    pub neurons: Vec<usize>,
    /// Per window.
    pub windows: Vec<WindowDecoding>,
    /// Rate decoding: correlation over all compared windows and components.
    pub correlation: Option<f64>,
    /// Latency decoding: windows whose order matched, of those compared.
    pub matched: (usize, usize),
}

/// Decodes `readout` (the encoder's target population) over `windows`.
pub fn decode(
    method: Method,
    enc: &Encoder,
    readout: &PopulationReadout,
    windows: &[Window],
) -> Decoding {
    let comp = enc.components_by_node(readout.n_nodes);
    let dim = enc.table.dim();
    let mut neurons = vec![0usize; dim];
    for c in comp.iter().flatten() {
        neurons[*c] += 1;
    }
    let decoded: Vec<WindowDecoding> = windows
        .iter()
        .enumerate()
        .map(|(w, win)| decode_window(method, enc, readout, &comp, &neurons, w, *win))
        .collect();
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    for d in &decoded {
        if let (Some(x), Method::Rate) = (&d.encoded_x, method) {
            for (c, v) in d.values.iter().enumerate() {
                if let Some(v) = v {
                    xs.push(x[c]);
                    ys.push(*v);
                }
            }
        }
    }
    let compared = decoded.iter().filter(|d| d.expected_order.is_some());
    let matched = compared
        .clone()
        .filter(|d| d.expected_order.as_ref() == Some(&d.order));
    Decoding {
        method,
        encoder: enc.describe(),
        population: readout.population.clone(),
        neurons,
        correlation: pearson(&xs, &ys),
        matched: (matched.count(), compared.count()),
        windows: decoded,
    }
}

fn decode_window(
    method: Method,
    enc: &Encoder,
    r: &PopulationReadout,
    comp: &[Option<usize>],
    neurons: &[usize],
    w: usize,
    win: Window,
) -> WindowDecoding {
    let dim = neurons.len();
    let secs = win.duration() / 1000.0;
    let mut spikes = vec![0u64; dim];
    let mut latencies: Vec<Vec<f64>> = vec![Vec::new(); dim];
    for (node, c) in comp.iter().enumerate() {
        let Some(c) = *c else { continue };
        spikes[c] += u64::from(r.count(w, node));
        if let Some(t) = r.first_spike(w, node) {
            latencies[c].push(t - win.t_start);
        }
    }
    let values: Vec<Option<f64>> = match method {
        Method::Rate => (0..dim)
            .map(|c| (neurons[c] > 0).then(|| spikes[c] as f64 / (neurons[c] as f64 * secs)))
            .collect(),
        Method::Latency => latencies.iter_mut().map(|l| lower_median(l)).collect(),
    };
    let decoded_x = match (method, enc.kind) {
        (Method::Rate, EncoderKind::Rate { gain, offset }) => values
            .iter()
            .map(|v| v.map(|r| (r - offset) / gain))
            .collect(),
        _ => Vec::new(),
    };
    let mut order: Vec<usize> = match method {
        Method::Latency => (0..dim).filter(|&c| values[c].is_some()).collect(),
        Method::Rate => Vec::new(),
    };
    order.sort_by(|&a, &b| {
        values[a]
            .unwrap()
            .total_cmp(&values[b].unwrap())
            .then(a.cmp(&b))
    });
    let vector = enc.vector_of(&win);
    let encoded_x = vector.map(|j| enc.table.values[j].clone());
    let correlation = match (&encoded_x, method) {
        (Some(x), Method::Rate) => {
            let pairs: Vec<(f64, f64)> = (0..dim)
                .filter_map(|c| values[c].map(|v| (x[c], v)))
                .collect();
            let (a, b): (Vec<f64>, Vec<f64>) = pairs.into_iter().unzip();
            pearson(&a, &b)
        }
        _ => None,
    };
    WindowDecoding {
        window: win,
        vector,
        expected_order: vector
            .filter(|_| method == Method::Latency)
            .map(|j| enc.expected_order(j)),
        values,
        decoded_x,
        order,
        encoded_x,
        correlation,
    }
}

/// The lower median of `v` (an element of it: exact), `None` if empty.
fn lower_median(v: &mut [f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    Some(v[(v.len() - 1) / 2])
}

/// Pearson's correlation; `None` with fewer than 2 pairs or no variance.
pub fn pearson(x: &[f64], y: &[f64]) -> Option<f64> {
    let n = x.len() as f64;
    if x.len() < 2 {
        return None;
    }
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx).powi(2);
        syy += (b - my).powi(2);
    }
    (sxx > 0.0 && syy > 0.0).then(|| sxy / (sxx * syy).sqrt())
}
