//! What a tenant's connections, flows and runs show: connection checks,
//! each flow's last and next run and open incidents, runs, record outcomes
//! with their payloads, parked records, and the owner's actions on them
//! (retry, skip) and on a flow (run now), queued like any run.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use trestle_host::run::describe_contract_error;
use trestle_host::tenants::history::{self, RecordQuery};
use trestle_host::tenants::{Job, Queued, ServedTenant, Work};

use super::{ApiError, Caller, blocking};
use crate::commands::serve::http::{Service, check_record_id};

pub fn routes() -> Router<Arc<Service>> {
    Router::new()
        .route("/tenants/{tenant}/connections", get(connections))
        .route("/tenants/{tenant}/flows", get(flows))
        .route("/tenants/{tenant}/runs", get(runs))
        .route("/tenants/{tenant}/records", get(records))
        .route("/tenants/{tenant}/parked", get(parked))
        .route("/tenants/{tenant}/flows/{flow}/run", post(run_now))
        .route("/tenants/{tenant}/flows/{flow}/parked/{record}/retry", post(retry))
        .route("/tenants/{tenant}/flows/{flow}/parked/{record}/skip", post(skip))
}

/// Rows an answer holds by default, and at most.
const DEFAULT_LIMIT: usize = 50;
const MAX_LIMIT: usize = 1000;

fn limit(asked: Option<usize>) -> Result<usize, ApiError> {
    match asked.unwrap_or(DEFAULT_LIMIT) {
        n @ 1..=MAX_LIMIT => Ok(n),
        n => Err(ApiError(StatusCode::BAD_REQUEST, format!("limit={n} is out of range: 1 to {MAX_LIMIT}"))),
    }
}

/// Every secret of the tenant's connections taken out of `text`.
fn redact(tenant: &ServedTenant, text: &str) -> String {
    tenant.prepared.connections.values().fold(text.to_string(), |t, c| c.config.redact(&t))
}

fn flow_of(tenant: &ServedTenant, flow: &str) -> Result<(), ApiError> {
    if tenant.prepared.config.flows.contains_key(flow) {
        return Ok(());
    }
    Err(ApiError(
        StatusCode::NOT_FOUND,
        format!("tenant `{}` has no flow `{flow}`; it has: {}", tenant.id(), tenant.flows().join(", ")),
    ))
}

/// Each connection checked now: its credentials and whether its API
/// answers, with what it reached (the company, the shop).
pub(crate) async fn connections(
    State(service): State<Arc<Service>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let tenant = caller.tenant(&service, &id)?;
    let host = service.tenants.host().clone();
    blocking(move || {
        let mut out = Vec::new();
        for (name, connection) in &tenant.prepared.connections {
            let (ok, message) = match connection.check(&host, tenant.id()) {
                Ok(Ok(reached)) => (true, reached),
                Ok(Err(e)) => (false, describe_contract_error(&e)),
                Err(e) => (false, format!("{e:#}")),
            };
            out.push(json!({
                "name": name,
                "connector": connection.component.name,
                "check": { "ok": ok, "message": redact(&tenant, &message) },
            }));
        }
        Ok(Json(json!({ "connections": out })))
    })
    .await
}

