//! Alerts as an owner gets them from `trestle serve`: one mail and one
//! signed webhook when a flow's trouble opens an incident, one each when it
//! closes, none for the runs in between, and no secret in any of them.

use std::path::Path;
use std::process::Command;

use hmac::{Hmac, Mac};
use reqwest::blocking::Client;
use serde_json::Value;
use sha2::Sha256;
use trestle_emulators::Emulators;

use crate::common;
use common::service::{Service, free_port};
use common::sinks::{Delivery, Received, http_sink, smtp_sink};

const ALERT_SECRET: &str = "alert-signing-secret-9f2c";

struct Owner {
    emulators: Emulators,
    service: Service,
    mails: Received,
    hooks: Received,
    _dir: tempfile::TempDir,
}

/// The stock flow (books -> shop) with alerts to a local SMTP server and
/// a local webhook receiver, in `dir/tenant.toml`.
fn tenant_with_alerts(dir: &Path, failures_in_a_row: u32) -> (Emulators, Received, Received) {
    let emulators = common::stock_tenant(dir);
    let (smtp, mails) = smtp_sink();
    let (url, hooks) = http_sink(200);
    let config = dir.join("tenant.toml");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str(&format!(
        "\n[alerts]\nfailures_in_a_row = {failures_in_a_row}\n\
         webhook = {{ url = \"{url}\", secret = {{ env = \"TRESTLE_TEST_ALERT_SECRET\" }} }}\n\
         email = {{ smtp = \"{smtp}\", from = \"sync@shop.example\", to = [\"owner@shop.example\"] }}\n"
    ));
    std::fs::write(&config, text).unwrap();
    (emulators, mails, hooks)
}

/// That tenant served every second.
fn owner(failures_in_a_row: u32) -> Owner {
    let dir = tempfile::tempdir().unwrap();
    let (emulators, mails, hooks) = tenant_with_alerts(dir.path(), failures_in_a_row);
    let config = dir.path().join("tenant.toml");
    let service =
        Service::start(dir.path(), &config, free_port(), "1s", &[("TRESTLE_TEST_ALERT_SECRET", ALERT_SECRET)]);
    Owner { emulators, service, mails, hooks, _dir: dir }
}

fn revoke_grants(emulators: &Emulators) {
    let revoke = format!("{}/_emulator/grants/revoke", emulators.eaccounting.base_url());
    assert!(Client::new().post(revoke).send().unwrap().status().is_success());
}

fn runs(health: &Value) -> u64 {
    health["flows"]["stock"]["runs"].as_u64().unwrap()
}

fn events(hooks: &Received) -> Vec<String> {
    hooks.all().iter().map(|d| json(d)["event"].as_str().unwrap().to_string()).collect()
}

fn json(delivery: &Delivery) -> Value {
    serde_json::from_str(&delivery.body).unwrap()
}

fn header<'a>(delivery: &'a Delivery, name: &str) -> &'a str {
    delivery
        .headers
        .iter()
        .find_map(|h| h.split_once(':').filter(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.trim()))
        .unwrap_or_else(|| panic!("no {name} header in {:?}", delivery.headers))
}

fn put_faults(emulators: &Emulators, faults: Value) {
    let url = format!("{}/_emulator/faults", emulators.eaccounting.base_url());
    let answer = Client::new().put(url).json(&faults).send().unwrap();
    assert!(answer.status().is_success(), "setting faults: {}", answer.status());
}

#[test]
fn a_revoked_grant_is_told_at_once_by_mail_and_signed_webhook_with_the_next_step() {
    let mut owner = owner(3);
    let before = runs(&owner.service.wait_for("the start-up run", |h| runs(h) >= 1));
    assert!(owner.hooks.all().is_empty() && owner.mails.all().is_empty(), "a good run tells nobody");

    revoke_grants(&owner.emulators);
    let hooks = owner.hooks.clone();
    owner.service.wait_until("the webhook of the opened incident", |_| (!hooks.all().is_empty()).then_some(()));
    // Three more runs fail the same way: still one notice per channel.
    let failed = runs(&owner.service.wait_for("three more runs", |h| runs(h) >= before + 4));
    assert!(failed >= before + 4);
    let mails = owner.mails.clone();
    owner.service.wait_until("the mail of the opened incident", |_| (!mails.all().is_empty()).then_some(()));

    assert_eq!(events(&owner.hooks), ["incident.opened"], "one opening, however many runs fail");
    let hook = &owner.hooks.all()[0];
    let body = json(hook);
    assert_eq!(body["kind"], "failing");
    assert_eq!(body["flow"], "stock");
    let explanation = body["explanation"].as_str().unwrap();
    assert!(explanation.starts_with("flow `stock` cannot sign in: "), "{explanation}");
    assert!(explanation.contains("revoked or has expired"), "the connector's own words: {explanation}");
    assert!(body["next_step"].as_str().unwrap().contains("working credentials"), "{body}");
    let timestamp = header(hook, "x-trestle-timestamp");
    let mut mac = Hmac::<Sha256>::new_from_slice(ALERT_SECRET.as_bytes()).unwrap();
    mac.update(format!("{timestamp}.{}", hook.body).as_bytes());
    assert_eq!(header(hook, "x-trestle-signature"), format!("sha256={}", hex::encode(mac.finalize().into_bytes())));

    let all_mails = owner.mails.all();
    assert_eq!(all_mails.len(), 1, "one mail");
    let mail = &all_mails[0].body;
    assert!(mail.contains("Subject: [Trestle] t1 / stock: incident 1 opened (failing)"), "{mail}");
    assert!(mail.contains("To: owner@shop.example"), "{mail}");
    assert!(mail.contains("Next step: "), "{mail}");

    // Nothing the owner is told carries a secret of the tenant.
    let config = std::fs::read_to_string(owner._dir.path().join("tenant.toml")).unwrap();
    let told = format!("{:?}{:?}{}", owner.hooks.all(), all_mails, owner.service.output());
    for secret in secrets(&config).into_iter().chain([ALERT_SECRET.to_string()]) {
        assert!(!told.contains(&secret), "a secret reached an alert or the log: {secret}");
    }
}

