//! Custom fields from a tenant's mapping: (CCV field name, JSON value) pairs
//! merged into the outgoing payload, so any writable CCV field can be set.

use serde_json::Value;
use trestle_guest::Error;
use trestle_guest::types::CustomFields;

/// Parses each value as JSON, naming the field that is not.
pub fn parse(fields: &CustomFields) -> Result<Vec<(String, Value)>, Error> {
    fields
        .iter()
        .map(|(name, json)| {
            serde_json::from_str(json)
                .map(|value| (name.clone(), value))
                .map_err(|e| Error::Invalid(format!("custom field `{name}` does not hold JSON ({e}): {json}")))
        })
        .collect()
}

/// Sets every custom field on `body` (a JSON object), overriding what the
/// connector put there itself.
pub fn merge(body: &mut Value, fields: &CustomFields) -> Result<(), Error> {
    for (name, value) in parse(fields)? {
        body[name.as_str()] = value;
    }
    Ok(())
}
