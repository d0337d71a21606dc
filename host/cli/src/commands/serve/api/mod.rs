//! The admin and tenant API under `/api/`, JSON in and out; every endpoint
//! is listed in docs/2026-12-02-tenant-api.md. Every request carries
//! `Authorization: Bearer TOKEN`: the operator's token (from
//! TRESTLE_OPERATOR_TOKEN or `--operator-token-file`) reaches everything;
//! a tenant's token (issued by the operator, `POST
//! /api/tenants/{id}/tokens`) sees and changes only that tenant, and any
//! other tenant is to it as if it did not exist (404). No answer carries a
//! secret: record payloads and messages go out through the tenant's
//! redactors, and tokens are kept and compared as SHA-256 digests.

pub(crate) mod records;
pub(crate) mod tenants;

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use axum::Json;
use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use trestle_host::Host;
use trestle_host::tenants::tokens::digest;
use trestle_host::tenants::{ServedTenant, TenantTokens};

use super::http::Service;

pub fn router() -> Router<Arc<Service>> {
    tenants::routes().merge(records::routes())
}

/// The operator's token, as its digest: the token itself is dropped once read.
pub struct OperatorToken(Option<String>);

/// The environment variable holding the operator's token.
const OPERATOR_TOKEN_ENV: &str = "TRESTLE_OPERATOR_TOKEN";

impl OperatorToken {
    pub fn read(file: Option<&Path>) -> anyhow::Result<Self> {
        let token = match file {
            Some(path) => Some(
                std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read the operator token file {}", path.display()))?,
            ),
            None => std::env::var(OPERATOR_TOKEN_ENV).ok(),
        };
        let token = token.map(|t| t.trim().to_string()).filter(|t| !t.is_empty());
        if let Some(t) = &token
            && t.len() < 16
        {
            anyhow::bail!(
                "the operator token is {} characters long: use at least 16 (e.g. `openssl rand -hex 32`)",
                t.len()
            );
        }
        Ok(Self(token.as_deref().map(digest)))
    }
}

pub struct Auth {
    operator: OperatorToken,
    tokens: TenantTokens,
}

impl Auth {
    pub fn new(host: &Host, operator: OperatorToken) -> anyhow::Result<Self> {
        Ok(Self { operator, tokens: TenantTokens::new(host.storage().clone())? })
    }

    /// Whether anyone can use the API: tenant tokens are issued by the operator.
    pub fn enabled(&self) -> bool {
        self.operator.0.is_some()
    }

    pub fn tokens(&self) -> &TenantTokens {
        &self.tokens
    }

    /// Whose `token` is: the operator's, a tenant's, or no one's (401).
    pub fn caller_of(&self, token: &str) -> Result<Caller, ApiError> {
        let Some(operator) = &self.operator.0 else { return Err(ApiError::off()) };
        if digest(token) == *operator {
            return Ok(Caller::Operator);
        }
        match self.tokens.tenant_of(token) {
            Ok(Some(tenant)) => Ok(Caller::Tenant(tenant)),
            Ok(None) => Err(ApiError(
                StatusCode::UNAUTHORIZED,
                "the token is neither the operator's nor a tenant's (a removed tenant's tokens are revoked)".into(),
            )),
            Err(e) => Err(ApiError::internal(e)),
        }
    }
}

/// Who is asking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    Operator,
    Tenant(String),
}

impl Caller {
    /// The served tenant `id`, if this caller may see it: to a tenant's
    /// token every other tenant is unknown, so its answer tells nothing.
    pub fn tenant(&self, service: &Service, id: &str) -> Result<Arc<ServedTenant>, ApiError> {
        let visible = match self {
            Caller::Operator => true,
            Caller::Tenant(own) => own == id,
        };
        visible.then(|| service.tenants.get(id)).flatten().ok_or_else(|| ApiError::no_tenant(id))
    }

    /// Refuses a tenant's token where only the operator may act.
    pub fn operator(&self, what: &str) -> Result<(), ApiError> {
        match self {
            Caller::Operator => Ok(()),
            Caller::Tenant(_) => Err(ApiError(
                StatusCode::FORBIDDEN,
                format!("{what} needs the operator's token; a tenant's token reads and acts on its own tenant only"),
            )),
        }
    }
}

impl FromRequestParts<Arc<Service>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, service: &Arc<Service>) -> Result<Self, Self::Rejection> {
        let auth = &service.api;
        if !auth.enabled() {
            return Err(ApiError::off());
        }
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty());
        let Some(token) = bearer else {
            return Err(ApiError(
                StatusCode::UNAUTHORIZED,
                "send `Authorization: Bearer TOKEN` with the operator's token or a tenant's".into(),
            ));
        };
        auth.caller_of(token)
    }
}

/// An answer other than success: its status and what is wrong, as
/// `{"error": "..."}`.
#[derive(Debug)]
pub struct ApiError(pub StatusCode, pub String);

impl ApiError {
    pub fn no_tenant(id: &str) -> Self {
        ApiError(StatusCode::NOT_FOUND, format!("no tenant `{id}`"))
    }

    /// No operator token was set, so no one can be let in.
    pub fn off() -> Self {
        ApiError(
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "the API is off: the operator starts the service with {OPERATOR_TOKEN_ENV} or --operator-token-file"
            ),
        )
    }

    pub fn internal(e: anyhow::Error) -> Self {
        ApiError(StatusCode::INTERNAL_SERVER_ERROR, format!("{e:#}"))
    }

    pub fn invalid(e: anyhow::Error) -> Self {
        ApiError(StatusCode::UNPROCESSABLE_ENTITY, format!("{e:#}"))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1 }))).into_response()
    }
}

/// Runs blocking work (the database, a connector) off the async threads.
pub async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work).await.map_err(|e| ApiError::internal(e.into()))?
}
