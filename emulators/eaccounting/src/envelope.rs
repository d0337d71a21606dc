//! The `Meta`/`Data` envelope every list GET answers with
//! (`PaginatedResponseOf…` with `CommonPaginationMetadata`).

use serde_json::{Value, json};

use crate::query::ListQuery;

/// One page of `items` (already filtered and sorted) in the envelope.
pub fn page(items: Vec<Value>, query: &ListQuery) -> Value {
    let total = items.len();
    let size = query.page_size as usize;
    // Zero results give zero pages: a client looping while
    // CurrentPage < TotalNumberOfPages stops after the first request.
    let pages = total.div_ceil(size);
    let data: Vec<Value> =
        items.into_iter().skip((query.page as usize - 1) * size).take(size).map(|item| query.project(item)).collect();
    json!({
        "Meta": {
            "CurrentPage": query.page,
            "PageSize": query.page_size,
            "TotalNumberOfPages": pages,
            "TotalNumberOfResults": total,
            "ServerTimeUtc": crate::books::now_utc(),
        },
        "Data": data,
    })
}
