//! The library's build errors (`NetSpec::build`: "ensemble `a`: ...",
//! "connection 3: ...", "probe `p`: ...", the formats of `nef/net.rs`)
//! mapped to the config table they come from, so that they read like every
//! other config error. `Origin` records, for each ensemble, connection and
//! probe of the `NetSpec`, the table that made it; connection numbers past
//! the described ones are the connections the library adds for probes of
//! decoded values and nodes, in probe order (as `net.rs` builds them).

use brainsim_sim::nef::{NetSpec, ProbeOf};

/// The config table of every part of a `NetSpec`.
#[derive(Clone, Debug, Default)]
pub(crate) struct Origin {
    pub ensembles: Vec<String>,
    pub connections: Vec<String>,
    pub probes: Vec<String>,
}

impl Origin {
    /// The field and the message for the build error `message`.
    pub fn place(&self, spec: &NetSpec, message: &str) -> (String, String) {
        if let Some((name, rest)) = backticked(message, "ensemble `") {
            if let Some(i) = spec.ensembles.iter().position(|(n, _)| n == name) {
                return (self.ensembles[i].clone(), rest.to_string());
            }
        }
        if let Some((name, rest)) = backticked(message, "probe `") {
            if let Some(i) = spec.probes.iter().position(|p| p.name == name) {
                return (self.probes[i].clone(), rest.to_string());
            }
        }
        if let Some((i, rest)) = numbered(message, "connection ") {
            if let Some(at) = self.connections.get(i) {
                return (at.clone(), rest.to_string());
            }
            let fed: Vec<usize> = spec
                .probes
                .iter()
                .enumerate()
                .filter(|(_, p)| matches!(p.of, ProbeOf::Decoded(_) | ProbeOf::Node(_)))
                .map(|(k, _)| k)
                .collect();
            if let Some(&k) = fed.get(i - self.connections.len()) {
                return (self.probes[k].clone(), rest.to_string());
            }
        }
        ("nef".to_string(), message.to_string())
    }
}

/// "`prefix`NAME`: rest" -> (NAME, rest).
fn backticked<'a>(message: &'a str, prefix: &str) -> Option<(&'a str, &'a str)> {
    let tail = message.strip_prefix(prefix)?;
    let (name, rest) = tail.split_once("`: ")?;
    Some((name, rest))
}

/// "`prefix`N: rest" -> (N, rest).
fn numbered<'a>(message: &'a str, prefix: &str) -> Option<(usize, &'a str)> {
    let tail = message.strip_prefix(prefix)?;
    let (n, rest) = tail.split_once(": ")?;
    Some((n.parse().ok()?, rest))
}

#[cfg(test)]
mod tests {
    use super::*;
    use brainsim_sim::nef::{EnsembleParams, ProbeSpec};

    #[test]
    fn each_kind_of_build_error_names_its_table() {
        let mut spec = NetSpec {
            dt: 0.001,
            seed: 1,
            ensembles: vec![("a".into(), EnsembleParams::new(10, 1))],
            nodes: Vec::new(),
            connections: Vec::new(),
            probes: Vec::new(),
        };
        for (name, of) in [("s", ProbeOf::Spikes(0)), ("d", ProbeOf::Decoded(0))] {
            spec.probes.push(ProbeSpec {
                name: name.into(),
                of,
                synapse: None,
            });
        }
        let origin = Origin {
            ensembles: vec!["nef.ensemble[0]".into()],
            connections: vec!["nef.connection[0]".into()],
            probes: vec!["nef.probe[0]".into(), "nef.probe[1]".into()],
        };
        let at = |m: &str| origin.place(&spec, m);
        assert_eq!(
            at("ensemble `a`: bad"),
            ("nef.ensemble[0]".into(), "bad".into())
        );
        assert_eq!(
            at("connection 0: bad"),
            ("nef.connection[0]".into(), "bad".into())
        );
        // Connection 1 feeds the first probe of a decoded value: probe 1.
        assert_eq!(
            at("connection 1: bad"),
            ("nef.probe[1]".into(), "bad".into())
        );
        assert_eq!(at("probe `s`: bad"), ("nef.probe[0]".into(), "bad".into()));
        assert_eq!(at("other"), ("nef".into(), "other".into()));
    }
}
