//! Per-resource, per-method request limits (spec §4): 150 GET and 100 writes
//! a minute on each resource by default, 30 for `GET /productqueries`.

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::errors::ApiError;
use crate::state::AppState;

/// Axum middleware for the API routes; a no-op when limits are off.
pub async fn enforce(State(app): State<AppState>, matched: MatchedPath, request: Request, next: Next) -> Response {
    let (Some(limiter), Some(limits)) = (&app.limiter, &app.config.rate_limits) else {
        return next.run(request).await;
    };
    let method = request.method().clone();
    let resource = matched.as_str().trim_end_matches('/');
    let limit = if method != Method::GET {
        limits.write
    } else if resource.ends_with("/productqueries") {
        limits.productqueries
    } else {
        limits.get
    };
    let key = format!("{method} {resource}");
    match limiter.check(&key, limit) {
        Ok(()) => next.run(request).await,
        Err(wait) => {
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            let mut response = ApiError::rate_limited(&key, limit, secs).into_response();
            response.headers_mut().insert("retry-after", HeaderValue::from(secs));
            response
        }
    }
}
