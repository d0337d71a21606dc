//! The dashboard in a real browser, headless Chromium, against the
//! emulators: the owner logs in, sees the first record appear, breaks a
//! setting (orders of articles missing from the books are parked) so two
//! new orders of articles only the shop has are parked, retries one (it
//! stays parked, with its reason, and the run shows in the timeline),
//! skips the other with a reason, fixes the setting in the config file (a changed config runs at
//! once and every run retries the parked first, so the order syncs by
//! itself), and cannot open another tenant's pages. A screenshot of each
//! step goes to target/screenshots/ (listed in docs/2026-12-03-dashboard-pages.md).

use serde_json::Value;
use trestle_emulators::{Emulators, Options};

use crate::common::browser::Browser;
use crate::common::service::{Service, free_port};
use crate::common::stock_config;

const OPERATOR: &str = "operator-token-for-the-browser-test-0123456789";

/// Alpha's config: its orders, parked when an article is not in the books
/// (`missing_article`), or with `create` made there.
fn alpha_config(emulators: &Emulators, missing_article: &str) -> String {
    let orders = trestle_emulators::orders_flow()
        .replace("missing_article = \"create\"", &format!("missing_article = \"{missing_article}\""));
    format!(
        "tenant = \"alpha\"\n{}\n[mapping]\nmodule = \"country-codes\"\n\n{orders}\n[serve]\nevery = \"1h\"\n",
        emulators.connection_settings().tenant_connections()
    )
}

/// A paid checkout of one `sku` by a registered buyer; the order's id.
fn paid_order(emulators: &Emulators, email: &str, sku: &str) -> u64 {
    let user = emulators.ccvshop.add_user(trestle_e2e::person(email, None, "NL"));
    let rows = vec![ccvshop_emulator::NewOrderRow { sku: sku.into(), count: 1.0 }];
    emulators.ccvshop.place_order(&ccvshop_emulator::NewOrder { rows, user_id: Some(user), paid: true }).unwrap()
}

fn api(service: &Service, method: reqwest::Method, path: &str) -> Value {
    let url = format!("{}/api{path}", service.base);
    let Ok(response) = reqwest::blocking::Client::new().request(method, url).bearer_auth(OPERATOR).send() else {
        return Value::Null;
    };
    response.json().unwrap_or(Value::Null)
}

fn finished_runs(service: &Service) -> usize {
    let runs = api(service, reqwest::Method::GET, "/tenants/alpha/runs?limit=1000");
    runs["runs"].as_array().map_or(0, |r| r.iter().filter(|r| !r["finished_at"].is_null()).count())
}

/// The record id under which alpha's order of `sku` is parked.
fn parked_record(service: &Service, sku: &str) -> Option<String> {
    let parked = api(service, reqwest::Method::GET, "/tenants/alpha/parked");
    let found = parked["parked"].as_array()?.iter().find(|p| p["detail"].as_str().is_some_and(|d| d.contains(sku)));
    found.and_then(|p| p["record"].as_str().map(str::to_string))
}

