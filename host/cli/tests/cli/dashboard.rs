//! The dashboard's pages over real sockets, without a browser: a bad token
//! is refused at the login form, a tenant's login never opens another
//! tenant's pages (answered 404, as the API answers), a form without the
//! session's CSRF value changes nothing, logging out ends the session, and
//! no page carries a secret or a token.

use std::path::Path;

use trestle_emulators::{Emulators, Options};

use crate::common::pages::{Pages, csrf};
use crate::common::service::{Service, free_port};
use crate::common::stock_config;

const OPERATOR: &str = "operator-token-for-the-dashboard-0123456789";

fn tenant(dir: &Path, id: &str) -> Emulators {
    let emulators =
        Emulators::start(Options { orders: 4, products: 8, rate_limits: false, ..Options::default() }).unwrap();
    let config = format!("{}\n[serve]\nevery = \"1h\"\n", stock_config(id, &emulators));
    std::fs::write(dir.join(format!("{id}.toml")), config).unwrap();
    emulators
}

/// The tenant's runs that finished, as the operator's API answers them.
fn finished_runs(service: &Service, tenant: &str) -> usize {
    let url = format!("{}/api/tenants/{tenant}/runs", service.base);
    let Ok(response) = reqwest::blocking::Client::new().get(url).bearer_auth(OPERATOR).send() else { return 0 };
    let runs: serde_json::Value = response.json().unwrap_or_default();
    runs["runs"].as_array().map_or(0, |r| r.iter().filter(|r| !r["finished_at"].is_null()).count())
}

fn issue_token(service: &Service, tenant: &str) -> String {
    let url = format!("{}/api/tenants/{tenant}/tokens", service.base);
    let issued: serde_json::Value =
        reqwest::blocking::Client::new().post(url).bearer_auth(OPERATOR).send().unwrap().json().unwrap();
    issued["token"].as_str().unwrap().to_string()
}

