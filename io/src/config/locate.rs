//! Where things are in the TOML text: field path -> line number (for errors
//! found by validation) and byte span -> field path (for errors reported by
//! serde/toml, which know the span but not the path). Both walk the spanned
//! document tree of `toml::de::DeTable::parse`. Paths look like
//! `population[1].params.tau_m` or `stimulus[0].node_ids[3]`: arrays (of tables
//! or of values) take a 0-based `[i]`, nested keys are joined with dots.

use std::ops::Range;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// 1-based line of a byte offset.
pub(crate) fn line_of_offset(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

enum Segment<'a> {
    Key(&'a str),
    Index(usize),
}

/// `a[1].b` -> [Key(a), Index(1), Key(b)]; a malformed index ends the path.
fn segments(path: &str) -> Vec<Segment<'_>> {
    let mut out = Vec::new();
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let (key, mut rest) = part.split_at(part.find('[').unwrap_or(part.len()));
        if !key.is_empty() {
            out.push(Segment::Key(key));
        }
        while let Some(stripped) = rest.strip_prefix('[') {
            let Some(close) = stripped.find(']') else {
                return out;
            };
            let Ok(i) = stripped[..close].parse() else {
                return out;
            };
            out.push(Segment::Index(i));
            rest = &stripped[close + 1..];
        }
    }
    out
}

/// Line of the value at `path`; if the path does not exist in the file (a
/// missing key, a default), the line of its deepest existing ancestor (a table
/// header, an inline table). `None` if not even the first segment exists or the
/// text is not valid TOML.
pub(crate) fn line_of_path(text: &str, path: &str) -> Option<usize> {
    let doc = DeTable::parse(text).ok()?;
    let mut table: Option<&DeTable> = Some(doc.get_ref());
    let mut array: Option<&[Spanned<DeValue>]> = None;
    let mut found: Option<Range<usize>> = None;
    for segment in segments(path) {
        let next = match segment {
            Segment::Key(k) => table.and_then(|t| t.get(k)),
            Segment::Index(i) => array.and_then(|a| a.get(i)),
        };
        let Some(next) = next else { break };
        found = Some(next.span());
        (table, array) = match next.get_ref() {
            DeValue::Table(t) => (Some(t), None),
            DeValue::Array(a) => (None, Some(&a[..])),
            _ => (None, None),
        };
    }
    found.map(|span| line_of_offset(text, span.start))
}

/// Best containing node so far: (span length, depth, path).
type Best = Option<(usize, usize, String)>;

/// Path of the smallest key or value whose span contains `span` (ties go to
/// the deeper node). `None` for the root (an empty span), if nothing contains
/// it, or if the text is not valid TOML.
pub(crate) fn path_of_span(text: &str, span: Range<usize>) -> Option<String> {
    if span.is_empty() {
        // The document root (e.g. a missing top-level table).
        return None;
    }
    let doc = DeTable::parse(text).ok()?;
    let mut best: Best = None;
    visit_table(doc.get_ref(), "", 0, &span, &mut best);
    best.map(|(_, _, path)| path)
}

fn consider(node: Range<usize>, target: &Range<usize>, path: &str, depth: usize, best: &mut Best) {
    if node.start <= target.start && target.end <= node.end && !path.is_empty() {
        let len = node.end - node.start;
        let better = match best {
            None => true,
            Some((l, d, _)) => len < *l || (len == *l && depth > *d),
        };
        if better {
            *best = Some((len, depth, path.to_string()));
        }
    }
}

fn visit_table(
    table: &DeTable,
    prefix: &str,
    depth: usize,
    target: &Range<usize>,
    best: &mut Best,
) {
    for (key, value) in table.iter() {
        let path = if prefix.is_empty() {
            key.get_ref().to_string()
        } else {
            format!("{prefix}.{}", key.get_ref())
        };
        consider(key.span(), target, &path, depth + 1, best);
        visit_value(value, &path, depth + 1, target, best);
    }
}

fn visit_value(
    value: &Spanned<DeValue>,
    path: &str,
    depth: usize,
    target: &Range<usize>,
    best: &mut Best,
) {
    consider(value.span(), target, path, depth, best);
    match value.get_ref() {
        DeValue::Table(t) => visit_table(t, path, depth, target, best),
        DeValue::Array(a) => {
            for (i, item) in a.iter().enumerate() {
                visit_value(item, &format!("{path}[{i}]"), depth + 1, target, best);
            }
        }
        _ => {}
    }
}
