//! Assembling the server: API routes with their middleware stack, the
//! `/_emulator` control routes, and trailing-slash normalisation.

use std::sync::Arc;

use axum::Router;
use axum::extract::Request;
use axum::http::{Method, Uri};
use axum::middleware::{Next, from_fn, from_fn_with_state};
use axum::response::Response;
use emulator_kit::{Faults, RequestStats, faults, stats};

use crate::errors::ApiError;
use crate::links::{API_PREFIX, RequestTarget};
use crate::state::AppState;
use crate::{auth, control, rate_limits, resources};

/// Per API request, outermost first: count, inject faults, verify and sign,
/// rate-limit, handle. Control routes get none of these.
pub fn router(app: AppState, faults: Arc<Faults>, stats: Arc<RequestStats>) -> Router {
    let api = Router::new()
        .nest(API_PREFIX, resources::routes())
        .method_not_allowed_fallback(method_not_allowed)
        .route_layer(from_fn_with_state(app.clone(), rate_limits::enforce))
        .route_layer(from_fn_with_state(app.clone(), auth::verify_and_sign))
        .route_layer(from_fn_with_state(faults.clone(), faults::inject))
        .route_layer(from_fn_with_state(stats.clone(), stats::count))
        .fallback(invalid_resource)
        .with_state(app.clone());
    Router::new()
        .merge(emulator_kit::control::routes(faults, stats))
        .merge(control::routes(app))
        .fallback_service(api)
        .layer(from_fn(normalize_trailing_slash))
}

/// Both `/orders/1` and `/orders/1/` are served (clients differ); routing
/// sees the path without the slash, the signature check the path as sent.
async fn normalize_trailing_slash(mut request: Request, next: Next) -> Response {
    let uri = request.uri().clone();
    let target = RequestTarget { path: uri.path().to_string(), query: uri.query().map(str::to_string) };
    let trimmed = uri.path().trim_end_matches('/');
    if trimmed.len() < uri.path().len() && !trimmed.is_empty() {
        let rebuilt = match uri.query() {
            Some(q) => format!("{trimmed}?{q}"),
            None => trimmed.to_string(),
        };
        if let Ok(rebuilt) = rebuilt.parse::<Uri>() {
            *request.uri_mut() = rebuilt;
        }
    }
    request.extensions_mut().insert(target);
    next.run(request).await
}

async fn invalid_resource(uri: Uri) -> ApiError {
    ApiError::invalid_resource(uri.path())
}

async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::method_not_allowed(method.as_str(), uri.path())
}
