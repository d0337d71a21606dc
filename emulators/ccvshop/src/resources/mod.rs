//! The emulated API resources and their routes under `/api/rest/v1`.

pub mod attributecombinations;
pub mod categories;
pub mod invoices;
pub mod orderrows;
pub mod orders;
pub mod paymethods;
pub mod personalinfo;
pub mod productqueries;
pub mod products;
pub mod producttocategories;
pub mod root;
pub mod users;
pub mod webhooks;

use axum::extract::{FromRequestParts, Path};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::Value;

use crate::errors::ApiError;
use crate::state::AppState;

/// A path id: all ids are integers; anything else is refused with the API's
/// error body rather than axum's plain text.
pub struct Id(pub u64);

impl<S: Send + Sync> FromRequestParts<S> for Id {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::validation(format!("bad path: {e}")))?;
        raw.parse().map(Id).map_err(|_| ApiError::validation(format!("resource ids are integers, got '{raw}'")))
    }
}

/// POST answers 201 with the created resource.
pub fn created(body: Value) -> (StatusCode, Json<Value>) {
    (StatusCode::CREATED, Json(body))
}

/// Routes relative to `/api/rest/v1` (trailing slashes are normalised away
/// before routing).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(root::index))
        .route("/orders", get(orders::list).post(orders::post))
        .route("/orders/{id}", get(orders::get).patch(orders::patch))
        .route("/orders/{id}/orderrows", get(orderrows::list).put(orderrows::replace))
        .route("/orderrows/{id}", get(orderrows::get).patch(orderrows::patch))
        .route("/users", get(users::list))
        .route("/users/{id}", get(users::get))
        .route("/products", get(products::list).post(products::post))
        .route("/products/{id}", get(products::get).patch(products::patch).delete(products::delete))
        .route("/products/{id}/attributecombinations", get(attributecombinations::list))
        .route("/products/{id}/producttocategories", get(producttocategories::of_product))
        .route("/attributecombinations/{id}", get(attributecombinations::get).patch(attributecombinations::patch))
        .route("/productqueries", get(productqueries::search))
        .route("/categories", get(categories::list).post(categories::post))
        .route("/categories/{id}", get(categories::get).patch(categories::patch).delete(categories::delete))
        .route("/categories/{id}/categories", get(categories::children))
        .route("/categories/{id}/producttocategories", get(producttocategories::of_category))
        .route("/producttocategories", post(producttocategories::post))
        .route(
            "/producttocategories/{id}",
            get(producttocategories::get).patch(producttocategories::patch).delete(producttocategories::delete),
        )
        .route("/invoices", get(invoices::list))
        .route("/invoices/{id}", get(invoices::get))
        .route("/invoices/{id}/invoicerows", get(invoices::rows))
        .route("/paymethods", get(paymethods::list))
        .route("/webhooks", get(webhooks::list).post(webhooks::post))
        .route("/webhooks/{id}", get(webhooks::get).patch(webhooks::patch).delete(webhooks::delete))
}
