//! A connector that tries to reach a host outside its allowlist from
//! `check`: the host must refuse the request and log why.

trestle_guest::connector_world!(
    "../../../wit",
    "package trestle:hostile; world forbidden-host { include trestle:sync/connector-base@0.1.0; }"
);

use exports::trestle::sync::connection::{ConnectorSpec, Guest};
use trestle_guest::Error;
use trestle_guest::http::Request;

struct ForbiddenHost;

impl Guest for ForbiddenHost {
    fn spec() -> ConnectorSpec {
        ConnectorSpec {
            name: "forbidden-host".into(),
            title: "Calls a host it may not".into(),
            version: "0".into(),
            settings: Vec::new(),
            roles: Vec::new(),
            rate_limits: Vec::new(),
        }
    }

    fn check() -> Result<String, Error> {
        let target = trestle_guest::config::get("target").unwrap_or_else(|| "http://127.0.0.1:9/".into());
        Request::new("GET", target).send().map(|r| format!("reached it: {}", r.status))
    }
}

export!(ForbiddenHost);
