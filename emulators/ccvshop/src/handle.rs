//! The running emulator as a test sees it.

use std::collections::BTreeMap;
use std::sync::Arc;

use emulator_kit::seed::Person;
use emulator_kit::{FaultConfig, Faults, RequestStats, Running};
use serde_json::Value;

use crate::config::Config;
use crate::delivery::Delivery;
use crate::links::API_PREFIX;
use crate::model::NewRefund;
use crate::resources::orders::NewOrder;
use crate::state::AppState;

/// Dropping the handle stops the server.
pub struct Handle {
    pub(crate) running: Running,
    pub(crate) app: AppState,
    pub(crate) faults: Arc<Faults>,
    pub(crate) stats: Arc<RequestStats>,
}

impl Handle {
    /// "http://127.0.0.1:PORT".
    pub fn base_url(&self) -> String {
        self.running.base_url()
    }

    /// "http://127.0.0.1:PORT/api/rest/v1".
    pub fn api_url(&self) -> String {
        format!("{}{API_PREFIX}", self.base_url())
    }

    pub fn config(&self) -> &Config {
        &self.app.config
    }

    pub fn set_faults(&self, config: FaultConfig) -> anyhow::Result<()> {
        self.faults.set(config)
    }

    /// Requests per "METHOD /api/rest/v1/path/{id}" since start or the last reset.
    pub fn request_counts(&self) -> BTreeMap<String, u64> {
        self.stats.snapshot()
    }

    pub fn reset_request_counts(&self) {
        self.stats.reset();
    }

    /// The shop's data and webhook deliveries, as `GET /_emulator/state`.
    pub fn state(&self) -> Value {
        self.app.state_dump()
    }

    /// Back to the seeded shop (faults and request counts are kept).
    pub fn reset(&self) {
        self.app.reset();
    }

    /// Places an order as the shop's checkout would; returns its id.
    pub fn place_order(&self, order: &NewOrder) -> anyhow::Result<u64> {
        Ok(self.app.place_order(order)?)
    }

    pub fn mark_order_paid(&self, order_id: u64) -> anyhow::Result<()> {
        Ok(self.app.mark_order_paid(order_id)?)
    }

    pub fn set_order_status(&self, order_id: u64, status: u8) -> anyhow::Result<()> {
        Ok(self.app.set_order_status(order_id, status)?)
    }

    /// Changes how many of an order row were sold, as an edit of the order
    /// in the back office would; the order's totals follow.
    pub fn set_order_row_count(&self, order_id: u64, row_id: u64, count: f64) -> anyhow::Result<()> {
        Ok(self.app.set_order_row_count(order_id, row_id, count)?)
    }

    /// Refunds on a completed order as the back office would (a credit
    /// invoice under `/invoices`); returns the credit invoice's id.
    pub fn refund_order(&self, order_id: u64, refund: &NewRefund) -> anyhow::Result<u64> {
        Ok(self.app.refund_order(order_id, refund)?)
    }

    /// `patch` uses the API's write names (`active`, `stock`, `price`, …).
    pub fn update_product(&self, product_id: u64, patch: Value) -> anyhow::Result<()> {
        Ok(self.app.update_product(product_id, patch)?)
    }

    /// Registers a customer as a sign-up in the shop would; returns its user id.
    pub fn add_user(&self, person: Person) -> u64 {
        self.app.add_user(person)
    }

    /// Changes a registered customer's details (`/users/{id}` `userinfo`).
    pub fn edit_user(&self, user_id: u64, edit: impl FnOnce(&mut Person)) -> anyhow::Result<()> {
        Ok(self.app.edit_user(user_id, edit)?)
    }

    /// Finished webhook delivery attempts, oldest first.
    pub fn webhook_deliveries(&self) -> Vec<Delivery> {
        self.app.hooks.deliveries()
    }
}
