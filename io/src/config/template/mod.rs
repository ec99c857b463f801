//! Templates: a `[[population]]`, `[[projection]]` or `[[stimulus]]` table
//! with a `for` key stands for one table per combination of its loop
//! variables (`for = { i = "0..200", t = ["E", "I"] }`: the first variable
//! varies slowest), with `{expression}` placeholders in its names replaced
//! per instance (`target = "M{(i + 1) % modules}{t}"`). `[constants]` names
//! integers that ranges and placeholders may use. Expansion runs on the raw
//! tables, after serde and before validation, so validation sees an
//! ordinary config.
//!
//! Decided: expanded tables take consecutive indices in file order (the
//! spec's indices); every error — of expansion or of validation — is
//! reported with the *file's* table index and, for an instance, its loop
//! values (`projection[3] (i = 7, t = "E").target`), at the template's
//! line (`Origins::place`). Placeholders are expanded only in names (a
//! population's `name`, a projection's `source` and `target`, a stimulus's
//! `target`, `spikes_file` and `population`); they are parsed once per
//! template and every unknown variable is refused before any instance is
//! made. Population names must stay unique after expansion.

mod expr;
mod text;

use std::collections::{BTreeMap, HashMap};

use self::expr::{Expr, Scope, Value};
use self::text::Text;
use super::raw::{RawConfig, RawFor, RawLoop, RawPopulation, RawProjection, RawStimulus};
use super::values::{invalid, join, Check, Invalid};

/// The most tables one template may make.
pub(crate) const MAX_INSTANCES: u64 = 1_000_000;

/// Where an expanded table comes from: its table in the file and, for an
/// instance of a template, its loop values (`i = 3, t = "E"`).
#[derive(Clone, Debug)]
struct Origin {
    index: usize,
    label: Option<String>,
}

/// For each kind of table, the origin of every expanded table (by spec index).
#[derive(Clone, Debug, Default)]
pub struct Origins {
    kinds: BTreeMap<&'static str, Vec<Origin>>,
}

impl Origins {
    /// A field path of the expanded config (`projection[404].weight`) as
    /// (the path in the file, to find its line: `projection[5].weight`;
    /// the path to show: `projection[5] (i = 3).weight`).
    pub fn place(&self, field: &str) -> (String, String) {
        let same = || (field.to_string(), field.to_string());
        let Some((kind, rest)) = field.split_once('[') else {
            return same();
        };
        let Some((index, rest)) = rest.split_once(']') else {
            return same();
        };
        let origin = index
            .parse::<usize>()
            .ok()
            .and_then(|i| self.kinds.get(kind)?.get(i));
        match origin {
            None => same(),
            Some(o) => {
                let file = format!("{kind}[{}]", o.index);
                let shown = match &o.label {
                    Some(label) => format!("{file} ({label})"),
                    None => file.clone(),
                };
                (format!("{file}{rest}"), format!("{shown}{rest}"))
            }
        }
    }

    /// The table in the file that expanded table `index` of `kind` comes from.
    pub fn file_index(&self, kind: &str, index: usize) -> Option<usize> {
        Some(self.kinds.get(kind)?.get(index)?.index)
    }

    /// Whether expanded table `index` of `kind` is an instance of a template.
    pub fn is_instance(&self, kind: &str, index: usize) -> bool {
        self.kinds
            .get(kind)
            .and_then(|v| v.get(index))
            .is_some_and(|o| o.label.is_some())
    }

    fn shown(&self, kind: &'static str, index: usize) -> String {
        self.place(&format!("{kind}[{index}]")).1
    }
}

