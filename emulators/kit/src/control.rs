//! Inspection and control endpoints under `/_emulator`, shared by both
//! emulators: request counts and fault knobs. Each emulator adds its own
//! state dump and reset next to these.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};

use crate::{FaultConfig, Faults, RequestStats};

#[derive(Clone)]
struct Control {
    faults: Arc<Faults>,
    stats: Arc<RequestStats>,
}

/// `GET /_emulator/stats`, `POST /_emulator/stats/reset`,
/// `GET|PUT /_emulator/faults`.
pub fn routes(faults: Arc<Faults>, stats: Arc<RequestStats>) -> Router {
    Router::new()
        .route("/_emulator/stats", get(stats_snapshot))
        .route("/_emulator/stats/reset", post(stats_reset))
        .route("/_emulator/faults", get(faults_get).put(faults_put))
        .with_state(Control { faults, stats })
}

async fn stats_snapshot(State(c): State<Control>) -> Json<serde_json::Value> {
    let counts = c.stats.snapshot();
    let total: u64 = counts.values().sum();
    Json(serde_json::json!({ "total": total, "endpoints": counts }))
}

async fn stats_reset(State(c): State<Control>) -> StatusCode {
    c.stats.reset();
    StatusCode::NO_CONTENT
}

async fn faults_get(State(c): State<Control>) -> Json<FaultConfig> {
    Json(c.faults.config())
}

async fn faults_put(State(c): State<Control>, Json(config): Json<FaultConfig>) -> (StatusCode, String) {
    match c.faults.set(config) {
        Ok(()) => (StatusCode::NO_CONTENT, String::new()),
        Err(e) => (StatusCode::BAD_REQUEST, e.to_string()),
    }
}
