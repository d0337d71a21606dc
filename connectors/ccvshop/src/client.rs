//! Signed requests to the shop's API: every request carries the HMAC
//! headers, and every answer we use must carry a valid signature of its own.

use serde_json::Value;
use trestle_guest::Error;
use trestle_guest::http::{Request, Response, encode};

use crate::errors;
use crate::json;
use crate::settings::{API_PREFIX, Settings};
use crate::signing::{self, Signed};

pub struct Client {
    pub settings: Settings,
}

/// `/api/rest/v1` plus a resource path and query, e.g. `api("/orders?size=5")`.
pub fn api(path: &str) -> String {
    format!("{API_PREFIX}{path}")
}

/// A query string with its values percent-encoded (RFC 3986), so what we
/// sign is exactly what goes on the wire.
pub fn query(pairs: &[(&str, String)]) -> String {
    let encoded: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={}", encode(v))).collect();
    if encoded.is_empty() { String::new() } else { format!("?{}", encoded.join("&")) }
}

impl Client {
    pub fn from_config() -> Result<Self, Error> {
        Ok(Self { settings: Settings::load()? })
    }

    /// GETs `uri` (path and query under the shop) and parses the answer.
    pub fn get(&self, uri: &str) -> Result<Value, Error> {
        let response = self.send("GET", uri, None)?;
        json::parse(&response.body, &format!("GET {uri}"))
    }

    /// POSTs a new resource; the answer is the created resource (or null
    /// when the shop sends none, which the spec says happens).
    pub fn post(&self, uri: &str, body: &Value) -> Result<Value, Error> {
        let response = self.send("POST", uri, Some(body))?;
        if response.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Value::Null);
        }
        json::parse(&response.body, &format!("POST {uri}"))
    }

    /// PATCHes a resource; CCV answers 204 without a body.
    pub fn patch(&self, uri: &str, body: &Value) -> Result<(), Error> {
        self.send("PATCH", uri, Some(body)).map(drop)
    }

    /// Signs and sends one request; a non-2xx answer becomes the matching
    /// contract error, a 2xx answer is returned only when its signature holds.
    pub fn send(&self, method: &'static str, uri: &str, body: Option<&Value>) -> Result<Response, Error> {
        let s = &self.settings;
        let body = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
        let sent_at = signing::now();
        let date = signing::x_date(sent_at);
        let hash = Signed { public_key: &s.public_key, method, uri, body: &body, date: &date }.hash(&s.secret_key);
        let mut request = Request::new(method, format!("{}{uri}", s.origin))
            .header("x-public", s.public_key.clone())
            .header("x-date", date)
            .header("x-hash", hash)
            .header("accept", "application/json");
        if !body.is_empty() {
            request = request.header("content-type", "application/json").body(body);
        }
        if let Some(language) = &s.language {
            request = request.header("accept-language", language.clone());
        }
        let response = request.send().map_err(|e| unreachable_shop(method, uri, e))?;
        if !(200..300).contains(&response.status) {
            return Err(errors::from_response(method, uri, &response, sent_at));
        }
        self.verify(method, uri, &response)?;
        Ok(response)
    }

    fn verify(&self, method: &str, uri: &str, response: &Response) -> Result<(), Error> {
        let s = &self.settings;
        let (Some(date), Some(hash)) = (response.header("x-date"), response.header("x-hash")) else {
            return Err(Error::Auth(format!(
                "the answer to {method} {uri} is not signed (no x-date/x-hash): it did not come from CCV Shop \
                 unchanged, so it was not used; check that base_url points at the shop itself, not at a proxy"
            )));
        };
        let signed = Signed { public_key: &s.public_key, method, uri, body: &response.body, date };
        if signed.verify(&s.secret_key, hash) {
            Ok(())
        } else {
            Err(Error::Auth(format!(
                "the answer to {method} {uri} failed its signature check: it was changed on the way or did not come \
                 from CCV Shop, so it was not used"
            )))
        }
    }
}

/// Transport failures keep their variant (transient, or fatal when the host
/// refused the address) but say which shop request failed.
fn unreachable_shop(method: &str, uri: &str, error: Error) -> Error {
    let context = |m: String| format!("CCV Shop could not be reached for {method} {uri}: {m}");
    match error {
        Error::Transient(m) => Error::Transient(context(m)),
        Error::Fatal(m) => Error::Fatal(context(m)),
        Error::Invalid(m) => Error::Invalid(context(m)),
        other => other,
    }
}
