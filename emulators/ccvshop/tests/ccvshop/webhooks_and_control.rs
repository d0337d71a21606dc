//! Webhook registration and delivery to a local listener (spec §6.7), and
//! the `/_emulator` control side that plays the shop's back office.

use crate::common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;

use ccvshop_emulator::{NewOrder, NewOrderRow};
use common::{eventually, hmac_hex, start};
use serde_json::{Value, json};

struct Received {
    path: String,
    hash: String,
    body: String,
}

/// A one-thread HTTP listener that answers 200 and forwards each request.
fn listener() -> (String, mpsc::Receiver<Received>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let mut stream = stream.unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let path = line.split(' ').nth(1).unwrap_or_default().to_string();
            let (mut length, mut hash) = (0, String::new());
            loop {
                let mut header = String::new();
                reader.read_line(&mut header).unwrap();
                if header.trim().is_empty() {
                    break;
                }
                let (name, value) = header.split_once(':').unwrap();
                match name.to_ascii_lowercase().as_str() {
                    "content-length" => length = value.trim().parse().unwrap(),
                    "x-hash" => hash = value.trim().to_string(),
                    _ => {}
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n").unwrap();
            if tx.send(Received { path, hash, body: String::from_utf8(body).unwrap() }).is_err() {
                return;
            }
        }
    });
    (url, rx)
}

fn register(api: &common::Api, event: &str, address: &str) -> Value {
    let body = json!({ "event": event, "address": address }).to_string();
    let response = api.send("POST", "/api/rest/v1/webhooks", Some(&body));
    assert_eq!(response.status(), 201);
    response.json().unwrap()
}

#[test]
fn order_events_reach_the_listener_signed() {
    let api = start();
    let (url, received) = listener();
    let created_hook = register(&api, "orders.created", &url);
    register(&api, "orders.updated.ispaid", &url);
    let key = created_hook["key"].as_str().unwrap().to_string();
    assert!(!key.is_empty());

    let id = api
        .handle
        .place_order(&NewOrder {
            rows: vec![NewOrderRow { sku: "SKU-00005-L".into(), count: 2.0 }],
            ..NewOrder::default()
        })
        .unwrap();
    let event = received.recv_timeout(std::time::Duration::from_secs(10)).expect("orders.created delivered");
    assert_eq!(event.path, "/hook");
    let payload: Value = serde_json::from_str(&event.body).unwrap();
    assert_eq!(payload["id"], id);
    assert_eq!(event.hash, hmac_hex(&key, &format!("{url}|{}", event.body)));
    let order = api.get(payload["href"].as_str().unwrap());
    assert_eq!(order["paid"], false);
    assert_eq!(order["user"]["id"], Value::Null, "a guest order");
    let rows = api.get_all(order["orderrows"]["href"].as_str().unwrap());
    assert_eq!(rows[0]["sub_sku_number"], "SKU-00005-L");

    api.handle.mark_order_paid(id).unwrap();
    let event = received.recv_timeout(std::time::Duration::from_secs(10)).expect("orders.updated.ispaid delivered");
    let payload: Value = serde_json::from_str(&event.body).unwrap();
    assert_eq!((payload["id"].as_u64(), payload["paid"].as_bool()), (Some(id), Some(true)));
    assert_eq!(api.get(&format!("/api/rest/v1/orders/{id}"))["paid"], true);
    eventually("two logged deliveries", || (api.handle.webhook_deliveries().len() == 2).then_some(()));
    assert!(api.handle.webhook_deliveries().iter().all(|d| d.outcome == Ok(200)));
}

#[test]
fn webhook_resource_validates_and_deactivates() {
    let api = start();
    let (url, received) = listener();
    api.error(
        "POST",
        "/api/rest/v1/webhooks",
        Some(&json!({"event": "orders.exploded", "address": url}).to_string()),
        400,
    );
    api.error("POST", "/api/rest/v1/webhooks", Some(r#"{"event":"orders.created"}"#), 400);
    let hook = register(&api, "orders.updated.status", &url);
    let uri = hook["href"].as_str().unwrap();
    api.error("PATCH", uri, Some(r#"{"event":"orders.created"}"#), 400);
    assert_eq!(api.send("PATCH", uri, Some(r#"{"is_active":false}"#)).status(), 204);
    let order = api.get("/api/rest/v1/orders?status=1&size=1")["items"][0]["id"].as_u64().unwrap();
    api.handle.set_order_status(order, 2).unwrap();
    assert_eq!(api.send("PATCH", uri, Some(r#"{"is_active":true}"#)).status(), 204);
    api.handle.set_order_status(order, 5).unwrap();
    let event = received.recv_timeout(std::time::Duration::from_secs(10)).unwrap();
    let payload: Value = serde_json::from_str(&event.body).unwrap();
    assert_eq!(
        (payload["status"].as_u64(), payload["previous_status"].as_u64()),
        (Some(5), Some(2)),
        "only the active hook fired"
    );
    assert_eq!(api.send("DELETE", uri, None).status(), 204);
    api.error("GET", uri, None, 404);
}

#[test]
fn control_endpoints_change_and_reset_the_shop() {
    let api = start();
    let base = api.handle.base_url();
    let placed: Value = api
        .client
        .post(format!("{base}/_emulator/orders"))
        .json(&json!({ "rows": [{ "sku": "SKU-00002", "count": 1 }], "paid": true }))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let id = placed["id"].as_u64().unwrap();
    assert_eq!(api.get(&format!("/api/rest/v1/orders/{id}"))["paid"], true);
    let status =
        api.client.put(format!("{base}/_emulator/orders/{id}/status")).json(&json!({"status": 7})).send().unwrap();
    assert_eq!(status.status(), 204);
    let product = api.get_all("/api/rest/v1/products?productnumber=SKU-00002").remove(0);
    let patched = api
        .client
        .patch(format!("{base}/_emulator/products/{}", product["id"]))
        .json(&json!({"price": 1.23}))
        .send()
        .unwrap();
    assert_eq!(patched.status(), 204);
    let refused = api
        .client
        .patch(format!("{base}/_emulator/products/{}", product["id"]))
        .json(&json!({"is_active": true}))
        .send()
        .unwrap();
    assert_eq!(refused.status(), 400);
    let state: Value = api.client.get(format!("{base}/_emulator/state")).send().unwrap().json().unwrap();
    assert_eq!(state["shop"]["orders"][id.to_string()]["status"], 7);
    let stats: Value = api.client.get(format!("{base}/_emulator/stats")).send().unwrap().json().unwrap();
    assert!(stats["endpoints"]["GET /api/rest/v1/orders/{id}"].as_u64().unwrap() >= 1);
    assert!(stats["endpoints"].as_object().unwrap().keys().all(|k| !k.contains("_emulator")));
    assert_eq!(api.client.post(format!("{base}/_emulator/reset")).send().unwrap().status(), 204);
    api.error("GET", &format!("/api/rest/v1/orders/{id}"), None, 404);
    assert_eq!(api.get(&format!("/api/rest/v1/products/{}", product["id"]))["price"], product["price"]);
    let unknown = api
        .client
        .post(format!("{base}/_emulator/orders"))
        .json(&json!({ "rows": [{ "sku": "NOPE", "count": 1 }] }))
        .send()
        .unwrap();
    assert_eq!(unknown.status(), 400);
}
