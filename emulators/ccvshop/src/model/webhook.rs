//! Registered webhooks and the events they can subscribe to.

use chrono::{DateTime, Utc};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Webhook {
    pub id: u64,
    pub createdate: DateTime<Utc>,
    pub event: String,
    pub address: String,
    /// Per-webhook secret that signs deliveries.
    pub key: String,
    pub is_active: bool,
}

/// Event names seen in real integrations (spec §6.7); registering any other
/// name is refused.
pub const EVENTS: &[&str] = &[
    "orders.created",
    "orders.updated.ispaid",
    "orders.updated.status",
    "orders.updated.trackandtrace",
    "orders.deleted",
    "invoices.updated.status",
    "products.created",
    "products.updated",
    "products.deleted",
    "categories.created",
    "categories.updated",
    "categories.deleted",
    "returns.created",
    "returns.updated",
    "returns.deleted",
];
