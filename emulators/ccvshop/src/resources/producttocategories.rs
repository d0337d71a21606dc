//! Links between products and categories: `/producttocategories` and the
//! per-product and per-category lists.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::{Id, created};
use crate::errors::{ApiError, ApiResult};
use crate::input::{Input, Schema};
use crate::links::Links;
use crate::model::{ProductToCategory, find, find_mut};
use crate::paging;
use crate::query::QueryParams;
use crate::state::AppState;

const LINK_POST: Schema = Schema {
    name: "internal.resource.producttocategories.post.v1",
    stored: &[],
    fields: &["product_id", "category_id", "position"],
    renamed: &[],
};

const LINK_PATCH: Schema =
    Schema { name: "internal.resource.producttocategories.patch.v1", stored: &[], fields: &["position"], renamed: &[] };

pub fn render(links: &Links, l: &ProductToCategory) -> Value {
    json!({
        "href": links.api(&format!("/producttocategories/{}", l.id)),
        "id": l.id,
        "product_id": l.product_id,
        "category_id": l.category_id,
        "position": l.position,
        "product_href": links.api(&format!("/products/{}", l.product_id)),
        "category_href": links.api(&format!("/categories/{}", l.category_id)),
    })
}

/// Lists the links whose product (or category) is `id`.
async fn list_by(app: AppState, links: Links, query: QueryParams, id: u64, by_product: bool) -> ApiResult<Json<Value>> {
    query.allow("producttocategories", &[])?;
    let shop = app.shop();
    if by_product {
        find(&shop.products, "product", id)?;
    } else {
        find(&shop.categories, "category", id)?;
    }
    let items = shop
        .product_to_categories
        .values()
        .filter(|l| if by_product { l.product_id == id } else { l.category_id == id })
        .map(|l| render(&links, l))
        .collect();
    Ok(Json(paging::page(&links, &query, items)?))
}

pub async fn of_product(
    State(app): State<AppState>,
    links: Links,
    query: QueryParams,
    Id(id): Id,
) -> ApiResult<Json<Value>> {
    list_by(app, links, query, id, true).await
}

pub async fn of_category(
    State(app): State<AppState>,
    links: Links,
    query: QueryParams,
    Id(id): Id,
) -> ApiResult<Json<Value>> {
    list_by(app, links, query, id, false).await
}

pub async fn get(State(app): State<AppState>, links: Links, Id(id): Id) -> ApiResult<Json<Value>> {
    let shop = app.shop();
    Ok(Json(render(&links, find(&shop.product_to_categories, "producttocategory", id)?)))
}

pub async fn post(State(app): State<AppState>, links: Links, body: Bytes) -> ApiResult<(StatusCode, Json<Value>)> {
    let input = Input::parse(&body, &LINK_POST)?;
    let product_id = input.required("product_id", input.u64("product_id")?)?;
    let category_id = input.required("category_id", input.u64("category_id")?)?;
    let mut shop = app.shop();
    find(&shop.products, "product", product_id)?;
    find(&shop.categories, "category", category_id)?;
    if let Some(existing) =
        shop.product_to_categories.values().find(|l| l.product_id == product_id && l.category_id == category_id)
    {
        return Err(ApiError::already_exists(format!(
            "product {product_id} is already in category {category_id} (producttocategory {})",
            existing.id
        )));
    }
    let id = shop.new_id();
    let link = ProductToCategory { id, product_id, category_id, position: input.u64("position")?.unwrap_or(1) };
    let body = render(&links, &link);
    shop.product_to_categories.insert(id, link);
    Ok(created(body))
}

pub async fn patch(State(app): State<AppState>, Id(id): Id, body: Bytes) -> ApiResult<StatusCode> {
    let input = Input::parse(&body, &LINK_PATCH)?;
    let mut shop = app.shop();
    let link = find_mut(&mut shop.product_to_categories, "producttocategory", id)?;
    if let Some(position) = input.u64("position")? {
        link.position = position;
    }
    Ok(StatusCode::NO_CONTENT)
}

pub async fn delete(State(app): State<AppState>, Id(id): Id) -> ApiResult<StatusCode> {
    let mut shop = app.shop();
    find(&shop.product_to_categories, "producttocategory", id)?;
    shop.product_to_categories.remove(&id);
    Ok(StatusCode::NO_CONTENT)
}
