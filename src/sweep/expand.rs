//! The variants of a sweep as TOML: `--set KEY=V1,V2,...` parsed (values as
//! TOML values, split at the commas outside brackets and quotes), KEY
//! resolved as a dotted path in the config (tables by key, arrays by index
//! from 0), each value's type checked against the value it replaces, and
//! the cartesian product of the sets (the first `--set` varies slowest)
//! written out as full config tables. Every refusal is one line naming the
//! `--set` it is about.

use toml::{Table, Value};

/// Most variants a sweep may have.
pub const MAX_VARIANTS: usize = 100_000;

/// One `--set KEY=V1,V2,...`.
#[derive(Clone, Debug)]
pub struct Axis {
    /// The dotted path, as given.
    pub key: String,
    /// Its path segments.
    segments: Vec<String>,
    /// The values, each of the type of the value it replaces.
    pub values: Vec<Value>,
    /// The config file does not have the key (the sweep adds it).
    pub added: bool,
}

impl Axis {
    /// The key as the loader names fields: `projection[2].weight`.
    pub fn field(&self) -> String {
        let mut f = String::new();
        for s in &self.segments {
            if !f.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
                f.push_str(&format!("[{s}]"));
            } else {
                if !f.is_empty() {
                    f.push('.');
                }
                f.push_str(s);
            }
        }
        f
    }
}

/// One `--set` argument: the key and its values, each a TOML value.
pub fn parse_set(arg: &str) -> Result<Axis, String> {
    let Some((key, list)) = arg.split_once('=') else {
        return Err(format!(
            "brainsim: --set `{}`: expected KEY=V1,V2,... (e.g. projection.0.weight=40.0,45.0)",
            arg.escape_debug()
        ));
    };
    let key = key.trim().to_string();
    let segments: Vec<String> = key.split('.').map(|s| s.trim().to_string()).collect();
    if segments.iter().any(String::is_empty) {
        return Err(format!(
            "brainsim: --set {}: KEY must be a dotted path like simulation.seed or population.0.params.tau_m",
            key.escape_debug()
        ));
    }
    let mut values = Vec::new();
    for text in split_values(list) {
        values.push(parse_value(&text).map_err(|m| {
            format!(
                "brainsim: --set {key}: `{}` is not a TOML value ({m}); strings need quotes, e.g. '\"x\"'",
                text.escape_debug()
            )
        })?);
    }
    if values.is_empty() {
        return Err(format!("brainsim: --set {key}: no values"));
    }
    Ok(Axis {
        key,
        segments,
        values,
        added: false,
    })
}

/// `list` split at the commas outside quotes, brackets and braces.
fn split_values(list: &str) -> Vec<String> {
    let (mut parts, mut cur) = (Vec::new(), String::new());
    let (mut depth, mut quote, mut escaped) = (0i32, None::<char>, false);
    for c in list.chars() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' && q == '"' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
            }
            None => match c {
                '"' | '\'' => quote = Some(c),
                '[' | '{' => depth += 1,
                ']' | '}' => depth -= 1,
                ',' if depth == 0 => {
                    parts.push(std::mem::take(&mut cur).trim().to_string());
                    continue;
                }
                _ => {}
            },
        }
        cur.push(c);
    }
    parts.push(cur.trim().to_string());
    parts
}

/// One TOML value (nothing else: no second key smuggled in).
fn parse_value(text: &str) -> Result<Value, String> {
    if text.is_empty() {
        return Err("empty".into());
    }
    let table: Table = format!("v = {text}")
        .parse()
        .map_err(|e: toml::de::Error| e.message().to_string())?;
    match table.get("v") {
        Some(v) if table.len() == 1 => Ok(v.clone()),
        _ => Err("more than one value".into()),
    }
}

