//! The connector's two settings and its one kind of request: a GET with the
//! API key, answered with JSON or with the contract's error for the status.

use serde_json::Value;
use trestle_guest::errors::{from_status, malformed, retry_after_ms};
use trestle_guest::http::Request;
use trestle_guest::types::Setting;
use trestle_guest::{Error, settings};

pub fn declared() -> Vec<Setting> {
    vec![
        Setting::new("base_url", "The shop's address, e.g. https://shop.example").required(),
        Setting::new("api_key", "The feed's API key (the shop's admin shows it under Feed)").required().secret(),
    ]
}

pub struct Client {
    origin: String,
    api_key: String,
}

impl Client {
    pub fn from_config() -> Result<Self, Error> {
        let read = settings::value;
        let origin = read("base_url")
            .ok_or_else(|| Error::Invalid("the setting `base_url` is missing: enter the shop's address".into()))?;
        let api_key = read("api_key")
            .ok_or_else(|| Error::Auth("the setting `api_key` is missing: enter the feed's API key".into()))?;
        Ok(Self { origin: origin.trim_end_matches('/').to_string(), api_key })
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// GETs `path` (with its query) and parses the answer; `Ok(None)` for 404.
    pub fn find(&self, path: &str) -> Result<Option<Value>, Error> {
        let response =
            Request::new("GET", format!("{}{path}", self.origin)).header("X-Api-Key", &self.api_key).send()?;
        let what = format!("GET {path}");
        if response.status == 404 {
            return Ok(None);
        }
        if !(200..300).contains(&response.status) {
            let body: Value = serde_json::from_slice(&response.body).unwrap_or_default();
            let message = body["error"].as_str().map_or_else(|| response.text(), str::to_string);
            return Err(from_status(
                response.status,
                retry_after_ms(response.header("retry-after")),
                format!("the feed shop answered {what} with {}: {message}", response.status),
            ));
        }
        serde_json::from_slice(&response.body).map(Some).map_err(|e| malformed(&what, "(body)", e))
    }

    /// As `find`, where a 404 is an error naming the path.
    pub fn get(&self, path: &str) -> Result<Value, Error> {
        self.find(path)?.ok_or_else(|| Error::NotFound(format!("the feed shop has nothing at {path}")))
    }
}
