//! Serves both emulators, seeded, on two ports: a binary and a library for tests.
//!
//! Both emulators seed from `emulator_kit::seed` with the same seed and the
//! same catalogue size, so every shop SKU exists as an article in the books
//! except the ones the generator leaves out on purpose (one in fifty items,
//! so at least 50 products are needed to get one).

mod orders_flow;
mod settings;

use anyhow::Context;

pub use orders_flow::{COST_ARTICLES, orders_flow};
pub use settings::ConnectionSettings;

/// What both emulators are started with; `Default` is the demo setup on free ports.
#[derive(Debug, Clone)]
pub struct Options {
    /// Seed of the shared catalogue and buyers, and of the shop's orders.
    pub seed: u64,
    /// Orders in the shop.
    pub orders: usize,
    /// Catalogue items: shop products and, minus the missing ones, book articles.
    pub products: usize,
    /// Whether both emulators answer 429 past their documented limits.
    pub rate_limits: bool,
    /// 0 picks a free port.
    pub ccv_port: u16,
    /// 0 picks a free port.
    pub eaccounting_port: u16,
    /// How the books' `$filter` compares strings (e-mail look-ups).
    pub books_filter_strings: eaccounting_emulator::StringComparison,
    /// Whether the books refuse read-only properties in request bodies.
    pub books_read_only_fields: eaccounting_emulator::ReadOnlyFields,
}

impl Default for Options {
    fn default() -> Self {
        let shop = ccvshop_emulator::Config::default();
        Self {
            seed: shop.seed,
            orders: shop.orders,
            products: shop.products,
            rate_limits: true,
            ccv_port: 0,
            eaccounting_port: 0,
            books_filter_strings: Default::default(),
            books_read_only_fields: Default::default(),
        }
    }
}

/// Both emulators, running; dropping this stops them.
pub struct Emulators {
    pub ccvshop: ccvshop_emulator::Handle,
    pub eaccounting: eaccounting_emulator::Handle,
}

impl Emulators {
    pub fn start(options: Options) -> anyhow::Result<Self> {
        let shop = ccvshop_emulator::Config {
            seed: options.seed,
            orders: options.orders,
            products: options.products,
            rate_limits: options.rate_limits.then(ccvshop_emulator::RateLimits::default),
            ..ccvshop_emulator::Config::default()
        };
        let books_defaults = eaccounting_emulator::Config::default();
        let books = eaccounting_emulator::Config {
            seed: options.seed,
            catalogue_size: options.products,
            rate_limit_per_minute: books_defaults.rate_limit_per_minute.filter(|_| options.rate_limits),
            filter_strings: options.books_filter_strings,
            read_only_fields: options.books_read_only_fields,
            ..books_defaults
        };
        let ccvshop = ccvshop_emulator::start_on_port(shop, options.ccv_port)
            .with_context(|| format!("starting the CCV Shop emulator on port {}", options.ccv_port))?;
        let eaccounting = eaccounting_emulator::start_on_port(books, options.eaccounting_port)
            .with_context(|| format!("starting the eAccounting emulator on port {}", options.eaccounting_port))?;
        Ok(Self { ccvshop, eaccounting })
    }

    /// What a tenant's connection config needs to reach each emulator.
    pub fn connection_settings(&self) -> ConnectionSettings {
        ConnectionSettings::of(&self.ccvshop, &self.eaccounting)
    }
}
