//! What a test can choose about the emulated shop.

use std::time::Duration;

use chrono::{DateTime, Utc};

/// Demo credentials the emulator accepts unless told otherwise.
pub const DEMO_PUBLIC_KEY: &str = "ccv-demo-public-key";
pub const DEMO_SECRET_KEY: &str = "ccv-demo-secret-key";

#[derive(Debug, Clone)]
pub struct Config {
    pub public_key: String,
    pub secret_key: String,
    /// Seed for the catalogue, customers and orders.
    pub seed: u64,
    pub orders: usize,
    pub products: usize,
    pub users: usize,
    /// `None` turns rate limiting off.
    pub rate_limits: Option<RateLimits>,
    /// Whether registered webhooks receive events.
    pub webhooks: bool,
    /// Whether `GET /orders` honours `expand=orderrows` (a single order
    /// always does). The docs show expand on collections without saying
    /// whether listings of orders inline their rows; false makes a client
    /// read each order's rows on its own.
    pub expand_rows_in_lists: bool,
    /// Freezes the server clock (x-date checks and response dates), so a
    /// signature test vector with a fixed date can be replayed.
    pub server_time: Option<DateTime<Utc>>,
    /// What `PATCH /products/{id}` does with a new `stock` for a product
    /// that keeps its stock per attribute combination (undocumented).
    pub combination_stock: CombinationStock,
    /// What `DELETE /categories/{id}` does with a category that has
    /// subcategories (undocumented).
    pub category_delete: CategoryDelete,
    /// How `/paymethods` renders `extra_costs`, which the docs do not type.
    pub paymethod_extra_costs: ExtraCostsShape,
    /// The sign of a credit invoice's money (undocumented).
    pub credit_invoice_amounts: CreditAmounts,
}

/// How a credit invoice states what it gives back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CreditAmounts {
    /// Totals and row prices below zero (counts stay positive).
    #[default]
    Negative,
    /// As on a debit invoice; only `type` says it is a credit.
    Positive,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CombinationStock {
    /// 400: stock lives on the combinations.
    Refuse,
    /// Kept on the product, where no shopper sees it.
    Store,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CategoryDelete {
    /// The subcategories go too, with every product link to them.
    WithSubcategories,
    /// 500.70 while it has subcategories.
    RefuseWithSubcategories,
}

/// Shapes of an untyped field seen or plausible in real shops.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExtraCostsShape {
    /// The fixed amount, as `extra_costs_fixed`.
    #[default]
    Number,
    /// Whether the method costs extra at all.
    Boolean,
}

impl Config {
    pub fn now(&self) -> DateTime<Utc> {
        self.server_time.unwrap_or_else(Utc::now)
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            public_key: DEMO_PUBLIC_KEY.to_string(),
            secret_key: DEMO_SECRET_KEY.to_string(),
            seed: 42,
            orders: 60,
            // At least 50, so the catalogue holds an item the books do not know.
            products: 60,
            users: 24,
            rate_limits: Some(RateLimits::default()),
            webhooks: true,
            expand_rows_in_lists: true,
            server_time: None,
            combination_stock: CombinationStock::Refuse,
            category_delete: CategoryDelete::WithSubcategories,
            paymethod_extra_costs: ExtraCostsShape::default(),
            credit_invoice_amounts: CreditAmounts::default(),
        }
    }
}

/// Requests allowed per window, per resource and method (spec §4).
#[derive(Debug, Clone)]
pub struct RateLimits {
    pub get: u32,
    pub write: u32,
    /// `GET /productqueries` has a lower limit of its own.
    pub productqueries: u32,
    pub window: Duration,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self { get: 150, write: 100, productqueries: 30, window: Duration::from_secs(60) }
    }
}
