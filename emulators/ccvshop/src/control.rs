//! What a test does to the shop as the shop's own back office would (place
//! an order, mark it paid, change a product), as Rust calls and as
//! `/_emulator` HTTP endpoints. Changes raise the same webhook events as
//! API calls.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, patch, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::errors::ApiResult;
use crate::resources::orders::{self, NewOrder};
use crate::resources::products;
use crate::state::{AppState, Shared};

impl Shared {
    /// Everything the emulator holds, in its internal form.
    pub fn state_dump(&self) -> Value {
        json!({ "shop": *self.shop(), "webhook_deliveries": self.hooks.deliveries() })
    }

    pub fn place_order(&self, new: &NewOrder) -> ApiResult<u64> {
        orders::place(self, new)
    }

    pub fn mark_order_paid(&self, id: u64) -> ApiResult<()> {
        orders::set_paid(self, &mut self.shop(), id, true)
    }

    pub fn set_order_status(&self, id: u64, status: u8) -> ApiResult<()> {
        orders::set_status(self, &mut self.shop(), id, status)
    }

    /// `patch` is a `PATCH /products/{id}` body, checked the same way.
    pub fn update_product(&self, id: u64, patch: Value) -> ApiResult<()> {
        products::update(self, id, &products::patch_input(patch)?)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusChange {
    status: u8,
}

/// `GET /_emulator/state`, `POST /_emulator/reset`, `POST /_emulator/orders`,
/// `POST /_emulator/orders/{id}/paid`, `PUT /_emulator/orders/{id}/status`,
/// `PATCH /_emulator/products/{id}`, `GET /_emulator/webhooks/deliveries`.
pub fn routes(app: AppState) -> Router {
    Router::new()
        .route("/_emulator/state", get(|State(app): State<AppState>| async move { Json(app.state_dump()) }))
        .route(
            "/_emulator/reset",
            post(|State(app): State<AppState>| async move {
                app.reset();
                StatusCode::NO_CONTENT
            }),
        )
        .route("/_emulator/orders", post(place_order))
        .route(
            "/_emulator/orders/{id}/paid",
            post(|State(app): State<AppState>, Path(id): Path<u64>| async move {
                app.mark_order_paid(id).map(|()| StatusCode::NO_CONTENT)
            }),
        )
        .route(
            "/_emulator/orders/{id}/status",
            put(|State(app): State<AppState>, Path(id): Path<u64>, Json(change): Json<StatusChange>| async move {
                app.set_order_status(id, change.status).map(|()| StatusCode::NO_CONTENT)
            }),
        )
        .route(
            "/_emulator/products/{id}",
            patch(|State(app): State<AppState>, Path(id): Path<u64>, Json(body): Json<Value>| async move {
                app.update_product(id, body).map(|()| StatusCode::NO_CONTENT)
            }),
        )
        .route(
            "/_emulator/webhooks/deliveries",
            get(|State(app): State<AppState>| async move { Json(app.hooks.deliveries()) }),
        )
        .with_state(app)
}

async fn place_order(State(app): State<AppState>, Json(new): Json<NewOrder>) -> ApiResult<(StatusCode, Json<Value>)> {
    let id = app.place_order(&new)?;
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))))
}
