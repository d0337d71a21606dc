//! A shop that publishes its orders as a JSON feed: the smallest API a shop
//! can have, invented for the proof that a third system needs only its
//! connector's folder (connectors/feedshop). This emulator *is* its spec:
//!
//! - every request carries `X-Api-Key`; a wrong or missing key gets 401;
//! - `GET /feed/orders?page=N` (from 1): `{"orders": [...], "next_page": N|null}`,
//!   oldest first, `PAGE_SIZE` a page;
//! - `GET /feed/orders/{id}`: one order, 404 when unknown;
//! - `GET /feed/products/{sku}`: `{sku, name, price, vat_rate, ean, active}`, 404 when unknown.
//!
//! Prices include VAT. An order: `{id, number, created_at, status ("paid",
//! "pending" or "cancelled"), currency, buyer: {email, first_name,
//! last_name, phone}, address: {street, postal_code, city, country},
//! lines: [{sku, name, quantity, price, vat_rate}], shipping: {price,
//! vat_rate}, total}`.

mod api;
mod seed;

use std::sync::Arc;

use emulator_kit::server::Running;
use emulator_kit::stats::RequestStats;
use serde_json::Value;

pub use seed::PAGE_SIZE;

#[derive(Debug, Clone)]
pub struct Config {
    /// Seed of the catalogue (shared with the books emulator) and the orders.
    pub seed: u64,
    pub orders: usize,
    /// Catalogue items the orders sell from (those the books have too).
    pub products: usize,
    pub api_key: String,
}

impl Default for Config {
    fn default() -> Self {
        Self { seed: 42, orders: 40, products: 60, api_key: "feedshop-demo-key".into() }
    }
}

/// The running feed; dropping it stops the server.
pub struct Handle {
    feed: Arc<api::Feed>,
    running: Running,
}

pub fn start(config: Config) -> anyhow::Result<Handle> {
    let feed = Arc::new(api::Feed::new(&config));
    let running = emulator_kit::server::spawn(api::router(feed.clone()), 0)?;
    Ok(Handle { feed, running })
}

impl Handle {
    /// "http://127.0.0.1:PORT".
    pub fn base_url(&self) -> String {
        self.running.base_url()
    }

    pub fn api_key(&self) -> &str {
        &self.feed.api_key
    }

    /// Every order, as the feed serves them.
    pub fn orders(&self) -> Vec<Value> {
        self.feed.orders.clone()
    }

    /// Requests per endpoint ("GET /feed/orders"), to prove what was read.
    pub fn stats(&self) -> &Arc<RequestStats> {
        &self.feed.stats
    }
}