/// Checks every axis against the config table: the path leads to a value
/// (or to a missing key of an existing table, which the loader then
/// judges), and every value has that value's type (an integer is taken for
/// a float, as 45 for 45.0). Returns the axes with such integers made floats.
pub fn check_axes(base: &Table, axes: Vec<Axis>) -> Result<Vec<Axis>, String> {
    let mut seen = std::collections::BTreeSet::new();
    let mut out = Vec::with_capacity(axes.len());
    for mut axis in axes {
        if !seen.insert(axis.segments.clone()) {
            return Err(format!("brainsim: --set {}: given twice", axis.key));
        }
        match lookup(base, &axis)? {
            Some(old) => {
                for v in &mut axis.values {
                    *v = same_type(&axis.key, old, v)?;
                }
            }
            None => axis.added = true,
        }
        out.push(axis);
    }
    let mut n: usize = 1;
    for a in &out {
        n = n
            .checked_mul(a.values.len())
            .filter(|&n| n <= MAX_VARIANTS)
            .ok_or_else(|| format!("brainsim: --set: more than {MAX_VARIANTS} variants"))?;
    }
    Ok(out)
}

/// The value at the axis's path: Some(value), None when the path leaves
/// the file at a key it does not have (a default: set creates it, the
/// loader judges it), an error when the path cannot lead anywhere.
fn lookup<'a>(base: &'a Table, axis: &Axis) -> Result<Option<&'a Value>, String> {
    let key = &axis.key;
    let mut table = base;
    let mut segs = axis.segments.iter().peekable();
    while let Some(seg) = segs.next() {
        let Some(mut v) = table.get(seg) else {
            return Ok(None);
        };
        if let Value::Array(items) = v {
            if items.is_empty() || !items.iter().all(Value::is_table) {
                if segs.peek().is_some() {
                    return Err(format!("brainsim: --set {key}: `{seg}` is a list of values; set the whole list, e.g. {seg}=[1,2]"));
                }
                return Ok(Some(v));
            }
            let Some(idx) = segs.next() else {
                return Err(format!("brainsim: --set {key}: `{seg}` is a list of tables; name one by its index and a key in it, e.g. {seg}.0.KEY"));
            };
            v = idx.parse::<usize>().ok().and_then(|j| items.get(j)).ok_or_else(|| {
                format!(
                    "brainsim: --set {key}: `{idx}` is not an index of `{seg}` (the config has {} [[{seg}]] table(s), indexed from 0)",
                    items.len()
                )
            })?;
        }
        match v {
            Value::Table(t) if segs.peek().is_some() => table = t,
            Value::Table(_) => {
                return Err(format!(
                    "brainsim: --set {key}: a whole table; name a key in it"
                ))
            }
            _ => {
                if let Some(next) = segs.peek() {
                    return Err(format!(
                        "brainsim: --set {key}: `{seg}` is a value, not a table; it has no `{next}`"
                    ));
                }
                return Ok(Some(v));
            }
        }
    }
    Ok(None)
}

/// `new` as a value of `old`'s type, or the refusal.
fn same_type(key: &str, old: &Value, new: &Value) -> Result<Value, String> {
    match (old, new) {
        (Value::Float(_), Value::Integer(i)) => Ok(Value::Float(*i as f64)),
        (o, n) if o.same_type(n) => Ok(n.clone()),
        _ => Err(format!(
            "brainsim: --set {key}: `{new}` is {} {}, but the config's value `{old}` is {} {}",
            article(new.type_str()),
            new.type_str(),
            article(old.type_str()),
            old.type_str()
        )),
    }
}

fn article(t: &str) -> &'static str {
    if t.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

/// Sets the axis's value `v` in `table` (creating the tables on the way
/// that the file leaves out).
fn set(table: &mut Table, segments: &[String], v: Value) {
    let Some((first, rest)) = segments.split_first() else {
        return;
    };
    if rest.is_empty() {
        table.insert(first.clone(), v);
        return;
    }
    let entry = table
        .entry(first.clone())
        .or_insert_with(|| Value::Table(Table::new()));
    match entry {
        Value::Table(t) => set(t, rest, v),
        Value::Array(items) => {
            let idx = rest[0].parse::<usize>().ok();
            if let Some(Value::Table(t)) = idx.and_then(|j| items.get_mut(j)) {
                set(t, &rest[1..], v);
            }
        }
        _ => {}
    }
}

