//! Access tokens from Visma's identity server, with refresh-token rotation.
//!
//! State keys (in the connection's own namespace):
//! - `oauth/refresh_token`: the refresh token to use next, a plain string.
//!   `trestle connect eaccounting` stores the first one here after the
//!   authorization-code flow; every refresh replaces it with the rotated one,
//!   written before the new access token is used, so a crash never strands
//!   the connection with a spent token.
//! - `oauth/consumed_config_token`: the `refresh_token` setting once we have
//!   spent it. A setting that differs from it is new (the user pasted a fresh
//!   one) and wins over the state; otherwise the state wins.
//! - `oauth/access_token`: `{"access_token", "expires_at_ms"}`, shared by the
//!   runs of this connection until shortly before it expires.
//! - `oauth/refresh_lease`: see `lease`; two runs never refresh at once
//!   (refresh tokens are single use: the loser of a race would be left with
//!   a dead one).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use trestle_guest::errors::{from_status, malformed};
use trestle_guest::http::Request;
use trestle_guest::log::{self, Level};
use trestle_guest::{Error, state};

use crate::api_error::RECONNECT;
use crate::clock::now_ms;
use crate::exports::trestle::sync::connection::{Auth, Oauth2Code};
use crate::{json, lease, percent, settings};

pub const REFRESH_TOKEN_KEY: &str = "oauth/refresh_token";
/// Visma's endpoints under `identity_base_url`.
const AUTHORIZE_PATH: &str = "/connect/authorize";
const TOKEN_PATH: &str = "/connect/token";
/// What a sync needs: the API, a refresh token, sales and accounting reads.
const SCOPES: &[&str] = &["ea:api", "offline_access", "ea:sales", "ea:accounting_readonly"];
const CONSUMED_CONFIG_TOKEN_KEY: &str = "oauth/consumed_config_token";
const ACCESS_TOKEN_KEY: &str = "oauth/access_token";
const REFRESH_LEASE_KEY: &str = "oauth/refresh_lease";
/// Access tokens are renewed this long before they expire (at most a tenth
/// of their lifetime), so a call never starts with a token about to die.
const EXPIRY_MARGIN_MS: u64 = 60_000;
/// Logged once per refresh: the activity log shows how often runs renew.
const REFRESHED: &str = "eAccounting access token renewed; refresh token rotated and stored";

/// A usable access token: the shared one while it is fresh, else a new one.
pub fn access_token() -> Result<String, Error> {
    obtain(None)
}

/// The API refused `rejected` (401): a token other than that one, refreshing
/// unless another run already has.
pub fn replace(rejected: &str) -> Result<String, Error> {
    obtain(Some(rejected))
}

/// The consent `trestle connect` asks for, as the spec declares it: the
/// code flow at Visma's identity server, the first refresh token stored
/// where `current_refresh_token` reads it.
pub fn declared() -> Auth {
    Auth::Oauth2Code(Oauth2Code {
        server_setting: "identity_base_url".into(),
        authorize_path: AUTHORIZE_PATH.into(),
        token_path: TOKEN_PATH.into(),
        client_id_setting: "client_id".into(),
        client_secret_setting: "client_secret".into(),
        scopes: SCOPES.iter().map(|s| s.to_string()).collect(),
        refresh_token_key: REFRESH_TOKEN_KEY.into(),
    })
}

fn obtain(rejected: Option<&str>) -> Result<String, Error> {
    if let Some(token) = shared_token(rejected) {
        return Ok(token);
    }
    lease::hold(REFRESH_LEASE_KEY, || {
        // Another run may have refreshed while we waited for the lease.
        match shared_token(rejected) {
            Some(token) => Ok(token),
            None => refresh(),
        }
    })
}

fn shared_token(rejected: Option<&str>) -> Option<String> {
    let cached: Value = serde_json::from_str(&state::get(ACCESS_TOKEN_KEY)?).ok()?;
    let token = cached["access_token"].as_str()?;
    let fresh = cached["expires_at_ms"].as_u64()? > now_ms();
    (fresh && Some(token) != rejected).then(|| token.to_string())
}

