//! The values that cross the storage interface: what a query binds and what
//! a row holds, the same for SQLite and PostgreSQL. Rows are read into owned
//! values, so callers never see a backend's row type.

use anyhow::Context;

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
}

impl Value {
    fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Integer(_) => "an integer",
            Value::Real(_) => "a real",
            Value::Text(_) => "text",
        }
    }
}

/// What a query binds: `args![tenant, flow, limit]`.
pub trait ToValue {
    fn to_value(&self) -> Value;
}

/// The arguments of a query, each taken by reference.
#[macro_export]
macro_rules! args {
    ($($arg:expr),* $(,)?) => {
        &[$($crate::storage::ToValue::to_value(&$arg)),*][..]
    };
}

impl<T: ToValue + ?Sized> ToValue for &T {
    fn to_value(&self) -> Value {
        (**self).to_value()
    }
}

impl<T: ToValue> ToValue for Option<T> {
    fn to_value(&self) -> Value {
        self.as_ref().map_or(Value::Null, ToValue::to_value)
    }
}

impl ToValue for str {
    fn to_value(&self) -> Value {
        Value::Text(self.to_string())
    }
}

impl ToValue for String {
    fn to_value(&self) -> Value {
        Value::Text(self.clone())
    }
}

impl ToValue for f64 {
    fn to_value(&self) -> Value {
        Value::Real(*self)
    }
}

macro_rules! integers {
    ($($t:ty),*) => {$(
        impl ToValue for $t {
            fn to_value(&self) -> Value {
                // Counts and ids beyond i64 do not occur; saturate rather than wrap.
                Value::Integer(i64::try_from(*self).unwrap_or(i64::MAX))
            }
        }
        impl FromValue for $t {
            fn from_value(value: &Value) -> anyhow::Result<Self> {
                match value {
                    Value::Integer(i) => <$t>::try_from(*i).with_context(|| format!("{i} is out of range")),
                    other => anyhow::bail!("expected an integer, found {}", other.kind()),
                }
            }
        }
    )*};
}
integers!(i64, i32, u32, u64, usize);

/// What a row's column is read as: `row.get::<String>(0)`.
pub trait FromValue: Sized {
    fn from_value(value: &Value) -> anyhow::Result<Self>;
}

impl FromValue for String {
    fn from_value(value: &Value) -> anyhow::Result<Self> {
        match value {
            Value::Text(s) => Ok(s.clone()),
            other => anyhow::bail!("expected text, found {}", other.kind()),
        }
    }
}

impl FromValue for f64 {
    fn from_value(value: &Value) -> anyhow::Result<Self> {
        match value {
            Value::Real(r) => Ok(*r),
            Value::Integer(i) => Ok(*i as f64),
            other => anyhow::bail!("expected a number, found {}", other.kind()),
        }
    }
}

impl FromValue for Value {
    fn from_value(value: &Value) -> anyhow::Result<Self> {
        Ok(value.clone())
    }
}

impl<T: FromValue> FromValue for Option<T> {
    fn from_value(value: &Value) -> anyhow::Result<Self> {
        match value {
            Value::Null => Ok(None),
            other => T::from_value(other).map(Some),
        }
    }
}

/// One row of a result, its columns in the order the query named them.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub values: Vec<Value>,
}

impl Row {
    pub fn get<T: FromValue>(&self, column: usize) -> anyhow::Result<T> {
        let value = self.values.get(column).with_context(|| format!("the row has no column {column}"))?;
        T::from_value(value).with_context(|| format!("column {column}"))
    }
}