/// The value indices of variant `index` (first axis slowest).
pub fn choice(axes: &[Axis], mut index: usize) -> Vec<usize> {
    let mut picks = vec![0; axes.len()];
    for (k, a) in axes.iter().enumerate().rev() {
        picks[k] = index % a.values.len();
        index /= a.values.len();
    }
    picks
}

/// The number of variants.
pub fn count(axes: &[Axis]) -> usize {
    axes.iter().map(|a| a.values.len()).product()
}

/// Variant `index`'s full table.
pub fn variant(base: &Table, axes: &[Axis], index: usize) -> Table {
    let mut t = base.clone();
    for (a, pick) in axes.iter().zip(choice(axes, index)) {
        set(&mut t, &a.segments, a.values[pick].clone());
    }
    t
}

/// `key=value, ...` of variant `index`, for messages.
pub fn describe(axes: &[Axis], index: usize) -> String {
    axes.iter()
        .zip(choice(axes, index))
        .map(|(a, p)| format!("{}={}", a.key, a.values[p]))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `sweep.csv`: `index,<key>,...`, then one row per variant with the values
/// as TOML writes them (quoted as CSV needs).
pub fn csv(axes: &[Axis]) -> String {
    let mut s = String::from("index");
    for a in axes {
        s.push(',');
        s.push_str(&csv_field(&a.key));
    }
    s.push('\n');
    for i in 0..count(axes) {
        s.push_str(&i.to_string());
        for (a, p) in axes.iter().zip(choice(axes, i)) {
            s.push(',');
            s.push_str(&csv_field(&a.values[p].to_string()));
        }
        s.push('\n');
    }
    s
}

/// `s` as one CSV field.
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Table {
        "[simulation]\nseed = 1\ndt = 0.1\n[[projection]]\nweight = 1.0\n[[projection]]\nweight = 2.0\ntags = [1, 2]\n"
            .parse()
            .unwrap()
    }

    #[test]
    fn values_split_outside_brackets_and_quotes() {
        let a = parse_set("x=1, 2.5,\"a,b\",[1,2],'c'").unwrap();
        assert_eq!(a.values.len(), 5);
        assert!(parse_set("x=1,").is_err());
        assert!(parse_set("x=abc").is_err());
        assert!(parse_set("x").is_err());
        assert!(parse_set("a..b=1").is_err());
        assert!(parse_set("x=1\ny = 2").is_err());
    }

    #[test]
    fn paths_resolve_and_types_are_checked() {
        let b = base();
        let axes = vec![
            parse_set("projection.1.weight=3,4.5").unwrap(),
            parse_set("simulation.seed=1,2,3").unwrap(),
        ];
        let axes = check_axes(&b, axes).unwrap();
        assert_eq!(axes[0].values[0], Value::Float(3.0));
        assert_eq!(count(&axes), 6);
        assert_eq!(choice(&axes, 4), vec![1, 1]);
        let v = variant(&b, &axes, 4);
        assert_eq!(v["simulation"]["seed"], Value::Integer(2));
        assert_eq!(v["projection"][1]["weight"], Value::Float(4.5));
        assert!(csv(&axes).starts_with("index,projection.1.weight,simulation.seed\n0,3.0,1\n"));
        for bad in [
            "simulation.seed=1.5",
            "simulation.seed=\"x\"",
            "projection.2.weight=1.0",
            "projection.x.weight=1.0",
            "projection.0=1.0",
            "simulation=1",
            "simulation.seed.x=1",
            "projection.1.tags.0=1",
        ] {
            let e = check_axes(&b, vec![parse_set(bad).unwrap()]).unwrap_err();
            assert!(e.starts_with("brainsim: --set "), "{bad}: {e}");
        }
        // A key the file leaves out: the loader judges it.
        let a = check_axes(&b, vec![parse_set("simulation.threads=2").unwrap()]).unwrap();
        assert_eq!(
            variant(&b, &a, 0)["simulation"]["threads"],
            Value::Integer(2)
        );
        let twice = vec![
            parse_set("simulation.seed=1").unwrap(),
            parse_set("simulation.seed=2").unwrap(),
        ];
        assert!(check_axes(&b, twice).unwrap_err().contains("twice"));
    }
}
