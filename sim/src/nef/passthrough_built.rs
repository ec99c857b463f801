//! Passthrough nodes in a network built elsewhere (`Built::prebuilt`, a
//! Nengo export): folded away over the built weight matrices, as
//! `passthrough` folds them over the descriptions. A connection `i` into
//! passthrough node k (weights `W_i`, rows = k's dimensions) followed by a
//! connection `o` out of it (weights `W_o`, columns = the values of k that
//! `o`'s `pre_slice` reads) is one connection from i's source to o's target
//! with weights `W_o W_i[pre_slice rows]`, i's `pre_slice` and the one
//! filter of the two (two filters in series are refused: they are not one
//! lowpass; a path from an ensemble into an ensemble needs one). A path
//! through several passthrough nodes composes the same way, link by link;
//! a node's output being the sum of its inputs, each path is its own
//! connection, the target (a probe included) adding them up. Paths that
//! end in no target (a passthrough node read by nothing) are dropped.
//!
//! Timing is Nengo's: a passthrough node adds no delay (its output signal
//! is its input signal), and both Nengo and the runner apply a connection's
//! weights before its filter, so the folded connection carries in each
//! step what the path carried. The numbers differ from Nengo's only where
//! the product `W_o W_i` rounds (with identity links, as in Nengo's
//! `EnsembleArray`, it is exact: products with 1 and sums with 0).
//!
//! Order (deterministic): the connections in their order, each connection
//! out of a passthrough node replaced by its paths (in the order of the
//! connections into the node, depth first), connections into passthrough
//! nodes left out. A connection into a passthrough node that a probe reads
//! (`ProbeOf::Connection`) is kept, ending nowhere (`Post::Sink`); a probe
//! of a connection out of a passthrough node is refused (probe the node).

use super::net::{BuiltConnection, Post, Pre, ProbeOf, ProbeSpec};
use super::{NefError, NodeOutput};

#[cfg(test)]
mod tests;

/// `connections` with every path through passthrough nodes folded into
/// direct connections (see the module docs), and `probes` of connections
/// renumbered to match; or why a path cannot be folded, naming the
/// connections (their indices in `connections`).
pub fn fold(
    nodes: &[(String, NodeOutput)],
    connections: Vec<BuiltConnection>,
    probes: &mut [ProbeSpec],
) -> Result<Vec<BuiltConnection>, NefError> {
    let f = Fold {
        nodes,
        all: &connections,
    };
    if !connections
        .iter()
        .any(|c| f.ends_on_node(c) || f.leaves_node(c))
    {
        return Ok(connections);
    }
    f.check()?;
    let probed = |c: usize| probes.iter().any(|p| p.of == ProbeOf::Connection(c));
    let mut out = Vec::with_capacity(connections.len());
    let mut index = vec![None; connections.len()];
    for (c, conn) in connections.iter().enumerate() {
        if f.ends_on_node(conn) {
            if probed(c) && !f.leaves_node(conn) {
                index[c] = Some(out.len());
                out.push(BuiltConnection {
                    post: Post::Sink,
                    ..conn.clone()
                });
            }
        } else if f.leaves_node(conn) {
            out.extend(f.paths(conn.clone(), vec![c], 0)?);
        } else {
            index[c] = Some(out.len());
            out.push(conn.clone());
        }
    }
    for p in probes.iter_mut() {
        if let ProbeOf::Connection(c) = p.of {
            match index.get(c) {
                Some(Some(n)) => p.of = ProbeOf::Connection(*n),
                Some(None) => {
                    return Err(NefError::new(format!(
                        "probe `{}`: connection {c} goes through a passthrough node \
                         and is folded away; probe the node instead",
                        p.name
                    )))
                }
                None => {} // out of range: `Built::prebuilt` says so
            }
        }
    }
    Ok(out)
}

/// The network being folded.
struct Fold<'a> {
    nodes: &'a [(String, NodeOutput)],
    all: &'a [BuiltConnection],
}

