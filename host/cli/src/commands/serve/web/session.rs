//! Login sessions and CSRF. A session is a random 256-bit cookie value; the
//! service keeps only its SHA-256, with the caller it logged in as, a CSRF
//! value every POST form must carry back, and an expiry. Kept in memory: a
//! restart logs everyone out, which is the safe way to lose them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use trestle_host::tenants::tokens::digest;

use super::{Failure, Web};
use crate::commands::serve::api::Caller;

/// The cookie's name, and the path it is sent for (the pages only, never the API).
pub const COOKIE: &str = "trestle_session";
const COOKIE_PATH: &str = "/dashboard";
/// How long a login lasts, active or not.
const LIFETIME: Duration = Duration::from_secs(12 * 60 * 60);

#[derive(Default)]
pub struct Sessions(Mutex<HashMap<String, Entry>>);

struct Entry {
    caller: Caller,
    csrf: String,
    expires: Instant,
}

/// A logged-in request: who, and the CSRF value its forms carry.
#[derive(Clone)]
pub struct Session {
    pub caller: Caller,
    pub csrf: String,
    /// The digest it is kept under, to log it out.
    key: String,
}

fn random_hex() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

impl Sessions {
    /// A new session for `caller`: the `Set-Cookie` value to answer with.
    pub fn open(&self, caller: Caller) -> String {
        let value = random_hex();
        let now = Instant::now();
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.retain(|_, e| e.expires > now);
        map.insert(digest(&value), Entry { caller, csrf: random_hex(), expires: now + LIFETIME });
        format!("{COOKIE}={value}; HttpOnly; SameSite=Strict; Path={COOKIE_PATH}; Max-Age={}", LIFETIME.as_secs())
    }

    /// The live session of a cookie's value, if any.
    fn find(&self, value: &str) -> Option<Session> {
        let key = digest(value);
        let now = Instant::now();
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.retain(|_, e| e.expires > now);
        let entry = map.get(&key)?;
        Some(Session { caller: entry.caller.clone(), csrf: entry.csrf.clone(), key })
    }

    /// Ends `session`; the `Set-Cookie` value that drops the cookie.
    pub fn close(&self, session: &Session) -> String {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).remove(&session.key);
        format!("{COOKIE}=; HttpOnly; SameSite=Strict; Path={COOKIE_PATH}; Max-Age=0")
    }
}

impl Session {
    /// Refuses a form that does not carry this session's CSRF value back.
    pub fn check(&self, sent: Option<&str>) -> Result<(), Failure> {
        // Compared as digests, so the time taken tells nothing of the value.
        match sent {
            Some(sent) if digest(sent) == digest(&self.csrf) => Ok(()),
            _ => Err(Failure(
                StatusCode::FORBIDDEN,
                "the form did not carry this session's CSRF value (a form from another site, or one older than \
                 your login): reload the page and send it again"
                    .into(),
            )),
        }
    }
}

/// The value of the session cookie in a request's `Cookie` headers.
fn cookie(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| pair.trim().strip_prefix(COOKIE)?.strip_prefix('='))
        .filter(|v| !v.is_empty())
}

/// No session: the login page, for a page or a form alike.
pub struct LoginFirst;

impl IntoResponse for LoginFirst {
    fn into_response(self) -> Response {
        Redirect::to("/dashboard/login").into_response()
    }
}

impl FromRequestParts<Arc<Web>> for Session {
    type Rejection = LoginFirst;

    async fn from_request_parts(parts: &mut Parts, web: &Arc<Web>) -> Result<Self, Self::Rejection> {
        cookie(parts).and_then(|value| web.sessions.find(value)).ok_or(LoginFirst)
    }
}

/// The CSRF value a POST form sends back, alone (forms of one button).
#[derive(serde::Deserialize)]
pub struct Csrf {
    pub csrf: Option<String>,
}
