//! Webhook delivery: events are queued without blocking the handler and
//! POSTed by a thread of their own, one attempt each (retries unconfirmed).
//!
//! Each POST carries the JSON payload and `x-hash` = lowercase hex
//! HMAC-SHA512(webhook key, `address|raw body`), by analogy with the App
//! handshake (unconfirmed, see UNCONFIRMED.md).

use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use crate::auth::hmac_sha512_hex;
use crate::model::Shop;

/// One delivery attempt, kept for tests and the state dump.
#[derive(Debug, Clone, Serialize)]
pub struct Delivery {
    pub webhook_id: u64,
    pub event: String,
    pub address: String,
    pub body: String,
    /// HTTP status of the listener's answer, or why there was none.
    pub outcome: Result<u16, String>,
}

struct Job {
    delivery: Delivery,
    key: String,
}

pub struct Dispatcher {
    enabled: bool,
    queue: Sender<Job>,
    log: Arc<Mutex<Vec<Delivery>>>,
    /// "http://127.0.0.1:PORT", known once the server listens; payload hrefs use it.
    pub base_url: OnceLock<String>,
}

impl Dispatcher {
    pub fn new(enabled: bool) -> Self {
        let (queue, jobs) = mpsc::channel::<Job>();
        let log = Arc::new(Mutex::new(Vec::new()));
        let thread_log = Arc::clone(&log);
        // The thread ends when the dispatcher (the only sender) is dropped.
        std::thread::Builder::new()
            .name("ccvshop-webhooks".into())
            .spawn(move || {
                let client = reqwest::blocking::Client::builder()
                    .timeout(Duration::from_secs(5))
                    .build()
                    .expect("a plain HTTP client builds");
                for Job { mut delivery, key } in jobs {
                    let signature = hmac_sha512_hex(&key, format!("{}|{}", delivery.address, delivery.body).as_bytes());
                    delivery.outcome = client
                        .post(&delivery.address)
                        .header("content-type", "application/json")
                        .header("x-hash", signature)
                        .body(delivery.body.clone())
                        .send()
                        .map(|r| r.status().as_u16())
                        .map_err(|e| e.to_string());
                    thread_log.lock().unwrap_or_else(|p| p.into_inner()).push(delivery);
                }
            })
            .expect("the webhook thread starts");
        Self { enabled, queue, log, base_url: OnceLock::new() }
    }

    /// Queues `payload` for every active webhook registered for `event`.
    pub fn notify(&self, shop: &Shop, event: &str, payload: Value) {
        if !self.enabled {
            return;
        }
        let body = payload.to_string();
        for hook in shop.webhooks.values().filter(|h| h.is_active && h.event == event) {
            let delivery = Delivery {
                webhook_id: hook.id,
                event: event.to_string(),
                address: hook.address.clone(),
                body: body.clone(),
                outcome: Err("not yet delivered".into()),
            };
            // Fails only once the thread is gone, i.e. while shutting down.
            let _ = self.queue.send(Job { delivery, key: hook.key.clone() });
        }
    }

    /// Finished delivery attempts, oldest first.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.log.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Absolute URL of an API path, for payloads sent outside any request.
    pub fn api_url(&self, path: &str) -> String {
        format!("{}{}{path}", self.base_url.get().map_or("", String::as_str), crate::links::API_PREFIX)
    }
}
