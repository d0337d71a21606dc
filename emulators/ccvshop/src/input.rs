//! Request bodies checked against a resource's input schema: unknown
//! properties, wrong types and missing required fields give 400 with a
//! message naming the property. `null` counts as "not given".

use serde_json::{Map, Value};

use crate::errors::{ApiError, ApiResult};

/// The writable properties of one input schema.
pub struct Schema {
    /// e.g. "internal.resource.products.post.v1".
    pub name: &'static str,
    /// Properties the emulator acts on (read with the typed getters).
    pub fields: &'static [&'static str],
    /// Properties it only keeps as written and renders back, with their
    /// documented type.
    pub stored: &'static [(&'static str, Kind)],
    /// Read-side names clients mistakenly write, with the name to use instead.
    pub renamed: &'static [(&'static str, &'static str)],
}

/// A stored property's JSON type.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Text,
    Number,
    Integer,
    Flag,
}

impl Kind {
    fn fits(self, value: &Value) -> bool {
        match self {
            Kind::Text => value.is_string(),
            Kind::Number => value.is_number(),
            Kind::Integer => value.is_i64() || value.is_u64(),
            Kind::Flag => value.is_boolean(),
        }
    }

    fn what(self) -> &'static str {
        match self {
            Kind::Text => "a string",
            Kind::Number => "a number",
            Kind::Integer => "an integer",
            Kind::Flag => "true or false",
        }
    }
}

impl Schema {
    fn allows(&self, key: &str) -> bool {
        self.fields.contains(&key) || self.stored.iter().any(|(name, _)| *name == key)
    }

    fn allowed(&self) -> String {
        self.fields.iter().copied().chain(self.stored.iter().map(|(name, _)| *name)).collect::<Vec<_>>().join(", ")
    }
}

pub struct Input {
    schema: &'static Schema,
    object: Map<String, Value>,
}

impl Input {
    pub fn parse(body: &[u8], schema: &'static Schema) -> ApiResult<Self> {
        let value: Value = serde_json::from_slice(body)
            .map_err(|e| ApiError::validation(format!("request body is not valid JSON ({e})")))?;
        Self::from_value(value, schema)
    }

    pub fn from_value(value: Value, schema: &'static Schema) -> ApiResult<Self> {
        let Value::Object(object) = value else {
            return Err(ApiError::validation(format!("{}: request body must be a JSON object", schema.name)));
        };
        for key in object.keys() {
            if let Some((_, instead)) = schema.renamed.iter().find(|(read, _)| read == key) {
                return Err(ApiError::validation(format!(
                    "{}: property '{key}' is read-only; write '{instead}' instead",
                    schema.name
                )));
            }
            if !schema.allows(key) {
                return Err(ApiError::validation(format!(
                    "{}: unknown property '{key}'; allowed: {}",
                    schema.name,
                    schema.allowed()
                )));
            }
        }
        let input = Self { schema, object };
        input.stored()?;
        Ok(input)
    }

    /// The stored properties given (not null), type-checked.
    pub fn stored(&self) -> ApiResult<Vec<(String, Value)>> {
        let mut given = Vec::new();
        for (name, kind) in self.schema.stored {
            match self.object.get(*name) {
                None | Some(Value::Null) => {}
                Some(v) if kind.fits(v) => given.push((name.to_string(), v.clone())),
                Some(v) => return Err(self.invalid(name, &format!("must be {}, got {v}", kind.what()))),
            }
        }
        Ok(given)
    }

    pub fn has(&self, key: &str) -> bool {
        self.object.get(key).is_some_and(|v| !v.is_null())
    }

    fn typed<T>(&self, key: &str, what: &str, get: impl Fn(&Value) -> Option<T>) -> ApiResult<Option<T>> {
        match self.object.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => get(v).map(Some).ok_or_else(|| {
                ApiError::validation(format!("{}: property '{key}' must be {what}, got {v}", self.schema.name))
            }),
        }
    }

    pub fn str(&self, key: &str) -> ApiResult<Option<String>> {
        self.typed(key, "a string", |v| v.as_str().map(str::to_string))
    }

    pub fn f64(&self, key: &str) -> ApiResult<Option<f64>> {
        self.typed(key, "a number", Value::as_f64)
    }

    pub fn u64(&self, key: &str) -> ApiResult<Option<u64>> {
        self.typed(key, "a non-negative integer", Value::as_u64)
    }

    pub fn bool(&self, key: &str) -> ApiResult<Option<bool>> {
        self.typed(key, "true or false", Value::as_bool)
    }

    pub fn object(&self, key: &str, schema: &'static Schema) -> ApiResult<Option<Input>> {
        self.typed(key, "an object", |v| v.as_object().cloned())?
            .map(|o| Input::from_value(Value::Object(o), schema))
            .transpose()
    }

    pub fn array(&self, key: &str, schema: &'static Schema) -> ApiResult<Option<Vec<Input>>> {
        self.typed(key, "an array", |v| v.as_array().cloned())?
            .map(|items| items.into_iter().map(|v| Input::from_value(v, schema)).collect())
            .transpose()
    }

    /// Fails with "required property missing" when `value` is `None`.
    pub fn required<T>(&self, key: &str, value: Option<T>) -> ApiResult<T> {
        value.ok_or_else(|| ApiError::validation(format!("{}: required property '{key}' is missing", self.schema.name)))
    }

    pub fn invalid(&self, key: &str, why: &str) -> ApiError {
        ApiError::validation(format!("{}: property '{key}' {why}", self.schema.name))
    }
}
