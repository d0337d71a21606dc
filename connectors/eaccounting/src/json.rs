//! Reading eAccounting's JSON without trusting its shape: every accessor
//! names the field and the thing it was reading when the shape is wrong, so
//! a malformed answer becomes an `invalid` error a user can report, never a
//! trap.

use serde_json::{Map, Value};
use trestle_guest::Error;
use trestle_guest::errors::malformed;

pub fn parse(body: &[u8], what: &str) -> Result<Value, Error> {
    serde_json::from_slice(body).map_err(|e| {
        let start: String = String::from_utf8_lossy(body).chars().take(120).collect();
        Error::Invalid(format!("{what}: the answer is not JSON ({e}); it starts with {start:?}"))
    })
}

pub fn object<'a>(value: &'a Value, what: &str) -> Result<&'a Map<String, Value>, Error> {
    value.as_object().ok_or_else(|| malformed(what, "(root)", "expected a JSON object"))
}

/// A field that must be a non-empty string.
pub fn string(item: &Value, field: &str, what: &str) -> Result<String, Error> {
    optional_string(item, field, what)?.ok_or_else(|| malformed(what, field, "expected a non-empty string"))
}

/// A string field that may be missing, null or empty.
pub fn optional_string(item: &Value, field: &str, what: &str) -> Result<Option<String>, Error> {
    match item.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(malformed(what, field, format!("expected a string, got {other}"))),
    }
}

/// A number field; missing or null reads as 0, as the API leaves out zeros.
pub fn number(item: &Value, field: &str, what: &str) -> Result<f64, Error> {
    match item.get(field) {
        None | Some(Value::Null) => Ok(0.0),
        Some(Value::Number(n)) => n.as_f64().ok_or_else(|| malformed(what, field, "number out of range")),
        Some(other) => Err(malformed(what, field, format!("expected a number, got {other}"))),
    }
}

/// A boolean field; missing or null reads as false.
pub fn flag(item: &Value, field: &str, what: &str) -> Result<bool, Error> {
    match item.get(field) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(other) => Err(malformed(what, field, format!("expected true or false, got {other}"))),
    }
}

/// An array field; missing or null reads as empty.
pub fn array<'a>(item: &'a Value, field: &str, what: &str) -> Result<&'a [Value], Error> {
    match item.get(field) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(items)) => Ok(items),
        Some(other) => Err(malformed(what, field, format!("expected a list, got {other}"))),
    }
}

/// `Number` values compare by value (10 and 10.0 are the same price).
pub fn same(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) if a.is_number() && b.is_number() => (x - y).abs() < 1e-9,
        _ => a == b,
    }
}

pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}
