//! Everything the handlers share: configuration, the shop behind one Mutex,
//! the rate limiter and the webhook dispatcher.

use std::sync::{Arc, Mutex, MutexGuard};

use emulator_kit::RateLimiter;

use crate::config::Config;
use crate::delivery::Dispatcher;
use crate::model::Shop;
use crate::seed;

pub type AppState = Arc<Shared>;

pub struct Shared {
    pub config: Config,
    shop: Mutex<Shop>,
    pub limiter: Option<RateLimiter>,
    pub hooks: Dispatcher,
}

impl Shared {
    pub fn new(config: Config) -> AppState {
        let limiter = config.rate_limits.as_ref().map(|l| RateLimiter::new(l.window));
        Arc::new(Self {
            shop: Mutex::new(seed::shop(&config)),
            limiter,
            hooks: Dispatcher::new(config.webhooks),
            config,
        })
    }

    /// A panicking handler must not take the emulator down with it, so a
    /// poisoned lock is used as is.
    pub fn shop(&self) -> MutexGuard<'_, Shop> {
        self.shop.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Back to the seeded shop; rate-limit windows start afresh.
    pub fn reset(&self) {
        *self.shop() = seed::shop(&self.config);
        if let Some(limiter) = &self.limiter {
            limiter.reset();
        }
    }
}
