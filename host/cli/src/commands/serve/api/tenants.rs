//! The tenants themselves: list, read, put (add or change), remove, pause,
//! resume, and the operator issuing a tenant its token. With `--tenants
//! DIR` a put writes `DIR/ID.toml` and a removal deletes it, so the API and
//! the directory change one set; a refused config writes nothing and the
//! old one keeps running.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use serde_json::json;
use trestle_host::tenants::Put;

use super::{ApiError, Caller, blocking};
use crate::commands::serve::http::Service;

pub fn routes() -> Router<Arc<Service>> {
    Router::new()
        .route("/tenants", get(list))
        .route("/tenants/{tenant}", get(read).put(put).delete(remove))
        .route("/tenants/{tenant}/pause", post(pause))
        .route("/tenants/{tenant}/resume", post(resume))
        .route("/tenants/{tenant}/tokens", post(issue_token))
}

/// A tenant as the API shows it.
#[derive(Serialize)]
pub(crate) struct TenantAnswer {
    pub(crate) id: String,
    /// Whether a config of it runs (`false`: its file was refused and no
    /// earlier config of it ran).
    pub(crate) served: bool,
    pub(crate) paused: bool,
    pub(crate) flows: Vec<String>,
    pub(crate) every_seconds: Option<u64>,
    /// When its flows are queued next (RFC 3339).
    pub(crate) next_run: Option<String>,
    /// Why its file was refused, while it is.
    pub(crate) config_error: Option<String>,
}

fn answer(service: &Service, id: &str) -> TenantAnswer {
    let config_error = service.directory.as_ref().and_then(|d| d.refused().remove(id));
    let view = service.tenants.view(id);
    TenantAnswer {
        id: id.to_string(),
        served: view.is_some(),
        paused: view.as_ref().is_some_and(|v| v.paused),
        every_seconds: view.as_ref().map(|v| v.every_seconds),
        next_run: view.as_ref().and_then(|v| v.next_run.clone()),
        flows: view.map(|v| v.flows).unwrap_or_default(),
        config_error,
    }
}

pub(crate) async fn list(State(service): State<Arc<Service>>, caller: Caller) -> Json<serde_json::Value> {
    let mut ids = service.tenants.ids();
    if let Some(directory) = &service.directory {
        ids.extend(directory.refused().into_keys());
    }
    ids.sort();
    ids.dedup();
    let visible = ids.iter().filter(|id| match &caller {
        Caller::Operator => true,
        Caller::Tenant(own) => own == *id,
    });
    Json(json!({ "tenants": visible.map(|id| answer(&service, id)).collect::<Vec<_>>() }))
}

pub(crate) async fn read(
    State(service): State<Arc<Service>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<TenantAnswer>, ApiError> {
    caller.tenant(&service, &id)?;
    Ok(Json(answer(&service, &id)))
}

/// The body is the tenant's TOML config, as its file would hold it.
async fn put(
    State(service): State<Arc<Service>>,
    caller: Caller,
    Path(id): Path<String>,
    body: String,
) -> Result<Response, ApiError> {
    caller.operator("adding or changing a tenant")?;
    let Some(directory) = service.directory.clone() else {
        return Err(ApiError(
            StatusCode::CONFLICT,
            "this service serves the one tenant of --config: tenants are added and changed under --tenants DIR".into(),
        ));
    };
    let tenants = service.tenants.clone();
    let (tenant, put) =
        (id.clone(), blocking(move || directory.write(&tenants, &id, &body).map_err(ApiError::invalid)).await?);
    let status = if put == Put::Added { StatusCode::CREATED } else { StatusCode::OK };
    crate::commands::say(&format!(
        "tenant `{tenant}` {} through the API",
        if put == Put::Added { "added" } else { "changed" }
    ));
    Ok((status, Json(answer(&service, &tenant))).into_response())
}

async fn remove(
    State(service): State<Arc<Service>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    caller.operator("removing a tenant")?;
    let Some(directory) = service.directory.clone() else {
        return Err(ApiError(
            StatusCode::CONFLICT,
            "this service serves the one tenant of --config: stop the service instead".into(),
        ));
    };
    let tenants = service.tenants.clone();
    let service_for_tokens = service.clone();
    let tenant = id.clone();
    let revoked = blocking(move || {
        if !directory.delete(&tenants, &tenant).map_err(ApiError::internal)? {
            return Err(ApiError::no_tenant(&tenant));
        }
        service_for_tokens.api.tokens().revoke(&tenant).map_err(ApiError::internal)
    })
    .await?;
    crate::commands::say(&format!("tenant `{id}` removed through the API; its data stays until `trestle purge`"));
    Ok(Json(json!({ "removed": id, "tokens_revoked": revoked })))
}

async fn pause(
    State(service): State<Arc<Service>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    set_paused(service, caller, id, true).await
}

async fn resume(
    State(service): State<Arc<Service>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    set_paused(service, caller, id, false).await
}

async fn set_paused(service: Arc<Service>, caller: Caller, id: String, paused: bool) -> Result<Response, ApiError> {
    caller.tenant(&service, &id)?;
    let tenants = service.tenants.clone();
    let tenant = id.clone();
    blocking(move || if paused { tenants.pause(&tenant) } else { tenants.resume(&tenant) }.map_err(ApiError::internal))
        .await?;
    crate::commands::say(&format!("tenant `{id}` {}", if paused { "paused" } else { "resumed" }));
    Ok(Json(answer(&service, &id)).into_response())
}

/// A new token for the tenant, shown this once.
async fn issue_token(
    State(service): State<Arc<Service>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    caller.operator("issuing a tenant's token")?;
    caller.tenant(&service, &id)?;
    let for_tokens = service.clone();
    let tenant = id.clone();
    let token = blocking(move || for_tokens.api.tokens().issue(&tenant).map_err(ApiError::internal)).await?;
    Ok((StatusCode::CREATED, Json(json!({ "tenant": id, "token": token }))).into_response())
}
