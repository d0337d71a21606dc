//! The service's HTTP side: `POST /webhooks/ccvshop/{flow}` queues a record
//! run for the record a CCV Shop webhook names, and answers 202 at once;
//! `GET /health` shows each flow's last run.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

use super::signature::signed_by_any;
use super::worker::{Job, Queued, Work, Worker};

pub struct Service {
    pub tenant: String,
    pub worker: Arc<Worker>,
    /// Keys a webhook delivery must be signed with.
    pub webhook_keys: Vec<String>,
    /// The operator turned verification off (`--accept-unsigned-webhooks`);
    /// otherwise a delivery without a matching signature is refused, and
    /// with no keys configured every delivery is.
    pub accept_unsigned: bool,
    /// The flows a shop webhook may start.
    pub webhook_flows: Vec<String>,
    /// The service's address as the shop calls it, without a trailing `/`.
    pub public_url: Option<String>,
    pub every_seconds: u64,
}

/// A webhook body is a short notification; more is refused (413) unread.
const MAX_WEBHOOK_BODY: usize = 64 * 1024;
/// The longest record id a webhook may name, and what it may be made of:
/// shop ids are numbers, and nothing longer reaches a queue or a log line.
const MAX_RECORD_ID: usize = 64;

pub fn router(service: Arc<Service>) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/webhooks/ccvshop/{flow}", post(ccvshop_webhook).layer(DefaultBodyLimit::max(MAX_WEBHOOK_BODY)))
        .with_state(service)
}

async fn health(State(service): State<Arc<Service>>) -> Json<Value> {
    Json(json!({
        "tenant": service.tenant,
        "every_seconds": service.every_seconds,
        "webhooks_verified": !service.accept_unsigned,
        "flows": service.worker.status(),
    }))
}

/// Refuses a request, logging why so an operator sees misconfigured webhooks.
fn refuse(status: StatusCode, message: String) -> Response {
    super::say(&format!("webhook refused ({status}): {message}"));
    (status, Json(json!({ "error": message }))).into_response()
}

async fn ccvshop_webhook(
    State(service): State<Arc<Service>>,
    Path(flow): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !service.worker.has_flow(&flow) {
        return refuse(
            StatusCode::NOT_FOUND,
            format!("the tenant config has no flow `{flow}`; it has: {}", service.worker.flows().join(", ")),
        );
    }
    if !service.webhook_flows.contains(&flow) {
        return refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!(
                "flow `{flow}` is not started by shop webhooks: they name records by the shop's own id, which only \
                 the orders flow takes; `{flow}` syncs on the schedule (--every)"
            ),
        );
    }
    if !service.accept_unsigned {
        if service.webhook_keys.is_empty() {
            return refuse(
                StatusCode::UNAUTHORIZED,
                "this service takes only signed webhooks and has no keys to verify them: set [serve] webhook_keys to \
                 the keys the shop returned when the webhooks were registered"
                    .into(),
            );
        }
        let address = address(&service, &uri, &headers);
        let Some(x_hash) = headers.get("x-hash").and_then(|h| h.to_str().ok()) else {
            return refuse(
                StatusCode::UNAUTHORIZED,
                "the webhook has no x-hash signature header; this service only takes signed CCV Shop webhooks".into(),
            );
        };
        if !signed_by_any(&service.webhook_keys, &address, &body, x_hash) {
            return refuse(
                StatusCode::UNAUTHORIZED,
                format!(
                    "the x-hash signature matches none of the keys in [serve] webhook_keys for the address {address}: \
                     add the key the shop returned when this webhook was registered, or set [serve] public_url \
                     to the address the webhook was registered with"
                ),
            );
        }
    }
    let record = match record_id(&body) {
        Ok(id) => id,
        Err(message) => return refuse(StatusCode::BAD_REQUEST, message),
    };
    let queued = service.worker.enqueue(Job { flow: flow.clone(), work: Work::Record(record.clone()) });
    let note = match queued {
        Queued::Added => "queued",
        Queued::FoldedIntoWaiting => "already waiting",
        Queued::Full => {
            return refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "too many runs are waiting; record {record} is not queued (the scheduled runs and their look-back \
                     over recent orders catch it up)"
                ),
            );
        }
    };
    super::say(&format!("{flow}: webhook for record {record}: {note}"));
    (StatusCode::ACCEPTED, Json(json!({ "flow": flow, "record": record, "run": note }))).into_response()
}

/// The address the shop signed: the configured public URL, else `http://`
/// and the Host header, followed by the request's path and query.
fn address(service: &Service, uri: &Uri, headers: &HeaderMap) -> String {
    let base = match &service.public_url {
        Some(url) => url.clone(),
        None => {
            let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or_default();
            format!("http://{host}")
        }
    };
    let path = uri.path_and_query().map_or(uri.path(), |p| p.as_str());
    format!("{base}{path}")
}

/// The id of the record a webhook is about: its `id`, else the last segment
/// of its `href` (CCV Shop payloads are notifications carrying both).
fn record_id(body: &[u8]) -> Result<String, String> {
    let payload: Value = serde_json::from_slice(body).map_err(|e| format!("the webhook body is not JSON: {e}"))?;
    let id = match payload.get("id") {
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
        _ => None,
    };
    let from_href = || {
        let href = payload.get("href")?.as_str()?;
        let last = href.split('?').next()?.trim_end_matches('/').rsplit('/').next()?;
        (!last.is_empty()).then(|| last.to_string())
    };
    let id = id.or_else(from_href).ok_or_else(|| {
        let shown: String = String::from_utf8_lossy(body).chars().take(200).collect();
        format!(
            "the webhook body names no record: it needs an `id` or an `href` ending in the record's id, got {shown}"
        )
    })?;
    if id.len() > MAX_RECORD_ID || !id.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) {
        return Err(format!(
            "the webhook names a record id of {} bytes that is not an id: record ids are at most {MAX_RECORD_ID} \
             letters, digits, '-', '_' or '.'",
            id.len()
        ));
    }
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::record_id;

    #[test]
    fn the_record_is_the_id_or_the_end_of_the_href() {
        assert_eq!(record_id(br#"{"id":42,"order_number":7,"href":"http://x/api/rest/v1/orders/42"}"#).unwrap(), "42");
        assert_eq!(record_id(br#"{"href":"http://x/api/rest/v1/orders/43"}"#).unwrap(), "43");
        let err = record_id(br#"{"order_number":7}"#).unwrap_err();
        assert!(err.contains("`id`") && err.contains("`href`"), "{err}");
        assert!(record_id(b"id=42").unwrap_err().contains("not JSON"));
    }

    #[test]
    fn record_ids_are_short_ids_and_nothing_else() {
        let long = format!(r#"{{"id":"{}"}}"#, "9".repeat(65));
        let err = record_id(long.as_bytes()).unwrap_err();
        assert!(err.contains("at most 64") && !err.contains("999999"), "the id is not echoed: {err}");
        assert!(record_id(br#"{"id":"12; DROP"}"#).unwrap_err().contains("at most 64"));
        assert!(record_id(br#"{"href":"http://x/orders/a%0Ab"}"#).is_err());
        assert_eq!(record_id(format!(r#"{{"id":"{}"}}"#, "9".repeat(64)).as_bytes()).unwrap().len(), 64);
    }
}
