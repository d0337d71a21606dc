//! The connector's spec and its check: do the keys work, is the clock right,
//! answered in words a shop owner understands.

use trestle_guest::Error;

use crate::client::{Client, api};
use crate::exports::trestle::sync::connection::{Auth, ConnectorSpec, RateLimit};
use crate::json::{self, parse_timestamp};
use crate::{errors, reference, settings, signing};

/// A clock this far off still works, but not for long: worth saying.
const SKEW_WARNING_SECS: i64 = 60;

pub fn spec() -> ConnectorSpec {
    ConnectorSpec {
        name: "ccvshop".into(),
        title: "CCV Shop".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        settings: settings::declared(),
        // API keys in the settings sign every request: nothing to consent to.
        auth: Auth::Settings,
        rate_limits: rate_limits(),
    }
}

/// Spec §4: 150 GETs and 100 writes a minute, each method on each resource
/// counted on its own; `GET /productqueries` only 30 (declared so that any
/// use of it is paced; variants are found through `variants` instead).
fn rate_limits() -> Vec<RateLimit> {
    let limit = |methods: &[&str], paths: &[&str], per_minute| RateLimit {
        methods: methods.iter().map(|m| m.to_string()).collect(),
        path_suffixes: paths.iter().map(|p| p.to_string()).collect(),
        per_method: true,
        per_minute,
    };
    vec![
        limit(&["GET"], &["/productqueries"], 30),
        limit(&["GET"], &[], 150),
        limit(&["POST", "PUT", "PATCH", "DELETE"], &[], 100),
    ]
}

/// One signed call that every key may make (`/paymethods`): it proves the
/// address, both keys and the clock, and tells the owner what was reached.
pub fn check() -> Result<String, Error> {
    let client = Client::from_config()?;
    let sent_at = signing::now();
    let uri = api("/paymethods");
    let response = client.send("GET", &uri, None)?;
    let methods = reference::payment_method_items(&json::parse(&response.body, &format!("GET {uri}"))?)?;
    let shop = client.settings.origin.split("://").nth(1).unwrap_or_default().to_string();
    let mut answer = format!(
        "CCV Shop {shop}: API key accepted, answers correctly signed, {} payment method{}",
        methods.len(),
        if methods.len() == 1 { "" } else { "s" }
    );
    let skew = response.header("x-date").and_then(parse_timestamp).map(|server| (sent_at - server).num_seconds());
    if let Some(skew) = skew.filter(|s| s.abs() > SKEW_WARNING_SECS) {
        answer += &format!(
            "; note: this system's clock is {} {} the shop's, and CCV Shop refuses requests more than 5 minutes off",
            errors::describe_duration(skew.unsigned_abs()),
            if skew < 0 { "behind" } else { "ahead of" }
        );
    }
    Ok(answer)
}