/// A table that may be a template.
trait Templated: Clone {
    const KIND: &'static str;
    fn take_for(&mut self) -> Option<RawFor>;
    /// The fields whose placeholders are expanded, with their keys.
    fn texts(&mut self) -> Vec<(&'static str, &mut String)>;
}

impl Templated for RawPopulation {
    const KIND: &'static str = "population";
    fn take_for(&mut self) -> Option<RawFor> {
        self.repeat.take()
    }
    fn texts(&mut self) -> Vec<(&'static str, &mut String)> {
        vec![("name", &mut self.name)]
    }
}

impl Templated for RawProjection {
    const KIND: &'static str = "projection";
    fn take_for(&mut self) -> Option<RawFor> {
        self.repeat.take()
    }
    fn texts(&mut self) -> Vec<(&'static str, &mut String)> {
        vec![("source", &mut self.source), ("target", &mut self.target)]
    }
}

impl Templated for RawStimulus {
    const KIND: &'static str = "stimulus";
    fn take_for(&mut self) -> Option<RawFor> {
        self.repeat.take()
    }
    fn texts(&mut self) -> Vec<(&'static str, &mut String)> {
        let mut out = vec![("target", &mut self.target)];
        if let Some(f) = self.spikes_file.as_mut() {
            out.push(("spikes_file", f));
        }
        if let Some(p) = self.population.as_mut() {
            out.push(("population", p));
        }
        out
    }
}

/// Replace every template of `raw` by its instances, recording in
/// `origins` where each table comes from (also when an error stops the
/// expansion, so that the error can be placed).
pub(crate) fn expand(raw: &mut RawConfig, origins: &mut Origins) -> Check<()> {
    let (names, values) = constants(&raw.constants)?;
    let consts = Consts { names, values };
    raw.population = expand_all(std::mem::take(&mut raw.population), &consts, origins)?;
    unique_names(&raw.population, origins)?;
    raw.projection = expand_all(std::mem::take(&mut raw.projection), &consts, origins)?;
    raw.stimulus = expand_all(std::mem::take(&mut raw.stimulus), &consts, origins)?;
    Ok(())
}

/// `[constants]`: the names and values, checked.
fn constants(raw: &BTreeMap<String, i64>) -> Check<(Vec<String>, Vec<Value>)> {
    let mut names = Vec::new();
    let mut values = Vec::new();
    for (name, v) in raw {
        identifier(&join("constants", name), name)?;
        names.push(name.clone());
        values.push(Value::Int(*v));
    }
    Ok((names, values))
}

/// A variable's name: a letter or `_`, then letters, digits or `_`.
fn identifier(field: &str, name: &str) -> Check<()> {
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    if first_ok && chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
        Ok(())
    } else {
        invalid(
            field,
            format!(
                "{name:?} is not a variable name (a letter or '_', then letters, digits or '_')"
            ),
        )
    }
}

struct Consts {
    names: Vec<String>,
    values: Vec<Value>,
}

fn expand_all<T: Templated>(
    tables: Vec<T>,
    consts: &Consts,
    origins: &mut Origins,
) -> Check<Vec<T>> {
    let mut out = Vec::with_capacity(tables.len());
    for (index, table) in tables.into_iter().enumerate() {
        expand_one(index, table, consts, &mut out, origins)?;
    }
    Ok(out)
}

/// Table `index` of the file: itself (placeholders over constants only) or
/// its instances, appended to `out`.
fn expand_one<T: Templated>(
    index: usize,
    mut table: T,
    consts: &Consts,
    out: &mut Vec<T>,
    origins: &mut Origins,
) -> Check<()> {
    let list = origins.kinds.entry(T::KIND).or_default();
    // Errors before the first instance are placed at the template itself.
    list.push(Origin { index, label: None });
    let at = format!("{}[{}]", T::KIND, out.len());
    let repeat = table.take_for();
    let loops = match &repeat {
        Some(r) => loops(&join(&at, "for"), r, consts)?,
        None => Vec::new(),
    };
    let mut names = consts.names.clone();
    names.extend(loops.iter().map(|(n, _)| n.clone()));
    let scope = Scope { names: &names };
    let mut texts = Vec::new();
    for (key, s) in table.texts() {
        let text = Text::parse(s, &scope).map_err(|m| located(&at, key, m))?;
        texts.push((key, text));
    }
    list.pop();
    let count = loops.iter().map(|(_, v)| v.len()).product::<usize>();
    let mut digits = vec![0usize; loops.len()];
    for _ in 0..count {
        let mut values = consts.values.clone();
        values.extend(loops.iter().zip(&digits).map(|((_, v), &d)| v[d].clone()));
        let label = repeat.as_ref().map(|_| {
            let parts: Vec<String> = loops
                .iter()
                .zip(&values[consts.values.len()..])
                .map(|((n, _), v)| format!("{n} = {v}"))
                .collect();
            parts.join(", ")
        });
        list.push(Origin { index, label });
        let at = format!("{}[{}]", T::KIND, out.len());
        let mut instance = table.clone();
        for ((key, text), (_, field)) in texts.iter().zip(instance.texts()) {
            if !text.is_plain() {
                *field = text
                    .render(&names, &values)
                    .map_err(|m| located(&at, key, format!("{m} in {field:?}")))?;
            }
        }
        out.push(instance);
        // Next combination: the last variable varies fastest.
        for d in (0..digits.len()).rev() {
            digits[d] += 1;
            if digits[d] < loops[d].1.len() {
                break;
            }
            digits[d] = 0;
        }
    }
    Ok(())
}

