//! `trestle serve --tenants DIR` over real sockets: tenants from a
//! directory, each against emulators of its own. A tenant's token sees and
//! changes its own tenant only (every other is answered as unknown, and no
//! answer carries another tenant's run or a secret); the directory and the
//! admin API change one set, a refused file keeping the old config running;
//! and one tenant's stuck run (its books answering after 30 s) never
//! delays another tenant's schedule.

use std::path::Path;

use emulator_kit::FaultConfig;
use reqwest::blocking::{Client, RequestBuilder};
use serde_json::Value;
use trestle_emulators::{Emulators, Options};

use crate::common::service::{Service, free_port};

const OPERATOR: &str = "operator-token-for-the-tests-0123456789";

fn emulators() -> Emulators {
    Emulators::start(Options { orders: 4, products: 8, rate_limits: false, ..Options::default() }).unwrap()
}

/// `DIR/ID.toml`: the stock flow against `emulators`, queued every `every`.
fn write_tenant(dir: &Path, id: &str, emulators: &Emulators, every: &str) {
    std::fs::write(dir.join(format!("{id}.toml")), tenant_config(id, emulators, every)).unwrap();
}

fn tenant_config(id: &str, emulators: &Emulators, every: &str) -> String {
    format!("{}\n[serve]\nevery = \"{every}\"\n", crate::common::stock_config(id, emulators))
}

fn start(dir: &Path, tenants: &Path, workers: &str) -> Service {
    let port = free_port();
    let tenants = tenants.to_str().unwrap();
    Service::start_with(
        dir,
        &["--tenants", tenants, "--workers", workers, "--every", "1h"],
        port,
        &[("TRESTLE_OPERATOR_TOKEN", OPERATOR)],
    )
}

/// One API call: its status and JSON answer, and the answer's text for
/// checking what it must not hold.
struct Api {
    base: String,
    seen: std::cell::RefCell<String>,
}

impl Api {
    fn new(service: &Service) -> Self {
        Self { base: service.base.clone(), seen: Default::default() }
    }

