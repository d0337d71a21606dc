//! A connector that tries to reach a host outside its allowlist from
//! `check`: the host must refuse the request and log why. Its `target`
//! setting is marked as a URL, so a tenant config setting it allows it.

trestle_guest::connector_world!(
    "../../../wit",
    "package trestle:hostile; world forbidden-host { include trestle:sync/connector-base@0.1.0; }"
);

use exports::trestle::sync::connection::{Auth, ConnectorSpec, Guest, Setting, SettingKind};
use trestle_guest::Error;
use trestle_guest::http::Request;

struct ForbiddenHost;

impl Guest for ForbiddenHost {
    fn spec() -> ConnectorSpec {
        ConnectorSpec {
            name: "forbidden-host".into(),
            title: "Calls a host it may not".into(),
            version: "0".into(),
            // Declared as a URL: a tenant that sets it lets the host allow
            // it; a test that builds its policy by hand does not.
            settings: vec![Setting {
                name: "target".into(),
                description: "Where check() sends its request".into(),
                required: false,
                secret: false,
                kind: SettingKind::Url,
                default_value: None,
            }],
            auth: Auth::Settings,
            rate_limits: Vec::new(),
        }
    }

    fn check() -> Result<String, Error> {
        let target = trestle_guest::config::get("target").unwrap_or_else(|| "http://127.0.0.1:9/".into());
        Request::new("GET", target).send().map(|r| format!("reached it: {}", r.status))
    }
}

export!(ForbiddenHost);
