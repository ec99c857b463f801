//! Strings with placeholders: `"M{(i + 1) % modules}E"`. A placeholder is
//! `{expression}` or `{expression:0N}` (the integer zero-padded to N
//! digits, `{i:03}` -> `007`); `{{` and `}}` are literal braces. A string
//! variable (`t = ["E", "I"]`) is substituted as it is, `{t}`. Parsed once
//! per template field (`Text::parse`), rendered once per instance.

use super::expr::{Expr, Scope, Value};

#[derive(Clone, Debug)]
enum Part {
    Lit(String),
    /// An expression and its zero-padded width (0: none).
    Expr(Expr, usize),
}

/// A parsed string template.
#[derive(Clone, Debug)]
pub(crate) struct Text {
    parts: Vec<Part>,
}

impl Text {
    /// Parse `s`; the message says what is wrong with it.
    pub fn parse(s: &str, scope: &Scope) -> Result<Text, String> {
        let mut parts = Vec::new();
        let mut lit = String::new();
        let mut rest = s;
        while let Some(at) = rest.find(['{', '}']) {
            lit.push_str(&rest[..at]);
            let brace = rest.as_bytes()[at];
            let after = &rest[at + 1..];
            if after.as_bytes().first() == Some(&brace) {
                lit.push(brace as char);
                rest = &after[1..];
                continue;
            }
            if brace == b'}' {
                return Err(format!(
                    "a `}}` without its `{{` in {s:?} (a literal brace is written `}}}}`)"
                ));
            }
            let Some(close) = after.find('}') else {
                return Err(format!("a `{{` is not closed in {s:?}"));
            };
            let inner = &after[..close];
            let placeholder = |m: String| format!("{m} in placeholder `{{{inner}}}` of {s:?}");
            let (text, width) = match inner.split_once(':') {
                Some((text, spec)) => (text, width(spec).map_err(placeholder)?),
                None => (inner, 0),
            };
            let expr = Expr::parse(text, scope).map_err(placeholder)?;
            if !lit.is_empty() {
                parts.push(Part::Lit(std::mem::take(&mut lit)));
            }
            parts.push(Part::Expr(expr, width));
            rest = &after[close + 1..];
        }
        lit.push_str(rest);
        if !lit.is_empty() {
            parts.push(Part::Lit(lit));
        }
        Ok(Text { parts })
    }

    /// True if the string has no placeholder (rendering returns it as parsed).
    pub fn is_plain(&self) -> bool {
        self.parts.iter().all(|p| matches!(p, Part::Lit(_)))
    }

    /// The string for one instance: `values[slot]` for each variable.
    pub fn render(&self, names: &[String], values: &[Value]) -> Result<String, String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Lit(s) => out.push_str(s),
                Part::Expr(e, width) => {
                    if let Some(Value::Str(s)) = e.as_var().map(|slot| &values[slot]) {
                        if *width > 0 {
                            return Err(format!(
                                "`{}` is a string: it cannot be zero-padded",
                                names[e.as_var().unwrap_or(0)]
                            ));
                        }
                        out.push_str(s);
                        continue;
                    }
                    let v = e.eval(names, values)?;
                    out.push_str(&format!("{v:0width$}"));
                }
            }
        }
        Ok(out)
    }
}

/// The width of a `:0N` format.
fn width(spec: &str) -> Result<usize, String> {
    let digits = spec.trim();
    match digits.strip_prefix('0').map(str::parse::<usize>) {
        Some(Ok(n)) if (1..=20).contains(&n) => Ok(n),
        _ => Err(format!(
            "bad format `:{spec}` (the only format is `:0N`, zero-padded to N = 1..20 digits)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(s: &str, vars: &[(&str, Value)]) -> Result<String, String> {
        let names: Vec<String> = vars.iter().map(|(n, _)| n.to_string()).collect();
        let values: Vec<Value> = vars.iter().map(|(_, v)| v.clone()).collect();
        Text::parse(s, &Scope { names: &names })?.render(&names, &values)
    }

    #[test]
    fn placeholders_padding_strings_and_braces() {
        let i = ("i", Value::Int(7));
        let t = ("t", Value::Str("E".into()));
        assert_eq!(render("M{i}{t}", &[i.clone(), t.clone()]).unwrap(), "M7E");
        assert_eq!(
            render("M{i:03}_{(i+1) % 5}", std::slice::from_ref(&i)).unwrap(),
            "M007_3"
        );
        assert_eq!(render("{-i:03}", std::slice::from_ref(&i)).unwrap(), "-07");
        assert_eq!(render("a{{b}}c", &[]).unwrap(), "a{b}c");
        assert_eq!(render("{2 * 21}", &[]).unwrap(), "42");
        assert!(Text::parse("plain", &Scope { names: &[] })
            .unwrap()
            .is_plain());
    }

    #[test]
    fn bad_templates_say_why() {
        let i = ("i", Value::Int(7));
        let t = ("t", Value::Str("E".into()));
        let e = |s: &str| render(s, &[i.clone(), t.clone()]).unwrap_err();
        assert!(e("M{i").contains("not closed"));
        assert!(e("M}i").contains("without its `{`"));
        assert!(e("M{}").contains("empty placeholder"));
        assert!(e("M{i:3}").contains("bad format `:3`"));
        assert!(e("M{k}").contains("unknown placeholder `k` (variables: i, t)"));
        assert!(e("M{k}").contains("in placeholder `{k}` of \"M{k}\""));
        assert!(e("M{t + 1}").contains("a string can only be substituted alone"));
        assert!(e("M{t:02}").contains("cannot be zero-padded"));
    }
}
