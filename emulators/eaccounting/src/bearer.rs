//! Who is calling the API: the bearer token's grant, checked on every API
//! request, and the scopes each operation needs.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::app::App;
use crate::errors::{ApiError, code};
use crate::schema::schemas;
use crate::tokens::Grant;

/// Axum middleware: refuses requests without a good bearer token (401) and
/// hands the grant to the handlers as a request extension.
pub async fn authenticate(State(app): State<Arc<App>>, mut request: Request, next: Next) -> Response {
    let header = request.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let Some(token) = header.and_then(|h| h.strip_prefix("Bearer ")).map(str::trim) else {
        return ApiError::unauthorized(
            "Authorization has been denied for this request: send 'Authorization: Bearer <access_token>'.",
        )
        .into_response();
    };
    let grant = app.tokens().authenticate(token);
    match grant {
        Ok(grant) => {
            request.extensions_mut().insert(grant);
            next.run(request).await
        }
        Err(refusal) => ApiError::unauthorized(format!(
            "Authorization has been denied for this request. {}",
            refusal.describe("access token")
        ))
        .into_response(),
    }
}

/// Checks the grant holds `ea:api` and one of the scopes the official
/// document lists for `operation` ("GET /vatcodes", "PUT /articles/{id}").
pub fn require_scopes(grant: &Grant, operation: &str) -> Result<(), ApiError> {
    let forbidden = |message: String| ApiError::new(StatusCode::FORBIDDEN, code::NO_ACCESS_TO_SCOPES, message);
    if !grant.has_scope("ea:api") {
        return Err(forbidden(format!("{operation} requires the scope ea:api, which the token does not have.")));
    }
    let accepted: Vec<&str> = schemas().scopes(operation).iter().filter_map(|s| s.as_str()).collect();
    if accepted.is_empty() || accepted.iter().any(|s| grant.has_scope(s)) {
        return Ok(());
    }
    Err(forbidden(format!(
        "No access to scopes: {operation} requires one of the scopes {}; the token has {}.",
        accepted.join(", "),
        grant.scopes.join(" ")
    )))
}
