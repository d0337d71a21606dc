//! The identity server's endpoints: `/connect/authorize` (auto-approves as
//! the demo user), `/connect/token` (authorization_code and refresh_token
//! grants) and `/connect/revocation`. Errors follow RFC 6749 §5.2 with
//! IdentityServer's habit of answering them all with 400.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;

use crate::app::App;
use crate::tokens::Issued;

pub fn routes(app: Arc<App>) -> Router {
    Router::new()
        .route("/connect/authorize", get(authorize))
        .route("/connect/token", post(token))
        .route("/connect/revocation", post(revocation))
        .with_state(app)
}

/// An RFC 6749 §5.2 error: `error` code and a description for the developer.
struct OAuthError {
    error: &'static str,
    description: String,
}

fn oauth_error(error: &'static str, description: impl Into<String>) -> OAuthError {
    OAuthError { error, description: description.into() }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = json!({ "error": self.error, "error_description": self.description });
        (StatusCode::BAD_REQUEST, [(header::CACHE_CONTROL, "no-store")], Json(body)).into_response()
    }
}

type Form = HashMap<String, String>;

/// Reads a form body; the token endpoint accepts nothing else.
fn read_form(headers: &HeaderMap, body: &[u8]) -> Result<Form, OAuthError> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if !content_type.starts_with("application/x-www-form-urlencoded") {
        return Err(oauth_error(
            "invalid_request",
            format!("Content-Type must be application/x-www-form-urlencoded, got '{content_type}'."),
        ));
    }
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body)
        .map_err(|e| oauth_error("invalid_request", format!("The form body cannot be read: {e}")))?;
    let mut form = Form::new();
    for (name, value) in pairs {
        if form.insert(name.clone(), value).is_some() {
            return Err(oauth_error("invalid_request", format!("Parameter '{name}' is repeated.")));
        }
    }
    Ok(form)
}

/// HTTP Basic (what every known client uses) or client_secret_post; never both.
fn authenticate_client(app: &App, headers: &HeaderMap, form: &Form) -> Result<String, OAuthError> {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .map(|encoded| {
            STANDARD
                .decode(encoded.trim())
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .and_then(|text| text.split_once(':').map(|(id, secret)| (id.to_string(), secret.to_string())))
                .ok_or_else(|| oauth_error("invalid_client", "The Basic authorization header is malformed."))
        })
        .transpose()?;
    let posted =
        form.get("client_secret").map(|secret| (form.get("client_id").cloned().unwrap_or_default(), secret.clone()));
    let (id, secret) = match (basic, posted) {
        (Some(_), Some(_)) => {
            return Err(oauth_error(
                "invalid_request",
                "Use one client authentication method, not Basic and client_secret both.",
            ));
        }
        (Some(credentials), None) | (None, Some(credentials)) => credentials,
        (None, None) => {
            return Err(oauth_error(
                "invalid_client",
                "No client authentication: send HTTP Basic client_id:client_secret.",
            ));
        }
    };
    if id != app.config.client_id || secret != app.config.client_secret {
        return Err(oauth_error("invalid_client", "Unknown client or wrong client secret."));
    }
    Ok(id)
}

fn required<'f>(form: &'f Form, name: &str) -> Result<&'f str, OAuthError> {
    form.get(name)
        .map(String::as_str)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| oauth_error("invalid_request", format!("Parameter '{name}' is missing.")))
}

