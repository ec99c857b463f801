//! The integer expressions of templates: integers, variables (`for` loop
//! variables and `[constants]`), `+ - * / %`, unary minus and parentheses,
//! with the usual precedence and left associativity. `/` and `%` round
//! toward minus infinity, as Python's `//` and `%`: `(i - 1) % 200` is 199
//! at i = 0, which is what ring and torus neighbours need. Arithmetic is
//! checked: division by zero and i64 overflow are errors, never a wrapped
//! value.
//!
//! An expression is parsed once per template (`Expr::parse`, which also
//! refuses variables that are not defined) and evaluated once per instance
//! (`Expr::eval`) against the instance's values.

use std::fmt;

/// A value a variable takes: loop lists may hold strings (`t = ["E", "I"]`),
/// which can only be substituted as they are (`{t}`).
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Value {
    Int(i64),
    Str(String),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Int(v) => write!(f, "{v}"),
            Value::Str(s) => write!(f, "{s:?}"),
        }
    }
}

/// Variables in scope, by slot: names for parsing, values for evaluation.
pub(crate) struct Scope<'a> {
    pub names: &'a [String],
}

#[derive(Clone, Debug)]
pub(crate) enum Expr {
    Int(i64),
    /// A variable, by its slot in the scope.
    Var(usize),
    Neg(Box<Expr>),
    Bin(Op, Box<Expr>, Box<Expr>),
}

#[derive(Clone, Copy, Debug)]
pub(crate) enum Op {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

#[derive(Debug, PartialEq)]
enum Token {
    Int(i64),
    Ident(String),
    Sym(char),
}

fn tokens(text: &str) -> Result<Vec<Token>, String> {
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c.is_ascii_digit() || c.is_ascii_alphabetic() || c == '_' {
            let mut end = start;
            while let Some(&(i, d)) = chars.peek() {
                if !(d.is_ascii_alphanumeric() || d == '_') {
                    break;
                }
                end = i + d.len_utf8();
                chars.next();
            }
            let word = &text[start..end];
            if c.is_ascii_digit() {
                let v = word
                    .parse()
                    .map_err(|_| format!("{word:?} is not an integer (i64)"))?;
                out.push(Token::Int(v));
            } else {
                out.push(Token::Ident(word.to_string()));
            }
        } else if "+-*/%()".contains(c) {
            out.push(Token::Sym(c));
            chars.next();
        } else {
            return Err(format!(
                "unexpected {c:?} (expressions have integers, variables, + - * / % and parentheses)"
            ));
        }
    }
    Ok(out)
}

/// Recursive descent over the tokens.
struct Parser<'a> {
    tokens: Vec<Token>,
    at: usize,
    scope: &'a Scope<'a>,
}

