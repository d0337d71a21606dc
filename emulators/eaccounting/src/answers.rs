//! What becomes of the answer to a payment the books took: a test can have
//! the next few lost (the connection cut after the payment was stored), the
//! answer a client retries after. Set through `/_emulator/payments/answers`.
//! (A payment whose answer never comes is the kit's `hold_after_write`.)

use std::sync::Mutex;

use axum::response::Response;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PaymentAnswerConfig {
    /// The answers of this many next payments are cut off.
    pub lose: u32,
}

#[derive(Default)]
pub struct PaymentAnswers {
    config: Mutex<PaymentAnswerConfig>,
}

impl PaymentAnswers {
    pub fn set(&self, config: PaymentAnswerConfig) {
        *self.lock() = config;
    }

    pub fn config(&self) -> PaymentAnswerConfig {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, PaymentAnswerConfig> {
        self.config.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// After a payment was stored: the cut-off answer when this one is to
    /// be lost.
    pub fn deliver(&self) -> Option<Response> {
        let mut config = self.lock();
        if config.lose > 0 {
            config.lose -= 1;
            return Some(emulator_kit::faults::dropped_connection());
        }
        None
    }
}
