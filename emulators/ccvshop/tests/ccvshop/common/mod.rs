//! A minimal signing client, written from the spec independently of the
//! emulator's code, as a connector would.
#![allow(dead_code)] // each test binary uses a different part

use std::time::{Duration, Instant};

use ccvshop_emulator::{Config, Handle};
use hmac::{Hmac, Mac};
use reqwest::blocking::{Client, Response};
use serde_json::Value;
use sha2::Sha512;

pub fn hmac_hex(key: &str, message: &str) -> String {
    let mut mac = Hmac::<Sha512>::new_from_slice(key.as_bytes()).unwrap();
    mac.update(message.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

pub struct Api {
    pub handle: Handle,
    pub client: Client,
}

pub fn start() -> Api {
    start_with(Config::default())
}

pub fn start_with(config: Config) -> Api {
    let handle = ccvshop_emulator::start(config).expect("emulator starts");
    Api { handle, client: Client::builder().timeout(Duration::from_secs(10)).build().unwrap() }
}

pub fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

impl Api {
    /// Sends a signed request to `uri` ("/api/rest/v1/..." or an absolute URL).
    pub fn send(&self, method: &str, uri: &str, body: Option<&str>) -> Response {
        self.send_dated(method, uri, body, &now())
    }

    pub fn send_dated(&self, method: &str, uri: &str, body: Option<&str>, date: &str) -> Response {
        let cfg = self.handle.config();
        let path = uri.strip_prefix(&self.handle.base_url()).unwrap_or(uri);
        let payload = body.unwrap_or("");
        let hash = hmac_hex(&cfg.secret_key, &format!("{}|{method}|{path}|{payload}|{date}", cfg.public_key));
        let mut request = self
            .client
            .request(method.parse().unwrap(), format!("{}{path}", self.handle.base_url()))
            .header("x-public", &cfg.public_key)
            .header("x-date", date)
            .header("x-hash", hash);
        if let Some(b) = body {
            request = request.header("content-type", "application/json").body(b.to_string());
        }
        request.send().expect("request reaches the emulator")
    }

    pub fn get(&self, uri: &str) -> Value {
        let response = self.send("GET", uri, None);
        assert_eq!(response.status(), 200, "GET {uri}");
        response.json().unwrap()
    }

    /// Follows `next` until it is null; returns all items.
    pub fn get_all(&self, uri: &str) -> Vec<Value> {
        let mut items = Vec::new();
        let mut next = Some(uri.to_string());
        while let Some(uri) = next {
            let page = self.get(&uri);
            assert!(page.get("total").is_none(), "collections carry no total");
            items.extend(page["items"].as_array().unwrap().iter().cloned());
            next = page["next"].as_str().map(str::to_string);
        }
        items
    }

    pub fn error(&self, method: &str, uri: &str, body: Option<&str>, status: u16) -> Value {
        let response = self.send(method, uri, body);
        assert_eq!(response.status().as_u16(), status, "{method} {uri}");
        let error: Value = response.json().unwrap();
        assert_eq!(error["status"], status);
        assert!(error["code"].as_str().unwrap().starts_with(&status.to_string()), "{error}");
        assert!(!error["developermessage"].as_str().unwrap().is_empty());
        error
    }
}

/// Waits for `condition` up to a bounded deadline.
pub fn eventually<T>(what: &str, mut condition: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(v) = condition() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub fn money(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

pub fn cents(v: f64) -> i64 {
    (v * 100.0).round() as i64
}
