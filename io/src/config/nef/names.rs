//! What a name in `pre`, `post` and `target` refers to. Nodes, ensembles
//! and ensemble arrays share one namespace; `x.neurons` is ensemble x's
//! neurons; an array's ensembles are `arr[0]`, `arr[1]`, ... (a name no
//! table can take: names are letters, digits and `_`).

use std::collections::BTreeMap;

use crate::config::values::{invalid, Check};

/// A named thing of the model (indices into `NetSpec`'s lists).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Named {
    Node(usize),
    Ensemble(usize),
    /// `first..first + n` ensembles of `d` dimensions each.
    Array {
        first: usize,
        n: usize,
        d: usize,
    },
}

/// What a reference names: a thing, or an ensemble's neurons.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Ref {
    Thing(Named),
    Neurons(usize),
}

/// Every name, with the field that defined it.
#[derive(Default)]
pub(crate) struct Names {
    map: BTreeMap<String, (Named, String)>,
}

impl Names {
    /// Adds `name` (defined at `field`), refusing a second definition.
    pub fn add(&mut self, field: &str, name: &str, what: Named) -> Check<()> {
        if let Some((_, first)) = self.map.get(name) {
            return invalid(
                field,
                format!("the name `{name}` is already taken ({first})"),
            );
        }
        self.map.insert(name.to_string(), (what, field.to_string()));
        Ok(())
    }

    /// What `name` (the value of `field`) refers to.
    pub fn resolve(&self, field: &str, name: &str) -> Check<Ref> {
        if let Some((what, _)) = self.map.get(name) {
            return Ok(Ref::Thing(*what));
        }
        if let Some(base) = name.strip_suffix(".neurons") {
            return match self.map.get(base) {
                Some((Named::Ensemble(e), _)) => Ok(Ref::Neurons(*e)),
                Some((Named::Array { .. }, _)) => invalid(
                    field,
                    format!("`{name}`: an array's neurons are named per ensemble, e.g. `{base}[0].neurons`"),
                ),
                Some((Named::Node(_), _)) => {
                    invalid(field, format!("`{name}`: `{base}` is a node, it has no neurons"))
                }
                None => invalid(field, format!("unknown name `{base}`{}", self.known())),
            };
        }
        invalid(field, format!("unknown name `{name}`{}", self.known()))
    }

    /// "; known: `a`, `b`" (the user's names), for messages.
    fn known(&self) -> String {
        let names: Vec<String> = self
            .map
            .keys()
            .filter(|k| !k.contains('['))
            .map(|k| format!("`{k}`"))
            .collect();
        if names.is_empty() {
            String::new()
        } else {
            format!(" (known: {})", names.join(", "))
        }
    }
}
