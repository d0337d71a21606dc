//! A connector's settings table: each setting as its spec declares it, and
//! its value as the connection's config holds it. A setting's kind follows
//! its name, so no connector can forget it: one ending in `base_url` is an
//! address the connector connects to, which the host adds to the
//! connection's HTTP allowlist.

use crate::config;
use crate::types::{Setting, SettingKind};

impl Setting {
    /// An optional, not secret setting without a default.
    pub fn new(name: &str, description: &str) -> Self {
        Setting {
            name: name.into(),
            description: description.into(),
            required: false,
            secret: false,
            kind: if name.ends_with("base_url") { SettingKind::Url } else { SettingKind::Text },
            default_value: None,
        }
    }

    pub fn required(self) -> Self {
        Setting { required: true, ..self }
    }

    /// Never shown in logs, the activity log or to a mapping module.
    pub fn secret(self) -> Self {
        Setting { secret: true, ..self }
    }

    pub fn default(self, value: &str) -> Self {
        Setting { default_value: Some(value.into()), ..self }
    }
}

/// A setting's value, trimmed; none when it is absent or blank.
pub fn value(name: &str) -> Option<String> {
    config::get(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}
