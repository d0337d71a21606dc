//! Variants: `/products/{id}/attributecombinations` and
//! `/attributecombinations/{id}` (stock lives here for variant products).

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::Id;
use crate::errors::ApiResult;
use crate::input::{Input, Schema};
use crate::links::Links;
use crate::model::{AttributeCombination, find, find_mut};
use crate::paging;
use crate::query::QueryParams;
use crate::state::AppState;

const COMBINATION_PATCH: Schema = Schema {
    name: "internal.resource.attributecombinations.patch.v1",
    stored: &[],
    fields: &["stock", "product_number", "sku_number", "ean_number", "active", "stock_delivery_type"],
    renamed: &[],
};

pub fn render(links: &Links, c: &AttributeCombination) -> Value {
    let combination: Vec<Value> = c
        .combination
        .iter()
        .map(|(attribute, value)| {
            json!({
                "attribute": { "name": attribute },
                "attribute_value": { "name": value },
                "extra_price": 0.0,
            })
        })
        .collect();
    json!({
        "href": links.api(&format!("/attributecombinations/{}", c.id)),
        "id": c.id,
        "product_id": c.product_id,
        "stock": c.stock,
        "product_number": c.product_number,
        "sku_number": c.sku_number,
        "ean_number": c.ean_number,
        "active": c.active,
        "netto_extra_price": 0.0,
        "combination": combination,
        "parent": { "href": links.api(&format!("/products/{}", c.product_id)) },
    })
}

pub async fn list(State(app): State<AppState>, links: Links, query: QueryParams, Id(id): Id) -> ApiResult<Json<Value>> {
    query.allow("attributecombinations", &[])?;
    let shop = app.shop();
    find(&shop.products, "product", id)?;
    let items =
        shop.attribute_combinations.values().filter(|c| c.product_id == id).map(|c| render(&links, c)).collect();
    Ok(Json(paging::page(&links, &query, items)?))
}

pub async fn get(State(app): State<AppState>, links: Links, Id(id): Id) -> ApiResult<Json<Value>> {
    let shop = app.shop();
    Ok(Json(render(&links, find(&shop.attribute_combinations, "attributecombination", id)?)))
}

pub async fn patch(State(app): State<AppState>, Id(id): Id, body: Bytes) -> ApiResult<StatusCode> {
    let input = Input::parse(&body, &COMBINATION_PATCH)?;
    let mut shop = app.shop();
    let mut c = find(&shop.attribute_combinations, "attributecombination", id)?.clone();
    if let Some(stock) = input.f64("stock")? {
        c.stock = stock;
    }
    if let Some(sku) = input.str("sku_number")? {
        c.sku_number = sku;
    }
    if let Some(number) = input.str("product_number")? {
        c.product_number = Some(number);
    }
    if let Some(ean) = input.str("ean_number")? {
        c.ean_number = Some(ean).filter(|e| !e.is_empty());
    }
    if let Some(active) = input.bool("active")? {
        c.active = active;
    }
    input.str("stock_delivery_type")?;
    *find_mut(&mut shop.attribute_combinations, "attributecombination", id)? = c;
    Ok(StatusCode::NO_CONTENT)
}
