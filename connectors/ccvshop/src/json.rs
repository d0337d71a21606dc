//! Reading CCV Shop's JSON without trusting its shape: every accessor knows
//! the path of the field it reads, so a surprise becomes an `invalid` error
//! that names the field ("order 7: field `customer.billingaddress.country_code`
//! ..."), never a panic.

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};
use serde_json::Value;
use trestle_guest::Error;
use trestle_guest::errors::malformed;

static NULL: Value = Value::Null;

/// Parses a response body; `what` says which answer it was, for the error.
pub fn parse(body: &[u8], what: &str) -> Result<Value, Error> {
    serde_json::from_slice(body).map_err(|e| {
        let start: String = String::from_utf8_lossy(body).chars().take(80).collect();
        Error::Invalid(format!("{what}: CCV Shop answered with something that is not JSON ({e}): {start:?}"))
    })
}

/// A value inside a response, with the path that led to it.
#[derive(Clone)]
pub struct Node<'a> {
    value: &'a Value,
    path: String,
    /// The record being read, e.g. "CCV Shop order 7".
    what: &'a str,
}

impl<'a> Node<'a> {
    pub fn root(value: &'a Value, what: &'a str) -> Self {
        Self { value, path: String::new(), what }
    }

    pub fn value(&self) -> &'a Value {
        self.value
    }

    fn child(&self, name: &str) -> Node<'a> {
        let path = if self.path.is_empty() { name.to_string() } else { format!("{}.{name}", self.path) };
        Node { value: self.value.get(name).unwrap_or(&NULL), path, what: self.what }
    }

    /// The error for field `name` not holding `expected`.
    pub fn invalid(&self, name: &str, expected: &str) -> Error {
        self.child(name).error(expected)
    }

    /// The error for field `name` being needed but absent, saying why.
    pub fn needed(&self, name: &str, why: &str) -> Error {
        let child = self.child(name);
        malformed(self.what, &child.path, why)
    }

    fn error(&self, expected: &str) -> Error {
        let got = match self.value {
            Value::Null => "it is missing".to_string(),
            other => {
                let shown: String = other.to_string().chars().take(60).collect();
                format!("expected {expected}, got {shown}")
            }
        };
        let field = if self.path.is_empty() { "(the whole answer)" } else { &self.path };
        malformed(self.what, field, got)
    }

    /// `None` for a missing or null field, else what `read` makes of it.
    fn optional<T>(&self, name: &str, read: impl Fn(&Node<'a>) -> Result<T, Error>) -> Result<Option<T>, Error> {
        let child = self.child(name);
        if child.value.is_null() { Ok(None) } else { read(&child).map(Some) }
    }

    fn required<T>(&self, name: &str, read: impl Fn(&Node<'a>) -> Result<T, Error>) -> Result<T, Error> {
        read(&self.child(name))
    }

    fn as_str(&self) -> Result<String, Error> {
        self.value.as_str().map(str::to_string).ok_or_else(|| self.error("a string"))
    }

    /// Numbers may arrive as JSON numbers or as numeric strings.
    fn as_f64(&self) -> Result<f64, Error> {
        match self.value {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
        .ok_or_else(|| self.error("a number"))
    }

    fn as_u64(&self) -> Result<u64, Error> {
        match self.value {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
        .ok_or_else(|| self.error("a whole number"))
    }

    fn as_bool(&self) -> Result<bool, Error> {
        self.value.as_bool().ok_or_else(|| self.error("true or false"))
    }

    pub fn str(&self, name: &str) -> Result<String, Error> {
        self.required(name, Node::as_str)
    }

    /// A string, or `None` when missing, null or blank (CCV sends "" for
    /// "not filled in").
    pub fn opt_str(&self, name: &str) -> Result<Option<String>, Error> {
        Ok(self.optional(name, Node::as_str)?.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()))
    }

    /// A field the docs give no type, as text: a string, number or boolean
    /// as it came ("true", "2.5"); `None` when missing, null or blank. For
    /// fields nothing depends on but a label, so a shop that sends another
    /// type than ours still works.
    pub fn lenient(&self, name: &str) -> Result<Option<String>, Error> {
        let child = self.child(name);
        let text = match child.value {
            Value::Null => return Ok(None),
            Value::String(s) => s.trim().to_string(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            _ => return Err(child.error("a string, number or boolean")),
        };
        Ok(Some(text).filter(|t| !t.is_empty()))
    }

    pub fn f64(&self, name: &str) -> Result<f64, Error> {
        self.required(name, Node::as_f64)
    }

    /// A number, 0 when missing or null.
    pub fn f64_or_zero(&self, name: &str) -> Result<f64, Error> {
        Ok(self.optional(name, Node::as_f64)?.unwrap_or(0.0))
    }

    pub fn u64(&self, name: &str) -> Result<u64, Error> {
        self.required(name, Node::as_u64)
    }

    pub fn opt_u64(&self, name: &str) -> Result<Option<u64>, Error> {
        self.optional(name, Node::as_u64)
    }

    /// Ids are integers in CCV; the contract passes them as text.
    pub fn id(&self, name: &str) -> Result<String, Error> {
        self.u64(name).map(|id| id.to_string())
    }

    pub fn bool(&self, name: &str) -> Result<bool, Error> {
        self.required(name, Node::as_bool)
    }

    /// A boolean, false when missing or null.
    pub fn bool_or_false(&self, name: &str) -> Result<bool, Error> {
        Ok(self.optional(name, Node::as_bool)?.unwrap_or(false))
    }

    /// A house number: an integer in CCV, but tolerated as text; 0 or blank
    /// means none.
    pub fn house_number(&self, name: &str) -> Result<Option<String>, Error> {
        let child = self.child(name);
        match child.value {
            Value::Null => Ok(None),
            Value::Number(n) => match n.as_u64() {
                Some(0) => Ok(None),
                Some(n) => Ok(Some(n.to_string())),
                None => Err(child.error("a whole number")),
            },
            Value::String(s) => Ok(Some(s.trim().to_string()).filter(|s| !s.is_empty() && s != "0")),
            _ => Err(child.error("a house number")),
        }
    }

    /// A UTC timestamp (RFC 3339, or without zone meaning UTC), normalised to
    /// RFC 3339 with a `Z`.
    pub fn timestamp(&self, name: &str) -> Result<DateTime<Utc>, Error> {
        self.required(name, |node| {
            let text = node.as_str()?;
            parse_timestamp(&text).ok_or_else(|| node.error("an ISO 8601 timestamp"))
        })
    }

    pub fn object(&self, name: &str) -> Result<Node<'a>, Error> {
        self.required(name, |node| if node.value.is_object() { Ok(node.clone()) } else { Err(node.error("an object")) })
    }

    pub fn opt_object(&self, name: &str) -> Result<Option<Node<'a>>, Error> {
        self.optional(name, |node| if node.value.is_object() { Ok(node.clone()) } else { Err(node.error("an object")) })
    }

    /// The elements of an array field, each with its index in the path.
    pub fn array(&self, name: &str) -> Result<Vec<Node<'a>>, Error> {
        self.required(name, Node::elements)
    }

    pub fn opt_array(&self, name: &str) -> Result<Option<Vec<Node<'a>>>, Error> {
        self.optional(name, Node::elements)
    }

    fn elements(&self) -> Result<Vec<Node<'a>>, Error> {
        let items = self.value.as_array().ok_or_else(|| self.error("a list"))?;
        Ok(items
            .iter()
            .enumerate()
            .map(|(i, value)| Node { value, path: format!("{}[{i}]", self.path), what: self.what })
            .collect())
    }
}

pub fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    DateTime::parse_from_rfc3339(text)
        .or_else(|_| DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f%z"))
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S"]
                .iter()
                .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
                .map(|t| t.and_utc())
        })
}

/// RFC 3339 in UTC with a `Z`, as the contract wants timestamps.
pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}
