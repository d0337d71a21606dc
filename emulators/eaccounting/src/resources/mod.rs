//! The API's collections, served by one set of generic handlers (list, get,
//! create, replace, delete); what differs per collection is how a written
//! item is checked and completed, in the collection's own file.

mod articles;
mod company;
mod customers;
mod documents;
mod invoice_drafts;
mod invoices;
mod orders;
mod payments;
mod quotes;

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use axum::{Extension, Json, Router};
use serde_json::{Map, Value, json};

use crate::app::App;
use crate::bearer::require_scopes;
use crate::books::{Books, Kind, now_utc};
use crate::config::ReadOnlyFields;
use crate::errors::{ApiError, FieldError, code};
use crate::query::ListQuery;
use crate::schema::schemas;
use crate::tokens::Grant;

pub use orders::reserve_stock;

type Ctx = (State<Arc<App>>, Extension<Grant>);

/// `/v2/<collection>` and `/v2/<collection>/{id}` for every collection,
/// plus `/v2/companysettings`.
pub fn routes() -> Router<Arc<App>> {
    let mut router = Router::new().merge(company::routes()).merge(payments::routes());
    for kind in Kind::ALL {
        let writes = kind.writes();
        let mut collection: MethodRouter<Arc<App>> = get(
            move |State(app): State<Arc<App>>, Extension(grant): Extension<Grant>, RawQuery(raw): RawQuery| async move {
                list(&app, &grant, kind, raw.as_deref())
            },
        );
        if writes.create {
            collection = collection.post(
                move |(State(app), Extension(grant)): Ctx, headers: HeaderMap, body: Bytes| async move {
                    write(&app, &grant, kind, None, &headers, &body)
                },
            );
        }
        let mut item: MethodRouter<Arc<App>> =
            get(move |(State(app), Extension(grant)): Ctx, Path(id): Path<String>| async move {
                get_one(&app, &grant, kind, &id)
            });
        if writes.update {
            item =
                item.put(
                    move |(State(app), Extension(grant)): Ctx,
                          Path(id): Path<String>,
                          headers: HeaderMap,
                          body: Bytes| async move {
                        write(&app, &grant, kind, Some(&id), &headers, &body)
                    },
                );
        }
        if writes.delete {
            item = item.delete(move |(State(app), Extension(grant)): Ctx, Path(id): Path<String>| async move {
                delete(&app, &grant, kind, &id)
            });
        }
        router = router
            .route(&format!("/v2/{}", kind.path()), collection)
            .route(&format!("/v2/{}/{{id}}", kind.path()), item);
    }
    router
}

fn list(app: &App, grant: &Grant, kind: Kind, raw: Option<&str>) -> Result<Json<Value>, ApiError> {
    require_scopes(grant, &format!("GET /{}", kind.path()))?;
    let query = ListQuery::parse(raw, kind.schema(), app.config.max_page_size)?;
    let items = app.books().all(kind).to_vec();
    Ok(Json(crate::envelope::page(query.apply(items, app.config.filter_strings), &query)))
}

fn get_one(app: &App, grant: &Grant, kind: Kind, id: &str) -> Result<Json<Value>, ApiError> {
    require_scopes(grant, &format!("GET /{}/{{id}}", kind.path()))?;
    check_key(kind, id)?;
    app.books().find(kind, id).cloned().map(Json).ok_or_else(|| ApiError::not_found(kind.noun(), id))
}

