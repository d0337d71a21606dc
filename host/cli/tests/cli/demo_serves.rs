//! `trestle demo` as the README runs it: after its sync it keeps the
//! emulators and the service running and prints the dashboard's address
//! and a token to log in with, so the page and every command it suggests
//! work (before, the suggested `trestle run` failed: the emulators were gone).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::common::pages::Pages;
use crate::common::service::free_port;
use crate::common::{text, trestle};

/// The demo, killed when the test ends however it ends.
struct Demo(Child);

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// What follows `prefix` on the first line the demo prints that has it.
fn printed(lines: &mpsc::Receiver<String>, prefix: &str, said: &mut String) -> String {
    // The demo builds nothing but runs three flows first: generous on a loaded machine.
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = lines.recv_timeout(left).unwrap_or_else(|_| panic!("the demo never printed {prefix:?}:\n{said}"));
        said.push_str(&line);
        said.push('\n');
        if let Some(rest) = line.trim().strip_prefix(prefix) {
            return rest.to_string();
        }
    }
}

#[test]
fn the_demo_ends_on_the_dashboard_with_the_emulators_and_the_service_running() {
    let dir = tempfile::tempdir().unwrap();
    let listen = format!("127.0.0.1:{}", free_port());
    let mut child = Command::new(env!("CARGO_BIN_EXE_trestle"))
        .args(["demo", "--orders", "12", "--listen", &listen])
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let _demo = Demo(child);
    let (send, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = send.send(line);
        }
    });
    let mut said = String::new();
    let address = printed(&lines, "The dashboard, on the demo's data: ", &mut said);
    assert_eq!(address, format!("http://{listen}/dashboard"), "{said}");
    let token = printed(&lines, "log in with the token ", &mut said);
    let token = token.split_whitespace().next().unwrap().to_string();

    // The printed address answers with the login page once the service listens.
    let pages = Pages::new(&format!("http://{listen}"));
    let deadline = Instant::now() + Duration::from_secs(60);
    let login = loop {
        match pages.try_get("/dashboard/login") {
            Some(answer) => break answer,
            None => assert!(Instant::now() < deadline, "nothing listens at {address}:\n{said}"),
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(login.status == 200 && login.body.contains("name=\"token\""), "{login:?}");
    // The printed token logs in; the demo's tenant shows the records its sync wrote.
    assert_eq!(pages.login(&token).status, 303, "the printed token logs in");
    let records = pages.get("/dashboard/t/demo-shop/records?outcome=synced");
    assert!(records.status == 200 && records.body.contains("outcome-synced"), "{}", records.body);

    // The command it suggests works, the emulators still there, once the
    // service's own start-up runs are done (a second run of a flow at once waits its turn).
    let deadline = Instant::now() + Duration::from_secs(120);
    let health = format!("http://{listen}/health");
    loop {
        let flows = reqwest::blocking::get(&health).unwrap().json::<serde_json::Value>().unwrap()["flows"].clone();
        let done = ["customers", "orders", "stock"]
            .iter()
            .all(|f| flows[f]["runs"].as_u64().unwrap_or(0) > 0 && flows[f]["running"].is_null());
        if done {
            break;
        }
        assert!(Instant::now() < deadline, "the service's start-up runs did not finish: {flows}");
        std::thread::sleep(Duration::from_millis(100));
    }
    let again = trestle(&["run", "--config", ".trestle/demo/tenant.toml", "--flow", "stock"], dir.path());
    assert!(again.status.success(), "{}", text(&again));
}
