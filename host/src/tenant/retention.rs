//! The `[retention]` section: how long record payloads (what came from
//! the source and what was sent, addresses included) are kept.
//!
//! ```toml
//! [retention]
//! payload_days = 30   # default; 0 keeps none past the run that wrote them
//! ```

use std::time::Duration;

use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionConfig {
    pub payload_days: Option<u32>,
}

/// Long enough to answer "what did you send for order 4021 last month?",
/// short enough that the shop's customer data does not pile up.
const PAYLOAD_DAYS: u32 = 30;

impl RetentionConfig {
    pub fn payloads_for(&self) -> Duration {
        Duration::from_secs(u64::from(self.payload_days.unwrap_or(PAYLOAD_DAYS)) * 86_400)
    }
}
