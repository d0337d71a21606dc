//! The feed's three endpoints behind its API key, counted per endpoint.

use std::sync::Arc;

use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use emulator_kit::stats::RequestStats;
use serde_json::{Value, json};

use crate::Config;
use crate::seed::{self, PAGE_SIZE};

pub struct Feed {
    pub api_key: String,
    pub orders: Vec<Value>,
    products: Vec<Value>,
    pub stats: Arc<RequestStats>,
}

impl Feed {
    pub fn new(config: &Config) -> Self {
        let (orders, catalogue) = seed::orders(config);
        Self {
            api_key: config.api_key.clone(),
            orders,
            products: catalogue.iter().map(seed::product).collect(),
            stats: RequestStats::new(),
        }
    }
}

pub fn router(feed: Arc<Feed>) -> Router {
    Router::new()
        .route("/feed/orders", get(list_orders))
        .route("/feed/orders/{id}", get(get_order))
        .route("/feed/products/{sku}", get(get_product))
        .route_layer(from_fn_with_state(feed.clone(), authenticate))
        .route_layer(from_fn_with_state(feed.stats.clone(), emulator_kit::stats::count))
        .with_state(feed)
}

async fn authenticate(State(feed): State<Arc<Feed>>, request: Request, next: Next) -> Response {
    let key = request.headers().get("x-api-key").and_then(|k| k.to_str().ok());
    if key != Some(feed.api_key.as_str()) {
        return error(StatusCode::UNAUTHORIZED, "missing or wrong X-Api-Key");
    }
    next.run(request).await
}

#[derive(serde::Deserialize)]
struct PageQuery {
    page: Option<usize>,
}

async fn list_orders(State(feed): State<Arc<Feed>>, Query(query): Query<PageQuery>) -> Response {
    let page = query.page.unwrap_or(1);
    if page == 0 {
        return error(StatusCode::BAD_REQUEST, "page counts from 1");
    }
    let start = (page - 1) * PAGE_SIZE;
    let orders: Vec<&Value> = feed.orders.iter().skip(start).take(PAGE_SIZE).collect();
    let next_page = (start + PAGE_SIZE < feed.orders.len()).then_some(page + 1);
    Json(json!({ "orders": orders, "next_page": next_page })).into_response()
}

async fn get_order(State(feed): State<Arc<Feed>>, Path(id): Path<String>) -> Response {
    found(feed.orders.iter().find(|o| o["id"] == id.as_str()), "order", &id)
}

async fn get_product(State(feed): State<Arc<Feed>>, Path(sku): Path<String>) -> Response {
    found(feed.products.iter().find(|p| p["sku"] == sku.as_str()), "product", &sku)
}

fn found(value: Option<&Value>, what: &str, id: &str) -> Response {
    match value {
        Some(value) => Json(value.clone()).into_response(),
        None => error(StatusCode::NOT_FOUND, &format!("no {what} {id}")),
    }
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}
