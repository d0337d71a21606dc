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
    /// field errors. Every component has `additionalProperties: false`, so
    /// a property the schema does not name is one of them, reported with the
    /// message the API's JSON reader gives.
    pub fn validate(&self, name: &str, instance: &Value) -> Vec<FieldError> {
        let validator = self.validator(name);
        validator
            .iter_errors(instance)
            .flat_map(|e| {
                let pointer = e.instance_path().as_str().to_string();
                let path = dotnet_path(&pointer);
                let error = match e.kind() {
                    ValidationErrorKind::AdditionalProperties { unexpected } => {
                        let owner = self.component_at(name, &pointer);
                        return unexpected
                            .iter()
                            .map(|field| {
                                let message = format!("Could not find member '{field}' on object of type '{owner}'.");
                                FieldError::new(join(&path, field), "UnknownField", message)
                            })
                            .collect();
                    }
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
                };
                vec![error]
            })
            .collect()
    }

    /// Read-only properties set in `instance` (a request body for component
    /// `name`), nested objects and lists included.
    pub fn read_only_set(&self, name: &str, instance: &Value) -> Vec<FieldError> {
        let mut found = Vec::new();
        self.collect_read_only(name, instance, "", &mut found);
        found
    }

    fn collect_read_only(&self, name: &str, instance: &Value, path: &str, found: &mut Vec<FieldError>) {
        let Value::Object(values) = instance else {
            return;
        };
        let properties = &self.component(name)["properties"];
        for (field, value) in values {
            let Some(property) = properties.get(field) else {
                continue;
            };
            let at = join(path, field);
            if property["readOnly"] == true {
                let message = format!("The property {at} is read-only and cannot be set.");
                found.push(FieldError::new(at, "ReadOnly", message));
            } else if let Some(target) = ref_name(property) {
                self.collect_read_only(target, value, &at, found);
            } else if let (Some(target), Value::Array(items)) = (ref_name(&property["items"]), value) {
                for (i, item) in items.iter().enumerate() {
                    self.collect_read_only(target, item, &format!("{at}[{i}]"), found);
                }
            }
        }
    }

    /// The component that describes the object at `pointer` (a JSON pointer
    /// into an instance of component `name`).
    fn component_at<'s>(&'s self, name: &'s str, pointer: &str) -> &'s str {
        let mut current = name;
        let mut schema = self.component(name);
        for segment in pointer.split('/').filter(|s| !s.is_empty()) {
            let next = if segment.chars().all(|c| c.is_ascii_digit()) {
                &schema["items"]
            } else {
                &self.component(current)["properties"][segment]
            };
            match ref_name(next) {
                Some(target) => {
                    current = target;
                    schema = self.component(target);
                }
                None => schema = next,
            }
        }
        current
    }

    fn validator(&self, name: &str) -> Arc<jsonschema::Validator> {
        let mut cache = self.validators.lock().unwrap_or_else(|p| p.into_inner());
        cache
            .entry(name.to_string())
            .or_insert_with(|| {
                // The whole subset with a root `$ref`, so `#/components/...`
                // references resolve inside it.
                let mut root = self.document.clone();
                mark_plain_dates(&mut root["components"]["schemas"]);
                root["$ref"] = json!(format!("#/components/schemas/{name}"));
                let validator = jsonschema::options()
                    .with_draft(jsonschema::Draft::Draft202012)
                    .should_validate_formats(true)
                    .with_format("date-time", is_date_time)
                    .with_format(PLAIN_DATE, is_date_or_date_time)
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
    /// (read-only ones are ignored on write unless `Config::read_only_fields`
    /// refuses them; unknown ones were refused by `validate`).
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

/// The format of date-time properties whose description says "Expected date
/// format YYYY-MM-DD" (order and quote dates): a plain date passes there.
const PLAIN_DATE: &str = "eaccounting-plain-date";

/// Gives every date-time property documented as "YYYY-MM-DD" the
/// [`PLAIN_DATE`] format; the others stay RFC 3339 date-times, as typed.
fn mark_plain_dates(components: &mut Value) {
    let Value::Object(components) = components else {
        return;
    };
    for component in components.values_mut() {
        let Some(Value::Object(properties)) = component.get_mut("properties") else {
            continue;
        };
        for property in properties.values_mut() {
            let documented_as_date = property["description"].as_str().is_some_and(|d| d.contains("YYYY-MM-DD"));
            if property["format"] == "date-time" && documented_as_date {
                property["format"] = json!(PLAIN_DATE);
            }
        }
    }
}

/// RFC 3339 (`2026-12-01T00:00:00Z`, an offset or `Z` required), as JSON
/// Schema's `date-time`; a zone-less `2026-12-01T00:00:00` as .NET writes it.
fn is_date_time(text: &str) -> bool {
    chrono::DateTime::parse_from_rfc3339(text).is_ok()
        || chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f").is_ok()
}

fn is_date_or_date_time(text: &str) -> bool {
    is_date_time(text) || chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok()
}

/// The component a `$ref` property points at.
fn ref_name(property: &Value) -> Option<&str> {
    property["$ref"].as_str().map(|r| r.trim_start_matches("#/components/schemas/"))
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
    fn unknown_fields_are_named_with_the_type_that_lacks_them() {
        let body = json!({"Rows": [{"Text": "x", "transaction_id": "t"}], "track_and_trace_code": "3S"});
        let errors = schemas().validate("CustomerInvoiceApi", &body);
        let unknown: Vec<(&str, &str)> = errors
            .iter()
            .filter(|e| e.error_code == "UnknownField")
            .map(|e| (e.field.as_str(), e.message.as_str()))
            .collect();
        assert!(
            unknown.contains(&(
                "track_and_trace_code",
                "Could not find member 'track_and_trace_code' on object of type 'CustomerInvoiceApi'."
            )),
            "{unknown:?}"
        );
        assert!(
            unknown.contains(&(
                "Rows[0].transaction_id",
                "Could not find member 'transaction_id' on object of type 'CustomerInvoiceRowApi'."
            )),
            "{unknown:?}"
        );
    }

    #[test]
    fn dates_follow_each_property_documented_format() {
        let invalid = |component: &str, body: Value| {
            schemas().validate(component, &body).into_iter().map(|e| e.field).collect::<Vec<_>>()
        };
        assert!(invalid("OrderApi", json!({"OrderDate": "2026-12-01"})).iter().all(|f| f != "OrderDate"));
        assert!(invalid("CustomerInvoiceApi", json!({"InvoiceDate": "2026-12-01"})).contains(&"InvoiceDate".into()));
        let stamped = invalid("CustomerInvoiceApi", json!({"InvoiceDate": "2026-12-01T00:00:00Z"}));
        assert!(!stamped.contains(&"InvoiceDate".into()), "{stamped:?}");
    }

    #[test]
    fn read_only_properties_are_found_in_nested_rows() {
        let body = json!({"Id": "x", "Name": "n", "Rows": [{"Text": "t"}]});
        let fields: Vec<String> =
            schemas().read_only_set("CustomerInvoiceApi", &body).into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["Id"]);
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