#[test]
fn a_tenants_login_sees_its_own_pages_only_and_forms_need_the_sessions_csrf_value() {
    let dir = tempfile::tempdir().unwrap();
    let tenants = dir.path().join("tenants");
    std::fs::create_dir(&tenants).unwrap();
    let (alpha_books, beta_books) = (tenant(&tenants, "alpha"), tenant(&tenants, "beta"));
    let mut service = Service::start_with(
        dir.path(),
        &["--tenants", tenants.to_str().unwrap(), "--every", "1h"],
        free_port(),
        &[("TRESTLE_OPERATOR_TOKEN", OPERATOR)],
    );
    service.wait_until("both start-up runs", |s| {
        (finished_runs(s, "alpha") > 0 && finished_runs(s, "beta") > 0).then_some(())
    });
    let alpha_token = issue_token(&service, "alpha");
    let pages = Pages::new(&service.base);

    // No session: every page sends to the login form.
    let answer = pages.get("/dashboard/t/alpha");
    assert_eq!((answer.status, answer.location.as_deref()), (303, Some("/dashboard/login")), "{answer:?}");
    // A bad token is refused, saying why, and opens no session.
    let refused = pages.login("trestle_t_made-up");
    assert_eq!(refused.status, 401, "{refused:?}");
    assert!(refused.body.contains("the token is neither the operator"), "{}", refused.body);
    assert!(pages.cookie.borrow().is_none());
    // A login form posted from another site's page is refused, even with a good token.
    let host = service.base.trim_start_matches("http://").to_string();
    let forged = pages.post("/dashboard/login", &[("token", &alpha_token)], &[("origin", "http://evil.example")]);
    assert_eq!(forged.status, 403, "{forged:?}");
    assert!(pages.cookie.borrow().is_none());

    // Alpha's owner logs in and lands on alpha's home.
    let origin = format!("http://{host}");
    let login = pages.post("/dashboard/login", &[("token", &alpha_token)], &[("origin", &origin)]);
    assert_eq!((login.status, login.location.as_deref()), (303, Some("/dashboard")), "{login:?}");
    let cookie = pages.cookie.borrow().clone().expect("a session cookie");
    let answer = pages.get("/dashboard");
    assert_eq!(answer.location.as_deref(), Some("/dashboard/t/alpha"), "{answer:?}");
    let home = pages.get("/dashboard/t/alpha");
    assert_eq!(home.status, 200, "{}", home.body);
    for shown in ["<h1>alpha</h1>", "stock", "Reached: ", "Log out"] {
        assert!(home.body.contains(shown), "home shows {shown}: {}", home.body);
    }
    for path in ["/records", "/records?flow=stock&outcome=synced&record=", "/parked", "/runs"] {
        let answer = pages.get(&format!("/dashboard/t/alpha{path}"));
        assert_eq!(answer.status, 200, "alpha{path}: {}", answer.body);
    }
    let records = pages.get("/dashboard/t/alpha/records");
    let first = records.body.split("href=\"/dashboard/t/alpha/records/stock/").nth(1).expect("a record link");
    let record = first.split('"').next().unwrap();
    let entry = pages.get(&format!("/dashboard/t/alpha/records/stock/{record}"));
    assert!(entry.status == 200 && entry.body.contains("What the flow reported"), "{}", entry.body);

    // Beta's pages are to alpha's login as if beta did not exist, for reading and for acting.
    let token = csrf(&home.body);
    pages.seen.borrow_mut().clear();
    for path in ["", "/records", "/records/stock/SKU-00001", "/parked", "/runs"] {
        let answer = pages.get(&format!("/dashboard/t/beta{path}"));
        assert_eq!(answer.status, 404, "beta{path}: {}", answer.body);
        assert!(answer.body.contains("no tenant `beta`"), "{}", answer.body);
    }
    for path in ["/flows/stock/run", "/parked/stock/SKU-00001/retry"] {
        let answer = pages.post(&format!("/dashboard/t/beta{path}"), &[("csrf", &token)], &[]);
        assert_eq!(answer.status, 404, "beta{path}: {}", answer.body);
    }
    let beta_seen = pages.seen.borrow().clone();
    assert!(!beta_seen.contains("Reached") && !beta_seen.contains("synced"), "nothing of beta's: {beta_seen}");

    // A form without the session's CSRF value, or with another, queues nothing.
    let runs_before = finished_runs(&service, "alpha");
    for fields in [&[][..], &[("csrf", "not-the-value")][..]] {
        let answer = pages.post("/dashboard/t/alpha/flows/stock/run", fields, &[]);
        assert_eq!(answer.status, 403, "{answer:?}");
        assert!(answer.body.contains("CSRF"), "{}", answer.body);
    }
    let queued = pages.post("/dashboard/t/alpha/flows/stock/run", &[("csrf", &token)], &[]);
    assert_eq!(queued.location.as_deref(), Some("/dashboard/t/alpha/runs?queued=stock"), "{queued:?}");
    assert!(pages.get("/dashboard/t/alpha/runs?queued=stock").body.contains("A run of stock is queued"));
    service.wait_until("the run queued from the page", |s| (finished_runs(s, "alpha") > runs_before).then_some(()));

    // Logging out ends the session: its cookie opens nothing any more.
    assert_eq!(pages.post("/dashboard/logout", &[], &[]).status, 403, "logging out needs the CSRF value too");
    let out = pages.post("/dashboard/logout", &[("csrf", &token)], &[]);
    assert_eq!(out.location.as_deref(), Some("/dashboard/login"), "{out:?}");
    *pages.cookie.borrow_mut() = Some(cookie);
    assert_eq!(pages.get("/dashboard/t/alpha").location.as_deref(), Some("/dashboard/login"));

    // The operator sees every tenant.
    assert_eq!(pages.login(OPERATOR).status, 303);
    let list = pages.get("/dashboard");
    assert!(list.body.contains("/dashboard/t/alpha") && list.body.contains("/dashboard/t/beta"), "{}", list.body);
    assert_eq!(pages.get("/dashboard/t/beta").status, 200);

    // No page carried a secret of either tenant's connections, or a token.
    let everything = pages.seen.borrow().clone() + &service.output();
    for books in [&alpha_books, &beta_books] {
        let settings = books.connection_settings();
        for secret in [&settings.ccvshop["secret_key"], &settings.eaccounting["client_secret"]] {
            assert!(!everything.contains(secret.as_str()), "a secret reached a page or the log");
        }
    }
    assert!(!everything.contains(OPERATOR) && !everything.contains(&alpha_token), "a token reached a page or the log");
}