async fn token(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Response {
    issue_token(&app, &headers, &body).unwrap_or_else(IntoResponse::into_response)
}

fn issue_token(app: &App, headers: &HeaderMap, body: &[u8]) -> Result<Response, OAuthError> {
    let form = read_form(headers, body)?;
    let client_id = authenticate_client(app, headers, &form)?;
    let issued = match required(&form, "grant_type")? {
        "authorization_code" => {
            let code = required(&form, "code")?;
            let redirect_uri = required(&form, "redirect_uri")?;
            app.tokens()
                .redeem_code(code, &client_id, redirect_uri)
                .map_err(|r| oauth_error("invalid_grant", r.describe("authorization code")))?
        }
        "refresh_token" => {
            let refresh_token = required(&form, "refresh_token")?;
            app.tokens()
                .refresh(refresh_token, &client_id)
                .map_err(|r| oauth_error("invalid_grant", r.describe("refresh token")))?
        }
        other => {
            return Err(oauth_error(
                "unsupported_grant_type",
                format!("Grant type '{other}' is not supported; use authorization_code or refresh_token."),
            ));
        }
    };
    Ok(token_response(app, issued))
}

fn token_response(app: &App, issued: Issued) -> Response {
    let mut body = json!({
        "access_token": issued.access_token,
        "expires_in": app.tokens().lifetime().as_secs(),
        "token_type": "Bearer",
        "scope": issued.scopes.join(" "),
    });
    if let Some(refresh) = issued.refresh_token {
        body["refresh_token"] = json!(refresh);
    }
    (StatusCode::OK, [(header::CACHE_CONTROL, "no-store")], Json(body)).into_response()
}

async fn revocation(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Response {
    let revoke = || -> Result<Response, OAuthError> {
        let form = read_form(&headers, &body)?;
        let client_id = authenticate_client(&app, &headers, &form)?;
        let token = required(&form, "token")?;
        app.tokens().revoke_token(token, &client_id);
        Ok(StatusCode::OK.into_response())
    };
    revoke().unwrap_or_else(IntoResponse::into_response)
}

/// Auto-approves as the demo user and sends the browser back with a code.
/// Problems with the client or redirect URI are shown, never redirected
/// (RFC 6749 §4.1.2.1); the rest go back to the client as `error=`.
async fn authorize(State(app): State<Arc<App>>, RawQuery(raw): RawQuery) -> Response {
    let query: HashMap<String, String> =
        serde_urlencoded::from_str(raw.as_deref().unwrap_or_default()).unwrap_or_default();
    let param = |name: &str| query.get(name).map(String::as_str).unwrap_or_default();
    if param("client_id") != app.config.client_id {
        return error_page(format!("Unknown client_id '{}'.", param("client_id")));
    }
    let redirect_uri = param("redirect_uri");
    if !app.config.redirect_uris.iter().any(|r| r == redirect_uri) {
        return error_page(format!(
            "redirect_uri '{redirect_uri}' is not registered for this client; registered: {}.",
            app.config.redirect_uris.join(", ")
        ));
    }
    let state = query.get("state").map(String::as_str);
    if param("response_type") != "code" {
        return redirect(redirect_uri, &[("error", "unsupported_response_type")], state);
    }
    let scopes: Vec<String> = param("scope").split_whitespace().map(String::from).collect();
    if scopes.is_empty() || scopes.iter().any(|s| !app.config.scopes.contains(s)) {
        return redirect(redirect_uri, &[("error", "invalid_scope")], state);
    }
    let scope_text = scopes.join(" ");
    let code = app.tokens().issue_code(&app.config.client_id, scopes, redirect_uri);
    redirect(redirect_uri, &[("code", &code), ("scope", &scope_text)], state)
}

fn redirect(redirect_uri: &str, params: &[(&str, &str)], state: Option<&str>) -> Response {
    let mut pairs: Vec<(&str, &str)> = params.to_vec();
    if let Some(state) = state {
        pairs.push(("state", state));
    }
    let query = serde_urlencoded::to_string(&pairs).expect("string pairs encode");
    let separator = if redirect_uri.contains('?') { '&' } else { '?' };
    (StatusCode::FOUND, [(header::LOCATION, format!("{redirect_uri}{separator}{query}"))]).into_response()
}

fn error_page(message: String) -> Response {
    (StatusCode::BAD_REQUEST, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], message).into_response()
}