/// Each flow: what runs or waits now, its last run (from the database,
/// so also from before a restart), its next scheduled run, its open incidents.
pub(crate) async fn flows(
    State(service): State<Arc<Service>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let tenant = caller.tenant(&service, &id)?;
    let status = service.tenants.status(&id);
    let next_run = service.tenants.view(&id).and_then(|v| v.next_run);
    let service = service.clone();
    blocking(move || {
        let storage = service.tenants.host().storage();
        let open = service.incidents.open(&id).map_err(ApiError::internal)?;
        let mut flows = serde_json::Map::new();
        for (flow, now) in status {
            let last = history::runs(storage, &id, Some(&flow), 1).map_err(ApiError::internal)?.into_iter().next();
            let incidents: Vec<Value> = open
                .iter()
                .filter(|i| i.flow == flow)
                .map(|i| {
                    let mut i = i.clone();
                    i.explanation = redact(&tenant, &i.explanation);
                    serde_json::to_value(i).unwrap_or_default()
                })
                .collect();
            flows.insert(
                flow,
                json!({
                    "running": now.running,
                    "queued": now.queued,
                    "last_run": last,
                    "next_run": next_run,
                    "open_incidents": incidents,
                }),
            );
        }
        Ok(Json(json!({ "flows": flows })))
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RunsQuery {
    pub(crate) flow: Option<String>,
    pub(crate) limit: Option<usize>,
}

pub(crate) async fn runs(
    State(service): State<Arc<Service>>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<RunsQuery>,
) -> Result<Json<Value>, ApiError> {
    let tenant = caller.tenant(&service, &id)?;
    if let Some(flow) = &q.flow {
        flow_of(&tenant, flow)?;
    }
    let limit = limit(q.limit)?;
    let service = service.clone();
    blocking(move || {
        let mut runs = history::runs(service.tenants.host().storage(), &id, q.flow.as_deref(), limit)
            .map_err(ApiError::internal)?;
        for run in &mut runs {
            if let Some(summary) = &run.summary {
                run.summary = serde_json::from_str(&redact(&tenant, &summary.to_string())).ok();
            }
        }
        Ok(Json(json!({ "runs": runs })))
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RecordsQuery {
    pub(crate) flow: Option<String>,
    pub(crate) outcome: Option<String>,
    pub(crate) record: Option<String>,
    pub(crate) run: Option<String>,
    pub(crate) limit: Option<usize>,
}

pub(crate) const OUTCOMES: &[&str] = &["synced", "skipped", "parked", "failed"];

pub(crate) async fn records(
    State(service): State<Arc<Service>>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<RecordsQuery>,
) -> Result<Json<Value>, ApiError> {
    let tenant = caller.tenant(&service, &id)?;
    if let Some(flow) = &q.flow {
        flow_of(&tenant, flow)?;
    }
    if let Some(o) = &q.outcome
        && !OUTCOMES.contains(&o.as_str())
    {
        return Err(ApiError(
            StatusCode::BAD_REQUEST,
            format!("outcome={o} is not an outcome; allowed: {}", OUTCOMES.join(", ")),
        ));
    }
    let query =
        RecordQuery { flow: q.flow, outcome: q.outcome, source_id: q.record, run_id: q.run, limit: limit(q.limit)? };
    let service = service.clone();
    blocking(move || {
        let records = history::records(service.tenants.host().storage(), &id, &query, |t| redact(&tenant, t))
            .map_err(ApiError::internal)?;
        Ok(Json(json!({ "records": records })))
    })
    .await
}

/// Records parked now (their last outcome), per flow, oldest first.
pub(crate) async fn parked(
    State(service): State<Arc<Service>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let tenant = caller.tenant(&service, &id)?;
    let service = service.clone();
    blocking(move || {
        let mut parked = Vec::new();
        for flow in tenant.flows() {
            for record in service.incidents.parked(&id, &flow).map_err(ApiError::internal)? {
                parked.push(json!({
                    "flow": flow,
                    "record_kind": record.record_kind,
                    "record": record.source_id,
                    "since": record.since,
                    "detail": redact(&tenant, &record.detail),
                }));
            }
        }
        Ok(Json(json!({ "parked": parked })))
    })
    .await
}

/// Queues `work` on the flow; 202 with how, or why not.
fn queue(service: &Service, tenant: &ServedTenant, flow: String, work: Work) -> Result<Response, ApiError> {
    flow_of(tenant, &flow)?;
    let run = work.to_string();
    let job = Job { tenant: tenant.id().to_string(), flow: flow.clone(), work };
    let note = match service.tenants.enqueue(job) {
        Queued::Added => "queued",
        Queued::FoldedIntoWaiting => "already waiting",
        Queued::Full => {
            return Err(ApiError(StatusCode::SERVICE_UNAVAILABLE, "too many of the tenant's runs are waiting".into()));
        }
        Queued::Paused => {
            return Err(ApiError(
                StatusCode::CONFLICT,
                format!(
                    "tenant `{}` is paused: resume it first (POST /api/tenants/{}/resume)",
                    tenant.id(),
                    tenant.id()
                ),
            ));
        }
        Queued::UnknownTenant | Queued::UnknownFlow => return Err(ApiError::no_tenant(tenant.id())),
    };
    Ok((StatusCode::ACCEPTED, Json(json!({ "flow": flow, "run": run, "queued": note }))).into_response())
}

pub(crate) async fn run_now(
    State(service): State<Arc<Service>>,
    caller: Caller,
    Path((id, flow)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let tenant = caller.tenant(&service, &id)?;
    queue(&service, &tenant, flow, Work::Scheduled)
}

pub(crate) async fn retry(
    State(service): State<Arc<Service>>,
    caller: Caller,
    Path((id, flow, record)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let tenant = caller.tenant(&service, &id)?;
    check_record_id(&record).map_err(|why| ApiError(StatusCode::BAD_REQUEST, why))?;
    queue(&service, &tenant, flow, Work::Unpark(record))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SkipBody {
    /// Why the record is left out, for whoever reads the activity log.
    pub(crate) reason: String,
}

pub(crate) async fn skip(
    State(service): State<Arc<Service>>,
    caller: Caller,
    Path((id, flow, record)): Path<(String, String, String)>,
    Json(body): Json<SkipBody>,
) -> Result<Response, ApiError> {
    let tenant = caller.tenant(&service, &id)?;
    check_record_id(&record).map_err(|why| ApiError(StatusCode::BAD_REQUEST, why))?;
    if body.reason.trim().is_empty() {
        return Err(ApiError(
            StatusCode::BAD_REQUEST,
            "`reason` is empty: say why the record is left out, for whoever reads the activity log".into(),
        ));
    }
    queue(&service, &tenant, flow, Work::Skip { id: record, reason: body.reason })
}
