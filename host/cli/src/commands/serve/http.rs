//! The service's HTTP side. `POST /t/{tenant}/webhooks/{connection}` hands
//! a delivery to the tenant's connection's connector (its `webhook-source`
//! role), which checks the signature and names the records concerned; each
//! record queues a record run of every flow that takes its kind from that
//! connection (see `trestle_host::tenant::webhooks`), answered 202 at once.
//! `POST /t/{tenant}/webhooks/{connector}/{flow}` is the address earlier
//! versions registered: the same, for one flow, from its connection whose
//! connector has that name. A service of one tenant (`--config`) takes
//! both at `/webhooks/...` too. `GET /health` shows each flow's last run;
//! the API is under `/api/` (`api`), the dashboard's pages under
//! `/dashboard/` (`web`).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use trestle_host::bindings::ContractError;
use trestle_host::bindings::exports::trestle::sync::webhook_source::{Change, Delivery};
use trestle_host::incidents::Incidents;
use trestle_host::run::describe_contract_error;
use trestle_host::tenants::{Job, Queued, ServedTenant, TenantDirectory, Tenants, Work};

use super::api::Auth;
use super::metrics::Metrics;

pub struct Service {
    pub tenants: Tenants,
    /// The tenant of `--config`, whose webhooks come to `/webhooks/...`.
    pub single: Option<String>,
    /// The directory of `--tenants`, which the API writes to.
    pub directory: Option<Arc<TenantDirectory>>,
    /// The operator turned verification off (`--accept-unsigned-webhooks`);
    /// otherwise a delivery without a matching signature is refused, and
    /// with no keys configured every delivery is.
    pub accept_unsigned: bool,
    pub every_seconds: u64,
    pub metrics: Arc<Metrics>,
    pub incidents: Incidents,
    pub api: Auth,
}

/// A webhook body is a short notification; more is refused (413) unread.
const MAX_WEBHOOK_BODY: usize = 64 * 1024;
/// The longest record id a webhook may name, and what it may be made of:
/// nothing longer reaches a queue or a log line, whatever a connector says.
const MAX_RECORD_ID: usize = 64;

pub fn router(service: Arc<Service>) -> Router {
    let limit = DefaultBodyLimit::max(MAX_WEBHOOK_BODY);
    Router::new()
        .route("/health", get(health))
        .route("/ready", get(ready))
        .route("/metrics", get(metrics))
        .route("/webhooks/{connection}", post(single_connection_webhook).layer(limit))
        .route("/webhooks/{connector}/{flow}", post(single_flow_webhook).layer(limit))
        .route("/t/{tenant}/webhooks/{connection}", post(connection_webhook).layer(limit))
        .route("/t/{tenant}/webhooks/{connector}/{flow}", post(flow_webhook).layer(limit))
        .nest("/api", super::api::router())
        .with_state(service.clone())
        .merge(super::web::router(service))
}

async fn health(State(service): State<Arc<Service>>) -> Json<Value> {
    let tenants = &service.tenants;
    if let Some(id) = &service.single {
        return Json(json!({
            "tenant": id,
            "every_seconds": service.every_seconds,
            "webhooks_verified": !service.accept_unsigned,
            "flows": tenants.status(id),
        }));
    }
    let each: serde_json::Map<String, Value> = tenants
        .list()
        .into_iter()
        .map(|t| {
            let flows = tenants.status(&t.id);
            (t.id.clone(), json!({ "paused": t.paused, "next_run": t.next_run, "flows": flows }))
        })
        .collect();
    Json(json!({
        "workers": tenants.options().workers,
        "webhooks_verified": !service.accept_unsigned,
        "tenants": each,
    }))
}

/// 200 once the service takes work and its database answers; 503 while it
/// stops or when the database does not answer (a load balancer then sends
/// webhooks elsewhere).
async fn ready(State(service): State<Arc<Service>>) -> Response {
    if service.tenants.stopping() {
        return (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "ready": false, "reason": "stopping" })))
            .into_response();
    }
    match service.incidents.open(service.single.as_deref().unwrap_or_default()) {
        Ok(_) => Json(json!({ "ready": true })).into_response(),
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "ready": false, "reason": format!("{e:#}") })))
            .into_response(),
    }
}

