//! What the CLI tests share: running `trestle` in a folder, its output as
//! one text, `trestle connect` up to the consent address, a tenant with
//! the stock flow against freshly started emulators, and the dashboard's
//! pages, fetched (`pages`) or in a browser (`browser`).
#![allow(dead_code)] // each test binary uses its own part

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

use trestle_emulators::{Emulators, Options};

pub mod browser;
pub mod pages;
pub mod service;
pub mod sinks;

pub fn trestle(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trestle")).args(args).current_dir(dir).output().expect("trestle runs")
}

pub fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// Starts `trestle connect` on `port` in `dir` and returns it, waiting for
/// the browser, with the consent address it printed.
pub fn consent_address(dir: &Path, port: u16) -> (Child, String) {
    let mut connect = Command::new(env!("CARGO_BIN_EXE_trestle"))
        .args(["connect", "--config", "tenant.toml", "--port", &port.to_string()])
        .current_dir(dir)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(connect.stdout.take().unwrap()).lines();
    let url = lines
        .by_ref()
        .map(|l| l.unwrap())
        .find_map(|l| l.trim().starts_with("http").then(|| l.trim().to_string()))
        .expect("connect prints the consent address");
    // Keep reading what it says next, so it never writes to a closed pipe.
    std::thread::spawn(move || lines.for_each(drop));
    (connect, url)
}

/// Small emulated shop and books, and `dir/tenant.toml` syncing stock from
/// the books to the shop.
pub fn stock_tenant(dir: &Path) -> Emulators {
    let emulators =
        Emulators::start(Options { orders: 4, products: 8, rate_limits: false, ..Options::default() }).unwrap();
    std::fs::write(dir.join("tenant.toml"), stock_config("t1", &emulators)).unwrap();
    emulators
}

/// Tenant `id`'s config: the stock flow from `emulators`' books to their shop.
pub fn stock_config(id: &str, emulators: &Emulators) -> String {
    format!(
        "tenant = \"{id}\"\n{}\n[flows.stock]\nroles = {{ stock-source = \"books\", stock-sink = \"shop\" }}\n",
        emulators.connection_settings().tenant_connections()
    )
}