impl Fold<'_> {
    /// The dimensions of node `k` if it is a passthrough node.
    fn passthrough(&self, k: usize) -> Option<usize> {
        match self.nodes.get(k) {
            Some((_, NodeOutput::Passthrough { dimensions })) => Some(*dimensions),
            _ => None,
        }
    }

    fn ends_on_node(&self, c: &BuiltConnection) -> bool {
        matches!(c.post, Post::Node(_))
    }

    fn leaves_node(&self, c: &BuiltConnection) -> bool {
        matches!(c.pre, Pre::Node(k) if self.passthrough(k).is_some())
    }

    /// Every connection into a node ends on a passthrough node with as
    /// many rows as it has dimensions; every connection out of one reads
    /// values it has, one column each; neither keeps a transform apart.
    fn check(&self) -> Result<(), NefError> {
        for (i, c) in self.all.iter().enumerate() {
            let err = |what: String| Err(NefError::new(format!("connection {i}: {what}")));
            if let Post::Node(k) = c.post {
                let Some(d) = self.passthrough(k) else {
                    let name = self.nodes.get(k).map_or("?", |n| n.0.as_str());
                    return err(format!(
                        "node {k} (`{name}`) takes no input (only passthrough nodes do)"
                    ));
                };
                if c.weights.nrows() != d {
                    return err(format!(
                        "{} rows of weights into a passthrough node of {d} dimensions",
                        c.weights.nrows()
                    ));
                }
            }
            if let Pre::Node(k) = c.pre {
                let Some(d) = self.passthrough(k) else {
                    continue;
                };
                let r = &c.pre_slice;
                if r.is_empty() || r.end > d || c.weights.ncols() != r.len() {
                    return err(format!(
                        "weights of {} columns reading values {r:?} of a passthrough node of {d} dimensions",
                        c.weights.ncols()
                    ));
                }
            }
            if c.after.is_some() && (self.ends_on_node(c) || self.leaves_node(c)) {
                return err("a transform kept apart on a passthrough path".into());
            }
        }
        Ok(())
    }

    /// The paths that end with `o` (out of a passthrough node), folded;
    /// `path`: the connections `o` stands for, first to last; `depth`: the
    /// passthrough nodes passed so far.
    fn paths(
        &self,
        o: BuiltConnection,
        path: Vec<usize>,
        depth: usize,
    ) -> Result<Vec<BuiltConnection>, NefError> {
        let Pre::Node(k) = o.pre else {
            unreachable!("a path out of a passthrough node")
        };
        if depth > self.nodes.len() {
            return Err(NefError::new(format!(
                "connections {}: passthrough nodes connected in a cycle",
                names(&path)
            )));
        }
        let mut out = Vec::new();
        for (i, c) in self.all.iter().enumerate() {
            if c.post != Post::Node(k) {
                continue;
            }
            let mut p = vec![i];
            p.extend(&path);
            let folded = self.compose(c, &o, &p)?;
            if self.leaves_node(&folded) {
                out.extend(self.paths(folded, p, depth + 1)?);
            } else {
                self.needs_a_synapse(&folded, &p)?;
                out.push(folded);
            }
        }
        Ok(out)
    }

    /// `i` (into passthrough node k) then `o` (out of k) as one connection;
    /// `path`: the connections they stand for.
    fn compose(
        &self,
        i: &BuiltConnection,
        o: &BuiltConnection,
        path: &[usize],
    ) -> Result<BuiltConnection, NefError> {
        let filter = match (i.filter, o.filter) {
            (Some(_), Some(_)) => {
                let Pre::Node(k) = o.pre else { unreachable!() };
                return Err(NefError::new(format!(
                    "connections {}: two lowpass filters in series through passthrough node `{}` \
                     (give all but one of them synapse None)",
                    names(path),
                    self.nodes[k].0
                )));
            }
            (a, b) => a.or(b),
        };
        let r = &o.pre_slice;
        let read = i.weights.rows(r.start, r.len());
        Ok(BuiltConnection {
            pre: i.pre,
            post: o.post,
            weights: &o.weights * read,
            after: None,
            pre_slice: i.pre_slice.clone(),
            filter,
        })
    }

    /// A folded path from an ensemble into an ensemble must be filtered.
    fn needs_a_synapse(&self, c: &BuiltConnection, path: &[usize]) -> Result<(), NefError> {
        let neural = |pre| matches!(pre, Pre::Ensemble(_) | Pre::Neurons(_));
        if c.filter.is_none()
            && neural(c.pre)
            && matches!(c.post, Post::Ensemble(_) | Post::Neurons(_))
        {
            return Err(NefError::new(format!(
                "connections {}: a path from an ensemble through passthrough nodes into an \
                 ensemble needs a synapse",
                names(path)
            )));
        }
        Ok(())
    }
}

/// Connection indices as words: `3 and 5`, `1, 3 and 5`.
fn names(path: &[usize]) -> String {
    match path {
        [] => String::new(),
        [a] => a.to_string(),
        [init @ .., last] => {
            let init: Vec<String> = init.iter().map(usize::to_string).collect();
            format!("{} and {last}", init.join(", "))
        }
    }
}
