//! The official OpenAPI component schemas (a committed subset, embedded so the
//! emulator needs no spec files at run time): request validation, the full
//! shape of responses, field types for `$filter`, and per-operation scopes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use jsonschema::error::ValidationErrorKind;
use serde_json::{Map, Value, json};

use crate::errors::FieldError;

const SUBSET: &str = include_str!("../schemas/openapi-subset.json");
const NIL_GUID: &str = "00000000-0000-0000-0000-000000000000";

/// A property's type as `$filter` sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    String,
    Guid,
    DateTime,
    Number,
    Bool,
    /// Objects and arrays: not comparable.
    Structured,
}

pub struct Schemas {
    document: Value,
    validators: Mutex<HashMap<String, Arc<jsonschema::Validator>>>,
}

/// The schemas, parsed once per process.
pub fn schemas() -> &'static Schemas {
    static SCHEMAS: OnceLock<Schemas> = OnceLock::new();
    SCHEMAS.get_or_init(|| Schemas {
        document: serde_json::from_str(SUBSET).expect("embedded schema subset is JSON"),
        validators: Mutex::new(HashMap::new()),
    })
}

impl Schemas {
    pub fn component(&self, name: &str) -> &Value {
        let schema = &self.document["components"]["schemas"][name];
        assert!(schema.is_object(), "schema {name} is not in the embedded subset");
        schema
    }

    /// Scopes of which any one grants `METHOD /collection[/{id}]`.
    pub fn scopes(&self, operation: &str) -> &[Value] {
        self.document["x-scopes"][operation].as_array().map(Vec::as_slice).unwrap_or_default()
    }

    /// Rule breaks of `instance` against component `name`, as eAccounting's
    /// field errors. Unknown properties are not reported: like the real
    /// (ASP.NET) API, the emulator ignores them.
    pub fn validate(&self, name: &str, instance: &Value) -> Vec<FieldError> {
        let validator = self.validator(name);
        validator
            .iter_errors(instance)
            .filter(|e| !matches!(e.kind(), ValidationErrorKind::AdditionalProperties { .. }))
            .map(|e| {
                let path = dotnet_path(e.instance_path().as_str());
                match e.kind() {
                    ValidationErrorKind::Required { property } => {
                        let field = join(&path, property.as_str().unwrap_or_default());
                        let message = format!("The {field} field is required.");
                        FieldError::new(field, "Required", message)
                    }
                    ValidationErrorKind::MaxLength { limit } => {
                        let message = format!("The field {path} must be a string with a maximum length of {limit}.");
                        FieldError::new(path, "MaxLength", message)
                    }
                    ValidationErrorKind::Minimum { .. } | ValidationErrorKind::Maximum { .. } => {
                        FieldError::new(path.clone(), "Range", format!("The field {path} is out of range: {e}"))
                    }
                    ValidationErrorKind::Type { .. } | ValidationErrorKind::Format { .. } => {
                        FieldError::new(path.clone(), "InvalidValue", format!("The value for {path} is not valid: {e}"))
                    }
                    _ => FieldError::new(path.clone(), "Invalid", format!("{path}: {e}")),
                }
            })
            .collect()
    }

    fn validator(&self, name: &str) -> Arc<jsonschema::Validator> {
        let mut cache = self.validators.lock().unwrap_or_else(|p| p.into_inner());
        cache
            .entry(name.to_string())
            .or_insert_with(|| {
                // The whole subset with a root `$ref`, so `#/components/...`
                // references resolve inside it.
                let mut root = self.document.clone();
                root["$ref"] = json!(format!("#/components/schemas/{name}"));
                let validator = jsonschema::options()
                    .with_draft(jsonschema::Draft::Draft202012)
                    .should_validate_formats(true)
                    .with_format("date-time", is_accepted_date_time)
                    .build(&root)
                    .unwrap_or_else(|e| panic!("schema {name} of the embedded subset does not compile: {e}"));
                Arc::new(validator)
            })
            .clone()
    }

