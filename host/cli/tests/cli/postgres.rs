//! The command on PostgreSQL: a tenant config whose `database` comes from
//! the environment names a database on the test binary's cluster;
//! `trestle run`, `logs` and `purge` work on it, and the URL's password is
//! in nothing they print, refused or not.

use std::path::Path;
use std::process::{Command, Output};

use crate::common;
use common::{stock_tenant, text};

const VARIABLE: &str = "TRESTLE_TEST_DATABASE";

fn trestle_on(url: &str, args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trestle"))
        .args(args)
        .current_dir(dir)
        .env(VARIABLE, url)
        .output()
        .expect("trestle runs")
}

#[test]
fn run_logs_and_purge_work_on_postgres_and_print_no_password() {
    let dir = tempfile::tempdir().unwrap();
    let _emulators = stock_tenant(dir.path());
    let config = dir.path().join("tenant.toml");
    let toml = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, format!("database = {{ env = \"{VARIABLE}\" }}\n{toml}")).unwrap();
    let database = trestle_e2e::postgres::fresh_database();
    let password = trestle_e2e::postgres::password();
    let url = database.url();

    let run = trestle_on(url, &["run", "--config", "tenant.toml"], dir.path());
    assert!(run.status.success(), "{}", text(&run));
    assert!(!dir.path().join(".trestle/trestle.db").exists(), "nothing went to a SQLite file");
    let logs = trestle_on(url, &["logs", "--config", "tenant.toml", "--json"], dir.path());
    assert!(logs.status.success(), "{}", text(&logs));
    assert!(String::from_utf8_lossy(&logs.stdout).lines().count() > 1, "the run's activity: {}", text(&logs));
    let purge = trestle_on(url, &["purge", "--config", "tenant.toml", "--tenant", "t1"], dir.path());
    assert!(purge.status.success(), "{}", text(&purge));
    assert!(
        text(&purge).contains("erased tenant `t1` from the database postgres://trestle@127.0.0.1:"),
        "{}",
        text(&purge)
    );

    let wrong = url.replace(password, "not-the-password");
    let refused = trestle_on(&wrong, &["run", "--config", "tenant.toml"], dir.path());
    assert!(!refused.status.success());
    assert!(text(&refused).contains("cannot open the database postgres://trestle@127.0.0.1:"), "{}", text(&refused));
    for said in [&run, &logs, &purge, &refused] {
        let said = text(said);
        assert!(!said.contains(password) && !said.contains("not-the-password"), "{said}");
    }
}
