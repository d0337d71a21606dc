//! The OData `$filter` subset the emulator understands: comparisons
//! (`eq ne gt ge lt le`), `and`, `or`, `not`, parentheses and the string
//! functions `contains`, `startswith`, `endswith`. Literals: 'quoted strings'
//! (`''` escapes a quote), numbers, `true`/`false`/`null`, unquoted GUIDs and
//! unquoted dates or RFC 3339 timestamps (OData v4 style).
//!
//! Hand-written on purpose: the OData crates on crates.io either parse the
//! whole URL grammar without evaluation or target a database backend; this
//! subset, type-checked against the official schemas, fits in one file.

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde_json::Value;

use crate::config::StringComparison;
use crate::errors::ApiError;
use crate::schema::{FieldType, schemas};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Func {
    Contains,
    StartsWith,
    EndsWith,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    String(String),
    Number(f64),
    Bool(bool),
    Null,
    Guid(uuid::Uuid),
    DateTime(DateTime<FixedOffset>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Field(String),
    Literal(Literal),
}

/// A parsed, type-checked filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
    Compare(Operand, Op, Operand),
    Call(Func, String, String),
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Quoted(String),
    Open,
    Close,
    Comma,
}

impl Filter {
    /// Parses `text` and checks every property against component `schema`.
    pub fn parse(text: &str, schema: &str) -> Result<Filter, ApiError> {
        let tokens = tokenize(text)?;
        let mut parser = Parser { tokens, at: 0 };
        let filter = parser.or()?;
        if let Some(token) = parser.tokens.get(parser.at) {
            return Err(syntax(format!("unexpected {} after a complete expression", describe(token))));
        }
        filter.check(schema)?;
        Ok(filter)
    }

    /// Whether `item` passes, strings compared as `strings` says.
    pub fn matches(&self, item: &Value, strings: StringComparison) -> bool {
        let fold = |text: &str| match strings {
            StringComparison::CaseSensitive => text.to_string(),
            StringComparison::CaseInsensitive => text.to_lowercase(),
        };
        match self {
            Filter::And(a, b) => a.matches(item, strings) && b.matches(item, strings),
            Filter::Or(a, b) => a.matches(item, strings) || b.matches(item, strings),
            Filter::Not(a) => !a.matches(item, strings),
            Filter::Compare(left, op, right) => {
                let folded = |literal: Literal| match literal {
                    Literal::String(s) => Literal::String(fold(&s)),
                    other => other,
                };
                let left_value = folded(resolve(left, item, right));
                let right_value = folded(resolve(right, item, left));
                compare(&left_value, *op, &right_value)
            }
            Filter::Call(func, field, needle) => match item[field].as_str().map(fold) {
                Some(text) => {
                    let needle = fold(needle);
                    match func {
                        Func::Contains => text.contains(&needle),
                        Func::StartsWith => text.starts_with(&needle),
                        Func::EndsWith => text.ends_with(&needle),
                    }
                }
                None => false,
            },
        }
    }

    fn check(&self, schema: &str) -> Result<(), ApiError> {
        match self {
            Filter::And(a, b) | Filter::Or(a, b) => a.check(schema).and(b.check(schema)),
            Filter::Not(a) => a.check(schema),
            Filter::Call(func, field, _) => match property_type(schema, field)? {
                FieldType::String => Ok(()),
                other => Err(ApiError::query(format!(
                    "The function '{}' needs a string property; '{field}' is {other:?}.",
                    func_name(*func)
                ))),
            },
            Filter::Compare(left, op, right) => {
                let left_type = operand_type(schema, left)?;
                let right_type = operand_type(schema, right)?;
                let ordered = !matches!(op, Op::Eq | Op::Ne);
                let compatible = match (left_type, right_type) {
                    (None, None) => false,
                    (None, Some(_)) | (Some(_), None) => !ordered,
                    (Some(FieldType::Bool), Some(FieldType::Bool)) => !ordered,
                    (Some(FieldType::Structured), _) | (_, Some(FieldType::Structured)) => false,
                    (Some(a), Some(b)) => a == b,
                };
                if compatible {
                    Ok(())
                } else {
                    Err(ApiError::query(format!(
                        "A binary operator with incompatible types was detected: {} '{}' and {}.",
                        describe_type(left_type),
                        op_name(*op),
                        describe_type(right_type)
                    )))
                }
            }
        }
    }
}

