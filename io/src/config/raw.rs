//! The serde mirror of the TOML file: one struct per table, field names exactly
//! as written in the file, `deny_unknown_fields` everywhere so a misspelt key is
//! an error rather than a silently ignored line. Nothing is checked here beyond
//! TOML types and required keys; integers are read as `i64` so that a negative
//! size gets a clear message from `validate` instead of a serde range error.
//! The `for` key of template tables is read in file order (`RawFor`), which
//! needs the `preserve_order` feature of `toml`.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawConfig {
    pub simulation: RawSimulation,
    #[serde(default)]
    pub population: Vec<RawPopulation>,
    #[serde(default)]
    pub projection: Vec<RawProjection>,
    #[serde(default)]
    pub stimulus: Vec<RawStimulus>,
    #[serde(default)]
    pub record: Vec<RawRecord>,
    pub checkpoint: Option<RawCheckpoint>,
    /// `[constants]`: named integers for templates (`template`).
    #[serde(default)]
    pub constants: BTreeMap<String, i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCheckpoint {
    pub every: f64,
    pub keep: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSimulation {
    pub dt: f64,
    pub t_stop: f64,
    pub seed: Option<i64>,
    pub threads: Option<i64>,
    pub chunk_size: Option<i64>,
    pub scale: Option<f64>,
    pub connectivity: Option<String>,
    pub save_weights: Option<bool>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPopulation {
    #[serde(rename = "for")]
    pub repeat: Option<RawFor>,
    pub name: String,
    pub size: i64,
    pub model: String,
    pub expected_rate: Option<f64>,
    #[serde(default)]
    pub params: BTreeMap<String, f64>,
    #[serde(default)]
    pub initial: BTreeMap<String, NumberOrDist>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawProjection {
    #[serde(rename = "for")]
    pub repeat: Option<RawFor>,
    pub source: String,
    pub target: String,
    pub rule: String,
    pub indegree: Option<i64>,
    pub outdegree: Option<i64>,
    #[serde(rename = "N")]
    pub n: Option<i64>,
    pub p: Option<f64>,
    pub allow_autapses: Option<bool>,
    pub allow_multapses: Option<bool>,
    pub weight: NumberOrDist,
    pub delay: Option<NumberOrDist>,
    pub receptor: Option<String>,
    pub synapse_model: Option<String>,
    pub connectivity: Option<String>,
    #[serde(default)]
    pub synapse_params: BTreeMap<String, f64>,
    pub weights_from: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawStimulus {
    #[serde(rename = "for")]
    pub repeat: Option<RawFor>,
    #[serde(rename = "type")]
    pub kind: String,
    pub target: String,
    pub node_ids: Option<Vec<i64>>,
    pub rate: Option<f64>,
    pub weight: Option<f64>,
    pub delay: Option<f64>,
    pub amplitude: Option<f64>,
    pub start: Option<f64>,
    pub stop: Option<f64>,
    pub spike_times: Option<Vec<f64>>,
    pub receptor: Option<String>,
    pub rate_times: Option<Vec<f64>>,
    pub rate_values: Option<Vec<f64>>,
    pub amplitude_times: Option<Vec<f64>>,
    pub amplitude_values: Option<Vec<f64>>,
    pub spikes_file: Option<String>,
    pub population: Option<String>,
    pub times: Option<Vec<f64>>,
    pub values: Option<Vec<Vec<f64>>>,
    pub dimension: Option<Vec<i64>>,
    pub gain: Option<f64>,
    pub offset: Option<f64>,
    pub tau: Option<f64>,
    pub threshold: Option<f64>,
}

impl RawStimulus {
    /// The type-specific keys present in the file, by TOML name.
    pub fn present_keys(&self) -> Vec<&'static str> {
        let flags = [
            ("rate", self.rate.is_some()),
            ("weight", self.weight.is_some()),
            ("delay", self.delay.is_some()),
            ("amplitude", self.amplitude.is_some()),
            ("start", self.start.is_some()),
            ("stop", self.stop.is_some()),
            ("spike_times", self.spike_times.is_some()),
            ("receptor", self.receptor.is_some()),
            ("rate_times", self.rate_times.is_some()),
            ("rate_values", self.rate_values.is_some()),
            ("amplitude_times", self.amplitude_times.is_some()),
            ("amplitude_values", self.amplitude_values.is_some()),
            ("spikes_file", self.spikes_file.is_some()),
            ("population", self.population.is_some()),
            ("times", self.times.is_some()),
            ("values", self.values.is_some()),
            ("dimension", self.dimension.is_some()),
            ("gain", self.gain.is_some()),
            ("offset", self.offset.is_some()),
            ("tau", self.tau.is_some()),
            ("threshold", self.threshold.is_some()),
        ];
        flags
            .iter()
            .filter(|(_, on)| *on)
            .map(|(k, _)| *k)
            .collect()
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRecord {
    #[serde(rename = "type")]
    pub kind: String,
    pub populations: Option<Vec<String>>,
    pub gids: Option<Vec<i64>>,
    pub name: Option<String>,
    pub population: Option<String>,
    pub variables: Option<Vec<String>>,
    pub node_ids: Option<Vec<i64>>,
    pub interval: Option<f64>,
    pub projection: Option<i64>,
    pub source: Option<String>,
    pub target: Option<String>,
    pub source_node_ids: Option<Vec<i64>>,
    pub target_node_ids: Option<Vec<i64>>,
    pub at: Option<String>,
}

impl RawRecord {
    /// The type-specific keys present in the file, by TOML name.
    pub fn present_keys(&self) -> Vec<&'static str> {
        let flags = [
            ("populations", self.populations.is_some()),
            ("gids", self.gids.is_some()),
            ("name", self.name.is_some()),
            ("population", self.population.is_some()),
            ("variables", self.variables.is_some()),
            ("node_ids", self.node_ids.is_some()),
            ("interval", self.interval.is_some()),
            ("projection", self.projection.is_some()),
            ("source", self.source.is_some()),
            ("target", self.target.is_some()),
            ("source_node_ids", self.source_node_ids.is_some()),
            ("target_node_ids", self.target_node_ids.is_some()),
            ("at", self.at.is_some()),
        ];
        flags
            .iter()
            .filter(|(_, on)| *on)
            .map(|(k, _)| *k)
            .collect()
    }
}

/// A value given either as a plain number or as a distribution table
/// (`{ distribution = "normal", mean = 1.0, std = 0.1 }`).
#[derive(Clone, Debug)]
pub(crate) enum NumberOrDist {
    Number(f64),
    Dist(RawDist),
}

/// A distribution table; which keys are required depends on `distribution`
/// and is checked by `validate`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDist {
    pub distribution: String,
    pub mean: Option<f64>,
    pub std: Option<f64>,
    pub low: Option<f64>,
    pub high: Option<f64>,
    pub mu: Option<f64>,
    pub sigma: Option<f64>,
}

impl RawDist {
    /// The parameter keys present in the table, by TOML name.
    pub fn present_keys(&self) -> Vec<(&'static str, f64)> {
        let all = [
            ("mean", self.mean),
            ("std", self.std),
            ("low", self.low),
            ("high", self.high),
            ("mu", self.mu),
            ("sigma", self.sigma),
        ];
        all.iter().filter_map(|(k, v)| v.map(|v| (*k, v))).collect()
    }
}

impl<'de> Deserialize<'de> for NumberOrDist {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NumberOrDistVisitor;

        impl<'de> Visitor<'de> for NumberOrDistVisitor {
            type Value = NumberOrDist;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number or a distribution table")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<NumberOrDist, E> {
                Ok(NumberOrDist::Number(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<NumberOrDist, E> {
                Ok(NumberOrDist::Number(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<NumberOrDist, E> {
                Ok(NumberOrDist::Number(v as f64))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<NumberOrDist, A::Error> {
                let table = RawDist::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(NumberOrDist::Dist(table))
            }
        }

        deserializer.deserialize_any(NumberOrDistVisitor)
    }
}

/// `for = { i = "0..200", t = ["E", "I"] }`: a template's loop variables in
/// the order written (the first varies slowest).
#[derive(Clone, Debug, Default)]
pub(crate) struct RawFor(pub Vec<(String, RawLoop)>);

/// The values of one loop variable: a range `"START..END"` (END excluded;
/// both integer expressions over `[constants]`), or a list of integers or
/// of strings.
#[derive(Clone, Debug)]
pub(crate) enum RawLoop {
    Range(String),
    Ints(Vec<i64>),
    Strs(Vec<String>),
}

impl<'de> Deserialize<'de> for RawFor {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ForVisitor;

        impl<'de> Visitor<'de> for ForVisitor {
            type Value = RawFor;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a table of loop variables, e.g. { i = \"0..200\", t = [\"E\", \"I\"] }",
                )
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawFor, A::Error> {
                let mut vars = Vec::new();
                while let Some((name, values)) = map.next_entry::<String, RawLoop>()? {
                    vars.push((name, values));
                }
                Ok(RawFor(vars))
            }
        }

        deserializer.deserialize_map(ForVisitor)
    }
}

/// One element of a loop list.
enum LoopItem {
    Int(i64),
    Str(String),
}

impl<'de> Deserialize<'de> for LoopItem {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ItemVisitor;

        impl Visitor<'_> for ItemVisitor {
            type Value = LoopItem;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an integer or a string")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<LoopItem, E> {
                Ok(LoopItem::Int(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<LoopItem, E> {
                Ok(LoopItem::Str(v.to_string()))
            }
        }

        deserializer.deserialize_any(ItemVisitor)
    }
}

impl<'de> Deserialize<'de> for RawLoop {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct LoopVisitor;

        impl<'de> Visitor<'de> for LoopVisitor {
            type Value = RawLoop;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a range \"START..END\" or an array of integers or of strings")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawLoop, E> {
                Ok(RawLoop::Range(v.to_string()))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<RawLoop, A::Error> {
                let (mut ints, mut strs) = (Vec::new(), Vec::new());
                while let Some(item) = seq.next_element::<LoopItem>()? {
                    match item {
                        LoopItem::Int(v) => ints.push(v),
                        LoopItem::Str(s) => strs.push(s),
                    }
                    if !ints.is_empty() && !strs.is_empty() {
                        return Err(de::Error::custom(
                            "a loop list holds integers or strings, not both",
                        ));
                    }
                }
                Ok(if strs.is_empty() {
                    RawLoop::Ints(ints)
                } else {
                    RawLoop::Strs(strs)
                })
            }
        }

        deserializer.deserialize_any(LoopVisitor)
    }
}
