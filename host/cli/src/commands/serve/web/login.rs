//! Logging in with a token (the operator's or a tenant's, checked as the
//! API checks a bearer token) and out. The token field is a password field
//! and never filled back in. With no session yet there is no CSRF value, so
//! a login form posted from another site (its `Origin` naming another host)
//! is refused instead.

use std::sync::Arc;

use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;

use super::layout::{bare, problem};
use super::session::{Csrf, Session};
use super::{Failure, Web, html};

fn form(error: Option<&str>) -> Html<String> {
    html(bare(
        "Log in",
        html! {
            @if let Some(error) = error { (problem(error)) }
            form class="card login" method="post" action="/dashboard/login" {
                label for="token" { "Token" }
                p class="hint" id="token-hint" {
                    "The operator's token, or the token the operator issued for your shop."
                }
                input id="token" name="token" type="password" autocomplete="current-password" required
                      aria-describedby="token-hint";
                button type="submit" { "Log in" }
            }
        },
    ))
}

pub async fn page() -> Html<String> {
    form(None)
}

#[derive(Deserialize)]
pub struct Login {
    #[serde(default)]
    token: String,
}

/// Whether the form was posted from a page of this service: a browser names
/// the page's origin; a client that names none (a script) is let through.
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else { return true };
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let authority = origin.split_once("://").map(|(_, rest)| rest);
    authority.is_some() && authority == host
}

pub async fn submit(State(web): State<Arc<Web>>, headers: HeaderMap, Form(login): Form<Login>) -> Response {
    if !same_origin(&headers) {
        return Failure(
            StatusCode::FORBIDDEN,
            "this login form was sent from another site's page; log in from this service's own login page".into(),
        )
        .into_response();
    }
    match web.service.api.caller_of(login.token.trim()) {
        Ok(caller) => {
            let cookie = web.sessions.open(caller);
            ([(header::SET_COOKIE, cookie)], Redirect::to("/dashboard")).into_response()
        }
        Err(e) => (e.0, form(Some(&e.1))).into_response(),
    }
}

pub async fn logout(
    State(web): State<Arc<Web>>,
    session: Session,
    Form(form): Form<Csrf>,
) -> Result<Response, Failure> {
    session.check(form.csrf.as_deref())?;
    let cookie = web.sessions.close(&session);
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to("/dashboard/login")).into_response())
}
