//! The OAuth2 identity server and the bearer check, as a connector sees them.

use crate::common;

use std::time::Duration;

use common::{connect, eventually, http, start_and_connect, token_request};
use eaccounting_emulator::{Config, start};
use reqwest::StatusCode;
use serde_json::Value;

#[test]
fn refresh_tokens_rotate_and_a_used_one_is_dead() {
    let emu = start(Config::default()).unwrap();
    let first = emu.initial_refresh_token();
    let response = token_request(&emu, &[("grant_type", "refresh_token"), ("refresh_token", &first)]);
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    let second = body["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(second, first);

    let reused = token_request(&emu, &[("grant_type", "refresh_token"), ("refresh_token", &first)]);
    assert_eq!(reused.status(), StatusCode::BAD_REQUEST);
    assert_eq!(reused.json::<Value>().unwrap()["error"], "invalid_grant");
    let rotated = token_request(&emu, &[("grant_type", "refresh_token"), ("refresh_token", &second)]);
    assert_eq!(rotated.status(), StatusCode::OK);
}

#[test]
fn authorization_code_flow_through_authorize() {
    let emu = start(Config::default()).unwrap();
    let redirect_uri = emu.config().redirect_uris[0].clone();
    let authorize = http()
        .get(format!("{}/connect/authorize", emu.identity_base_url()))
        .query(&[
            ("client_id", emu.config().client_id.as_str()),
            ("redirect_uri", &redirect_uri),
            ("response_type", "code"),
            ("scope", "ea:api offline_access ea:sales"),
            ("state", "xyz 1"),
        ])
        .send()
        .unwrap();
    assert_eq!(authorize.status(), StatusCode::FOUND);
    let location = reqwest::Url::parse(authorize.headers()["location"].to_str().unwrap()).unwrap();
    assert!(location.as_str().starts_with(&redirect_uri));
    let param = |name: &str| location.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.to_string());
    assert_eq!(param("state").as_deref(), Some("xyz 1"));
    let code = param("code").expect("code in redirect");

    let exchange = [("grant_type", "authorization_code"), ("code", code.as_str()), ("redirect_uri", &redirect_uri)];
    let response = token_request(&emu, &exchange);
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().unwrap();
    assert_eq!(body["scope"], "ea:api offline_access ea:sales");
    assert!(body["refresh_token"].is_string());
    let again = token_request(&emu, &exchange);
    assert_eq!(again.json::<Value>().unwrap()["error"], "invalid_grant", "codes are single use");
}

#[test]
fn authorize_refuses_unregistered_redirect_uri_without_redirecting() {
    let emu = start(Config::default()).unwrap();
    let response = http()
        .get(format!("{}/connect/authorize", emu.identity_base_url()))
        .query(&[
            ("client_id", emu.config().client_id.as_str()),
            ("redirect_uri", "https://evil.example/cb"),
            ("response_type", "code"),
            ("scope", "ea:api"),
        ])
        .send()
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.headers().get("location").is_none());
}

#[test]
fn token_endpoint_errors_follow_oauth2() {
    let emu = start(Config::default()).unwrap();
    let url = format!("{}/connect/token", emu.identity_base_url());
    let wrong_secret = http()
        .post(&url)
        .basic_auth(&emu.config().client_id, Some("nope"))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", "x")])
        .send()
        .unwrap();
    assert_eq!(wrong_secret.status(), StatusCode::BAD_REQUEST);
    assert_eq!(wrong_secret.json::<Value>().unwrap()["error"], "invalid_client");

    let json_body = http()
        .post(&url)
        .basic_auth(&emu.config().client_id, Some(&emu.config().client_secret))
        .json(&serde_json::json!({"grant_type": "refresh_token"}))
        .send()
        .unwrap();
    assert_eq!(json_body.json::<Value>().unwrap()["error"], "invalid_request");

    let password = token_request(&emu, &[("grant_type", "password"), ("username", "a")]);
    assert_eq!(password.json::<Value>().unwrap()["error"], "unsupported_grant_type");
    let missing = token_request(&emu, &[("grant_type", "refresh_token")]);
    assert_eq!(missing.json::<Value>().unwrap()["error"], "invalid_request");
}

#[test]
fn without_offline_access_there_is_no_refresh_token() {
    let config = Config { scopes: vec!["ea:api".into(), "ea:sales".into()], ..Config::default() };
    let c = start_and_connect(config);
    assert!(c.refresh_token.is_none());
}

#[test]
fn access_tokens_expire_after_their_lifetime() {
    let config = Config { access_token_lifetime: Duration::from_secs(1), ..Config::default() };
    let c = start_and_connect(config);
    assert_eq!(c.get("/customers").0, StatusCode::OK);
    let expired = eventually(Duration::from_secs(10), || c.get("/customers").0 == StatusCode::UNAUTHORIZED);
    assert!(expired, "the token never expired");
    let (_, body) = c.get("/customers");
    assert_eq!(body["ErrorCode"], 4005);
    assert!(body["DeveloperErrorMessage"].as_str().unwrap().contains("expired"));
    // The refresh token still gets a new one.
    let refreshed = token_request(
        &c.emu,
        &[("grant_type", "refresh_token"), ("refresh_token", c.refresh_token.as_deref().unwrap())],
    );
    assert_eq!(refreshed.status(), StatusCode::OK);
}

#[test]
fn expiring_tokens_on_demand_and_revoking_the_grant() {
    let c = connect();
    c.emu.expire_access_tokens();
    assert_eq!(c.get("/customers").0, StatusCode::UNAUTHORIZED);
    c.emu.revoke_grants();
    let refused = token_request(
        &c.emu,
        &[("grant_type", "refresh_token"), ("refresh_token", c.refresh_token.as_deref().unwrap())],
    );
    assert_eq!(refused.json::<Value>().unwrap()["error"], "invalid_grant");
}

#[test]
fn missing_or_unknown_bearer_is_401_in_the_api_error_format() {
    let c = connect();
    let bare = http().get(c.url("/customers")).send().unwrap();
    assert_eq!(bare.status(), StatusCode::UNAUTHORIZED);
    assert!(bare.headers().contains_key("www-authenticate"));
    let body: Value = bare.json().unwrap();
    assert_eq!(body["ErrorCode"], 4005);
    assert!(body["ErrorId"].is_string());
    let forged = http().get(c.url("/customers")).bearer_auth("forged").send().unwrap();
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);
}

#[test]
fn a_missing_scope_is_403_naming_the_scope() {
    let config =
        Config { scopes: vec!["ea:api".into(), "offline_access".into(), "ea:sales".into()], ..Config::default() };
    let c = start_and_connect(config);
    assert_eq!(c.get("/customers").0, StatusCode::OK);
    let (status, body) = c.get("/vatcodes");
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["ErrorCode"], 4006);
    assert!(body["DeveloperErrorMessage"].as_str().unwrap().contains("ea:accounting"));
}