async fn metrics(State(service): State<Arc<Service>>) -> Response {
    for tenant in service.tenants.ids() {
        for (flow, status) in service.tenants.status(&tenant) {
            service.metrics.waiting(&tenant, &flow, status.queued);
            service.metrics.open_incidents(&tenant, &flow, 0);
        }
        if let Ok(open) = service.incidents.open(&tenant) {
            let mut per_flow = std::collections::BTreeMap::<String, usize>::new();
            for incident in open {
                *per_flow.entry(incident.flow).or_default() += 1;
            }
            for (flow, n) in per_flow {
                service.metrics.open_incidents(&tenant, &flow, n);
            }
        }
    }
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], service.metrics.encode())
        .into_response()
}

/// Refuses a request, logging why so an operator sees misconfigured webhooks.
fn refuse(status: StatusCode, message: String) -> Response {
    super::say(&format!("webhook refused ({status}): {message}"));
    (status, Json(json!({ "error": message }))).into_response()
}

/// Why a delivery is refused, turned into the answer by `refuse`.
struct Refusal(StatusCode, String);

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        refuse(self.0, self.1)
    }
}

/// A delivery as it came in, with the address its sender signed.
struct Incoming {
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
}

/// The tenant a delivery is for: the one named in the path, or the one of
/// `--config` at `/webhooks/...`.
fn served(service: &Service, tenant: Option<&str>) -> Result<Arc<ServedTenant>, Refusal> {
    let id = match (tenant, &service.single) {
        (Some(id), _) => id,
        (None, Some(id)) => id.as_str(),
        (None, None) => {
            return Err(Refusal(
                StatusCode::NOT_FOUND,
                "this service serves many tenants: webhooks go to /t/{tenant}/webhooks/{connection}".into(),
            ));
        }
    };
    service
        .tenants
        .get(id)
        .ok_or_else(|| Refusal(StatusCode::NOT_FOUND, format!("this service serves no tenant `{id}`")))
}

async fn single_connection_webhook(
    State(service): State<Arc<Service>>,
    Path(connection): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match served(&service, None) {
        Ok(tenant) => connection_delivery(&service, tenant, connection, Incoming { uri, headers, body }).await,
        Err(refusal) => refusal.into_response(),
    }
}