/// Which refresh token to spend, and whether it is the configured one.
fn current_refresh_token() -> Result<(String, bool), Error> {
    let configured = settings::get()?.refresh_token.clone();
    let consumed = state::get(CONSUMED_CONFIG_TOKEN_KEY);
    let stored = state::get(REFRESH_TOKEN_KEY).filter(|t| !t.trim().is_empty());
    match (configured, stored) {
        (Some(new), _) if consumed.as_deref() != Some(new.as_str()) => Ok((new, true)),
        (_, Some(stored)) => Ok((stored, false)),
        // Spent already but nothing in state: it is all we have.
        (Some(spent), None) => Ok((spent, true)),
        (None, None) => Err(Error::Auth(format!("the eAccounting connection has no refresh token yet; {RECONNECT}"))),
    }
}

fn refresh() -> Result<String, Error> {
    let settings = settings::get()?;
    let (refresh_token, configured) = current_refresh_token()?;
    if configured {
        // Marked before spending it: if we crash after the server rotated it,
        // the next run does not try it again in preference to the state.
        state::set(CONSUMED_CONFIG_TOKEN_KEY, &refresh_token);
    }
    let url = format!("{}{TOKEN_PATH}", settings.identity_base_url);
    let credentials = STANDARD.encode(format!("{}:{}", settings.client_id, settings.client_secret));
    let body = percent::pairs(&[("grant_type", "refresh_token"), ("refresh_token", &refresh_token)]);
    let response = Request::new("POST", &url)
        .header("Authorization", format!("Basic {credentials}"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("Accept", "application/json")
        .body(body.into_bytes())
        .send()?;
    if response.status != 200 {
        // A token from state that changed while we asked: another run
        // rotated it under us (the lease was overtaken).
        let rotated_meanwhile = !configured && state::get(REFRESH_TOKEN_KEY).is_some_and(|now| now != refresh_token);
        return Err(refused(response.status, &response.body, rotated_meanwhile));
    }
    let what = "Visma identity server's token answer";
    let answer = json::parse(&response.body, what)?;
    let access_token = json::string(&answer, "access_token", what)?;
    let lifetime_ms = match answer.get("expires_in") {
        None | Some(Value::Null) => 3_600_000,
        Some(v) => {
            let seconds = v.as_f64().filter(|s| *s > 0.0);
            (seconds.ok_or_else(|| malformed(what, "expires_in", "expected a number of seconds"))? * 1000.0) as u64
        }
    };
    // No refresh_token in the answer means the server did not rotate it.
    if let Some(rotated) = json::optional_string(&answer, "refresh_token", what)? {
        state::set(REFRESH_TOKEN_KEY, &rotated);
    }
    let expires_at_ms = now_ms() + lifetime_ms - EXPIRY_MARGIN_MS.min(lifetime_ms / 10);
    state::set(ACCESS_TOKEN_KEY, &json!({"access_token": access_token, "expires_at_ms": expires_at_ms}).to_string());
    log::log(Level::Info, REFRESHED, &[("expires_in_s".into(), (lifetime_ms / 1000).to_string())]);
    Ok(access_token)
}

/// The token endpoint said no.
fn refused(status: u16, body: &[u8], rotated_meanwhile: bool) -> Error {
    let answer: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let code = answer["error"].as_str().unwrap_or("");
    let detail = answer["error_description"].as_str().unwrap_or("");
    let text = format!("Visma identity server refused to refresh the access token: HTTP {status} {code} {detail}");
    let text = text.trim_end().trim_end_matches('.');
    match code {
        "invalid_grant" => {
            state::delete(ACCESS_TOKEN_KEY);
            if rotated_meanwhile {
                return Error::Transient(format!("{text}; another run refreshed at the same time, try again"));
            }
            Error::Auth(format!("{text}. The authorization was revoked or has expired; {RECONNECT}"))
        }
        "invalid_client" | "unauthorized_client" => {
            Error::Auth(format!("{text}. Check the client_id and client_secret settings of the eAccounting connection"))
        }
        _ if status == 429 || status >= 500 => from_status(status, None, text.to_string()),
        _ => Error::Fatal(text.to_string()),
    }
}