#[test]
fn an_owner_follows_parks_retries_skips_and_fixes_orders_in_the_browser_and_sees_no_other_tenant() {
    let alpha_books =
        Emulators::start(Options { orders: 0, products: 20, rate_limits: false, ..Options::default() }).unwrap();
    let beta_books =
        Emulators::start(Options { orders: 4, products: 8, rate_limits: false, ..Options::default() }).unwrap();
    let simple = trestle_e2e::simple_products(&alpha_books);
    paid_order(&alpha_books, "known@visser.example", &simple[2].1);

    let dir = tempfile::tempdir().unwrap();
    let tenants = dir.path().join("tenants");
    std::fs::create_dir(&tenants).unwrap();
    std::fs::write(tenants.join("alpha.toml"), alpha_config(&alpha_books, "create")).unwrap();
    std::fs::write(tenants.join("beta.toml"), stock_config("beta", &beta_books)).unwrap();
    let mut service = Service::start_with(
        dir.path(),
        &["--tenants", tenants.to_str().unwrap(), "--every", "1h"],
        free_port(),
        &[("TRESTLE_OPERATOR_TOKEN", OPERATOR)],
    );
    service
        .wait_until("the service", |s| (!api(s, reqwest::Method::GET, "/tenants")["tenants"].is_null()).then_some(()));
    let issued = api(&service, reqwest::Method::POST, "/tenants/alpha/tokens");
    let token = issued["token"].as_str().expect("alpha's token").to_string();
    let browser = Browser::start(&service.base);

    // 1. The owner logs in with the token the operator gave them.
    browser.open("/dashboard/login");
    browser.type_into("#token", &token);
    browser.screenshot("01-login");
    browser.submit("form.login button[type=submit]");
    assert_eq!(browser.path(), "/dashboard/t/alpha", "{}", browser.text());

    // 2. The first record appears: the start-up run synced the shop's order
    //    (its cost articles made in the books, as the config says).
    browser.until("the start-up run's record", "/dashboard/t/alpha/records", |html| {
        html.contains("class=\"outcome-synced\"")
    });
    browser.screenshot("02-records");

    // 3. Home: the orders flow's last run and today's counts; both connections reached.
    browser.open("/dashboard/t/alpha");
    let home = browser.text();
    assert!(home.contains("1 synced") && home.matches("Reached:").count() == 2, "{home}");
    browser.screenshot("03-home");

    // 4. A setting broken (articles missing from the books park the order)
    //    and two orders of articles only the shop has: the changed config
    //    runs at once and parks both, each with its reason.
    trestle_e2e::shop_only_product(&alpha_books, simple[0].0, "SHOP-ONLY-1");
    trestle_e2e::shop_only_product(&alpha_books, simple[1].0, "SHOP-ONLY-2");
    paid_order(&alpha_books, "retry@visser.example", "SHOP-ONLY-1");
    paid_order(&alpha_books, "skip@visser.example", "SHOP-ONLY-2");
    std::fs::write(tenants.join("alpha.toml"), alpha_config(&alpha_books, "park")).unwrap();
    let (retried, skipped) = service.wait_until("both orders parked", |s| {
        Some((parked_record(s, "SHOP-ONLY-1")?, parked_record(s, "SHOP-ONLY-2")?))
    });
    browser.open("/dashboard/t/alpha/parked");
    assert!(browser.text().contains("SHOP-ONLY-1") && browser.text().contains("missing_article"), "{}", browser.text());
    browser.screenshot("04-parked");

    // 5. Retry now, before any fix: the run goes in the timeline, the order stays parked with its reason.
    let runs_before = finished_runs(&service);
    browser.submit(&format!("form[action='/dashboard/t/alpha/parked/orders/{retried}/retry'] button"));
    assert!(browser.text().contains(&format!("Retry of orders record {retried} queued")), "{}", browser.text());
    service.wait_until("the retry's run", |s| (finished_runs(s) > runs_before).then_some(()));
    let still =
        browser.until("the retried order still parked", "/dashboard/t/alpha/parked", |t| t.contains("SHOP-ONLY-1"));
    assert!(still.contains("missing_article"), "{still}");
    browser.open("/dashboard/t/alpha/runs");
    browser.screenshot("05-retried-runs");

    // 6. Skip the other with a reason: it leaves the parked list, and its record says why.
    browser.open("/dashboard/t/alpha/parked");
    let form = format!("form[action='/dashboard/t/alpha/parked/orders/{skipped}/skip']");
    browser.type_into(&format!("{form} input[name=reason]"), "booked by hand");
    browser.submit(&format!("{form} button"));
    assert!(browser.text().contains(&format!("Skip of orders record {skipped} queued")), "{}", browser.text());
    browser.until("the skipped order gone from Parked", "/dashboard/t/alpha/parked", |t| !t.contains("SHOP-ONLY-2"));
    let record =
        browser.until("the skip in the record", &format!("/dashboard/t/alpha/records/orders/{skipped}"), |t| {
            t.contains("skipped")
        });
    assert!(record.contains("booked by hand"), "{record}");
    browser.screenshot("06-skipped-record");

    // 7. The fix in the config file: the order parked for its article syncs by itself, nothing is parked.
    std::fs::write(tenants.join("alpha.toml"), alpha_config(&alpha_books, "create")).unwrap();
    browser.until("nothing parked", "/dashboard/t/alpha/parked", |t| t.contains("Nothing is parked."));
    browser.until("the fixed order synced", &format!("/dashboard/t/alpha/records/orders/{retried}"), |t| {
        t.contains("UTC: synced")
    });
    browser.screenshot("07-fixed-synced");

    // 8. Another tenant's pages are to alpha's owner as if that tenant did not exist.
    for path in ["", "/records", "/parked", "/runs"] {
        browser.open(&format!("/dashboard/t/beta{path}"));
        let text = browser.text();
        assert!(text.contains("no tenant `beta`") && !text.contains("Reached"), "beta{path}: {text}");
    }
    browser.screenshot("08-other-tenant");

    // 9. On a phone's screen.
    browser.resize(390, 844);
    browser.open("/dashboard/t/alpha");
    browser.screenshot("09-phone-home");

    let html = browser.html() + &service.output();
    for secret in [&alpha_books.connection_settings().ccvshop["secret_key"], &token] {
        assert!(!html.contains(secret.as_str()), "a secret reached a page or the log");
    }
}
