//! `/v2/companysettings`: one object, no envelope.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::get;
use axum::{Extension, Json, Router};
use serde_json::Value;

use super::{merge, read_body};
use crate::app::App;
use crate::bearer::require_scopes;
use crate::errors::ApiError;
use crate::tokens::Grant;

const SCHEMA: &str = "CompanySettingsApi";

pub fn routes() -> Router<Arc<App>> {
    Router::new().route("/v2/companysettings", get(read).put(replace))
}

async fn read(State(app): State<Arc<App>>, Extension(grant): Extension<Grant>) -> Result<Json<Value>, ApiError> {
    require_scopes(&grant, "GET /companysettings")?;
    Ok(Json(app.books().company.clone()))
}

async fn replace(
    State(app): State<Arc<App>>,
    Extension(grant): Extension<Grant>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    require_scopes(&grant, "PUT /companysettings")?;
    let input = read_body(&headers, &body, SCHEMA, app.config.read_only_fields)?;
    let mut books = app.books();
    let company = merge(SCHEMA, &input, Some(&books.company));
    books.company = company.clone();
    Ok(Json(company))
}