/// Operand type; `None` is the `null` literal, which matches any type.
fn operand_type(schema: &str, operand: &Operand) -> Result<Option<FieldType>, ApiError> {
    Ok(match operand {
        Operand::Field(field) => Some(property_type(schema, field)?),
        Operand::Literal(Literal::Null) => None,
        Operand::Literal(Literal::String(_)) => Some(FieldType::String),
        Operand::Literal(Literal::Number(_)) => Some(FieldType::Number),
        Operand::Literal(Literal::Bool(_)) => Some(FieldType::Bool),
        Operand::Literal(Literal::Guid(_)) => Some(FieldType::Guid),
        Operand::Literal(Literal::DateTime(_)) => Some(FieldType::DateTime),
    })
}

fn property_type(schema: &str, field: &str) -> Result<FieldType, ApiError> {
    schemas()
        .field_type(schema, field)
        .ok_or_else(|| ApiError::query(format!("Could not find a property named '{field}' on type '{schema}'.")))
}

/// The value of `operand` on `item`; a stored string is read as a GUID or
/// timestamp when the other side of the comparison is one (the check made
/// sure the property has that type).
fn resolve(operand: &Operand, item: &Value, other: &Operand) -> Literal {
    match operand {
        Operand::Literal(literal) => literal.clone(),
        Operand::Field(field) => match &item[field] {
            Value::Bool(b) => Literal::Bool(*b),
            Value::Number(n) => Literal::Number(n.as_f64().unwrap_or_default()),
            Value::String(s) => match other {
                Operand::Literal(Literal::Guid(_)) => uuid::Uuid::try_parse(s).map_or(Literal::Null, Literal::Guid),
                Operand::Literal(Literal::DateTime(_)) => {
                    DateTime::parse_from_rfc3339(s).map_or(Literal::Null, Literal::DateTime)
                }
                _ => Literal::String(s.clone()),
            },
            _ => Literal::Null,
        },
    }
}

