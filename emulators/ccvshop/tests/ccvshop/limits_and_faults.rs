//! Rate limits (spec §4) and injected faults as a client sees them.

use crate::common;

use ccvshop_emulator::{Config, FaultConfig, RateLimits};
use common::{start, start_with};

#[test]
fn the_151st_get_within_a_minute_gets_429_10() {
    let api = start();
    for i in 0..150 {
        assert_eq!(api.send("GET", "/api/rest/v1/orders?size=1", None).status(), 200, "request {i}");
    }
    let response = api.send("GET", "/api/rest/v1/orders?size=1", None);
    assert_eq!(response.status(), 429);
    assert!(response.headers()["retry-after"].to_str().unwrap().parse::<u64>().unwrap() <= 60);
    let error: serde_json::Value = response.json().unwrap();
    assert_eq!(error["code"], "429.10");
    assert_eq!(error["status"], 429);
    // Limits are per resource and method.
    let id = api.handle.state()["shop"]["orders"].as_object().unwrap().keys().next().unwrap().clone();
    assert_eq!(api.send("GET", &format!("/api/rest/v1/orders/{id}"), None).status(), 200);
    assert_eq!(api.send("PATCH", &format!("/api/rest/v1/orders/{id}"), Some("{}")).status(), 204);
}

#[test]
fn writes_and_productqueries_have_their_own_limits() {
    let api = start_with(Config {
        rate_limits: Some(RateLimits { get: 150, write: 3, productqueries: 2, ..RateLimits::default() }),
        ..Config::default()
    });
    for _ in 0..3 {
        assert_eq!(api.send("PATCH", "/api/rest/v1/products/5", Some(r#"{"stock":1}"#)).status(), 204);
    }
    api.error("PATCH", "/api/rest/v1/products/5", Some(r#"{"stock":1}"#), 429);
    for _ in 0..2 {
        assert_eq!(api.send("GET", "/api/rest/v1/productqueries?skunumber=SKU-00002", None).status(), 200);
    }
    api.error("GET", "/api/rest/v1/productqueries?skunumber=SKU-00002", None, 429);
    let unlimited = start_with(Config { rate_limits: None, ..Config::default() });
    for _ in 0..160 {
        assert_eq!(unlimited.send("GET", "/api/rest/v1/paymethods", None).status(), 200);
    }
}

#[test]
fn injected_server_errors_use_the_error_body() {
    let api = start();
    api.handle.set_faults(FaultConfig { error_rate: 1.0, ..FaultConfig::default() }).unwrap();
    let error = api.error("GET", "/api/rest/v1/orders", None, 503);
    assert_eq!(error["code"], "503.10");
    api.handle.set_faults(FaultConfig { error_rate: 0.5, seed: 7, ..FaultConfig::default() }).unwrap();
    let failures = (0..40).filter(|_| api.send("GET", "/api/rest/v1/paymethods", None).status() == 503).count();
    assert!((5..35).contains(&failures), "about half fail: {failures}");
}

#[test]
fn injected_429_bursts_and_dropped_connections() {
    let api = start();
    api.handle.set_faults(FaultConfig { burst_every: 2, burst_length: 1, ..FaultConfig::default() }).unwrap();
    let statuses: Vec<u16> =
        (0..6).map(|_| api.send("GET", "/api/rest/v1/paymethods", None).status().as_u16()).collect();
    assert_eq!(statuses, [200, 200, 429, 200, 200, 429]);
    api.handle.set_faults(FaultConfig { drop_rate: 1.0, ..FaultConfig::default() }).unwrap();
    // The connection is cut before a complete answer arrives.
    let url = format!("{}/api/rest/v1/paymethods", api.handle.base_url());
    assert!(api.client.get(&url).send().and_then(|r| r.text()).is_err());
    // The control endpoint sets faults over HTTP too, and counts are kept.
    let control = format!("{}/_emulator/faults", api.handle.base_url());
    assert_eq!(api.client.put(&control).json(&FaultConfig::default()).send().unwrap().status(), 204);
    assert_eq!(api.send("GET", "/api/rest/v1/paymethods", None).status(), 200);
    assert_eq!(api.handle.request_counts()["GET /api/rest/v1/paymethods"], 8);
}
