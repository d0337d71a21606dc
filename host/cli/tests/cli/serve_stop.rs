//! `trestle serve` stops when the platform says so, whatever a tenant's
//! module is doing: a mapping that spins through a long time limit does not
//! hold SIGTERM hostage.

#![cfg(unix)]

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use trestle_emulators::{Emulators, Options};

#[test]
fn sigterm_stops_the_service_while_a_mapping_is_stuck() {
    let emulators =
        Emulators::start(Options { orders: 5, products: 20, rate_limits: false, ..Options::default() }).unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(trestle_artifacts::HOSTILE_ENDLESS_LOOP, dir.path().join("loop.wasm")).unwrap();
    // An endless loop allowed a minute and 50 billion units of fuel per
    // record: each order holds the run far longer than the stop grace.
    let config = format!(
        "tenant = \"stuck\"\n{}\n[mapping]\nmodule = \"loop.wasm\"\nlimits = {{ deadline_ms = 60000, fuel = 50000000000 }}\n\n\
         [flows.orders]\nroles = {{ order-source = \"shop\", customer-sink = \"books\", \
         sales-document-sink = \"books\", product-source = \"books\", product-sink = \"books\" }}\n\
         [flows.orders.settings]\ndocument = \"invoice\"\nmissing_article = \"create\"\n",
        emulators.connection_settings().tenant_connections(),
    );
    let config_path = dir.path().join("tenant.toml");
    std::fs::write(&config_path, config).unwrap();
    let log = dir.path().join("serve.log");
    let out = std::fs::File::create(&log).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_trestle"))
        .args(["serve", "--config", config_path.to_str().unwrap(), "--listen", &format!("127.0.0.1:{port}")])
        .current_dir(dir.path())
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let output = || std::fs::read_to_string(&log).unwrap_or_default();

    // Wait until the start-up run is under way (the mapping is spinning).
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        assert!(child.try_wait().unwrap().is_none(), "the service exited early:\n{}", output());
        let health: Option<serde_json::Value> =
            reqwest::blocking::get(format!("http://127.0.0.1:{port}/health")).ok().and_then(|r| r.json().ok());
        if health.is_some_and(|h| h["flows"]["orders"]["running"].is_string()) {
            break;
        }
        assert!(Instant::now() < deadline, "the start-up run never began:\n{}", output());
        std::thread::sleep(Duration::from_millis(50));
    }

    let asked = Instant::now();
    assert!(Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap().success());
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if asked.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the service did not stop within 30 s of SIGTERM:\n{}", output());
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status}:\n{}", output());
    assert!(output().contains("did not finish within 10s; the next run picks it up"), "{}", output());
}
