//! Request counts per endpoint ("GET /api/rest/v1/orders/{id}"), for tests and
//! benchmarks that count API calls.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

#[derive(Default)]
pub struct RequestStats {
    counts: Mutex<BTreeMap<String, u64>>,
}

impl RequestStats {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    pub fn snapshot(&self) -> BTreeMap<String, u64> {
        self.counts.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn total(&self) -> u64 {
        self.snapshot().values().sum()
    }

    pub fn reset(&self) {
        self.counts.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    fn count(&self, endpoint: String) {
        *self.counts.lock().unwrap_or_else(|p| p.into_inner()).entry(endpoint).or_default() += 1;
    }
}

/// Axum middleware: apply it with `route_layer` so the matched path is known.
pub async fn count(State(stats): State<Arc<RequestStats>>, request: Request, next: Next) -> Response {
    let path = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| request.uri().path().to_string());
    stats.count(format!("{} {}", request.method(), path));
    next.run(request).await
}
