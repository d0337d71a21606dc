//! `/users` and `/users/{id}`: registered customers (read only here; the
//! write side is not emulated).

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use super::{Id, personalinfo};
use crate::errors::{ApiError, ApiResult};
use crate::links::Links;
use crate::model::{User, find};
use crate::paging;
use crate::query::QueryParams;
use crate::state::AppState;

pub fn render(links: &Links, u: &User) -> Value {
    let path = format!("/users/{}", u.id);
    json!({
        "href": links.api(&path),
        "id": u.id,
        "username": u.username,
        "group_id": u.group_id,
        "status": u.status,
        "approval_status": u.approval_status,
        // "highest" or "lowest" (which category discount applies); highest is the default.
        "product_in_category_discount": "highest",
        "userinfo": personalinfo::render(&u.customer),
        "creditpoints": links.link(&format!("{path}/creditpoints")),
        "creditpointmutations": links.link(&format!("{path}/creditpointmutations")),
        "disabledpaymethods": links.link(&format!("{path}/disabledpaymethods")),
    })
}

pub async fn list(State(app): State<AppState>, links: Links, query: QueryParams) -> ApiResult<Json<Value>> {
    query.allow("users", &["approval_status"])?;
    let approval = query.str("approval_status");
    if let Some(a) = approval
        && a != "pending"
        && a != "accepted"
    {
        return Err(ApiError::validation(format!(
            "query parameter 'approval_status' must be pending or accepted, got '{a}'"
        )));
    }
    let order_by = query.order_by(&["id", "first_name", "last_name"])?;
    let shop = app.shop();
    let mut users: Vec<&User> =
        shop.users.values().filter(|u| approval.is_none_or(|a| u.approval_status == a)).collect();
    if let Some((field, desc)) = order_by {
        users.sort_by(|a, b| {
            let key = |u: &User| match field.as_str() {
                "first_name" => u.customer.person.first_name.clone(),
                "last_name" => u.customer.person.last_name.clone(),
                _ => format!("{:020}", u.id),
            };
            key(a).cmp(&key(b))
        });
        if desc {
            users.reverse();
        }
    }
    let items = users.into_iter().map(|u| render(&links, u)).collect();
    Ok(Json(paging::page(&links, &query, items)?))
}

pub async fn get(State(app): State<AppState>, links: Links, Id(id): Id) -> ApiResult<Json<Value>> {
    let shop = app.shop();
    Ok(Json(render(&links, find(&shop.users, "user", id)?)))
}
