//! What the host reads from a component at load, and enforces: `trestle
//! inspect` shows the manifest (roles from the component's exports or
//! imports, settings marked secret or URL, auth, rate budgets, webhooks),
//! and a connection may reach the settings its connector marks as URLs,
//! whatever they are called.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn trestle(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trestle")).args(args).current_dir(dir).output().expect("trestle runs")
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn inspect_json(component: &str) -> Value {
    let out = trestle(&["inspect", component, "--json"], Path::new("."));
    assert!(out.status.success(), "{}", text(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn setting<'a>(manifest: &'a Value, name: &str) -> &'a Value {
    let settings = manifest["manifest"]["connector"]["settings"].as_array().unwrap();
    settings.iter().find(|s| s["name"] == name).unwrap_or_else(|| panic!("no setting {name} in {manifest}"))
}

#[test]
fn inspect_shows_what_a_component_is_and_may_do() {
    let shop = inspect_json("ccvshop");
    assert_eq!(shop["kind"], "connector");
    let roles: Vec<&str> = shop["manifest"]["roles"].as_array().unwrap().iter().map(|r| r.as_str().unwrap()).collect();
    assert!(roles.contains(&"order-source") && roles.contains(&"stock-sink"), "{roles:?}");
    assert!(roles.contains(&"webhook-source") && !roles.contains(&"sales-document-sink"), "{roles:?}");
    assert_eq!(shop["manifest"]["connector"]["webhooks"], true);
    assert_eq!(shop["manifest"]["connector"]["auth"]["kind"], "settings");
    assert_eq!(
        (setting(&shop, "base_url")["url"].as_bool(), setting(&shop, "base_url")["secret"].as_bool()),
        (Some(true), Some(false))
    );
    assert_eq!(
        (setting(&shop, "secret_key")["url"].as_bool(), setting(&shop, "secret_key")["secret"].as_bool()),
        (Some(false), Some(true))
    );
    assert_eq!(shop["manifest"]["connector"]["rate_limits"].as_array().unwrap().len(), 3);
    assert!(shop["limits"]["memory_bytes"].as_u64().unwrap() > 0);

    let books = inspect_json("eaccounting");
    assert_eq!(books["manifest"]["connector"]["auth"]["kind"], "oauth2-code");
    assert_eq!(books["manifest"]["connector"]["webhooks"], false);
    assert_eq!(setting(&books, "identity_base_url")["default"], "https://identity.vismaonline.com");
    assert_eq!(setting(&books, "identity_base_url")["url"], true);

    let orders = inspect_json("orders");
    assert_eq!(orders["kind"], "flow");
    assert_eq!(orders["manifest"]["record_kinds"], serde_json::json!(["order"]));
    assert!(orders["manifest"]["roles"].as_array().unwrap().iter().any(|r| r == "sales-document-sink"));

    // A file: its kind is found from what it exports.
    let out = trestle(&["inspect", trestle_artifacts::PROBE_CONNECTOR], Path::new("."));
    assert!(out.status.success(), "{}", text(&out));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.starts_with("connector probe_connector") && said.contains("plays order-source"), "{said}");

    let out = trestle(&["inspect", "no-such-thing"], Path::new("."));
    assert!(!out.status.success());
    assert!(text(&out).contains("`no-such-thing` is neither a built-in component nor a file"), "{}", text(&out));
}

#[test]
fn a_connection_may_reach_the_settings_its_connector_marks_as_urls() {
    // A listener standing in for the API the setting names: `target` is not
    // called `*base_url`, but the connector marks it as a URL.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut request = [0u8; 1024];
        let _ = stream.read(&mut request).unwrap();
        stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n").unwrap();
    });
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(trestle_artifacts::HOSTILE_FORBIDDEN_HOST, dir.path().join("wanderer.wasm")).unwrap();
    std::fs::write(
        dir.path().join("tenant.toml"),
        format!(
            "tenant = \"t1\"\n[connections.api]\nconnector = \"wanderer.wasm\"\nallow_private_network = true\n\
             target = \"http://127.0.0.1:{port}/\"\n"
        ),
    )
    .unwrap();
    let out = trestle(&["check", "--config", "tenant.toml"], dir.path());
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("ok    api: reached it: 200"), "{}", text(&out));
    server.join().unwrap();
}