fn compare(left: &Literal, op: Op, right: &Literal) -> bool {
    use std::cmp::Ordering;
    let ordering: Option<Ordering> = match (left, right) {
        (Literal::Null, Literal::Null) => Some(Ordering::Equal),
        (Literal::String(a), Literal::String(b)) => Some(a.cmp(b)),
        (Literal::Number(a), Literal::Number(b)) => a.partial_cmp(b),
        (Literal::Bool(a), Literal::Bool(b)) => Some(a.cmp(b)),
        (Literal::Guid(a), Literal::Guid(b)) => Some(a.cmp(b)),
        (Literal::DateTime(a), Literal::DateTime(b)) => Some(a.cmp(b)),
        _ => None,
    };
    match (op, ordering) {
        (Op::Eq, o) => o == Some(Ordering::Equal),
        (Op::Ne, o) => o != Some(Ordering::Equal),
        (_, None) => false,
        (Op::Gt, Some(o)) => o == Ordering::Greater,
        (Op::Ge, Some(o)) => o != Ordering::Less,
        (Op::Lt, Some(o)) => o == Ordering::Less,
        (Op::Le, Some(o)) => o != Ordering::Greater,
    }
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek_word(&self, word: &str) -> bool {
        matches!(self.tokens.get(self.at), Some(Token::Word(w)) if w == word)
    }

    fn next(&mut self) -> Result<Token, ApiError> {
        let token = self.tokens.get(self.at).cloned().ok_or_else(|| syntax("the expression ends too early"))?;
        self.at += 1;
        Ok(token)
    }

    fn expect(&mut self, wanted: Token) -> Result<(), ApiError> {
        let token = self.next()?;
        if token == wanted {
            Ok(())
        } else {
            Err(syntax(format!("expected {} but found {}", describe(&wanted), describe(&token))))
        }
    }

    fn or(&mut self) -> Result<Filter, ApiError> {
        let mut left = self.and()?;
        while self.peek_word("or") {
            self.at += 1;
            left = Filter::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Filter, ApiError> {
        let mut left = self.unary()?;
        while self.peek_word("and") {
            self.at += 1;
            left = Filter::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Filter, ApiError> {
        if self.peek_word("not") {
            self.at += 1;
            return Ok(Filter::Not(Box::new(self.unary()?)));
        }
        if self.tokens.get(self.at) == Some(&Token::Open) {
            self.at += 1;
            let inner = self.or()?;
            self.expect(Token::Close)?;
            return Ok(inner);
        }
        if let Some(func) = self.function() {
            self.at += 1;
            self.expect(Token::Open)?;
            let field = match self.operand()? {
                Operand::Field(field) => field,
                Operand::Literal(_) => {
                    return Err(syntax(format!("{} expects a property first", func_name(func))));
                }
            };
            self.expect(Token::Comma)?;
            let needle = match self.operand()? {
                Operand::Literal(Literal::String(s)) => s,
                _ => {
                    return Err(syntax(format!("{} expects a quoted string second", func_name(func))));
                }
            };
            self.expect(Token::Close)?;
            return Ok(Filter::Call(func, field, needle));
        }
        let left = self.operand()?;
        let op = match self.next()? {
            Token::Word(w) => operator(&w).ok_or_else(|| syntax(format!("'{w}' is not a comparison operator")))?,
            other => {
                return Err(syntax(format!("expected a comparison operator but found {}", describe(&other))));
            }
        };
        let right = self.operand()?;
        Ok(Filter::Compare(left, op, right))
    }

    fn function(&self) -> Option<Func> {
        let Some(Token::Word(w)) = self.tokens.get(self.at) else {
            return None;
        };
        let func = match w.as_str() {
            "contains" => Func::Contains,
            "startswith" => Func::StartsWith,
            "endswith" => Func::EndsWith,
            _ => return None,
        };
        (self.tokens.get(self.at + 1) == Some(&Token::Open)).then_some(func)
    }

    fn operand(&mut self) -> Result<Operand, ApiError> {
        match self.next()? {
            Token::Quoted(s) => Ok(Operand::Literal(Literal::String(s))),
            Token::Word(w) => word_operand(&w),
            other => Err(syntax(format!("expected a property or a value but found {}", describe(&other)))),
        }
    }
}

fn word_operand(word: &str) -> Result<Operand, ApiError> {
    match word {
        "true" => return Ok(Operand::Literal(Literal::Bool(true))),
        "false" => return Ok(Operand::Literal(Literal::Bool(false))),
        "null" => return Ok(Operand::Literal(Literal::Null)),
        _ => {}
    }
    if word.len() == 36
        && let Ok(guid) = uuid::Uuid::try_parse(word)
    {
        return Ok(Operand::Literal(Literal::Guid(guid)));
    }
    let first = word.chars().next().unwrap_or(' ');
    if first.is_ascii_alphabetic() || first == '_' {
        return if word.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            Ok(Operand::Field(word.to_string()))
        } else {
            Err(syntax(format!("'{word}' is neither a property name nor a value (property paths are not supported)")))
        };
    }
    if looks_like_date(word) {
        return parse_date(word).map(|t| Operand::Literal(Literal::DateTime(t)));
    }
    word.parse::<f64>()
        .ok()
        .filter(|n| n.is_finite())
        .map(|n| Operand::Literal(Literal::Number(n)))
        .ok_or_else(|| syntax(format!("'{word}' is not a valid value")))
}

fn looks_like_date(word: &str) -> bool {
    let bytes = word.as_bytes();
    bytes.len() >= 8 && bytes[..4].iter().all(u8::is_ascii_digit) && bytes[4] == b'-'
}

/// A date (midnight UTC) or an RFC 3339 timestamp; anything else date-like
/// is the documented InvalidInput (6001), not a syntax error.
fn parse_date(word: &str) -> Result<DateTime<FixedOffset>, ApiError> {
    if let Ok(time) = DateTime::parse_from_rfc3339(word) {
        return Ok(time);
    }
    NaiveDate::parse_from_str(word, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().fixed_offset())
        .ok_or_else(|| {
            ApiError::invalid_input(format!(
                "'{word}' is not a valid date; use YYYY-MM-DD or an RFC 3339 timestamp such as 2024-01-31T12:00:00Z."
            ))
        })
}

fn operator(word: &str) -> Option<Op> {
    Some(match word {
        "eq" => Op::Eq,
        "ne" => Op::Ne,
        "gt" => Op::Gt,
        "ge" => Op::Ge,
        "lt" => Op::Lt,
        "le" => Op::Le,
        _ => return None,
    })
}

fn tokenize(text: &str) -> Result<Vec<Token>, ApiError> {
    let mut tokens = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' | ')' | ',' => {
                chars.next();
                tokens.push(match c {
                    '(' => Token::Open,
                    ')' => Token::Close,
                    _ => Token::Comma,
                });
            }
            '\'' => {
                chars.next();
                let mut s = String::new();
                loop {
                    match chars.next() {
                        Some('\'') if chars.peek() == Some(&'\'') => {
                            chars.next();
                            s.push('\'');
                        }
                        Some('\'') => break,
                        Some(ch) => s.push(ch),
                        None => return Err(syntax("a quoted string is not closed")),
                    }
                }
                tokens.push(Token::Quoted(s));
            }
            _ => {
                let mut w = String::new();
                while let Some(&ch) = chars.peek() {
                    if ch.is_whitespace() || matches!(ch, '(' | ')' | ',' | '\'') {
                        break;
                    }
                    w.push(ch);
                    chars.next();
                }
                tokens.push(Token::Word(w));
            }
        }
    }
    if tokens.is_empty() {
        return Err(syntax("the expression is empty"));
    }
    Ok(tokens)
}

