//! `trestle serve` as a platform runs it: a child process on a real port,
//! against both emulators. The start-up run syncs the paid orders; a signed
//! CCV Shop webhook syncs just its order through a record run; a webhook
//! with a wrong signature runs nothing; an unknown flow is named as such.
//! At `/webhooks/{connection}` the connector reads the delivery and each
//! record starts the flows that take its kind from that connection.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use ccvshop_emulator::{NewOrder, NewOrderRow};
use hmac::{Hmac, Mac};
use reqwest::blocking::Client;
use serde_json::{Value, json};
use sha2::Sha512;
use trestle_emulators::{Emulators, Options};

use crate::common;
use common::service::{Service, free_port};

impl Service {
    fn post_webhook(&self, flow: &str, body: &str, x_hash: Option<&str>) -> (u16, Value) {
        self.post(&format!("/webhooks/ccvshop/{flow}"), body, x_hash)
    }

    fn post(&self, path: &str, body: &str, x_hash: Option<&str>) -> (u16, Value) {
        let mut request = Client::new()
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .body(body.to_string());
        if let Some(hash) = x_hash {
            request = request.header("x-hash", hash);
        }
        let response = request.send().unwrap();
        (response.status().as_u16(), response.json().unwrap_or(Value::Null))
    }
}

fn hmac_hex(key: &str, message: &str) -> String {
    let mut mac = Hmac::<Sha512>::new_from_slice(key.as_bytes()).unwrap();
    mac.update(message.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Registers a webhook over the signed CCV Shop API, as a shop owner's
/// integration would; returns the key the shop signs deliveries with.
fn register_webhook(emulators: &Emulators, event: &str, address: &str) -> String {
    let shop = &emulators.ccvshop;
    let config = shop.config();
    let path = format!("{}/webhooks", ccvshop_emulator::API_PREFIX);
    let body = json!({ "event": event, "address": address }).to_string();
    let date = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let hash = hmac_hex(&config.secret_key, &format!("{}|POST|{path}|{body}|{date}", config.public_key));
    let response = Client::new()
        .post(format!("{}{path}", shop.base_url()))
        .header("x-public", &config.public_key)
        .header("x-date", date)
        .header("x-hash", hash)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .unwrap();
    assert_eq!(response.status(), 201, "registering the webhook");
    let webhook: Value = response.json().unwrap();
    webhook["key"].as_str().expect("the shop returns the webhook's key").to_string()
}

fn write_config(dir: &Path, emulators: &Emulators) -> PathBuf {
    let config = format!(
        "tenant = \"serve\"\n{}\n[mapping]\nmodule = \"country-codes\"\n\n{}\n\
         [flows.stock]\nroles = {{ stock-source = \"books\", stock-sink = \"shop\" }}\n\n\
         [serve]\nwebhook_keys = [{{ env = \"TRESTLE_TEST_WEBHOOK_KEY\" }}]\n",
        emulators.connection_settings().tenant_connections(),
        trestle_emulators::orders_flow(),
    );
    let path = dir.join("tenant.toml");
    std::fs::write(&path, config).unwrap();
    path
}

fn start_service(dir: &Path, config: &Path, port: u16, webhook_key: &str) -> Service {
    Service::start(dir, config, port, "1h", &[("TRESTLE_TEST_WEBHOOK_KEY", webhook_key)])
}

/// `OurReference` of every invoice in the books.
fn invoiced(emulators: &Emulators) -> Vec<String> {
    let books = emulators.eaccounting.state();
    let invoices = books["books"]["customerinvoices"].as_array().cloned().unwrap_or_default();
    invoices.iter().map(|i| i["OurReference"].as_str().unwrap_or_default().to_string()).collect()
}

fn order_reference(emulators: &Emulators, id: u64) -> String {
    let number = emulators.ccvshop.state()["shop"]["orders"][id.to_string()]["ordernumber"].as_u64().unwrap();
    format!("ORD-{number}")
}

fn paid_references(emulators: &Emulators) -> BTreeSet<String> {
    emulators.ccvshop.state()["shop"]["orders"]
        .as_object()
        .unwrap()
        .values()
        .filter(|o| o["paid"] == true && o["is_completed"] == true)
        .filter_map(|o| o["ordernumber"].as_u64().map(|n| format!("ORD-{n}")))
        .collect()
}

fn new_order(paid: bool) -> NewOrder {
    NewOrder { rows: vec![NewOrderRow { sku: "SKU-00001".into(), count: 1.0 }], paid, ..Default::default() }
}

fn runs(health: &Value) -> u64 {
    flow_runs(health, "orders")
}

fn flow_runs(health: &Value, flow: &str) -> u64 {
    health["flows"][flow]["runs"].as_u64().unwrap()
}

#[test]
fn serve_syncs_at_start_and_on_signed_webhooks_only() {
    let emulators =
        Emulators::start(Options { orders: 20, products: 60, rate_limits: false, ..Options::default() }).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let address = format!("http://127.0.0.1:{port}/webhooks/ccvshop/orders");
    let key = register_webhook(&emulators, "orders.updated.ispaid", &address);
    let config = write_config(dir.path(), &emulators);
    let mut service = start_service(dir.path(), &config, port, &key);

    // (1) The start-up run syncs every paid order.
    let health = service.wait_for("the start-up run", |h| runs(h) >= 1);
    let first = &health["flows"]["orders"]["last_run"];
    assert_eq!((first["trigger"].as_str(), first["outcome"].as_str()), (Some("scheduled"), Some("ok")), "{health}");
    assert!(first["synced"].as_u64().unwrap() > 0, "{health}");
    let after_start: BTreeSet<String> = invoiced(&emulators).into_iter().collect();
    assert_eq!(after_start, paid_references(&emulators), "the start-up run syncs the paid orders");

    // (4) An unknown flow is refused, naming the flows there are.
    let (status, answer) = service.post_webhook("invoices", r#"{"id":1}"#, None);
    assert_eq!(status, 404, "{answer}");
    assert!(answer["error"].as_str().unwrap().contains("it has: orders, stock"), "{answer}");
    // A flow that takes SKUs, not the shop's ids, is not started by webhooks.
    let (status, answer) = service.post_webhook("stock", r#"{"id":1}"#, None);
    assert_eq!(status, 422, "{answer}");
    assert!(answer["error"].as_str().unwrap().contains("syncs on the schedule"), "{answer}");

    // (2) The shop pays a new order; its signed webhook syncs just that order in a record run.
    let id = emulators.ccvshop.place_order(&new_order(false)).unwrap();
    emulators.ccvshop.mark_order_paid(id).unwrap();
    let health = service.wait_for("the webhook's record run", |h| runs(h) >= 2);
    let second = &health["flows"]["orders"]["last_run"];
    assert_eq!(second["trigger"], format!("record {id}"), "{health}");
    assert_eq!((second["outcome"].as_str(), second["synced"].as_u64()), (Some("ok"), Some(1)), "{health}");
    let reference = order_reference(&emulators, id);
    let invoices = invoiced(&emulators);
    assert_eq!(invoices.iter().filter(|r| **r == reference).count(), 1, "{reference} in {invoices:?}");
    assert_eq!(invoices.len(), after_start.len() + 1, "only the webhook's order is added");
    let deliveries = emulators.ccvshop.webhook_deliveries();
    assert_eq!(deliveries.iter().map(|d| d.outcome.clone()).collect::<Vec<_>>(), vec![Ok(202)]);

    // (3) A paid order the shop did not announce: a wrong or missing signature runs nothing.
    let unannounced = emulators.ccvshop.place_order(&new_order(true)).unwrap();
    let body = json!({ "id": unannounced }).to_string();
    let forged = hmac_hex("not-the-key", &format!("{address}|{body}"));
    let (status, answer) = service.post_webhook("orders", &body, Some(&forged));
    assert_eq!(status, 401, "{answer}");
    assert!(answer["error"].as_str().unwrap().contains("webhook_keys"), "{answer}");
    assert_eq!(service.post_webhook("orders", &body, None).0, 401);
    let health = service.health().unwrap();
    let orders = &health["flows"]["orders"];
    assert_eq!((runs(&health), orders["queued"].as_u64()), (2, Some(0)), "nothing queued: {health}");
    assert!(orders["running"].is_null(), "{health}");
    assert!(!invoiced(&emulators).contains(&order_reference(&emulators, unannounced)));

    // A body naming no record is refused before anything runs.
    let empty = "{}";
    let (status, answer) = service.post_webhook("orders", empty, Some(&hmac_hex(&key, &format!("{address}|{empty}"))));
    assert_eq!(status, 400, "{answer}");
    assert!(answer["error"].as_str().unwrap().contains("`id`"), "{answer}");

    // The same delivery correctly signed does sync it: the 401 was the signature.
    let signed = hmac_hex(&key, &format!("{address}|{body}"));
    assert_eq!(service.post_webhook("orders", &body, Some(&signed)).0, 202);
    let health = service.wait_for("the signed record run", |h| runs(h) >= 3);
    assert_eq!(health["flows"]["orders"]["last_run"]["trigger"], format!("record {unannounced}"), "{health}");
    assert!(invoiced(&emulators).contains(&order_reference(&emulators, unannounced)));

    // A run that fails is reported with its error, and the service goes on.
    let missing = r#"{"id":999999999}"#;
    let signed = hmac_hex(&key, &format!("{address}|{missing}"));
    assert_eq!(service.post_webhook("orders", missing, Some(&signed)).0, 202);
    let health = service.wait_for("the run for a missing order", |h| runs(h) >= 4);
    let failed = &health["flows"]["orders"]["last_run"];
    assert_eq!(failed["outcome"], "failed", "{health}");
    assert!(failed["error"].as_str().unwrap().contains("999999999 does not exist"), "{health}");
    assert!(service.output().contains("the run failed"), "{}", service.output());

    // SIGTERM, as a platform stops a service: it exits cleanly.
    #[cfg(unix)]
    {
        let pid = service.child.id().to_string();
        assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
        let deadline = Instant::now() + Duration::from_secs(20);
        let status = loop {
            if let Some(status) = service.child.try_wait().unwrap() {
                break status;
            }
            assert!(Instant::now() < deadline, "the service did not stop on SIGTERM:\n{}", service.output());
            std::thread::sleep(Duration::from_millis(50));
        };
        assert!(status.success(), "{status}:\n{}", service.output());
        assert!(service.output().contains("stopped"), "{}", service.output());
    }
}

#[test]
fn webhooks_need_keys_and_record_ids_are_checked_at_the_door() {
    let emulators =
        Emulators::start(Options { orders: 2, products: 8, rate_limits: false, ..Options::default() }).unwrap();

    // No [serve] webhook_keys and no --accept-unsigned-webhooks: refused.
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &emulators);
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, &text[..text.find("[serve]").unwrap()]).unwrap();
    let mut service = start_service(dir.path(), &config, free_port(), "unused");
    let health = service.wait_for("the start-up run", |h| runs(h) >= 1);
    assert_eq!(health["webhooks_verified"], true, "{health}");
    let (status, answer) = service.post_webhook("orders", r#"{"id":1}"#, None);
    assert_eq!(status, 401, "{answer}");
    assert!(answer["error"].as_str().unwrap().contains("set [serve] webhook_keys"), "{answer}");
    assert!(service.output().contains("webhooks are refused until [serve] webhook_keys"), "{}", service.output());
    drop(service);

    // With a key: a signed delivery naming a 1 KB "id" is refused, naming
    // the limit and not echoing it; a megabyte body is not even read.
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &emulators);
    let port = free_port();
    let key = "test-webhook-key";
    let mut service = start_service(dir.path(), &config, port, key);
    service.wait_for("the start-up run", |h| runs(h) >= 1);
    let address = format!("http://127.0.0.1:{port}/webhooks/ccvshop/orders");
    let body = json!({ "id": "7".repeat(1024) }).to_string();
    let (status, answer) = service.post_webhook("orders", &body, Some(&hmac_hex(key, &format!("{address}|{body}"))));
    assert_eq!(status, 400, "{answer}");
    let error = answer["error"].as_str().unwrap();
    assert!(error.contains("at most 64") && !error.contains("7777777777"), "{error}");
    let huge = json!({ "id": 1, "pad": "x".repeat(1 << 20) }).to_string();
    assert_eq!(service.post_webhook("orders", &huge, Some(&hmac_hex(key, &format!("{address}|{huge}")))).0, 413);
    let health = service.health().unwrap();
    assert_eq!((runs(&health), health["flows"]["orders"]["queued"].as_u64()), (1, Some(0)), "nothing queued: {health}");
    assert!(!service.output().contains("7777777777"), "the id is not logged: {}", service.output());
}

#[test]
fn connection_webhooks_start_the_flows_that_take_their_records() {
    let emulators =
        Emulators::start(Options { orders: 4, products: 12, rate_limits: false, ..Options::default() }).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let address = format!("http://127.0.0.1:{port}/webhooks/shop");
    let order_key = register_webhook(&emulators, "orders.updated.ispaid", &address);
    let product_key = register_webhook(&emulators, "products.updated", &address);
    // Products up from the shop: its `product-source` is the shop, so shop
    // product webhooks start it; stock's source is the books, so they do not.
    let config = write_config(dir.path(), &emulators);
    let text = std::fs::read_to_string(&config).unwrap().replace(
        "webhook_keys = [{ env = \"TRESTLE_TEST_WEBHOOK_KEY\" }]",
        &format!(
            "webhook_keys = [{{ env = \"TRESTLE_TEST_WEBHOOK_KEY\" }}, \"{product_key}\"]\n\n\
             [flows.products-up]\ncomponent = \"products\"\n\
             roles = {{ product-source = \"shop\", product-sink = \"books\", category-sink = \"shop\", stock-sink = \"shop\" }}\n\
             settings = {{ direction = \"shop-to-books\" }}"
        ),
    );
    std::fs::write(&config, text).unwrap();
    let mut service = start_service(dir.path(), &config, port, &order_key);
    let started = |h: &Value| ["orders", "products-up", "stock"].iter().all(|f| flow_runs(h, f) >= 1);
    service.wait_for("the start-up runs", started);

    // A paid order: the shop's signed delivery starts the orders flow for it.
    let id = emulators.ccvshop.place_order(&new_order(false)).unwrap();
    emulators.ccvshop.mark_order_paid(id).unwrap();
    let health = service.wait_for("the order's record run", |h| runs(h) >= 2);
    let last = &health["flows"]["orders"]["last_run"];
    assert_eq!(
        (last["trigger"].clone(), last["outcome"].as_str()),
        (json!(format!("record {id}")), Some("ok")),
        "{health}"
    );
    assert!(invoiced(&emulators).contains(&order_reference(&emulators, id)));

    // The owner renames a product: the delivery names the shop's id, the
    // connector finds its SKU, and products-up syncs just that product.
    let products = emulators.ccvshop.state()["shop"]["products"].clone();
    let (product_id, _) = products
        .as_object()
        .unwrap()
        .iter()
        .find(|(_, p)| p["productnumber"] == "SKU-00001")
        .expect("the seed has SKU-00001");
    emulators.ccvshop.update_product(product_id.parse().unwrap(), json!({ "name": "Renamed by the owner" })).unwrap();
    let article_name = || {
        let books = emulators.eaccounting.state()["books"]["articles"].clone();
        let article = books.as_array().unwrap().iter().find(|a| a["Number"] == "SKU-00001").cloned();
        article.map(|a| a["Name"].clone()).unwrap_or_default()
    };
    // (The stock flow's start-up run set shop stock, and each of those
    // changes is a products.updated delivery too: products-up runs for
    // them, finding them unchanged. Ours is among them.)
    let health = service.wait_for("the renamed product in the books", |_| article_name() == "Renamed by the owner");
    assert!(flow_runs(&health, "products-up") >= 2, "{health}");
    assert_eq!((flow_runs(&health, "stock"), runs(&health)), (1, 2), "shop webhooks start no other flow: {health}");
    let deliveries = emulators.ccvshop.webhook_deliveries();
    assert!(!deliveries.is_empty() && deliveries.iter().all(|d| d.outcome == Ok(202)), "{deliveries:?}");

    // A forged delivery is refused with the reason, and runs nothing.
    let body = json!({ "id": id }).to_string();
    let forged = hmac_hex("not-the-key", &format!("{address}|{body}"));
    let (status, answer) = service.post("/webhooks/shop", &body, Some(&forged));
    assert_eq!(status, 401, "{answer}");
    let error = answer["error"].as_str().unwrap();
    assert!(error.contains("x-hash signature matches none of the keys") && error.contains("webhook_keys"), "{error}");
    let (status, answer) = service.post("/webhooks/shop", &body, None);
    assert_eq!(status, 401, "{answer}");
    assert!(answer["error"].as_str().unwrap().contains("no x-hash signature header"), "{answer}");

    // A connection the tenant does not have, or whose connector takes no
    // webhooks: nothing there.
    let signed = hmac_hex(&order_key, &format!("http://127.0.0.1:{port}/webhooks/nope|{body}"));
    let (status, answer) = service.post("/webhooks/nope", &body, Some(&signed));
    assert_eq!(status, 404, "{answer}");
    assert!(answer["error"].as_str().unwrap().contains("connections that take webhooks: shop"), "{answer}");
    let (status, answer) = service.post("/webhooks/books", &body, None);
    assert_eq!(status, 404, "{answer}");
    assert!(answer["error"].as_str().unwrap().contains("takes no webhooks"), "{answer}");
    let health = service.health().unwrap();
    let orders = &health["flows"]["orders"];
    assert_eq!((runs(&health), orders["queued"].as_u64()), (2, Some(0)), "no order run came of them: {health}");
}
