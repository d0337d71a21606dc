//! Query-string filters: only the documented names are accepted, so a
//! connector relying on a filter the real API lacks fails here, not in
//! production (a real shop would silently ignore it and return everything).

use std::str::FromStr;

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use chrono::NaiveDate;

use crate::errors::{ApiError, ApiResult};

/// Parameters every collection accepts.
const COMMON: &[&str] = &["start", "size", "orderby", "expand"];

#[derive(Debug, Clone)]
pub struct QueryParams {
    pairs: Vec<(String, String)>,
}

impl<S: Send + Sync> FromRequestParts<S> for QueryParams {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let Query(pairs) = Query::<Vec<(String, String)>>::try_from_uri(&parts.uri)
            .map_err(|e| ApiError::validation(format!("malformed query string: {e}")))?;
        Ok(Self { pairs })
    }
}

impl QueryParams {
    /// Refuses any parameter not in `filters` (or the common paging ones).
    pub fn allow(&self, resource: &str, filters: &[&str]) -> ApiResult<&Self> {
        for (name, _) in &self.pairs {
            if !filters.contains(&name.as_str()) && !COMMON.contains(&name.as_str()) {
                return Err(ApiError::validation(format!(
                    "unknown query parameter '{name}' for {resource}; allowed: {}",
                    [COMMON, filters].concat().join(", ")
                )));
            }
        }
        Ok(self)
    }

    pub fn str(&self, name: &str) -> Option<&str> {
        self.pairs.iter().rev().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// A typed filter value; `what` describes the expected form for the error.
    pub fn parse<T: FromStr>(&self, name: &str, what: &str) -> ApiResult<Option<T>> {
        self.str(name)
            .map(|v| {
                v.parse::<T>()
                    .map_err(|_| ApiError::validation(format!("query parameter '{name}' must be {what}, got '{v}'")))
            })
            .transpose()
    }

    /// Booleans are written `true`/`false`.
    pub fn bool(&self, name: &str) -> ApiResult<Option<bool>> {
        self.parse(name, "true or false")
    }

    pub fn date(&self, name: &str) -> ApiResult<Option<NaiveDate>> {
        self.str(name)
            .map(|v| {
                NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| {
                    ApiError::validation(format!("query parameter '{name}' must be a date like 2020-01-31, got '{v}'"))
                })
            })
            .transpose()
    }

    /// The `orderby` field and whether it is descending (`<field>_desc`),
    /// refused unless the field is one of `fields`.
    pub fn order_by(&self, fields: &[&str]) -> ApiResult<Option<(String, bool)>> {
        let Some(raw) = self.str("orderby") else {
            return Ok(None);
        };
        let (field, desc) = match raw.strip_suffix("_desc") {
            Some(f) => (f, true),
            None => (raw, false),
        };
        if !fields.contains(&field) {
            return Err(ApiError::validation(format!(
                "cannot order by '{raw}'; allowed: {} (append _desc to reverse)",
                fields.join(", ")
            )));
        }
        Ok(Some((field.to_string(), desc)))
    }

    /// The comma-separated `expand` list.
    pub fn expands(&self, name: &str) -> bool {
        self.str("expand").is_some_and(|e| e.split(',').any(|x| x.trim() == name))
    }
}