    /// The type of `field` on component `name`, if it has that property.
    pub fn field_type(&self, name: &str, field: &str) -> Option<FieldType> {
        let property = self.component(name)["properties"].get(field)?;
        if property.get("$ref").is_some() {
            return Some(FieldType::Structured);
        }
        let types: Vec<&str> = match &property["type"] {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        Some(match (types.iter().find(|t| **t != "null").copied(), property["format"].as_str()) {
            (Some("string"), Some("uuid")) => FieldType::Guid,
            (Some("string"), Some("date-time")) => FieldType::DateTime,
            (Some("string"), _) => FieldType::String,
            (Some("integer" | "number"), _) => FieldType::Number,
            (Some("boolean"), _) => FieldType::Bool,
            _ => FieldType::Structured,
        })
    }

    /// Every property of component `name` with the value the API shows when
    /// nothing was set: responses carry all properties, as the real ones do.
    pub fn blank(&self, name: &str) -> Map<String, Value> {
        self.blank_at_depth(name, 0)
    }

    /// `values` (an object) completed with the blank value of every other
    /// property of component `name`.
    pub fn complete(&self, name: &str, values: Value) -> Value {
        let mut item = self.blank(name);
        if let Value::Object(values) = values {
            item.extend(values);
        }
        Value::Object(item)
    }

    /// The properties of `input` a client may set on component `name`
    /// (read-only and unknown ones are ignored on write, as the API does).
    pub fn writable(&self, name: &str, input: &Map<String, Value>) -> Map<String, Value> {
        let properties = &self.component(name)["properties"];
        input
            .iter()
            .filter(|(field, _)| properties.get(field.as_str()).is_some_and(|p| p["readOnly"] != true))
            .map(|(field, value)| (field.clone(), value.clone()))
            .collect()
    }

    fn blank_at_depth(&self, name: &str, depth: usize) -> Map<String, Value> {
        let properties = self.component(name)["properties"].as_object().cloned().unwrap_or_default();
        properties.iter().map(|(field, property)| (field.clone(), self.blank_value(property, depth))).collect()
    }

    fn blank_value(&self, property: &Value, depth: usize) -> Value {
        if let Some(target) = property["$ref"].as_str() {
            let name = target.trim_start_matches("#/components/schemas/");
            let is_object = self.component(name)["type"] == "object";
            return if is_object && depth < 2 {
                Value::Object(self.blank_at_depth(name, depth + 1))
            } else {
                Value::Null
            };
        }
        match &property["type"] {
            Value::Array(types) if types.iter().any(|t| t == "null") => Value::Null,
            Value::String(t) => match (t.as_str(), property["format"].as_str()) {
                ("boolean", _) => json!(false),
                ("integer", _) => json!(property["minimum"].as_i64().unwrap_or(0).max(0)),
                ("number", _) => json!(0.0),
                ("string", Some("uuid")) => json!(NIL_GUID),
                ("string", Some("date-time")) => json!("0001-01-01T00:00:00Z"),
                ("string", _) => json!(""),
                ("array", _) => json!([]),
                _ => json!({}),
            },
            _ => Value::Null,
        }
    }
}

/// Request dates are documented as "YYYY-MM-DD" although typed date-time, so
/// both a date and an RFC 3339 timestamp (with or without offset) pass.
fn is_accepted_date_time(text: &str) -> bool {
    chrono::DateTime::parse_from_rfc3339(text).is_ok()
        || chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f").is_ok()
        || chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok()
}

/// JSON pointer `/Rows/0/ArticleId` → `Rows[0].ArticleId`.
fn dotnet_path(pointer: &str) -> String {
    pointer.split('/').filter(|s| !s.is_empty()).fold(String::new(), |path, segment| {
        if segment.chars().all(|c| c.is_ascii_digit()) { format!("{path}[{segment}]") } else { join(&path, segment) }
    })
}

fn join(path: &str, field: &str) -> String {
    if path.is_empty() { field.to_string() } else { format!("{path}.{field}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_read_like_model_state_keys() {
        assert_eq!(dotnet_path("/Rows/0/ArticleId"), "Rows[0].ArticleId");
        assert_eq!(dotnet_path(""), "");
    }

    #[test]
    fn a_missing_required_field_is_named() {
        let errors = schemas().validate("ArticleApi", &json!({"Name": "x"}));
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        for required in ["Number", "IsActive", "CodingId", "UnitId"] {
            assert!(fields.contains(&required), "{required} missing from {fields:?}");
        }
    }
}
