//! `GET /paymethods`: a small, unpaginated collection.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::config::ExtraCostsShape;
use crate::errors::ApiResult;
use crate::links::Links;
use crate::paging;
use crate::query::QueryParams;
use crate::state::AppState;

pub async fn list(State(app): State<AppState>, links: Links, query: QueryParams) -> ApiResult<Json<Value>> {
    query.allow("paymethods", &[])?;
    let shop = app.shop();
    let shape = app.config.paymethod_extra_costs;
    let items = shop
        .paymethods
        .values()
        .map(|p| {
            json!({
                "href": links.api(&format!("/paymethods/{}", p.id)),
                "id": p.id,
                "psp": p.psp,
                "method": p.method,
                "combined_name": p.combined_name(),
                "label": p.label,
                "extra_costs": match shape {
                    ExtraCostsShape::Number => json!(p.extra_costs_fixed),
                    ExtraCostsShape::Boolean => json!(p.extra_costs_fixed != 0.0),
                },
                "extra_costs_fixed": p.extra_costs_fixed,
                "extra_costs_percentage": 0.0,
            })
        })
        .collect();
    Ok(Json(paging::unpaged(&links, items)))
}
