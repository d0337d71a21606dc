//! The role contract kit: rules every connector must follow whatever API it
//! talks to, checked against any connector from its manifest alone (no
//! system knowledge here). A connector gets them all with one line:
//! `trestle_e2e::contract::holds_for(trestle_artifacts::X_CONNECTOR)`.
//!
//! The rule checked now: what a failing API answers (401, 429, 503, or a 200
//! whose body is not what any API sends) comes back from `check` and from
//! every paged read of a source role it plays as the contract's error
//! variant for it (auth, rate-limited, transient; any error for the
//! malformed body), never as a trap or a success.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;

use trestle_host::ComponentKind;
use trestle_host::bindings::ContractError;
use trestle_host::bindings::exports::trestle::sync::product_source::ProductFilter;
use trestle_host::capabilities::state::StateScope;
use trestle_host::connection::Session;
use trestle_host::manifest::AuthManifest;

const TENANT: &str = "contract-kit";

/// One way for an API to fail, and the variant the contract wants for it.
struct Failure {
    what: &'static str,
    status: &'static str,
    headers: &'static str,
    body: &'static str,
    expected: fn(&ContractError) -> bool,
}

const FAILURES: &[Failure] = &[
    Failure {
        what: "401",
        status: "401 Unauthorized",
        headers: "",
        body: r#"{"error":"invalid_client","message":"unauthorized"}"#,
        expected: |e| matches!(e, ContractError::Auth(_)),
    },
    Failure {
        what: "429",
        status: "429 Too Many Requests",
        headers: "Retry-After: 1\r\n",
        body: r#"{"message":"slow down"}"#,
        expected: |e| matches!(e, ContractError::RateLimited(_)),
    },
    Failure {
        what: "503",
        status: "503 Service Unavailable",
        headers: "",
        body: r#"{"message":"down for maintenance"}"#,
        expected: |e| matches!(e, ContractError::Transient(_)),
    },
    Failure {
        what: "malformed 200",
        status: "200 OK",
        headers: "",
        body: r#"{"items": [{"id": tru"#,
        expected: |_| true,
    },
];

/// Every rule of the kit, for the connector component at `path`; panics
/// naming each broken rule.
pub fn holds_for(path: &str) {
    let host = crate::host();
    let component = crate::load(&host, "under-contract", ComponentKind::Connector, path);
    let mut broken = Vec::new();
    for failure in FAILURES {
        let server = answer_always(failure);
        // Every URL setting points at the failing server, every required
        // setting has a value: the connector gets as far as a request.
        let settings: Vec<(&str, String)> = component
            .manifest
            .settings()
            .iter()
            .filter(|s| s.url || s.required)
            .map(|s| (s.name.as_str(), if s.url { server.clone() } else { "contract-kit-value".into() }))
            .collect();
        let secrets: Vec<&str> = component.manifest.secrets().collect();
        let connection = crate::connection(component.clone(), "under-contract", &settings, &secrets, &[&server]);
        // A connector that authorizes by OAuth2 has been connected: its
        // refresh token is where the manifest says it keeps it.
        if let Some(AuthManifest::Oauth2Code(oauth)) = component.manifest.connector.as_ref().map(|c| &c.auth) {
            StateScope::new(host.storage().clone(), TENANT, "under-contract")
                .set(&oauth.refresh_token_key, "contract-kit-token")
                .expect("state is writable");
        }
        let mut session = connection.session(&host, TENANT).expect("a session starts");
        for (call, outcome) in calls(&mut session, &component.manifest.roles) {
            match outcome {
                Ok(Err(e)) if (failure.expected)(&e) => {}
                Ok(Err(e)) => broken.push(format!("{call} on a {}: {e:?}", failure.what)),
                Ok(Ok(())) => broken.push(format!("{call} on a {}: succeeded", failure.what)),
                Err(trap) => broken.push(format!("{call} on a {}: trapped: {trap:#}", failure.what)),
            }
        }
    }
    assert!(broken.is_empty(), "{path} breaks the role contract:\n{}", broken.join("\n"));
}

type Outcome = anyhow::Result<Result<(), ContractError>>;

/// `check`, and the first page of every source role the connector plays.
fn calls(session: &mut Session, roles: &[String]) -> Vec<(&'static str, Outcome)> {
    let mut calls: Vec<(&'static str, Outcome)> = Vec::new();
    let check = session.connection().and_then(|g| Ok(g.call_check(&mut session.store)?.map(drop)));
    calls.push(("connection.check", check));
    let plays = |role: &str| roles.iter().any(|r| r == role);
    if plays("order-source") {
        let filter = crate::any_order();
        let page =
            session.order_source().and_then(|g| Ok(g.call_list_orders(&mut session.store, &filter, None)?.map(drop)));
        calls.push(("order-source.list-orders", page));
    }
    if plays("customer-source") {
        let page =
            session.customer_source().and_then(|g| Ok(g.call_list_customers(&mut session.store, None)?.map(drop)));
        calls.push(("customer-source.list-customers", page));
    }
    if plays("product-source") {
        let filter = ProductFilter { active_only: false, sku_prefix: None, expression: None };
        let page = session
            .product_source()
            .and_then(|g| Ok(g.call_list_products(&mut session.store, &filter, None)?.map(drop)));
        calls.push(("product-source.list-products", page));
    }
    calls
}

/// A server on loopback that gives every request the same answer; its
/// base URL. It lives as long as the test process.
fn answer_always(failure: &'static Failure) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let url = format!("http://{}", listener.local_addr().expect("bound address"));
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(&stream);
            read_request(&mut reader);
            let answer = format!(
                "HTTP/1.1 {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n{}\r\n{}",
                failure.status,
                failure.body.len(),
                failure.headers,
                failure.body
            );
            _ = (&stream).write_all(answer.as_bytes());
        }
    });
    url
}

/// Reads one request to its end (a body by its length or its chunks), so
/// the answer never reaches a client still sending.
fn read_request(reader: &mut impl BufRead) {
    let mut line = String::new();
    let (mut length, mut chunked) = (0, false);
    while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
        let header = line.to_ascii_lowercase();
        if let Some(value) = header.strip_prefix("content-length:") {
            length = value.trim().parse().unwrap_or(0);
        }
        chunked |= header.starts_with("transfer-encoding:") && header.contains("chunked");
        line.clear();
    }
    if !chunked {
        _ = reader.read_exact(&mut vec![0; length]);
        return;
    }
    loop {
        line.clear();
        if !reader.read_line(&mut line).is_ok_and(|n| n > 0) {
            return;
        }
        let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or("0"), 16).unwrap_or(0);
        // The chunk and its CRLF; the last (empty) chunk's CRLF ends the body.
        _ = reader.read_exact(&mut vec![0; size + 2]);
        if size == 0 {
            return;
        }
    }
}
