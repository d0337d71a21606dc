//! A faithful local stand-in for the CCV Shop REST API v1: HMAC-signed
//! requests and responses, the documented paging, filters, error bodies and
//! rate limits, and a deterministic seeded shop. See
//! /work/shared/specs/ccvshop-api.md for the rules it follows.

// The order resource renders one large JSON literal.
#![recursion_limit = "256"]

mod app;
mod auth;
mod config;
mod control;
mod delivery;
mod errors;
mod handle;
mod input;
mod links;
mod model;
mod paging;
mod query;
mod rate_limits;
mod resources;
mod seed;
mod state;

use emulator_kit::{Faults, RequestStats};

pub use config::{
    CategoryDelete, CombinationStock, Config, CreditAmounts, DEMO_PUBLIC_KEY, DEMO_SECRET_KEY, ExtraCostsShape,
    RateLimits,
};
pub use delivery::Delivery;
pub use emulator_kit::FaultConfig;
pub use handle::Handle;
pub use links::API_PREFIX;
pub use model::{NewRefund, Refund, RefundedRow};
pub use resources::orders::{NewOrder, NewOrderRow};

/// Starts the emulator on a free port.
pub fn start(config: Config) -> anyhow::Result<Handle> {
    start_on_port(config, 0)
}

/// Starts the emulator on `port` of 127.0.0.1 (0 picks a free one).
pub fn start_on_port(config: Config, port: u16) -> anyhow::Result<Handle> {
    let app = state::Shared::new(config);
    let faults = Faults::new(errors::render_fault);
    let stats = RequestStats::new();
    let router = app::router(app.clone(), faults.clone(), stats.clone());
    let running = emulator_kit::server::spawn(router, port)?;
    app.hooks.base_url.set(running.base_url()).expect("a fresh dispatcher has no base URL yet");
    Ok(Handle { running, app, faults, stats })
}
