//! `GET /productqueries`: finds products and variants by number. Each item
//! names the product and, for a variant hit, the attribute combination
//! (item shape unconfirmed, see UNCONFIRMED.md).

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use super::attributecombinations;
use crate::errors::{ApiError, ApiResult};
use crate::links::Links;
use crate::paging;
use crate::query::QueryParams;
use crate::resources::products;
use crate::state::AppState;

const FILTERS: &[&str] = &["productnumber", "eannumber", "mpnnumber", "skunumber"];

pub async fn search(State(app): State<AppState>, links: Links, query: QueryParams) -> ApiResult<Json<Value>> {
    query.allow("productqueries", FILTERS)?;
    if FILTERS.iter().all(|f| query.str(f).is_none()) {
        return Err(ApiError::validation(format!("productqueries needs at least one of: {}", FILTERS.join(", "))));
    }
    let wanted = |filter: &str, value: Option<&str>| query.str(filter).is_none_or(|q| value == Some(q));
    let shop = app.shop();
    let mut items = Vec::new();
    for p in shop.products.values() {
        let product_hit = wanted("productnumber", Some(&p.productnumber))
            && wanted("eannumber", p.eannumber.as_deref())
            && wanted("mpnnumber", p.mpnnumber.as_deref())
            && wanted("skunumber", Some(&p.productnumber));
        if product_hit {
            items.push(
                json!({ "product": products::render(&shop, &links, p, None), "attributecombination": Value::Null }),
            );
        }
        for c in shop.attribute_combinations.values().filter(|c| c.product_id == p.id) {
            let combination_hit = wanted("productnumber", c.product_number.as_deref())
                && wanted("eannumber", c.ean_number.as_deref())
                && query.str("mpnnumber").is_none()
                && wanted("skunumber", Some(&c.sku_number));
            if combination_hit && !product_hit {
                items.push(json!({
                    "product": products::render(&shop, &links, p, None),
                    "attributecombination": attributecombinations::render(&links, c),
                }));
            }
        }
    }
    Ok(Json(paging::unpaged(&links, items)))
}