fn located(at: &str, key: &str, message: String) -> Invalid {
    Invalid {
        field: join(at, key),
        message,
    }
}

/// The loop variables of `for` (at `field`) with their values, checked:
/// names, ranges, non-empty lists, the number of instances.
fn loops(field: &str, r: &RawFor, consts: &Consts) -> Check<Vec<(String, Vec<Value>)>> {
    if r.0.is_empty() {
        return invalid(
            field,
            "`for` needs at least one loop variable, e.g. for = { i = \"0..10\" }",
        );
    }
    let mut out: Vec<(String, Vec<Value>)> = Vec::new();
    let mut count: u64 = 1;
    for (name, values) in &r.0 {
        let at = join(field, name);
        identifier(&at, name)?;
        if consts.names.contains(name) {
            return invalid(&at, format!("`{name}` is already a constant ([constants])"));
        }
        let values: Vec<Value> = match values {
            RawLoop::Range(text) => range(&at, text, consts)?,
            RawLoop::Ints(v) => v.iter().map(|&i| Value::Int(i)).collect(),
            RawLoop::Strs(v) => v.iter().map(|s| Value::Str(s.clone())).collect(),
        };
        if values.is_empty() {
            return invalid(&at, "an empty list: the template would make no table");
        }
        count = count.saturating_mul(values.len() as u64);
        if count > MAX_INSTANCES {
            return invalid(
                &at,
                format!("the template would make more than {MAX_INSTANCES} tables"),
            );
        }
        out.push((name.clone(), values));
    }
    Ok(out)
}

/// `"START..END"`: START, START + 1, ..., END - 1 (integer expressions over
/// the constants).
fn range(field: &str, text: &str, consts: &Consts) -> Check<Vec<Value>> {
    let bad = |why: String| invalid(field, format!("bad range {text:?}: {why}"));
    let Some((start, end)) = text.split_once("..") else {
        return bad("a range is written \"START..END\" (END excluded), e.g. \"0..200\"".into());
    };
    let scope = Scope {
        names: &consts.names,
    };
    let bound = |s: &str| {
        Expr::parse(s, &scope)
            .and_then(|e| e.eval(&consts.names, &consts.values))
            .map_err(|m| m.replace("unknown placeholder", "unknown constant"))
    };
    let (a, b) = match (bound(start), bound(end)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(m), _) | (_, Err(m)) => return bad(m),
    };
    if b <= a {
        return bad(format!(
            "it is empty ({a}..{b}: the end is excluded and must be above the start)"
        ));
    }
    if (b as i128 - a as i128) > i128::from(MAX_INSTANCES) {
        return bad(format!("more than {MAX_INSTANCES} values"));
    }
    Ok((a..b).map(Value::Int).collect())
}

/// Population names are unique after expansion.
fn unique_names(pops: &[RawPopulation], origins: &Origins) -> Check<()> {
    let mut seen: HashMap<&str, usize> = HashMap::with_capacity(pops.len());
    for (i, p) in pops.iter().enumerate() {
        if let Some(&j) = seen.get(p.name.as_str()) {
            return invalid(
                format!("population[{i}].name"),
                format!(
                    "duplicate population name {:?} (also {})",
                    p.name,
                    origins.shown("population", j)
                ),
            );
        }
        seen.insert(&p.name, i);
    }
    Ok(())
}
