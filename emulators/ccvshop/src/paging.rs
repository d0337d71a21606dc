//! `start`/`size` paging: the envelope carries absolute `first`/`previous`/
//! `next` links and, like the real API, no total count.

use serde_json::{Value, json};

use crate::errors::{ApiError, ApiResult};
use crate::links::Links;
use crate::query::QueryParams;

/// Page size when the client names none (unconfirmed, see UNCONFIRMED.md).
pub const DEFAULT_SIZE: usize = 25;
/// Larger sizes are clamped to this (unconfirmed).
pub const MAX_SIZE: usize = 250;

/// Cuts `items` to the requested page and wraps it in the collection envelope.
pub fn page(links: &Links, query: &QueryParams, items: Vec<Value>) -> ApiResult<Value> {
    let start: usize = query.parse("start", "an integer of at least 0")?.unwrap_or(0);
    let size: i64 = query.parse("size", "an integer of at least 1")?.unwrap_or(DEFAULT_SIZE as i64);
    if size < 1 {
        return Err(ApiError::validation(format!("query parameter 'size' must be at least 1, got {size}")));
    }
    let size = (size as usize).min(MAX_SIZE);
    let total = items.len();
    let at = |start: usize| Value::String(link_with(links, start, size));
    let body = json!({
        "href": links.current(),
        "start": start,
        "size": size,
        "first": at(0),
        "previous": if start == 0 { Value::Null } else { at(start.saturating_sub(size)) },
        "next": if start + size < total { at(start + size) } else { Value::Null },
        "items": items.into_iter().skip(start).take(size).collect::<Vec<_>>(),
    });
    Ok(body)
}

/// A collection that is not paginated.
pub fn unpaged(links: &Links, items: Vec<Value>) -> Value {
    json!({ "href": links.current(), "items": items })
}

/// The current URL with `start` and `size` replaced; other parameters keep
/// their original (still encoded) form and order.
fn link_with(links: &Links, start: usize, size: usize) -> String {
    let kept = links.target.query.iter().flat_map(|q| q.split('&')).filter(|pair| {
        let name = pair.split('=').next().unwrap_or_default();
        !pair.is_empty() && name != "start" && name != "size"
    });
    let query: Vec<String> =
        kept.map(str::to_string).chain([format!("start={start}"), format!("size={size}")]).collect();
    format!("{}{}?{}", links.origin, links.target.path, query.join("&"))
}