impl Parser<'_> {
    fn peek_sym(&self) -> Option<char> {
        match self.tokens.get(self.at) {
            Some(Token::Sym(c)) => Some(*c),
            _ => None,
        }
    }

    fn sum(&mut self) -> Result<Expr, String> {
        let mut left = self.product()?;
        while let Some(c @ ('+' | '-')) = self.peek_sym() {
            self.at += 1;
            let op = if c == '+' { Op::Add } else { Op::Sub };
            left = Expr::Bin(op, Box::new(left), Box::new(self.product()?));
        }
        Ok(left)
    }

    fn product(&mut self) -> Result<Expr, String> {
        let mut left = self.unary()?;
        while let Some(c @ ('*' | '/' | '%')) = self.peek_sym() {
            self.at += 1;
            let op = match c {
                '*' => Op::Mul,
                '/' => Op::Div,
                _ => Op::Rem,
            };
            left = Expr::Bin(op, Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, String> {
        if self.peek_sym() == Some('-') {
            self.at += 1;
            return Ok(Expr::Neg(Box::new(self.unary()?)));
        }
        self.atom()
    }

    fn atom(&mut self) -> Result<Expr, String> {
        let token = self.tokens.get(self.at);
        self.at += 1;
        match token {
            Some(Token::Int(v)) => Ok(Expr::Int(*v)),
            Some(Token::Ident(name)) => match self.scope.names.iter().position(|n| n == name) {
                Some(slot) => Ok(Expr::Var(slot)),
                None => Err(unknown_variable(name, self.scope.names)),
            },
            Some(Token::Sym('(')) => {
                let inner = self.sum()?;
                if self.peek_sym() != Some(')') {
                    return Err("a `(` is not closed".into());
                }
                self.at += 1;
                Ok(inner)
            }
            Some(Token::Sym(c)) => Err(format!("unexpected `{c}`")),
            None => Err("the expression ends too early".into()),
        }
    }
}

fn unknown_variable(name: &str, names: &[String]) -> String {
    if names.is_empty() {
        format!("unknown placeholder `{name}` (no variable is defined here: add a `for` key or a [constants] entry)")
    } else {
        format!(
            "unknown placeholder `{name}` (variables: {})",
            names.join(", ")
        )
    }
}

impl Expr {
    /// Parse `text` with the variables of `scope`.
    pub fn parse(text: &str, scope: &Scope) -> Result<Expr, String> {
        let tokens = tokens(text)?;
        if tokens.is_empty() {
            return Err("an empty placeholder `{}`".into());
        }
        let mut p = Parser {
            tokens,
            at: 0,
            scope,
        };
        let e = p.sum()?;
        match p.tokens.get(p.at) {
            None => Ok(e),
            Some(Token::Sym(')')) => Err("a `)` has no `(`".into()),
            Some(_) => Err("an operator is missing between two values".into()),
        }
    }

    /// The variable this expression is, if it is a bare variable.
    pub fn as_var(&self) -> Option<usize> {
        match self {
            Expr::Var(slot) => Some(*slot),
            _ => None,
        }
    }

    /// The value with `values[slot]` for each variable. Strings may only be
    /// the whole expression (`{t}`), which `Text` handles before calling this.
    pub fn eval(&self, names: &[String], values: &[Value]) -> Result<i64, String> {
        match self {
            Expr::Int(v) => Ok(*v),
            Expr::Var(slot) => match &values[*slot] {
                Value::Int(v) => Ok(*v),
                Value::Str(s) => Err(format!(
                    "`{}` is the string {s:?}: a string can only be substituted alone, as {{{}}}",
                    names[*slot], names[*slot]
                )),
            },
            Expr::Neg(e) => {
                let v = e.eval(names, values)?;
                v.checked_neg().ok_or_else(|| format!("-({v}) overflows"))
            }
            Expr::Bin(op, a, b) => {
                let (a, b) = (a.eval(names, values)?, b.eval(names, values)?);
                apply(*op, a, b)
            }
        }
    }
}

/// `a op b`, checked; `/` and `%` floor (the remainder has the sign of `b`).
fn apply(op: Op, a: i64, b: i64) -> Result<i64, String> {
    let symbol = match op {
        Op::Add => '+',
        Op::Sub => '-',
        Op::Mul => '*',
        Op::Div => '/',
        Op::Rem => '%',
    };
    if b == 0 && matches!(op, Op::Div | Op::Rem) {
        return Err(format!("division by zero ({a} {symbol} 0)"));
    }
    let v = match op {
        Op::Add => a.checked_add(b),
        Op::Sub => a.checked_sub(b),
        Op::Mul => a.checked_mul(b),
        Op::Div => a.checked_div(b).map(|q| {
            if a % b != 0 && ((a < 0) != (b < 0)) {
                q - 1
            } else {
                q
            }
        }),
        Op::Rem => a.checked_rem(b).map(|r| {
            if r != 0 && ((r < 0) != (b < 0)) {
                r + b
            } else {
                r
            }
        }),
    };
    v.ok_or_else(|| format!("{a} {symbol} {b} overflows a 64-bit integer"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(text: &str, vars: &[(&str, i64)]) -> Result<i64, String> {
        let names: Vec<String> = vars.iter().map(|(n, _)| n.to_string()).collect();
        let values: Vec<Value> = vars.iter().map(|(_, v)| Value::Int(*v)).collect();
        Expr::parse(text, &Scope { names: &names })?.eval(&names, &values)
    }

    #[test]
    fn precedence_associativity_and_floor_division() {
        assert_eq!(eval("1 + 2 * 3", &[]), Ok(7));
        assert_eq!(eval("(1 + 2) * 3", &[]), Ok(9));
        assert_eq!(eval("10 - 4 - 3", &[]), Ok(3));
        assert_eq!(eval("100 / 10 / 5", &[]), Ok(2));
        assert_eq!(eval("-2 * -3", &[]), Ok(6));
        assert_eq!(eval("(i - 1) % 200", &[("i", 0)]), Ok(199));
        assert_eq!(eval("(i + 1) % n", &[("i", 199), ("n", 200)]), Ok(0));
        assert_eq!(eval("-7 / 2", &[]), Ok(-4));
        assert_eq!(eval("7 % -3", &[]), Ok(-2));
        assert_eq!(eval("i/3*3 + i%3", &[("i", -8)]), Ok(-8));
    }

    #[test]
    fn bad_expressions_say_why() {
        let e = |t: &str| eval(t, &[("i", 1)]).unwrap_err();
        assert!(e("j + 1").contains("unknown placeholder `j` (variables: i)"));
        assert!(e("i / (i - 1)").contains("division by zero (1 / 0)"));
        assert!(e("i % 0").contains("division by zero"));
        assert!(e("9223372036854775807 + i").contains("overflows"));
        assert!(e("(i + 1").contains("not closed"));
        assert!(e("i + 1)").contains("has no `(`"));
        assert!(e("i 2").contains("operator is missing"));
        assert!(e("i +").contains("ends too early"));
        assert!(e("i ^ 2").contains("unexpected '^'"));
        assert!(e("99999999999999999999").contains("not an integer"));
        assert!(e("2x").contains("not an integer"));
    }
}
