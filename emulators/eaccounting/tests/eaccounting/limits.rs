//! Rate limit and injected faults, as a client sees them.

use crate::common;

use common::connect;
use emulator_kit::FaultConfig;
use reqwest::StatusCode;

#[test]
fn the_601st_call_in_a_minute_is_429_with_4010() {
    let c = connect();
    for i in 0..600 {
        assert_eq!(c.get("/units").0, StatusCode::OK, "call {i}");
    }
    let (status, body) = c.get("/units");
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(body["ErrorCode"], 4010);
    assert!(body["DeveloperErrorMessage"].as_str().unwrap().contains("Try again in"));
    assert_eq!(c.get("/countries").0, StatusCode::OK, "other endpoints count apart");
    assert_eq!(c.emu.request_counts()["GET /v2/units"], 601);
}

#[test]
fn injected_faults_reach_the_client_in_the_api_error_format() {
    let c = connect();
    c.emu.set_faults(FaultConfig { error_rate: 1.0, ..FaultConfig::default() }).unwrap();
    let (status, body) = c.get("/customers");
    assert_eq!((status, body["ErrorCode"].as_i64()), (StatusCode::INTERNAL_SERVER_ERROR, Some(5000)));
    c.emu.set_faults(FaultConfig { burst_every: 1, burst_length: 1, ..FaultConfig::default() }).unwrap();
    assert_eq!(c.get("/customers").0, StatusCode::OK);
    let (status, body) = c.get("/customers");
    assert_eq!((status, body["ErrorCode"].as_i64()), (StatusCode::TOO_MANY_REQUESTS, Some(4010)));
    c.emu.set_faults(FaultConfig::default()).unwrap();
    assert_eq!(c.get("/customers").0, StatusCode::OK);
}