/// POST (no `id`, answers 201) or PUT (full replace, answers 200).
fn write(
    app: &App,
    grant: &Grant,
    kind: Kind,
    id: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, ApiError> {
    let operation = match id {
        None => format!("POST /{}", kind.path()),
        Some(_) => format!("PUT /{}/{{id}}", kind.path()),
    };
    require_scopes(grant, &operation)?;
    let input = read_body(headers, body, kind.schema(), app.config.read_only_fields)?;
    let mut books = app.books();
    let existing = match id {
        Some(id) => {
            check_key(kind, id)?;
            Some(books.find(kind, id).cloned().ok_or_else(|| ApiError::not_found(kind.noun(), id))?)
        }
        None => None,
    };
    let item = prepare(kind, &mut books, &input, existing.as_ref())?;
    let key = item[kind.key()].as_str().unwrap_or_default().to_string();
    books.put(kind, item);
    reserve_stock(&mut books);
    let stored = books.find(kind, &key).cloned().unwrap_or_default();
    let status = if id.is_some() { StatusCode::OK } else { StatusCode::CREATED };
    Ok((status, Json(stored)).into_response())
}

fn delete(app: &App, grant: &Grant, kind: Kind, id: &str) -> Result<Response, ApiError> {
    require_scopes(grant, &format!("DELETE /{}/{{id}}", kind.path()))?;
    check_key(kind, id)?;
    let mut books = app.books();
    let item = books.find(kind, id).cloned().ok_or_else(|| ApiError::not_found(kind.noun(), id))?;
    match kind {
        Kind::Customers => customers::check_delete(&books, &item)?,
        Kind::Orders => orders::check_delete(&item)?,
        _ => {}
    }
    books.remove(kind, id);
    reserve_stock(&mut books);
    Ok(StatusCode::OK.into_response())
}

fn prepare(
    kind: Kind,
    books: &mut Books,
    input: &Map<String, Value>,
    existing: Option<&Value>,
) -> Result<Value, ApiError> {
    match kind {
        Kind::Customers => customers::prepare(books, input, existing),
        Kind::Articles => articles::prepare(books, input, existing),
        Kind::Orders => orders::prepare(books, input, existing),
        Kind::Quotes => quotes::prepare(books, input, existing),
        Kind::CustomerInvoiceDrafts => invoice_drafts::prepare(books, input, existing),
        Kind::CustomerInvoices => invoices::prepare(books, input, existing),
        _ => unreachable!("routes register writes only for writable collections"),
    }
}

/// Ids in paths are GUIDs (countries: ISO codes); anything else is refused
/// as the API's model binding does.
fn check_key(kind: Kind, id: &str) -> Result<(), ApiError> {
    if kind.key() == "Id" && uuid::Uuid::try_parse(id).is_err() {
        return Err(ApiError::invalid_input(format!(
            "The value '{id}' is not a valid GUID for the {} id.",
            kind.noun()
        )));
    }
    Ok(())
}

/// A JSON object body that passes the component schema: no property the
/// schema does not name, and no read-only one if `read_only` says so.
pub fn read_body(
    headers: &HeaderMap,
    body: &[u8],
    schema: &str,
    read_only: ReadOnlyFields,
) -> Result<Map<String, Value>, ApiError> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if !content_type.starts_with("application/json") {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            code::VALIDATION,
            format!("Content-Type must be application/json, got '{content_type}'."),
        ));
    }
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::validation(format!("The request body is not valid JSON: {e}"), Vec::new()))?;
    let Value::Object(input) = value else {
        return Err(ApiError::validation(format!("The request body must be a JSON object ({schema})."), Vec::new()));
    };
    let input_value = Value::Object(input.clone());
    let mut errors = schemas().validate(schema, &input_value);
    if read_only == ReadOnlyFields::Refuse {
        errors.extend(schemas().read_only_set(schema, &input_value));
    }
    if let Some(first) = errors.first() {
        let message = format!("The request is invalid: {} ({} problem(s), see Errors).", first.message, errors.len());
        return Err(ApiError::validation(message, errors));
    }
    Ok(input)
}

/// A new or replaced item: the existing one (or blanks) with every writable
/// property taken from `input`; PUT is a full replace, so a writable
/// property left out goes back to its blank value.
fn merge(schema: &str, input: &Map<String, Value>, existing: Option<&Value>) -> Value {
    let blank = schemas().blank(schema);
    let mut item = existing.cloned().unwrap_or_else(|| Value::Object(blank.clone()));
    let writable = schemas().writable(schema, &blank);
    for (field, blank_value) in writable {
        item[&field] = input.get(&field).cloned().unwrap_or(blank_value);
    }
    if existing.is_none() && item.get("Id").is_some() {
        item["Id"] = json!(uuid::Uuid::new_v4().to_string());
    }
    item
}

/// `field` must name an existing item of `kind` (when set), else 3000.
fn reference<'b>(books: &'b Books, kind: Kind, item: &Value, field: &str) -> Result<Option<&'b Value>, ApiError> {
    let Some(id) = item[field].as_str().filter(|id| *id != "00000000-0000-0000-0000-000000000000") else {
        return Ok(None);
    };
    books.find(kind, id).map(Some).ok_or_else(|| {
        ApiError::field(
            code::NOT_FOUND,
            FieldError::new(field, "NotFound", format!("{field}: {} '{id}' does not exist.", kind.noun())),
        )
    })
}

/// Like [`reference`], for a field the schema requires.
fn required_reference<'b>(books: &'b Books, kind: Kind, item: &Value, field: &str) -> Result<&'b Value, ApiError> {
    reference(books, kind, item, field)?.ok_or_else(|| {
        ApiError::validation(
            format!("The {field} field is required."),
            vec![FieldError::new(field, "Required", format!("The {field} field is required."))],
        )
    })
}

fn stamp_times(item: &mut Value, existing: Option<&Value>, changed_field: &str) {
    let now = now_utc();
    if item.get("CreatedUtc").is_some() {
        item["CreatedUtc"] = existing.map_or(json!(now), |e| e["CreatedUtc"].clone());
    }
    item[changed_field] = json!(now);
}
