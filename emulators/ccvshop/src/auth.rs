//! HMAC-SHA512 request verification and response signing (spec §2).
//!
//! Signed string: `public|METHOD|path?query|raw body|x-date`, lowercase hex,
//! key = secret key. Responses are signed the same way over the response
//! body and the response's own `x-date`.

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, FixedOffset, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha512;

use crate::config::Config;
use crate::errors::{ApiError, ApiResult};
use crate::links::RequestTarget;
use crate::state::AppState;

/// Largest request body read (answered 500.80 beyond).
const MAX_BODY: usize = 2 * 1024 * 1024;
/// Allowed distance between `x-date` and server time.
const CLOCK_WINDOW_SECS: i64 = 5 * 60;

pub fn hmac_sha512_hex(key: &str, message: &[u8]) -> String {
    let mut mac = Hmac::<Sha512>::new_from_slice(key.as_bytes()).expect("HMAC accepts keys of any length");
    mac.update(message);
    hex::encode(mac.finalize().into_bytes())
}

/// `public|METHOD|uri|body|date` as bytes (the body need not be UTF-8).
pub fn string_to_sign(public: &str, method: &str, uri: &str, body: &[u8], date: &str) -> Vec<u8> {
    let mut s = format!("{public}|{method}|{uri}|").into_bytes();
    s.extend_from_slice(body);
    s.extend_from_slice(format!("|{date}").as_bytes());
    s
}

/// Axum middleware for the API routes: refuses unsigned or wrongly signed
/// requests with 401 and signs every answer.
pub async fn verify_and_sign(State(app): State<AppState>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let uri = parts.extensions.get::<RequestTarget>().map_or_else(
        || parts.uri.path_and_query().map_or_else(|| parts.uri.path().to_string(), |p| p.to_string()),
        RequestTarget::path_and_query,
    );
    let method = parts.method.as_str().to_string();
    let response = match axum::body::to_bytes(body, MAX_BODY).await {
        Err(_) => ApiError::payload_too_big(MAX_BODY).into_response(),
        Ok(bytes) => match verify(&app.config, &parts.headers, &method, &uri, &bytes, app.config.now()) {
            Err(e) => e.into_response(),
            Ok(()) => next.run(Request::from_parts(parts, Body::from(bytes))).await,
        },
    };
    sign(&app.config, &method, &uri, response).await
}

fn verify(
    config: &Config,
    headers: &HeaderMap,
    method: &str,
    uri: &str,
    body: &Bytes,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let missing: Vec<&str> = ["x-public", "x-date", "x-hash"].into_iter().filter(|h| header(h).is_none()).collect();
    if !missing.is_empty() {
        return Err(ApiError::unauthorized(
            "401.10",
            format!(
                "missing authentication header(s): {}; every request needs x-public, x-date and x-hash",
                missing.join(", ")
            ),
        ));
    }
    let (public, date, hash) = (
        header("x-public").unwrap_or_default(),
        header("x-date").unwrap_or_default(),
        header("x-hash").unwrap_or_default(),
    );
    if public != config.public_key {
        return Err(ApiError::unauthorized("401.11", format!("unknown public key '{public}' in x-public")));
    }
    let sent = parse_date(date).ok_or_else(|| {
        ApiError::unauthorized(
            "401.12",
            format!("x-date '{date}' is not an ISO 8601 UTC timestamp like 2022-11-26T00:45:54Z"),
        )
    })?;
    let skew = (sent.with_timezone(&Utc) - now).num_seconds();
    if skew.abs() > CLOCK_WINDOW_SECS {
        let direction = if skew < 0 { "behind" } else { "ahead of" };
        return Err(ApiError::unauthorized(
            "401.13",
            format!(
                "x-date {date} is {} s {direction} server time {}; it must be within {} s — check the client clock",
                skew.abs(),
                now.format("%Y-%m-%dT%H:%M:%SZ"),
                CLOCK_WINDOW_SECS
            ),
        ));
    }
    let signed = string_to_sign(public, method, uri, body, date);
    if hash != hmac_sha512_hex(&config.secret_key, &signed) {
        let shown = String::from_utf8_lossy(&signed);
        let shown: String = shown.chars().take(300).collect();
        return Err(ApiError::unauthorized(
            "401.14",
            format!(
                "x-hash does not match: expected lowercase hex HMAC-SHA512, keyed with the secret key, of '{shown}' \
                 (the URI includes the query string exactly as sent; the body is hashed byte for byte)"
            ),
        ));
    }
    Ok(())
}

/// Accepts the forms seen in working clients: `Z`, `+00:00`, `+0000`, with
/// or without fractional seconds.
fn parse_date(date: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(date).ok().or_else(|| DateTime::parse_from_str(date, "%Y-%m-%dT%H:%M:%S%.f%z").ok())
}

async fn sign(config: &Config, method: &str, uri: &str, response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    // Handlers answer from memory, so reading the body back cannot fail.
    let bytes = axum::body::to_bytes(body, usize::MAX).await.expect("in-memory response body");
    let date = config.now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let hash = hmac_sha512_hex(&config.secret_key, &string_to_sign(&config.public_key, method, uri, &bytes, &date));
    for (name, value) in [("x-date", date), ("x-hash", hash)] {
        parts.headers.insert(name, HeaderValue::from_str(&value).expect("hex and dates are valid header values"));
    }
    Response::from_parts(parts, Body::from(bytes))
}
