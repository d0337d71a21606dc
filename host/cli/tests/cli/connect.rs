//! `trestle connect`: the authorization-code flow against the emulator's
//! identity server, with the browser played by an HTTP client that follows
//! the redirect to the local listener.

use crate::common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

/// A free port for the redirect listener, and the books emulator with
/// that redirect registered.
fn books_expecting_our_redirect() -> (u16, eaccounting_emulator::Handle) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let emulator = eaccounting_emulator::start(eaccounting_emulator::Config {
        redirect_uris: vec![format!("http://localhost:{port}/callback")],
        ..Default::default()
    })
    .unwrap();
    (port, emulator)
}

#[test]
fn connect_stores_the_first_refresh_token_and_check_then_works() {
    let (port, emulator) = books_expecting_our_redirect();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("tenant.toml");
    std::fs::write(
        &config,
        format!(
            "tenant = \"t1\"\n[connections.books]\nconnector = \"eaccounting\"\nallow_private_network = true\napi_base_url = \"{}\"\n\
             identity_base_url = \"{}\"\nclient_id = \"trestle-demo\"\nclient_secret = \"trestle-demo-secret\"\n",
            emulator.api_base_url(),
            emulator.identity_base_url()
        ),
    )
    .unwrap();
    let check = |dir: &std::path::Path| {
        Command::new(env!("CARGO_BIN_EXE_trestle"))
            .args(["check", "--config", "tenant.toml"])
            .current_dir(dir)
            .output()
            .unwrap()
    };
    let before = check(dir.path());
    assert!(!before.status.success());
    assert!(
        String::from_utf8_lossy(&before.stdout).contains("trestle connect"),
        "{}",
        String::from_utf8_lossy(&before.stdout)
    );

    let (mut connect, url) = common::consent_address(dir.path(), port);
    // The "browser": the emulator approves and redirects to our listener.
    let page = reqwest::blocking::get(&url).unwrap().text().unwrap();
    assert!(page.contains("Connected"), "{page}");
    assert!(connect.wait().unwrap().success());

    let after = check(dir.path());
    assert!(after.status.success(), "{}", String::from_utf8_lossy(&after.stdout));
    assert!(String::from_utf8_lossy(&after.stdout).contains("ok    books"));
}

#[test]
fn connect_on_the_default_urls_sends_the_user_to_the_real_identity_server() {
    // No URLs in the config: the connector's documented defaults apply, to
    // the address printed and to what the connection may reach.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("tenant.toml"),
        "tenant = \"t1\"\n[connections.books]\nconnector = \"eaccounting\"\nclient_id = \"my-app\"\n\
         client_secret = \"s3cret\"\n",
    )
    .unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut connect = Command::new(env!("CARGO_BIN_EXE_trestle"))
        .args(["connect", "--config", "tenant.toml", "--port", &port.to_string()])
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines: Vec<String> = BufReader::new(connect.stdout.take().unwrap())
        .lines()
        .map(|l| l.unwrap())
        .take_while(|l| !l.starts_with("Waiting"))
        .collect();
    // It now waits for the browser's redirect; nothing more to see.
    let _ = connect.kill();
    let status = connect.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut connect.stderr.take().unwrap(), &mut stderr).unwrap();
    let url = lines
        .iter()
        .find_map(|l| l.trim().strip_prefix("https://"))
        .unwrap_or_else(|| panic!("connect prints the consent address ({status}):\n{}\n{stderr}", lines.join("\n")));
    assert!(url.starts_with("identity.vismaonline.com/connect/authorize?client_id=my-app"), "{url}");
}

/// `connect` knows no system: it finds the connection whose connector
/// declares OAuth2 (whatever it is called) and follows that declaration,
/// and a connection whose credentials are its settings is told so.
#[test]
fn connect_follows_what_the_connector_declares() {
    let (port, emulator) = books_expecting_our_redirect();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("tenant.toml"),
        format!(
            "tenant = \"t1\"\n[connections.shop]\nconnector = \"ccvshop\"\nallow_private_network = true\n\
             base_url = \"http://127.0.0.1:9\"\npublic_key = \"p\"\nsecret_key = \"s3cret-key\"\n\
             [connections.ledger]\nconnector = \"eaccounting\"\nallow_private_network = true\n\
             api_base_url = \"{}\"\nidentity_base_url = \"{}\"\nclient_id = \"trestle-demo\"\n\
             client_secret = \"trestle-demo-secret\"\n",
            emulator.api_base_url(),
            emulator.identity_base_url()
        ),
    )
    .unwrap();
    let trestle = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_trestle")).args(args).current_dir(dir.path()).output().unwrap()
    };

    let shop = trestle(&["connect", "--config", "tenant.toml", "--connection", "shop"]);
    assert!(!shop.status.success());
    let said = String::from_utf8_lossy(&shop.stderr);
    assert!(said.contains("connection `shop` needs no `trestle connect`") && said.contains("secret_key"), "{said}");

    // No --connection: the one connection that needs consent.
    let (mut connect, url) = common::consent_address(dir.path(), port);
    let declared = format!("{}/connect/authorize?", emulator.identity_base_url().trim_end_matches('/'));
    assert!(url.starts_with(&declared), "{url}");
    assert!(url.contains("scope=ea%3Aapi+offline_access+ea%3Asales+ea%3Aaccounting_readonly"), "{url}");
    let page = reqwest::blocking::get(&url).unwrap().text().unwrap();
    assert!(page.contains("Connected"), "{page}");
    assert!(connect.wait().unwrap().success());

    let check = trestle(&["check", "--config", "tenant.toml"]);
    assert!(
        String::from_utf8_lossy(&check.stdout).contains("ok    ledger"),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
}
