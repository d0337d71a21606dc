//! A blocking client for the conformance tests: talks to the emulator over
//! a real socket, as a connector would.
#![allow(dead_code)] // each test binary uses its own part of the helpers

use std::time::{Duration, Instant};

use eaccounting_emulator::{Config, Handle, start};
use reqwest::StatusCode;
use reqwest::blocking::{Client, Response};
use serde_json::Value;

pub struct Connected {
    pub emu: Handle,
    pub http: Client,
    pub access_token: String,
    pub refresh_token: Option<String>,
}

pub fn http() -> Client {
    Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client builds")
}

/// POSTs a form to the token endpoint with HTTP Basic client auth.
pub fn token_request(emu: &Handle, form: &[(&str, &str)]) -> Response {
    http()
        .post(format!("{}/connect/token", emu.identity_base_url()))
        .basic_auth(&emu.config().client_id, Some(&emu.config().client_secret))
        .form(form)
        .send()
        .expect("token endpoint answers")
}

pub fn start_and_connect(config: Config) -> Connected {
    let emu = start(config).expect("emulator starts");
    let response =
        token_request(&emu, &[("grant_type", "refresh_token"), ("refresh_token", &emu.initial_refresh_token())]);
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().expect("token JSON");
    Connected {
        access_token: body["access_token"].as_str().expect("access_token").to_string(),
        refresh_token: body["refresh_token"].as_str().map(String::from),
        http: http(),
        emu,
    }
}

pub fn connect() -> Connected {
    start_and_connect(Config::default())
}

impl Connected {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.emu.api_base_url())
    }

    pub fn send(&self, method: reqwest::Method, path: &str, body: Option<&Value>) -> (StatusCode, Value) {
        let mut request = self.http.request(method, self.url(path)).bearer_auth(&self.access_token);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().expect("API answers");
        let status = response.status();
        let text = response.text().expect("body reads");
        (status, if text.is_empty() { Value::Null } else { serde_json::from_str(&text).expect("JSON body") })
    }

    pub fn get(&self, path: &str) -> (StatusCode, Value) {
        self.send(reqwest::Method::GET, path, None)
    }

    pub fn post(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        self.send(reqwest::Method::POST, path, Some(body))
    }

    /// Data of a list GET that must succeed.
    pub fn list(&self, path: &str) -> Vec<Value> {
        let (status, body) = self.get(path);
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        body["Data"].as_array().cloned().expect("Data array")
    }

    pub fn first(&self, path: &str) -> Value {
        self.list(path).into_iter().next().unwrap_or_else(|| panic!("{path} returned nothing"))
    }
}

/// Polls `check` until it holds or `limit` passes.
pub fn eventually(limit: Duration, mut check: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if check() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// Field names of an error body's `Errors` list.
pub fn error_fields(body: &Value) -> Vec<String> {
    body["Errors"].as_array().into_iter().flatten().filter_map(|e| e["Field"].as_str().map(String::from)).collect()
}
