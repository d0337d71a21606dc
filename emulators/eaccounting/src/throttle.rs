//! The API's rate limit: a number of requests per minute per client and
//! endpoint (the matched route, so `/customers/{id}` counts as one URL
//! whatever the id, and all methods on it together).

use std::sync::Arc;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::app::App;
use crate::errors::ApiError;
use crate::tokens::Grant;

/// Axum middleware, layered inside `bearer::authenticate` (it needs the client).
pub async fn limit(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let Some(per_minute) = app.config.rate_limit_per_minute else {
        return next.run(request).await;
    };
    let client = request.extensions().get::<Grant>().map(|g| g.client_id.clone()).unwrap_or_default();
    let endpoint = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| request.uri().path().to_string());
    match app.limiter.check(&format!("{client} {endpoint}"), per_minute) {
        Ok(()) => next.run(request).await,
        Err(wait) => ApiError::too_many_requests(per_minute, wait.as_secs().max(1)).into_response(),
    }
}
