//! Request verification and response signing (spec §2).

use crate::common;

use ccvshop_emulator::{Config, DEMO_PUBLIC_KEY, DEMO_SECRET_KEY};
use chrono::{TimeZone, Utc};
use common::{hmac_hex, start, start_with};

const VECTOR_DATE: &str = "2025-01-06T08:00:00Z";

/// Computed independently of this crate:
/// python3 -c "import hmac,hashlib;print(hmac.new(b'ccv-demo-secret-key', b'ccv-demo-public-key|GET|/api/rest/v1/orders/?start=0&size=5||2025-01-06T08:00:00Z', hashlib.sha512).hexdigest())"
const GET_VECTOR: &str = "4601712156251eb6dc45dcd5c95af6200b33f1d9045fdebb92cf35d60837cef4ee1785311f8a8e75a70837d908fdf9ca7e89f0a4996ab9d34f2ea8158a6e8fd6";

/// python3 -c "import hmac,hashlib;print(hmac.new(b'ccv-demo-secret-key', b'ccv-demo-public-key|PATCH|/api/rest/v1/products/5|{\"stock\":7}|2025-01-06T08:00:00Z', hashlib.sha512).hexdigest())"
const PATCH_VECTOR: &str = "f6c7094d0e4213c4aa7a6c4aba748b9218b2a22db996ba0e9213719dde6c5138ebceae7b64bc2435957c6bdce8197a9a2dfe281a98d38259c5451822bc67acf8";

fn frozen() -> common::Api {
    start_with(Config { server_time: Some(Utc.with_ymd_and_hms(2025, 1, 6, 8, 1, 0).unwrap()), ..Config::default() })
}

fn raw(
    api: &common::Api,
    method: &str,
    path: &str,
    body: &str,
    headers: &[(&str, &str)],
) -> reqwest::blocking::Response {
    let mut request = api.client.request(method.parse().unwrap(), format!("{}{path}", api.handle.base_url()));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.body(body.to_string()).send().unwrap()
}

