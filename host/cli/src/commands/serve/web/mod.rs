//! The dashboard: server-rendered pages under `/dashboard/`, for the
//! operator (every tenant) and for a tenant's owner (their own only),
//! logged in with the same tokens as the API (docs/2026-12-02-dashboard.md).
//! Every page gets its data from the API's own handlers with the session's
//! caller, so tenant visibility ("no tenant `X`" for another tenant's
//! pages), redaction of secrets and validation stay in one place; nothing
//! here reads storage a second way.

mod home;
mod layout;
mod login;
mod parked;
mod records;
mod runs;
mod session;
mod tenants;

use std::sync::Arc;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use maud::Markup;

use super::api::ApiError;
use super::http::Service;
use session::Sessions;

/// What the pages share: the service, and who is logged in.
pub struct Web {
    service: Arc<Service>,
    sessions: Sessions,
}

pub fn router(service: Arc<Service>) -> Router {
    let web = Arc::new(Web { service, sessions: Sessions::default() });
    Router::new()
        .route("/dashboard", get(tenants::page))
        .route("/dashboard/login", get(login::page).post(login::submit))
        .route("/dashboard/logout", post(login::logout))
        .route("/dashboard/style.css", get(style))
        .route("/dashboard/t/{tenant}", get(home::page))
        .route("/dashboard/t/{tenant}/records", get(records::list))
        .route("/dashboard/t/{tenant}/records/{flow}/{record}", get(records::one))
        .route("/dashboard/t/{tenant}/parked", get(parked::page))
        .route("/dashboard/t/{tenant}/parked/{flow}/{record}/retry", post(parked::retry))
        .route("/dashboard/t/{tenant}/parked/{flow}/{record}/skip", post(parked::skip))
        .route("/dashboard/t/{tenant}/runs", get(runs::page))
        .route("/dashboard/t/{tenant}/flows/{flow}/run", post(runs::run_now))
        .with_state(web)
}

async fn style() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], include_str!("style.css")).into_response()
}

/// A page that could not be shown: its status and what is wrong, in words.
#[derive(Debug)]
pub struct Failure(pub StatusCode, pub String);

impl From<ApiError> for Failure {
    fn from(e: ApiError) -> Self {
        Failure(e.0, e.1)
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let title = self.0.canonical_reason().unwrap_or("Error");
        (self.0, Html(layout::bare(title, layout::problem(&self.1)).into_string())).into_response()
    }
}

/// What a page handler answers.
pub type Page = Result<Html<String>, Failure>;

fn html(markup: Markup) -> Html<String> {
    Html(markup.into_string())
}

/// `value` for a query string.
fn encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}
