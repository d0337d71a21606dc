//! `/categories`, `/categories/{id}` and `/categories/{id}/categories`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::{Id, created};
use crate::errors::ApiResult;
use crate::input::{Input, Schema};
use crate::links::Links;
use crate::model::{Category, find};
use crate::paging;
use crate::query::QueryParams;
use crate::state::AppState;

const CATEGORY_POST: Schema = Schema {
    name: "internal.resource.categories.post.v1",
    fields: &["name", "description", "parentcategory_id", "position", "show_on_website"],
    renamed: &[("parentcategory", "parentcategory_id")],
};

pub fn render(links: &Links, c: &Category) -> Value {
    let path = format!("/categories/{}", c.id);
    json!({
        "href": links.api(&path),
        "id": c.id,
        "name": c.name,
        "description": c.description,
        "position": c.position,
        "show_on_website": true,
        "alias": c.name.to_lowercase().replace(' ', "-"),
        "deeplink": format!("{}/{}", links.origin, c.name.to_lowercase().replace(' ', "-")),
        "parentcategory": c.parent_id.map(|p| json!({ "id": p, "href": links.api(&format!("/categories/{p}")) })),
        "categories": links.link(&format!("{path}/categories")),
        "producttocategories": links.link(&format!("{path}/producttocategories")),
    })
}

pub async fn list(State(app): State<AppState>, links: Links, query: QueryParams) -> ApiResult<Json<Value>> {
    query.allow("categories", &[])?;
    let shop = app.shop();
    let items = shop.categories.values().map(|c| render(&links, c)).collect();
    Ok(Json(paging::page(&links, &query, items)?))
}

pub async fn children(
    State(app): State<AppState>,
    links: Links,
    query: QueryParams,
    Id(id): Id,
) -> ApiResult<Json<Value>> {
    query.allow("categories/{id}/categories", &[])?;
    let shop = app.shop();
    find(&shop.categories, "category", id)?;
    let items = shop.categories.values().filter(|c| c.parent_id == Some(id)).map(|c| render(&links, c)).collect();
    Ok(Json(paging::page(&links, &query, items)?))
}

pub async fn get(State(app): State<AppState>, links: Links, Id(id): Id) -> ApiResult<Json<Value>> {
    let shop = app.shop();
    Ok(Json(render(&links, find(&shop.categories, "category", id)?)))
}

pub async fn post(State(app): State<AppState>, links: Links, body: Bytes) -> ApiResult<(StatusCode, Json<Value>)> {
    let input = Input::parse(&body, &CATEGORY_POST)?;
    let name = input.required("name", input.str("name")?)?;
    let mut shop = app.shop();
    let parent_id = input.u64("parentcategory_id")?;
    if let Some(p) = parent_id {
        find(&shop.categories, "category", p)?;
    }
    input.bool("show_on_website")?;
    let id = shop.new_id();
    let category = Category {
        id,
        name,
        description: input.str("description")?.unwrap_or_default(),
        position: input.u64("position")?.unwrap_or(1),
        parent_id,
    };
    let body = render(&links, &category);
    shop.categories.insert(id, category);
    Ok(created(body))
}
