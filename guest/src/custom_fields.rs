//! A tenant mapping's custom fields: (field, JSON text) pairs a connector
//! merges into what it sends, so any field of the target API can be set
//! that the canonical records do not name. Each value is parsed once; one
//! that is not JSON is refused, naming the field and the record.

use serde_json::Value;

use crate::Error;

/// Every custom field with its value parsed; `what` names the record for
/// the error ("product TEA-01").
pub fn parse(fields: &[(String, String)], what: &str) -> Result<Vec<(String, Value)>, Error> {
    fields.iter().map(|(field, text)| Ok((field.clone(), value(field, text, what)?))).collect()
}

/// One custom field's value.
pub fn value(field: &str, text: &str, what: &str) -> Result<Value, Error> {
    serde_json::from_str(text).map_err(|e| {
        Error::Invalid(format!(
            "{what}: custom field `{field}` must hold a JSON value (a string needs quotes), got {text:?}: {e}"
        ))
    })
}

/// Sets each field on `body` (a JSON object), over what the connector put
/// there itself.
pub fn merge(body: &mut Value, fields: Vec<(String, Value)>) {
    if let Some(object) = body.as_object_mut() {
        object.extend(fields);
    }
}