#[test]
fn python_computed_vectors_are_accepted() {
    assert_eq!((DEMO_PUBLIC_KEY, DEMO_SECRET_KEY), ("ccv-demo-public-key", "ccv-demo-secret-key"));
    let api = frozen();
    let h = [("x-public", DEMO_PUBLIC_KEY), ("x-date", VECTOR_DATE), ("x-hash", GET_VECTOR)];
    let response = raw(&api, "GET", "/api/rest/v1/orders/?start=0&size=5", "", &h);
    assert_eq!(response.status(), 200);
    let h = [("x-public", DEMO_PUBLIC_KEY), ("x-date", VECTOR_DATE), ("x-hash", PATCH_VECTOR)];
    let response = raw(&api, "PATCH", "/api/rest/v1/products/5", r#"{"stock":7}"#, &h);
    assert_eq!(response.status(), 204);
    assert_eq!(api.handle.state()["shop"]["products"]["5"]["stock"], 7.0);
}

#[test]
fn a_single_changed_byte_is_refused_with_401() {
    let api = frozen();
    // Same vector, but the body is re-serialised with a space.
    let h = [("x-public", DEMO_PUBLIC_KEY), ("x-date", VECTOR_DATE), ("x-hash", PATCH_VECTOR)];
    let response = raw(&api, "PATCH", "/api/rest/v1/products/5", r#"{"stock": 7}"#, &h);
    assert_eq!(response.status(), 401);
    let error: serde_json::Value = response.json().unwrap();
    assert_eq!(error["code"], "401.14");
    assert!(error["developermessage"].as_str().unwrap().contains(r#"|PATCH|/api/rest/v1/products/5|{"stock": 7}|"#));
    // The signature covers the query string.
    let h = [("x-public", DEMO_PUBLIC_KEY), ("x-date", VECTOR_DATE), ("x-hash", GET_VECTOR)];
    assert_eq!(raw(&api, "GET", "/api/rest/v1/orders/?start=0&size=6", "", &h).status(), 401);
    // Uppercase hex is not what the spec says.
    let upper = GET_VECTOR.to_uppercase();
    let h = [("x-public", DEMO_PUBLIC_KEY), ("x-date", VECTOR_DATE), ("x-hash", upper.as_str())];
    assert_eq!(raw(&api, "GET", "/api/rest/v1/orders/?start=0&size=5", "", &h).status(), 401);
}

#[test]
fn missing_headers_and_unknown_keys_are_named() {
    let api = start();
    let response = raw(&api, "GET", "/api/rest/v1/orders", "", &[("x-public", DEMO_PUBLIC_KEY)]);
    assert_eq!(response.status(), 401);
    let error: serde_json::Value = response.json().unwrap();
    assert_eq!(error["status"], 401);
    let message = error["developermessage"].as_str().unwrap();
    assert!(message.starts_with("missing authentication header(s): x-date, x-hash;"), "{message}");

    let date = common::now();
    let hash = hmac_hex(DEMO_SECRET_KEY, &format!("someone-else|GET|/api/rest/v1/orders||{date}"));
    let h = [("x-public", "someone-else"), ("x-date", date.as_str()), ("x-hash", hash.as_str())];
    let error: serde_json::Value = raw(&api, "GET", "/api/rest/v1/orders", "", &h).json().unwrap();
    assert_eq!(error["code"], "401.11");

    let h = [("x-public", DEMO_PUBLIC_KEY), ("x-date", "yesterday"), ("x-hash", "00")];
    let error: serde_json::Value = raw(&api, "GET", "/api/rest/v1/orders", "", &h).json().unwrap();
    assert_eq!(error["code"], "401.12");
}

#[test]
fn clock_skew_beyond_five_minutes_says_by_how_much() {
    let api = start();
    let stale = (Utc::now() - chrono::Duration::seconds(6 * 60)).format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let response = api.send_dated("GET", "/api/rest/v1/orders", None, &stale);
    assert_eq!(response.status(), 401);
    let error: serde_json::Value = response.json().unwrap();
    assert_eq!(error["code"], "401.13");
    let message = error["developermessage"].as_str().unwrap();
    assert!(message.contains("behind") && message.contains(" s "), "{message}");
    let ahead = (Utc::now() + chrono::Duration::seconds(6 * 60)).format("%Y-%m-%dT%H:%M:%SZ").to_string();
    assert_eq!(api.send_dated("GET", "/api/rest/v1/orders", None, &ahead).status(), 401);
    // Within the window is fine.
    let recent = (Utc::now() - chrono::Duration::seconds(4 * 60)).format("%Y-%m-%dT%H:%M:%SZ").to_string();
    assert_eq!(api.send_dated("GET", "/api/rest/v1/orders", None, &recent).status(), 200);
}

#[test]
fn date_forms_seen_in_clients_are_accepted() {
    let api = start();
    let now = Utc::now();
    for date in [
        now.format("%Y-%m-%dT%H:%M:%S+00:00").to_string(),
        now.format("%Y-%m-%dT%H:%M:%S+0000").to_string(),
        now.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
    ] {
        assert_eq!(api.send_dated("GET", "/api/rest/v1/paymethods", None, &date).status(), 200, "{date}");
    }
}

#[test]
fn responses_are_signed_over_the_raw_body() {
    let api = start();
    for uri in ["/api/rest/v1/orders?size=2", "/api/rest/v1/orders/", "/api/rest/v1/orders/999999"] {
        let response = api.send("GET", uri, None);
        let date = response.headers()["x-date"].to_str().unwrap().to_string();
        let hash = response.headers()["x-hash"].to_str().unwrap().to_string();
        let body = response.text().unwrap();
        let expected = hmac_hex(DEMO_SECRET_KEY, &format!("{DEMO_PUBLIC_KEY}|GET|{uri}|{body}|{date}"));
        assert_eq!(hash, expected, "{uri}");
    }
}