fn syntax(detail: impl std::fmt::Display) -> ApiError {
    ApiError::query(format!("The query specified in the URI is not valid: $filter syntax error, {detail}."))
}

fn describe(token: &Token) -> String {
    match token {
        Token::Word(w) => format!("'{w}'"),
        Token::Quoted(s) => format!("string '{s}'"),
        Token::Open => "'('".into(),
        Token::Close => "')'".into(),
        Token::Comma => "','".into(),
    }
}

fn describe_type(t: Option<FieldType>) -> String {
    t.map_or("null".into(), |t| format!("{t:?}"))
}

fn op_name(op: Op) -> &'static str {
    match op {
        Op::Eq => "eq",
        Op::Ne => "ne",
        Op::Gt => "gt",
        Op::Ge => "ge",
        Op::Lt => "lt",
        Op::Le => "le",
    }
}

fn func_name(func: Func) -> &'static str {
    match func {
        Func::Contains => "contains",
        Func::StartsWith => "startswith",
        Func::EndsWith => "endswith",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn keeps(filter: &str, item: &Value) -> bool {
        Filter::parse(filter, "CustomerApi")
            .unwrap_or_else(|e| panic!("{filter}: {}", e.message))
            .matches(item, StringComparison::CaseSensitive)
    }

    #[test]
    fn precedence_and_grouping() {
        let item = json!({"Name": "Anna", "IsActive": false, "CustomerNumber": "7"});
        assert!(keeps("Name eq 'x' or Name eq 'Anna' and CustomerNumber eq '7'", &item));
        assert!(!keeps("(Name eq 'x' or Name eq 'Anna') and CustomerNumber eq '8'", &item));
        assert!(keeps("not IsActive eq true", &item));
    }

    #[test]
    fn doubled_quotes_escape() {
        assert!(keeps("Name eq 'O''Brien'", &json!({"Name": "O'Brien"})));
    }

    #[test]
    fn type_mismatch_and_unknown_property_are_query_errors() {
        for bad in ["Name eq 5", "Nope eq 'x'", "IsActive gt true", "Id eq 'not-a-guid'", "Name eq", "(Name eq 'a'"] {
            let e = Filter::parse(bad, "CustomerApi").unwrap_err();
            assert_eq!(e.code, 6000, "{bad}: {}", e.message);
        }
        assert_eq!(Filter::parse("ChangedUtc gt 2024-13-45", "CustomerApi").unwrap_err().code, 6001);
    }
}
