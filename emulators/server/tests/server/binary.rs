//! The `trestle-emulators` binary on free ports: it prints the URLs it bound,
//! and those answer.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Kills the binary even when an assertion fails first.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The value printed after `key` on a line of the settings block.
fn value_of<'a>(lines: &'a [String], key: &str) -> Option<&'a str> {
    lines.iter().find_map(|line| {
        let mut words = line.split_whitespace();
        (words.next() == Some(key)).then(|| words.next()).flatten()
    })
}

#[test]
fn binary_prints_bound_urls_and_serves_them() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_trestle-emulators"))
        .args(["--ccv-port", "0", "--eaccounting-port", "0", "--orders", "5"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let running = Running(child);

    // A reader thread, so the wait for output can have a deadline.
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut lines = Vec::new();
    while value_of(&lines, "base_url").is_none() || value_of(&lines, "refresh_token").is_none() {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => lines.push(line),
            Err(e) => panic!("no URLs within 30 s ({e}); output so far: {lines:#?}"),
        }
    }

    let shop = value_of(&lines, "base_url").expect("CCV base URL");
    let books = value_of(&lines, "identity_base_url").expect("eAccounting base URL");
    assert!(value_of(&lines, "api_base_url").is_some_and(|u| u.ends_with("/v2")));
    for base in [shop, books] {
        assert!(!base.ends_with(":0"), "printed an unbound port: {base}");
        let stats: serde_json::Value = reqwest::blocking::get(format!("{base}/_emulator/stats"))
            .and_then(|r| r.error_for_status())
            .and_then(|r| r.json())
            .unwrap_or_else(|e| panic!("{base}/_emulator/stats: {e}"));
        assert!(stats["total"].is_u64(), "{base}: {stats}");
    }
    drop(running);
}
