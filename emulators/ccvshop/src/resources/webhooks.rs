//! `/webhooks` and `/webhooks/{id}`: registration of callback URLs. The
//! response to POST carries the per-webhook `key` that signs deliveries.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::{Id, created};
use crate::auth::hmac_sha512_hex;
use crate::errors::{ApiError, ApiResult};
use crate::input::{Input, Schema};
use crate::links::Links;
use crate::model::webhook::EVENTS;
use crate::model::{Webhook, find, find_mut};
use crate::paging;
use crate::query::QueryParams;
use crate::state::AppState;

const WEBHOOK_POST: Schema = Schema {
    name: "internal.resource.webhooks.post.v1",
    stored: &[],
    fields: &["event", "address", "is_active"],
    renamed: &[],
};

const WEBHOOK_PATCH: Schema = Schema {
    name: "internal.resource.webhooks.patch.v1",
    stored: &[],
    fields: &["address", "is_active"],
    renamed: &[],
};

fn render(links: &Links, w: &Webhook) -> Value {
    json!({
        "href": links.api(&format!("/webhooks/{}", w.id)),
        "id": w.id,
        "createdate": w.createdate.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "event": w.event,
        "address": w.address,
        "key": w.key,
        "is_active": w.is_active,
    })
}

fn checked_address(input: &Input) -> ApiResult<Option<String>> {
    let address = input.str("address")?;
    if let Some(a) = &address
        && !(a.starts_with("http://") || a.starts_with("https://"))
    {
        return Err(input.invalid("address", "must be an absolute http(s) URL"));
    }
    Ok(address)
}

pub async fn list(State(app): State<AppState>, links: Links, query: QueryParams) -> ApiResult<Json<Value>> {
    query.allow("webhooks", &[])?;
    let shop = app.shop();
    let items = shop.webhooks.values().map(|w| render(&links, w)).collect();
    Ok(Json(paging::page(&links, &query, items)?))
}

pub async fn get(State(app): State<AppState>, links: Links, Id(id): Id) -> ApiResult<Json<Value>> {
    let shop = app.shop();
    Ok(Json(render(&links, find(&shop.webhooks, "webhook", id)?)))
}

pub async fn post(State(app): State<AppState>, links: Links, body: Bytes) -> ApiResult<(StatusCode, Json<Value>)> {
    let input = Input::parse(&body, &WEBHOOK_POST)?;
    let event = input.required("event", input.str("event")?)?;
    if !EVENTS.contains(&event.as_str()) {
        return Err(input.invalid("event", &format!("'{event}' is not a known event; known: {}", EVENTS.join(", "))));
    }
    let address = input.required("address", checked_address(&input)?)?;
    let mut shop = app.shop();
    let id = shop.new_id();
    let key = hmac_sha512_hex(&app.config.secret_key, format!("webhook-{id}").as_bytes())[..32].to_string();
    let webhook = Webhook {
        id,
        createdate: app.config.now(),
        event,
        address,
        key,
        is_active: input.bool("is_active")?.unwrap_or(true),
    };
    let body = render(&links, &webhook);
    shop.webhooks.insert(id, webhook);
    Ok(created(body))
}

pub async fn patch(State(app): State<AppState>, Id(id): Id, body: Bytes) -> ApiResult<StatusCode> {
    let input = Input::parse(&body, &WEBHOOK_PATCH)?;
    let address = checked_address(&input)?;
    let is_active = input.bool("is_active")?;
    let mut shop = app.shop();
    let webhook = find_mut(&mut shop.webhooks, "webhook", id)?;
    if let Some(a) = address {
        webhook.address = a;
    }
    if let Some(active) = is_active {
        webhook.is_active = active;
    }
    Ok(StatusCode::NO_CONTENT)
}

pub async fn delete(State(app): State<AppState>, Id(id): Id) -> ApiResult<StatusCode> {
    let mut shop = app.shop();
    shop.webhooks.remove(&id).ok_or_else(|| ApiError::not_found("webhook", id))?;
    Ok(StatusCode::NO_CONTENT)
}