async fn connection_webhook(
    State(service): State<Arc<Service>>,
    Path((tenant, connection)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match served(&service, Some(&tenant)) {
        Ok(tenant) => connection_delivery(&service, tenant, connection, Incoming { uri, headers, body }).await,
        Err(refusal) => refusal.into_response(),
    }
}

async fn single_flow_webhook(
    State(service): State<Arc<Service>>,
    Path((connector, flow)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match served(&service, None) {
        Ok(tenant) => flow_delivery(&service, tenant, &connector, flow, Incoming { uri, headers, body }).await,
        Err(refusal) => refusal.into_response(),
    }
}

async fn flow_webhook(
    State(service): State<Arc<Service>>,
    Path((tenant, connector, flow)): Path<(String, String, String)>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match served(&service, Some(&tenant)) {
        Ok(tenant) => flow_delivery(&service, tenant, &connector, flow, Incoming { uri, headers, body }).await,
        Err(refusal) => refusal.into_response(),
    }
}

async fn connection_delivery(
    service: &Service,
    tenant: Arc<ServedTenant>,
    connection: String,
    incoming: Incoming,
) -> Response {
    let takers: Vec<&str> = tenant
        .prepared
        .connections
        .iter()
        .filter(|(_, c)| c.component.manifest.connector.as_ref().is_some_and(|m| m.webhooks))
        .map(|(name, _)| name.as_str())
        .collect();
    if !takers.contains(&connection.as_str()) {
        let known = tenant.prepared.connections.contains_key(&connection);
        return refuse(
            StatusCode::NOT_FOUND,
            format!(
                "{}; connections that take webhooks: {}",
                if known {
                    format!("the connector of connection `{connection}` takes no webhooks")
                } else {
                    format!("the tenant config has no connection `{connection}`")
                },
                if takers.is_empty() { "none".to_string() } else { takers.join(", ") }
            ),
        );
    }
    let changes = match receive(service, &tenant, &connection, incoming).await {
        Ok(changes) => changes,
        Err(refusal) => return refusal.into_response(),
    };
    let mut runs = Vec::new();
    let mut ignored = Vec::new();
    for change in changes {
        let flows = tenant.routes.flows_for(&connection, &change.kind);
        if flows.is_empty() {
            super::say(&format!("{connection}: webhook for {} {}: no flow takes it", change.kind, change.id));
            ignored.push(json!({ "kind": change.kind, "record": change.id, "why": format!(
                "no flow takes {} records from `{connection}`", change.kind
            ) }));
        }
        for flow in flows {
            match queue(service, &tenant, flow, &change) {
                Ok(note) => runs.push(json!({ "flow": flow, "kind": change.kind, "record": change.id, "run": note })),
                Err(refusal) => return refusal.into_response(),
            }
        }
    }
    (StatusCode::ACCEPTED, Json(json!({ "connection": connection, "runs": runs, "ignored": ignored }))).into_response()
}

async fn flow_delivery(
    service: &Service,
    tenant: Arc<ServedTenant>,
    connector: &str,
    flow: String,
    incoming: Incoming,
) -> Response {
    let Some(config) = tenant.prepared.config.flows.get(&flow) else {
        return refuse(
            StatusCode::NOT_FOUND,
            format!("the tenant config has no flow `{flow}`; it has: {}", tenant.flows().join(", ")),
        );
    };
    // The flow's connection whose connector has that name; of those, the
    // one whose records the flow takes.
    let bound: Vec<&String> = config
        .roles
        .values()
        .filter(|c| {
            tenant
                .prepared
                .connections
                .get(*c)
                .is_some_and(|s| s.component.manifest.connector.as_ref().is_some_and(|m| m.name == connector))
        })
        .collect();
    let Some(connection) = bound.iter().find(|c| !tenant.routes.kinds_from(&flow, c).is_empty()) else {
        return refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!(
                "flow `{flow}` is not started by {connector} webhooks: it takes no record kind a `{connector}` \
                 connection of it sends (a webhook names a record the flow must read from there); `{flow}` syncs on \
                 the schedule (--every)"
            ),
        );
    };
    let connection = connection.to_string();
    let changes = match receive(service, &tenant, &connection, incoming).await {
        Ok(changes) => changes,
        Err(refusal) => return refusal.into_response(),
    };
    let kinds = tenant.routes.kinds_from(&flow, &connection);
    let Some(change) = changes.into_iter().find(|c| kinds.contains(&c.kind.as_str())) else {
        return refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("the webhook names no record flow `{flow}` takes ({})", kinds.join(", ")),
        );
    };
    match queue(service, &tenant, &flow, &change) {
        Ok(note) => {
            (StatusCode::ACCEPTED, Json(json!({ "flow": flow, "record": change.id, "run": note }))).into_response()
        }
        Err(refusal) => refusal.into_response(),
    }
}

