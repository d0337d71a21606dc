//! Crash safety with a real kill: `trestle run` is killed (SIGKILL) at
//! several points of a run; after a final run the books hold every paid
//! order exactly once.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use trestle_host::{ActivityQuery, Host, HostOptions};

struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn trestle(args: &[&str], dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_trestle"));
    c.args(args).current_dir(dir);
    c
}

/// Synced records the activity log holds so far.
fn synced_so_far(db: &Path) -> usize {
    let Ok(host) = Host::new(HostOptions { database: Some(db.to_path_buf()), cache_dir: None }) else { return 0 };
    host.activity(&ActivityQuery { outcome: Some("synced".into()), ..Default::default() }).map(|v| v.len()).unwrap_or(0)
}

fn get_json(url: &str) -> serde_json::Value {
    reqwest::blocking::get(url).unwrap().json().unwrap()
}

#[test]
fn killed_runs_leave_no_duplicates_and_nothing_missing() {
    let dir = tempfile::tempdir().unwrap();
    let mut emulators = KillOnDrop(
        trestle(&["demo", "--no-sync", "--orders", "150"], dir.path()).stdout(Stdio::piped()).spawn().unwrap(),
    );
    // Wait until the demo says it is ready; it prints the URLs first.
    let mut shop = String::new();
    let mut books = String::new();
    for line in BufReader::new(emulators.0.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        let value = line.split_whitespace().last().unwrap_or_default().to_string();
        if line.trim_start().starts_with("base_url") {
            shop = value;
        } else if line.trim_start().starts_with("identity_base_url") {
            books = value;
        } else if line.starts_with("Sync with:") {
            break;
        }
    }
    assert!(!shop.is_empty() && !books.is_empty(), "the demo printed its URLs");
    let config = dir.path().join(".trestle/demo/tenant.toml");
    let db = dir.path().join(".trestle/demo/.trestle/trestle.db");

    // Kill the run once it has synced 5, 25 and 45 orders.
    for kill_after in [5, 25, 45] {
        let mut run = KillOnDrop(
            trestle(&["run", "--config", config.to_str().unwrap()], dir.path()).stdout(Stdio::null()).spawn().unwrap(),
        );
        let deadline = Instant::now() + Duration::from_secs(300);
        while synced_so_far(&db) < kill_after {
            assert!(Instant::now() < deadline, "the run never reached {kill_after} synced orders");
            if let Some(status) = run.0.try_wait().unwrap() {
                panic!("the run ended ({status}) before it could be killed at {kill_after}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        run.0.kill().unwrap();
        run.0.wait().unwrap();
    }
    let last = trestle(&["run", "--config", config.to_str().unwrap()], dir.path()).output().unwrap();
    assert!(last.status.success(), "{}", String::from_utf8_lossy(&last.stderr));

    let books_state = get_json(&format!("{books}/_emulator/state"));
    let references: Vec<String> = books_state["books"]["customerinvoices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["OurReference"].as_str().unwrap_or_default().to_string())
        .collect();
    let unique: BTreeSet<String> = references.iter().cloned().collect();
    assert_eq!(unique.len(), references.len(), "duplicates after kills: {references:?}");
    let shop_state = get_json(&format!("{shop}/_emulator/state"));
    let paid: BTreeSet<String> = shop_state["shop"]["orders"]
        .as_object()
        .unwrap()
        .values()
        .filter(|o| o["paid"] == true && o["is_completed"] == true)
        .filter_map(|o| o["ordernumber"].as_u64().map(|n| format!("ORD-{n}")))
        .collect();
    assert_eq!(unique, paid, "every paid order exactly once after the kills");
}
