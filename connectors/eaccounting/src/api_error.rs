//! eAccounting's error answers (`ErrorCode`, `DeveloperErrorMessage`,
//! `ErrorId`, per-field `Errors`) turned into the contract's error variant,
//! keeping the code, the message and every field message for the activity
//! log.

use serde_json::Value;
use trestle_guest::Error;
use trestle_guest::errors::{from_status, retry_after_ms};
use trestle_guest::http::Response;

/// Codes of company-side blockers that only the bookkeeper can lift in
/// eAccounting itself: no module, startup guide, inactive company, product
/// variant, licence agreement.
const COMPANY_BLOCKERS: &[i64] = &[4002, 4003, 4004, 4009, 4012];
const NO_ACCESS_TO_SCOPES: i64 = 4006;

pub const RECONNECT: &str = "run `trestle connect eaccounting` to connect again";

/// `request` says what we asked ("POST /customers").
pub fn from_response(request: &str, response: &Response) -> Error {
    let body: Value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
    let code = body["ErrorCode"].as_i64();
    let message = describe(request, response, &body);
    match (response.status, code) {
        (403, Some(NO_ACCESS_TO_SCOPES)) => {
            Error::Auth(format!("{message}. The connection lacks a scope; {RECONNECT} and grant it"))
        }
        (403, Some(c)) if COMPANY_BLOCKERS.contains(&c) => {
            Error::Fatal(format!("{message}. This is set up in eAccounting itself, not in Trestle"))
        }
        (status, _) => {
            let wait = retry_after_ms(response.header("retry-after")).or_else(|| wait_in_message(&body));
            from_status(status, wait, message)
        }
    }
}

/// "POST /customers: HTTP 400, ErrorCode 2000: message; Name: The Name field
/// is required. (ErrorId …)"
fn describe(request: &str, response: &Response, body: &Value) -> String {
    let mut text = format!("eAccounting {request}: HTTP {}", response.status);
    let Some(code) = body["ErrorCode"].as_i64() else {
        let start: String = response.text().chars().take(200).collect();
        if !start.trim().is_empty() {
            text += &format!(": {start}");
        }
        return text;
    };
    text += &format!(", ErrorCode {code}");
    if let Some(message) = body["DeveloperErrorMessage"].as_str() {
        text += &format!(": {message}");
    }
    for field in body["Errors"].as_array().into_iter().flatten() {
        let name = field["Field"].as_str().unwrap_or("?");
        let message = field["Message"].as_str().unwrap_or("invalid");
        text += &format!("; {name}: {message}");
    }
    if let Some(id) = body["ErrorId"].as_str() {
        text += &format!(" (ErrorId {id})");
    }
    text
}

/// eAccounting sends no Retry-After; its 429 message says "Try again in N
/// seconds".
fn wait_in_message(body: &Value) -> Option<u64> {
    let message = body["DeveloperErrorMessage"].as_str()?;
    let after = &message[message.find("Try again in ")? + "Try again in ".len()..];
    let seconds: u64 = after.split_whitespace().next()?.parse().ok()?;
    Some(seconds * 1000)
}
