//! A rate or latency encoder of a run as the read-outs see it (`Encoder`):
//! read from the run's validated config, its windows on its population
//! (vector j acts from t_j + delay: its first spikes are stamped at t_j and
//! arrive one delay later, so its window is (t_j + delay, t_{j+1} + delay],
//! the last one to the end of the analysis window), the vector a window
//! shows, the component each neuron reads (`InputTable::component`, the
//! device's own mapping) and the order a latency read-out should give (the
//! device's own rounding, `latency_stamp`; for a rate encoder, decreasing
//! rate, none at 0 Hz).

use brainsim_sim::spec::{InputTable, NetworkSpec, StimulusKind};
use brainsim_sim::stimulus::coding::{encoder_rate_hz, latency_stamp};

use super::Window;

/// What an encoder computes from x.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum EncoderKind {
    /// max(0, gain * x + offset) Hz.
    Rate {
        /// Hz per unit of x.
        gain: f64,
        /// Hz.
        offset: f64,
    },
    /// One spike tau * ln(x / (x - threshold)) ms after the vector's time.
    Latency {
        /// ms.
        tau: f64,
        /// In the units of x.
        threshold: f64,
    },
}

/// A rate or latency encoder of a run, as the read-outs see it.
#[derive(Debug, Clone, PartialEq)]
pub struct Encoder {
    /// Its index among the config's `[[stimulus]]` tables.
    pub index: usize,
    /// What it computes.
    pub kind: EncoderKind,
    /// Its target population's name.
    pub population: String,
    /// Its targets' node ids, in target order (k-th target first).
    pub targets: Vec<u32>,
    /// The vectors and the component of each target.
    pub table: InputTable,
    /// Delay of its events (ms).
    pub delay: f64,
    /// The run's time step (ms).
    pub dt: f64,
}

impl Encoder {
    /// The encoder `stimulus[index]` of `spec`, or its only rate or latency
    /// encoder when `index` is `None`; an error message otherwise.
    pub fn of(spec: &NetworkSpec, index: Option<usize>) -> Result<Encoder, String> {
        let is_encoder = |k: &StimulusKind| {
            matches!(
                k,
                StimulusKind::RateEncoder { .. } | StimulusKind::LatencyEncoder { .. }
            )
        };
        let found: Vec<usize> = (0..spec.stimuli.len())
            .filter(|&i| is_encoder(&spec.stimuli[i].kind))
            .collect();
        let i = match (index, found.as_slice()) {
            (Some(i), _) if found.contains(&i) => i,
            (Some(i), _) => {
                return Err(format!(
                    "stimulus[{i}] is not a rate_encoder or latency_encoder (encoders: {})",
                    list(&found)
                ))
            }
            (None, [only]) => *only,
            (None, []) => return Err("the run has no rate_encoder or latency_encoder".into()),
            (None, _) => {
                return Err(format!(
                    "the run has several encoders ({}); choose one with --encoder N",
                    list(&found)
                ))
            }
        };
        let st = &spec.stimuli[i];
        let pop = &spec.populations[st.target];
        let targets = st
            .node_ids
            .clone()
            .unwrap_or_else(|| (0..pop.size).collect());
        let (kind, table, delay) = match &st.kind {
            StimulusKind::RateEncoder {
                table,
                gain,
                offset,
                delay,
                ..
            } => (
                EncoderKind::Rate {
                    gain: *gain,
                    offset: *offset,
                },
                table,
                *delay,
            ),
            StimulusKind::LatencyEncoder {
                table,
                tau,
                threshold,
                delay,
                ..
            } => (
                EncoderKind::Latency {
                    tau: *tau,
                    threshold: *threshold,
                },
                table,
                *delay,
            ),
            _ => unreachable!("filtered above"),
        };
        Ok(Encoder {
            index: i,
            kind,
            population: pop.name.clone(),
            targets,
            table: table.clone(),
            delay,
            dt: spec.simulation.dt,
        })
    }

    /// One line naming it, e.g. `stimulus[0] (rate_encoder, gain 20 Hz,
    /// offset 5 Hz, delay 1 ms) -> population "R"`.
    pub fn describe(&self) -> String {
        let what = match self.kind {
            EncoderKind::Rate { gain, offset } => {
                format!("rate_encoder, gain {gain} Hz, offset {offset} Hz")
            }
            EncoderKind::Latency { tau, threshold } => {
                format!("latency_encoder, tau {tau} ms, threshold {threshold}")
            }
        };
        format!(
            "stimulus[{}] ({what}, delay {} ms) -> population {:?}",
            self.index, self.delay, self.population
        )
    }

    /// Vector j's interval on the population: (t_j + delay, t_{j+1} + delay].
    fn interval(&self, j: usize, end: f64) -> Window {
        let t = &self.table.times;
        Window {
            t_start: t[j] + self.delay,
            t_stop: t.get(j + 1).map_or(end, |&n| n + self.delay),
        }
    }

    /// The encoder's windows within `span`: each vector's interval clipped
    /// to it, empty ones left out.
    pub fn windows(&self, span: Window) -> Vec<Window> {
        (0..self.table.times.len())
            .filter_map(|j| {
                let w = self.interval(j, span.t_stop);
                let t_start = w.t_start.max(span.t_start);
                let t_stop = w.t_stop.min(span.t_stop);
                Window::new(t_start, t_stop).ok()
            })
            .collect()
    }

    /// The vector whose interval holds window `w`, if one does.
    pub fn vector_of(&self, w: &Window) -> Option<usize> {
        let tol = 1e-9 * self.dt;
        (0..self.table.times.len()).find(|&j| {
            let v = self.interval(j, f64::INFINITY);
            w.t_start >= v.t_start - tol && w.t_stop <= v.t_stop + tol
        })
    }

    /// The component of each node of the population (`n_nodes` of them),
    /// `None` for neurons it does not target.
    pub fn components_by_node(&self, n_nodes: usize) -> Vec<Option<usize>> {
        let mut out = vec![None; n_nodes];
        for (k, &node) in self.targets.iter().enumerate() {
            if let Some(slot) = out.get_mut(node as usize) {
                *slot = Some(self.table.component(k));
            }
        }
        out
    }

    /// The order of the components vector j should give a latency read-out
    /// (see the module docs).
    pub(crate) fn expected_order(&self, j: usize) -> Vec<usize> {
        let x = &self.table.values[j];
        let mut keyed: Vec<(f64, usize)> = match self.kind {
            EncoderKind::Latency { tau, threshold } => {
                let step = |t: f64| (t / self.dt).round() as u64;
                let start = step(self.table.times[j]);
                let next = self.table.times.get(j + 1).map(|&t| step(t));
                (0..x.len())
                    .filter_map(|c| {
                        latency_stamp(start, next, x[c], tau, threshold, self.dt)
                            .map(|s| (s as f64, c))
                    })
                    .collect()
            }
            EncoderKind::Rate { gain, offset } => (0..x.len())
                .map(|c| (-encoder_rate_hz(gain, offset, x[c]), c))
                .filter(|&(r, _)| r < 0.0)
                .collect(),
        };
        keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        keyed.into_iter().map(|(_, c)| c).collect()
    }
}

fn list(found: &[usize]) -> String {
    if found.is_empty() {
        return "none".into();
    }
    let names: Vec<String> = found.iter().map(|i| format!("stimulus[{i}]")).collect();
    names.join(", ")
}
