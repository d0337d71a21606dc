//! What becomes of the answer to a payment the books took: a test can have
//! the next few lost (the connection cut after the payment was stored) or
//! every one held until it says so (to kill the client while it waits).
//! Set through `/_emulator/payments/answers`.

use std::sync::Mutex;

use axum::response::Response;
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PaymentAnswerConfig {
    /// The answers of this many next payments are cut off.
    pub lose: u32,
    /// Every payment answer waits until this is switched off.
    pub hold: bool,
}

#[derive(Default)]
pub struct PaymentAnswers {
    config: Mutex<PaymentAnswerConfig>,
    released: Notify,
}

impl PaymentAnswers {
    pub fn set(&self, config: PaymentAnswerConfig) {
        *self.lock() = config;
        self.released.notify_waiters();
    }

    pub fn config(&self) -> PaymentAnswerConfig {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, PaymentAnswerConfig> {
        self.config.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// After a payment was stored: waits while answers are held, then
    /// gives the cut-off answer when this one is to be lost.
    pub async fn deliver(&self) -> Option<Response> {
        loop {
            let released = self.released.notified();
            if !self.lock().hold {
                break;
            }
            released.await;
        }
        let mut config = self.lock();
        if config.lose > 0 {
            config.lose -= 1;
            return Some(emulator_kit::faults::dropped_connection());
        }
        None
    }
}
