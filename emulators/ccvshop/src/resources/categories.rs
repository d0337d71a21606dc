//! `/categories` (list, create), `/categories/{id}` (read, change, delete)
//! and `/categories/{id}/categories`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::{Id, created};
use crate::config::CategoryDelete;
use crate::errors::{ApiError, ApiResult};
use crate::input::{Input, Kind, Schema};
use crate::links::Links;
use crate::model::{Category, Shop, Stored, find, find_mut};
use crate::paging;
use crate::query::QueryParams;
use crate::state::AppState;

/// Properties the emulator acts on.
const FIELDS: &[&str] = &["name", "description", "parentcategory_id", "position", "show_on_website"];

/// The rest of the documented input schema (categories post/patch v1):
/// layout and SEO, kept as written and rendered back.
const STORED: &[(&str, Kind)] = &[
    ("description_bottom", Kind::Text),
    ("searchwords", Kind::Text),
    ("description_photo_position", Kind::Text),
    ("description_photo_size", Kind::Text),
    ("description_photo_source", Kind::Text),
    ("description_photo_file_type", Kind::Text),
    ("layout_of_products_id", Kind::Integer),
    ("color", Kind::Integer),
    ("color_alternative", Kind::Integer),
    ("layout_of_categories_id", Kind::Integer),
    ("photo_source", Kind::Text),
    ("photo_file_type", Kind::Text),
    ("show_big_photo", Kind::Flag),
    ("productphoto_in_canvas", Kind::Flag),
    ("show_orderbutton", Kind::Flag),
    ("orderby", Kind::Text),
    ("items_per_page", Kind::Integer),
    ("meta_description", Kind::Text),
    ("meta_keywords", Kind::Text),
    ("page_title", Kind::Text),
    ("no_index", Kind::Flag),
    ("no_follow", Kind::Flag),
    ("alias", Kind::Text),
];

const RENAMED: &[(&str, &str)] = &[("parentcategory", "parentcategory_id")];

const CATEGORY_POST: Schema =
    Schema { name: "internal.resource.categories.post.v1", fields: FIELDS, stored: STORED, renamed: RENAMED };
const CATEGORY_PATCH: Schema =
    Schema { name: "internal.resource.categories.patch.v1", fields: FIELDS, stored: STORED, renamed: RENAMED };

pub fn render(links: &Links, c: &Category) -> Value {
    let path = format!("/categories/{}", c.id);
    let mut rendered = json!({
        "href": links.api(&path),
        "id": c.id,
        "name": c.name,
        "description": c.description,
        "position": c.position,
        "show_on_website": c.show_on_website,
        "alias": c.name.to_lowercase().replace(' ', "-"),
        "deeplink": format!("{}/{}", links.origin, c.name.to_lowercase().replace(' ', "-")),
        "parentcategory": c.parent_id.map(|p| json!({ "id": p, "href": links.api(&format!("/categories/{p}")) })),
        "categories": links.link(&format!("{path}/categories")),
        "producttocategories": links.link(&format!("{path}/producttocategories")),
    });
    for (name, value) in &c.stored {
        rendered[name] = value.clone();
    }
    rendered
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
    let id = shop.new_id();
    let mut category = Category {
        id,
        name,
        description: String::new(),
        position: 0,
        parent_id: None,
        // A new category shows unless the request says otherwise.
        show_on_website: true,
        stored: Stored::new(),
    };
    apply(&shop, &mut category, &input)?;
    if !input.has("position") {
        // "When the position isn't filled the highest position will be used."
        let siblings = shop.categories.values().filter(|c| c.parent_id == category.parent_id);
        category.position = siblings.map(|c| c.position).max().unwrap_or(0) + 1;
    }
    let body = render(&links, &category);
    shop.categories.insert(id, category);
    Ok(created(body))
}

pub async fn patch(State(app): State<AppState>, Id(id): Id, body: Bytes) -> ApiResult<StatusCode> {
    let input = Input::parse(&body, &CATEGORY_PATCH)?;
    let mut shop = app.shop();
    let mut category = find(&shop.categories, "category", id)?.clone();
    apply(&shop, &mut category, &input)?;
    *find_mut(&mut shop.categories, "category", id)? = category;
    Ok(StatusCode::NO_CONTENT)
}

/// Deletes the category and every product link to it; its subcategories
/// as `Config::category_delete` says. Products themselves stay.
pub async fn delete(State(app): State<AppState>, Id(id): Id) -> ApiResult<StatusCode> {
    let mut shop = app.shop();
    find(&shop.categories, "category", id)?;
    let doomed = with_descendants(&shop, id);
    if doomed.len() > 1 && app.config.category_delete == CategoryDelete::RefuseWithSubcategories {
        return Err(ApiError::read_only(format!(
            "category {id} has {} subcategories; delete or move them first",
            doomed.len() - 1
        )));
    }
    shop.categories.retain(|c, _| !doomed.contains(c));
    shop.product_to_categories.retain(|_, l| !doomed.contains(&l.category_id));
    Ok(StatusCode::NO_CONTENT)
}

/// `id` and every category below it.
fn with_descendants(shop: &Shop, id: u64) -> Vec<u64> {
    let mut found = vec![id];
    let mut i = 0;
    while i < found.len() {
        let parent = found[i];
        found.extend(shop.categories.values().filter(|c| c.parent_id == Some(parent)).map(|c| c.id));
        i += 1;
    }
    found
}

fn apply(shop: &Shop, c: &mut Category, input: &Input) -> ApiResult<()> {
    if let Some(name) = input.str("name")? {
        if name.trim().is_empty() {
            return Err(input.invalid("name", "must not be empty"));
        }
        c.name = name;
    }
    if let Some(description) = input.str("description")? {
        c.description = description;
    }
    if let Some(position) = input.u64("position")? {
        c.position = position;
    }
    if let Some(show) = input.bool("show_on_website")? {
        c.show_on_website = show;
    }
    if let Some(parent) = input.u64("parentcategory_id")? {
        find(&shop.categories, "category", parent)?;
        if shop.categories.contains_key(&c.id) && with_descendants(shop, c.id).contains(&parent) {
            return Err(input.invalid(
                "parentcategory_id",
                &format!("{parent} is category {} itself or one of its subcategories", c.id),
            ));
        }
        c.parent_id = Some(parent);
    }
    c.stored.extend(input.stored()?);
    Ok(())
}
