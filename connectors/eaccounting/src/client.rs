//! Calls to the eAccounting API: bearer token from `oauth`, one retry with a
//! new token when the API says the token has expired (401), errors mapped by
//! `api_error`, bodies parsed by `json`, and the `Meta`/`Data` paging of list
//! endpoints.

use serde_json::Value;
use trestle_guest::Error;
use trestle_guest::errors::malformed;
use trestle_guest::http::{Request, Response};

use crate::{api_error, json, oauth, percent, settings};

pub fn get(path: &str) -> Result<Value, Error> {
    call("GET", path, None)
}

pub fn post(path: &str, body: &Value) -> Result<Value, Error> {
    call("POST", path, Some(body))
}

pub fn put(path: &str, body: &Value) -> Result<Value, Error> {
    call("PUT", path, Some(body))
}

/// `path` is relative to the API base URL, query included ("/customers?…").
fn call(method: &'static str, path: &str, body: Option<&Value>) -> Result<Value, Error> {
    let request = format!("{method} {path}");
    let response = send(method, path, body)?;
    if !(200..300).contains(&response.status) {
        return Err(api_error::from_response(&request, &response));
    }
    if response.body.is_empty() {
        return Ok(Value::Null);
    }
    json::parse(&response.body, &format!("eAccounting {request}"))
}

fn send(method: &'static str, path: &str, body: Option<&Value>) -> Result<Response, Error> {
    let url = format!("{}{path}", settings::get()?.api_base_url);
    let build = |token: &str| {
        let request = Request::new(method, url.clone())
            .header("Authorization", format!("Bearer {token}"))
            .header("Accept", "application/json");
        match body {
            Some(body) => request.header("Content-Type", "application/json").body(body.to_string().into_bytes()),
            None => request,
        }
    };
    let token = oauth::access_token()?;
    let response = build(&token).send()?;
    if response.status != 401 {
        return Ok(response);
    }
    // Expired or revoked mid-run: one new token, one more try.
    let renewed = oauth::replace(&token)?;
    let response = build(&renewed).send()?;
    if response.status == 401 {
        let refused = api_error::from_response(&format!("{method} {path}"), &response);
        return Err(Error::Auth(format!(
            "{} — even with a freshly issued access token; {}",
            message_of(&refused),
            api_error::RECONNECT
        )));
    }
    Ok(response)
}

fn message_of(error: &Error) -> String {
    match error {
        Error::Auth(m) | Error::NotFound(m) | Error::Invalid(m) | Error::Transient(m) | Error::Fatal(m) => m.clone(),
        Error::RateLimited(limit) => limit.message.clone(),
    }
}

/// One page of a list endpoint.
pub struct Page {
    pub items: Vec<Value>,
    /// The next page's cursor; none after the last page.
    pub next: Option<String>,
}

/// Page `cursor` (a page number we handed out; none = the first) of
/// `collection` ("/customers") with these OData options.
pub fn list_page(collection: &str, options: &[(&str, String)], cursor: Option<&str>) -> Result<Page, Error> {
    let page =
        match cursor {
            None => 1,
            Some(text) => text.parse::<u32>().ok().filter(|p| *p > 0).ok_or_else(|| {
                Error::Invalid(format!("cursor `{text}` is not a page number this connector handed out"))
            })?,
        };
    let mut query: Vec<(&str, String)> = options.to_vec();
    query.push(("$page", page.to_string()));
    query.push(("$pagesize", settings::get()?.page_size.to_string()));
    let pairs: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let path = format!("{collection}?{}", percent::pairs(&pairs));
    let answer = get(&path)?;
    let what = format!("eAccounting GET {collection} page {page}");
    let items = json::array(&answer, "Data", &what)?.to_vec();
    let meta = answer.get("Meta").ok_or_else(|| malformed(&what, "Meta", "missing"))?;
    let current = json::number(meta, "CurrentPage", &what)? as u32;
    let total = json::number(meta, "TotalNumberOfPages", &what)? as u32;
    let next = (current.max(page) < total).then(|| (page + 1).to_string());
    Ok(Page { items, next })
}

/// Every item of `collection`, all pages.
pub fn list_all(collection: &str, options: &[(&str, String)]) -> Result<Vec<Value>, Error> {
    let mut items = Vec::new();
    let mut cursor = None;
    loop {
        let page = list_page(collection, options, cursor.as_deref())?;
        items.extend(page.items);
        match page.next {
            Some(next) => cursor = Some(next),
            None => return Ok(items),
        }
    }
}

/// An OData string literal: single quotes, inner quotes doubled.
pub fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// The first item matching `filter`, if any.
pub fn find_one(collection: &str, filter: String) -> Result<Option<Value>, Error> {
    let page = list_page(collection, &[("$filter", filter)], None)?;
    Ok(page.items.into_iter().next())
}