#[test]
fn an_api_that_is_down_opens_an_incident_after_the_threshold_and_recovery_closes_it() {
    let mut owner = owner(2);
    owner.service.wait_for("the start-up run", |h| runs(h) >= 1);
    put_faults(&owner.emulators, serde_json::json!({ "error_rate": 1.0 }));
    let hooks = owner.hooks.clone();
    owner.service.wait_until("the opened incident", |_| (!hooks.all().is_empty()).then_some(()));
    assert_eq!(events(&owner.hooks), ["incident.opened"]);
    let body = json(&owner.hooks.all()[0]);
    // Opened at the second failed run in a row, not the first.
    assert!(body["explanation"].as_str().unwrap().contains("could not reach an API (2 runs in a row)"), "{body}");
    let scraped = scrape(&owner.service);
    assert!(scraped.contains("trestle_open_incidents{tenant=\"t1\",flow=\"stock\"} 1"), "{scraped}");
    assert!(scraped.contains("trestle_runs_total{tenant=\"t1\",flow=\"stock\",outcome=\"failed\"}"), "{scraped}");

    put_faults(&owner.emulators, serde_json::json!({ "error_rate": 0.0 }));
    owner.service.wait_until("the closed incident", |_| (hooks.all().len() >= 2).then_some(()));
    let after = runs(&owner.service.health().unwrap());
    owner.service.wait_for("two more good runs", |h| runs(h) >= after + 2);
    assert_eq!(events(&owner.hooks), ["incident.opened", "incident.closed"], "one notice each way");
    let closed = json(&owner.hooks.all()[1]);
    assert_eq!(closed["incident"], body["incident"], "the same incident closes");
    assert!(closed["closed_why"].as_str().unwrap().contains("finished without failing"), "{closed}");
    let mails = owner.mails.clone();
    owner.service.wait_until("both mails", |_| (mails.all().len() >= 2).then_some(()));
    assert_eq!(owner.mails.all().len(), 2);
    let scraped = scrape(&owner.service);
    assert!(scraped.contains("trestle_open_incidents{tenant=\"t1\",flow=\"stock\"} 0"), "{scraped}");
    let ready = Client::new().get(format!("{}/ready", owner.service.base)).send().unwrap();
    assert_eq!(ready.status(), 200);
}

fn scrape(service: &Service) -> String {
    Client::new().get(format!("{}/metrics", service.base)).send().unwrap().text().unwrap()
}

#[test]
fn scheduled_runs_from_the_command_line_keep_the_incidents_and_tell_once() {
    let dir = tempfile::tempdir().unwrap();
    let (emulators, mails, hooks) = tenant_with_alerts(dir.path(), 3);
    let run = || {
        Command::new(env!("CARGO_BIN_EXE_trestle"))
            .args(["run", "--config", "tenant.toml"])
            .env("TRESTLE_TEST_ALERT_SECRET", ALERT_SECRET)
            .current_dir(dir.path())
            .output()
            .unwrap()
    };
    assert!(run().status.success());
    revoke_grants(&emulators);
    let first = run();
    assert!(!first.status.success());
    assert!(common::text(&first).contains("incident 1 opened (failing)"), "{}", common::text(&first));
    assert!(!run().status.success());
    assert_eq!(events(&hooks), ["incident.opened"], "two failed runs, one notice");
    assert_eq!(mails.all().len(), 1);
}

/// The values of the secret settings in a tenant config the test wrote:
/// every `*_key`, `*secret*` and `*token*` string.
fn secrets(config: &str) -> Vec<String> {
    config
        .lines()
        .filter_map(|l| l.split_once('='))
        .filter(|(k, _)| {
            let k = k.trim();
            k.ends_with("_key") || k.contains("secret") || k.contains("token")
        })
        .filter_map(|(_, v)| v.trim().strip_prefix('"').and_then(|v| v.strip_suffix('"')).map(str::to_string))
        .filter(|v| v.len() >= 4)
        .collect()
}