/// The connector's reading of the delivery: the records it concerns, or the
/// refusal to answer (401 for a signature, 400 for a body, 502 when the
/// connector could not tell).
async fn receive(
    service: &Service,
    tenant: &Arc<ServedTenant>,
    connection: &str,
    incoming: Incoming,
) -> Result<Vec<Change>, Refusal> {
    if !service.accept_unsigned && tenant.webhook_keys.is_empty() {
        return Err(Refusal(
            StatusCode::UNAUTHORIZED,
            "this service takes only signed webhooks and has no keys to verify them: set [serve] webhook_keys to \
             the keys the sender returned when the webhooks were registered"
                .into(),
        ));
    }
    let address = address(tenant, &incoming.uri, &incoming.headers);
    let headers = incoming
        .headers
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
        .collect();
    let delivery = Delivery { address: address.clone(), headers, body: incoming.body.to_vec() };
    let keys = (!service.accept_unsigned).then(|| tenant.webhook_keys.clone());
    let (host, tenant, connection_name) = (service.tenants.host().clone(), tenant.clone(), connection.to_string());
    // The connector may call its API (a product's SKU from its id): off the
    // async threads.
    let answer = tokio::task::spawn_blocking(move || {
        tenant.prepared.connections[&connection_name].receive_webhook(&host, tenant.id(), &delivery, keys.as_deref())
    })
    .await
    .map_err(anyhow::Error::from)
    .and_then(|r| r);
    let changes = match answer {
        Ok(Ok(changes)) => changes,
        Ok(Err(ContractError::Auth(why))) => {
            return Err(Refusal(
                StatusCode::UNAUTHORIZED,
                format!(
                    "{why} (checked against [serve] webhook_keys): add the key the sender returned when this webhook \
                     was registered, or set [serve] public_url to the address it was registered with (this one \
                     is {address})"
                ),
            ));
        }
        Ok(Err(ContractError::Invalid(why))) => return Err(Refusal(StatusCode::BAD_REQUEST, why)),
        Ok(Err(e)) => {
            return Err(Refusal(
                StatusCode::BAD_GATEWAY,
                format!("connection `{connection}` could not read the webhook: {}", describe_contract_error(&e)),
            ));
        }
        Err(e) => {
            return Err(Refusal(
                StatusCode::BAD_GATEWAY,
                format!("connection `{connection}` failed on the webhook: {e:#}"),
            ));
        }
    };
    for change in &changes {
        check_record_id(&change.id).map_err(|why| Refusal(StatusCode::BAD_REQUEST, why))?;
    }
    Ok(changes)
}

/// Queues a record run of `flow` for `change`; says how, or refuses.
fn queue(service: &Service, tenant: &ServedTenant, flow: &str, change: &Change) -> Result<&'static str, Refusal> {
    let record = &change.id;
    let job = Job { tenant: tenant.id().to_string(), flow: flow.to_string(), work: Work::Record(record.clone()) };
    let note = match service.tenants.enqueue(job) {
        Queued::Added => "queued",
        Queued::FoldedIntoWaiting => "already waiting",
        Queued::Full => {
            return Err(Refusal(
                StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "too many runs are waiting; record {record} is not queued (the scheduled runs and their look-back \
                     over recent records catch it up)"
                ),
            ));
        }
        Queued::Paused => {
            return Err(Refusal(
                StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "tenant `{}` is paused; record {record} is not queued (its scheduled runs catch it up once it \
                     is resumed)",
                    tenant.id()
                ),
            ));
        }
        Queued::UnknownTenant | Queued::UnknownFlow => {
            return Err(Refusal(StatusCode::NOT_FOUND, format!("tenant `{}` was removed meanwhile", tenant.id())));
        }
    };
    super::say(&format!("{flow}: webhook for {} {record}: {note}", change.kind));
    Ok(note)
}

/// The address the sender signed: the configured public URL, else `http://`
/// and the Host header, followed by the request's path and query.
fn address(tenant: &ServedTenant, uri: &Uri, headers: &HeaderMap) -> String {
    let base = match &tenant.prepared.config.serve.public_url {
        Some(url) => url.trim_end_matches('/').to_string(),
        None => {
            let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or_default();
            format!("http://{host}")
        }
    };
    let path = uri.path_and_query().map_or(uri.path(), |p| p.as_str());
    format!("{base}{path}")
}

/// A record id the host queues and logs: short, and made of id characters.
pub(crate) fn check_record_id(id: &str) -> Result<(), String> {
    if id.is_empty() || id.len() > MAX_RECORD_ID || !id.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        return Err(format!(
            "the webhook names a record id of {} bytes that is not an id: record ids are at most {MAX_RECORD_ID} \
             letters, digits, '-', '_' or '.'",
            id.len()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check_record_id;

    #[test]
    fn record_ids_are_short_ids_and_nothing_else() {
        let err = check_record_id(&"9".repeat(65)).unwrap_err();
        assert!(err.contains("at most 64") && !err.contains("999999"), "the id is not echoed: {err}");
        assert!(check_record_id("12; DROP").unwrap_err().contains("at most 64"));
        assert!(check_record_id("a\nb").is_err());
        assert!(check_record_id("").is_err());
        assert!(check_record_id(&"9".repeat(64)).is_ok());
        assert!(check_record_id("SKU-00001.M").is_ok());
    }
}
