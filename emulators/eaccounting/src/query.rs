//! Query options of list endpoints: `$page`, `$pagesize`, `$filter`,
//! `$orderby` and `$select`. Other OData options (`$top`, `$skip`, `$expand`
//! …) are refused, so a connector cannot come to rely on behaviour the
//! emulator does not model.

use std::cmp::Ordering;

use serde_json::Value;

use crate::config::{DEFAULT_PAGE_SIZE, StringComparison};
use crate::errors::ApiError;
use crate::filter::Filter;
use crate::schema::{FieldType, schemas};

#[derive(Debug)]
pub struct ListQuery {
    pub page: u32,
    pub page_size: u32,
    filter: Option<Filter>,
    order_by: Vec<(String, bool)>,
    select: Option<Vec<String>>,
}

impl ListQuery {
    /// Reads `raw` (the URL's query string) for a list of component `schema`.
    pub fn parse(raw: Option<&str>, schema: &str, max_page_size: u32) -> Result<Self, ApiError> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or_default())
            .map_err(|e| ApiError::query(format!("The query string cannot be read: {e}")))?;
        let mut query =
            ListQuery { page: 1, page_size: DEFAULT_PAGE_SIZE, filter: None, order_by: Vec::new(), select: None };
        for (name, value) in pairs {
            match name.as_str() {
                "$page" => query.page = positive(&name, &value)?,
                "$pagesize" => query.page_size = positive(&name, &value)?.min(max_page_size),
                "$filter" => query.filter = Some(Filter::parse(&value, schema)?),
                "$orderby" => query.order_by = order_by(&value, schema)?,
                "$select" => query.select = Some(select(&value, schema)?),
                other if other.starts_with('$') => {
                    return Err(ApiError::query(format!(
                        "The query option '{other}' is not supported by the emulator; use $page, $pagesize, $filter, $orderby or $select."
                    )));
                }
                // Endpoint parameters such as vatRateDate or customerId do not
                // change what the emulated books answer.
                _ => {}
            }
        }
        Ok(query)
    }

    /// Filters (strings compared as `strings` says) and sorts `items`;
    /// paging is left to the envelope.
    pub fn apply(&self, items: Vec<Value>, strings: StringComparison) -> Vec<Value> {
        let mut kept: Vec<Value> =
            items.into_iter().filter(|item| self.filter.as_ref().is_none_or(|f| f.matches(item, strings))).collect();
        if !self.order_by.is_empty() {
            kept.sort_by(|a, b| {
                self.order_by
                    .iter()
                    .map(|(field, descending)| {
                        let ordering = order_values(&a[field], &b[field]);
                        if *descending { ordering.reverse() } else { ordering }
                    })
                    .find(|o| *o != Ordering::Equal)
                    .unwrap_or(Ordering::Equal)
            });
        }
        kept
    }

    /// Applies `$select` to one item of the page.
    pub fn project(&self, item: Value) -> Value {
        match (&self.select, item) {
            (Some(fields), Value::Object(map)) => {
                Value::Object(map.into_iter().filter(|(k, _)| fields.contains(k)).collect())
            }
            (_, item) => item,
        }
    }
}

fn positive(name: &str, value: &str) -> Result<u32, ApiError> {
    value.parse::<u32>().ok().filter(|n| *n >= 1).ok_or_else(|| {
        ApiError::query(format!("The query option {name} must be a whole number of at least 1, got '{value}'."))
    })
}

fn known_field(schema: &str, field: &str) -> Result<FieldType, ApiError> {
    schemas()
        .field_type(schema, field)
        .ok_or_else(|| ApiError::query(format!("Could not find a property named '{field}' on type '{schema}'.")))
}

fn order_by(value: &str, schema: &str) -> Result<Vec<(String, bool)>, ApiError> {
    value
        .split(',')
        .map(|clause| {
            let mut words = clause.split_whitespace();
            let field = words.next().ok_or_else(|| ApiError::query("$orderby has an empty clause."))?;
            if known_field(schema, field)? == FieldType::Structured {
                return Err(ApiError::query(format!("$orderby cannot sort on the structured property '{field}'.")));
            }
            let descending = match words.next() {
                None | Some("asc") => false,
                Some("desc") => true,
                Some(other) => {
                    return Err(ApiError::query(format!("$orderby direction must be asc or desc, got '{other}'.")));
                }
            };
            Ok((field.to_string(), descending))
        })
        .collect()
}

fn select(value: &str, schema: &str) -> Result<Vec<String>, ApiError> {
    value.split(',').map(str::trim).map(|field| known_field(schema, field).map(|_| field.to_string())).collect()
}

/// Nulls first, then numbers, strings and booleans in their natural order.
fn order_values(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            x.as_f64().unwrap_or_default().partial_cmp(&y.as_f64().unwrap_or_default()).unwrap_or(Ordering::Equal)
        }
        (Value::String(x), Value::String(y)) => x.cmp(y),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Null, _) => Ordering::Less,
        (_, Value::Null) => Ordering::Greater,
        _ => Ordering::Equal,
    }
}
