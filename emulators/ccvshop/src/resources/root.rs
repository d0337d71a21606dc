//! `GET /api/rest/v1/`: the resources this key may use.

use axum::Json;
use serde_json::{Value, json};

use crate::links::Links;

const RESOURCES: &[(&str, &str)] = &[
    ("orders", "Orders placed in the shop"),
    ("orderrows", "Rows of orders"),
    ("users", "Registered customers"),
    ("products", "Products"),
    ("productqueries", "Find products and variants by number"),
    ("attributecombinations", "Product variants"),
    ("categories", "Categories"),
    ("producttocategories", "Product to category links"),
    ("paymethods", "Payment methods"),
    ("webhooks", "Webhooks"),
];

pub async fn index(links: Links) -> Json<Value> {
    let items: Vec<Value> = RESOURCES
        .iter()
        .map(|(name, description)| {
            json!({ "href": links.api(&format!("/{name}")), "title": name, "description": description, "uri": format!("/{name}") })
        })
        .collect();
    Json(json!({ "href": links.api("/"), "items": items }))
}
