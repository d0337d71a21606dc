//! The webhook channel: each notice as JSON in a POST, signed so that the
//! receiver can tell it came from this service and was not replayed:
//! `x-trestle-signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`
//! with the Unix time in `x-trestle-timestamp`.

use std::time::Duration;

use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;
use trestle_host::incidents::Notice;
use trestle_host::tenant::alerts::WebhookChannel;

use super::Channel;

pub struct Webhook {
    url: String,
    secret: String,
    client: reqwest::blocking::Client,
}

/// A receiver that takes longer is treated as down (and tried again later).
const TIMEOUT: Duration = Duration::from_secs(10);

impl Webhook {
    pub fn new(config: &WebhookChannel) -> anyhow::Result<Self> {
        let secret = config.secret.resolve("alerts.webhook.secret")?;
        let client = reqwest::blocking::Client::builder().timeout(TIMEOUT).build()?;
        Ok(Self { url: config.url.clone(), secret, client })
    }
}

pub fn signature(secret: &str, timestamp: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

impl Channel for Webhook {
    fn name(&self) -> &'static str {
        "webhook"
    }

    fn send(&self, tenant: &str, notice: &Notice) -> Result<(), String> {
        let i = &notice.incident;
        let body = json!({
            "event": format!("incident.{}", notice.event),
            "summary": super::headline(tenant, notice),
            "tenant": tenant,
            "flow": i.flow,
            "incident": i.id,
            "kind": i.kind,
            "explanation": i.explanation,
            "next_step": i.next_step,
            "opened_at": i.opened_at,
            "closed_at": i.closed_at,
            "closed_why": i.closed_why,
        })
        .to_string();
        let timestamp = chrono::Utc::now().timestamp().to_string();
        let answer = self
            .client
            .post(&self.url)
            .header("content-type", "application/json")
            .header("x-trestle-timestamp", &timestamp)
            .header("x-trestle-signature", signature(&self.secret, &timestamp, body.as_bytes()))
            .body(body)
            .send()
            .map_err(|e| format!("cannot reach {}: {e}", self.url))?;
        if answer.status().is_success() { Ok(()) } else { Err(format!("{} answered {}", self.url, answer.status())) }
    }
}