    fn call(&self, request: RequestBuilder, token: Option<&str>) -> (u16, Value) {
        let request = match token {
            Some(t) => request.bearer_auth(t),
            None => request,
        };
        // 0: the service does not listen yet.
        let Ok(response) = request.send() else { return (0, Value::Null) };
        let status = response.status().as_u16();
        let text = response.text().unwrap();
        self.seen.borrow_mut().push_str(&text);
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    fn url(&self, path: &str) -> String {
        format!("{}/api{path}", self.base)
    }

    fn get(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        self.call(Client::new().get(self.url(path)), token)
    }

    fn post(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        self.call(Client::new().post(self.url(path)), token)
    }

    fn put(&self, path: &str, body: String, token: Option<&str>) -> (u16, Value) {
        self.call(Client::new().put(self.url(path)).body(body), token)
    }

    fn delete(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        self.call(Client::new().delete(self.url(path)), token)
    }

    /// The tenant's runs, newest first, as the operator sees them (none
    /// before the service listens).
    fn runs(&self, tenant: &str) -> Vec<Value> {
        let (status, answer) = self.get(&format!("/tenants/{tenant}/runs?limit=100"), Some(OPERATOR));
        assert!([0, 200].contains(&status), "{answer}");
        answer["runs"].as_array().cloned().unwrap_or_default()
    }
}

fn finished(runs: &[Value]) -> Vec<&Value> {
    runs.iter().filter(|r| !r["finished_at"].is_null()).collect()
}

#[test]
fn a_tenants_token_reaches_its_own_tenant_only_and_the_api_and_the_directory_change_one_set() {
    let (alpha_books, beta_books, gamma_books) = (emulators(), emulators(), emulators());
    let dir = tempfile::tempdir().unwrap();
    let tenants = dir.path().join("tenants");
    std::fs::create_dir(&tenants).unwrap();
    write_tenant(&tenants, "alpha", &alpha_books, "1h");
    write_tenant(&tenants, "beta", &beta_books, "1h");
    let mut service = start(dir.path(), &tenants, "2");
    let api = Api::new(&service);
    // Both start-up runs finish, each in its own tenant.
    let beta_run = service.wait_until("both start-up runs", |_| {
        let (alpha, beta) = (api.runs("alpha"), api.runs("beta"));
        (!finished(&alpha).is_empty() && !finished(&beta).is_empty())
            .then(|| beta[0]["id"].as_str().unwrap().to_string())
    });
    let (status, issued) = api.post("/tenants/alpha/tokens", Some(OPERATOR));
    assert_eq!(status, 201, "{issued}");
    let alpha = issued["token"].as_str().unwrap().to_string();
    let alpha = Some(alpha.as_str());

    // Alpha's token lists alpha alone and reads alpha's runs.
    let (status, list) = api.get("/tenants", alpha);
    assert_eq!(status, 200, "{list}");
    let ids: Vec<&str> = list["tenants"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["alpha"], "{list}");
    let (status, runs) = api.get("/tenants/alpha/runs", alpha);
    assert_eq!((status, runs["runs"][0]["flow"].as_str()), (200, Some("stock")), "{runs}");
    // Beta is to it as if it did not exist, for reading and for acting.
    api.seen.borrow_mut().clear();
    for path in ["", "/runs", "/records", "/parked", "/flows", "/connections"] {
        let (status, answer) = api.get(&format!("/tenants/beta{path}"), alpha);
        assert_eq!((status, answer["error"].as_str()), (404, Some("no tenant `beta`")), "GET beta{path}: {answer}");
    }
    for path in ["/pause", "/resume", "/flows/stock/run", "/flows/stock/parked/1/retry"] {
        let (status, answer) = api.post(&format!("/tenants/beta{path}"), alpha);
        assert_eq!(status, 404, "POST beta{path}: {answer}");
    }
    let (status, answer) = api.put("/tenants/beta", tenant_config("beta", &beta_books, "1s"), alpha);
    assert_eq!(status, 403, "{answer}");
    assert_eq!(api.delete("/tenants/beta", alpha).0, 403);
    assert_eq!(api.post("/tenants/beta/tokens", alpha).0, 403);
    assert_eq!(api.post("/tenants/alpha/tokens", alpha).0, 403, "a tenant cannot mint tokens, even its own");
    let leaked = api.seen.borrow().clone();
    assert!(!leaked.contains(&beta_run) && !leaked.contains("stock"), "nothing of beta's leaks: {leaked}");
    // Without a token, or with a made-up one, nothing answers.
    assert_eq!(api.get("/tenants", None).0, 401);
    assert_eq!(api.get("/tenants/alpha/runs", Some("trestle_t_made-up")).0, 401);

    // A file that fails validation is refused for that tenant alone; its old config keeps running.
    let broken = tenant_config("beta", &beta_books, "1h").replace("stock-source", "stock-sauce");
    std::fs::write(tenants.join("beta.toml"), broken).unwrap();
    let refused = service.wait_until("the broken file refused", |_| {
        let (_, beta) = api.get("/tenants/beta", Some(OPERATOR));
        beta["config_error"].as_str().map(|e| (e.to_string(), beta["served"].clone()))
    });
    assert!(refused.0.contains("flows.stock.roles.stock-sauce") && refused.0.contains("allowed:"), "{refused:?}");
    assert_eq!(refused.1, true, "beta's old config still runs");

    // The admin API adds a tenant by writing its file; the service runs it at once.
    let (status, added) = api.put("/tenants/gamma", tenant_config("gamma", &gamma_books, "1h"), Some(OPERATOR));
    assert_eq!((status, added["served"].as_bool()), (201, Some(true)), "{added}");
    assert!(tenants.join("gamma.toml").exists());
    service.wait_until("gamma's first run", |_| (!finished(&api.runs("gamma")).is_empty()).then_some(()));
    let (status, answer) = api.put("/tenants/gamma", "tenant = \"gamma\"\n".into(), Some(OPERATOR));
    assert_eq!(status, 422, "a config without flows is refused: {answer}");
    assert!(answer["error"].as_str().unwrap().contains("no [flows]"), "{answer}");
    assert!(std::fs::read_to_string(tenants.join("gamma.toml")).unwrap().contains("[flows.stock]"), "file untouched");
    // Removing it deletes the file, and its token with it.
    let (status, gamma) = api.post("/tenants/gamma/tokens", Some(OPERATOR));
    assert_eq!(status, 201, "{gamma}");
    let (status, removed) = api.delete("/tenants/gamma", Some(OPERATOR));
    assert_eq!((status, removed["tokens_revoked"].as_u64()), (200, Some(1)), "{removed}");
    assert!(!tenants.join("gamma.toml").exists());
    assert_eq!(api.get("/tenants/gamma/runs", gamma["token"].as_str()).0, 401);
    assert_eq!(api.get("/tenants/gamma", Some(OPERATOR)).0, 404);

    // Whatever was answered, no connection secret of any tenant was in it.
    let everything = api.seen.borrow().clone() + &service.output();
    for books in [&alpha_books, &beta_books, &gamma_books] {
        let settings = books.connection_settings();
        for secret in [&settings.ccvshop["secret_key"], &settings.eaccounting["client_secret"]] {
            assert!(!everything.contains(secret.as_str()), "a secret reached an answer or the log");
        }
    }
    assert!(!service.output().contains(OPERATOR), "the operator's token is never logged");
}

#[test]
fn a_stuck_tenants_run_does_not_delay_another_tenants_scheduled_runs() {
    let (stuck_books, quick_books) = (emulators(), emulators());
    // Every request of the stuck tenant's books is answered after 30 s.
    stuck_books.eaccounting.set_faults(FaultConfig { latency_ms: 30_000, ..FaultConfig::default() }).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let tenants = dir.path().join("tenants");
    std::fs::create_dir(&tenants).unwrap();
    write_tenant(&tenants, "stuck", &stuck_books, "1h");
    write_tenant(&tenants, "quick", &quick_books, "1s");
    let mut service = start(dir.path(), &tenants, "2");
    let api = Api::new(&service);

    let stuck_started = service.wait_until("the stuck tenant's run to start", |_| {
        api.runs("stuck").first().map(|r| r["started_at"].as_str().unwrap().to_string())
    });
    let before = finished(&api.runs("quick")).len();
    // Two more of quick's scheduled runs start and finish after the stuck run began...
    let quick = service.wait_until("two more quick runs", |_| {
        let runs = api.runs("quick");
        let after: Vec<Value> = finished(&runs)
            .into_iter()
            .filter(|r| r["started_at"].as_str().unwrap() > stuck_started.as_str())
            .cloned()
            .collect();
        (finished(&runs).len() >= before + 2 && after.len() >= 2).then_some(after)
    });
    assert!(quick.iter().all(|r| r["outcome"] == "ok"), "{quick:?}");
    // ...while it is still under way: it never held them up.
    let stuck = api.runs("stuck");
    assert_eq!(stuck.len(), 1, "{stuck:?}");
    assert!(stuck[0]["finished_at"].is_null(), "the stuck run is still under way: {stuck:?}");
    let health = service.health().unwrap();
    assert_eq!(health["tenants"]["stuck"]["flows"]["stock"]["running"], "scheduled", "{health}");
}
