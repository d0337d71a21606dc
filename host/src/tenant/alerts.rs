//! The `[alerts]` section: when a flow's trouble becomes an incident, and
//! whom to tell. Checked when the config is read, so a typo in an address
//! is refused at start, not found out when the first incident cannot be
//! told.
//!
//! ```toml
//! [alerts]
//! failures_in_a_row = 3          # failed runs before an incident (credentials: at once)
//! stall_after = "2h"             # a record parked this long stalls its flow
//! webhook = { url = "https://ops.example/trestle", secret = { env = "ALERT_SECRET" } }
//! email = { smtp = "smtp://mail.example:587?tls=required", from = "sync@shop.example", to = ["owner@shop.example"] }
//! ```

use std::time::Duration;

use anyhow::bail;
use serde::Deserialize;

use crate::incidents::Thresholds;
use crate::tenant::config::SettingValue;
use crate::tenant::interval::parse_interval;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertsConfig {
    pub failures_in_a_row: Option<u32>,
    pub stall_after: Option<String>,
    pub webhook: Option<WebhookChannel>,
    pub email: Option<EmailChannel>,
}

/// A JSON POST per notice, signed with `secret` (HMAC-SHA256).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookChannel {
    pub url: String,
    pub secret: SettingValue,
}

/// A mail per notice through an SMTP server, its address as lettre takes
/// it: `smtps://HOST[:PORT]` (TLS from the start, port 465),
/// `smtp://HOST:587?tls=required` (STARTTLS), `smtp://HOST:PORT` (no TLS:
/// only for a relay on the same machine or network).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailChannel {
    pub smtp: String,
    pub from: String,
    pub to: Vec<String>,
    pub username: Option<SettingValue>,
    pub password: Option<SettingValue>,
}

/// The owner's default: three failed runs (15 minutes at the default
/// schedule) are trouble, one may be a blip.
const FAILURES_IN_A_ROW: u32 = 3;
/// A paid order not in the books after a day is what owners notice.
const STALL_AFTER: Duration = Duration::from_secs(24 * 3600);

impl AlertsConfig {
    pub fn thresholds(&self) -> Thresholds {
        Thresholds { failures_in_a_row: self.failures_in_a_row.unwrap_or(FAILURES_IN_A_ROW) }
    }

    pub fn stall_after(&self) -> Duration {
        self.stall_after.as_deref().and_then(|s| parse_interval(s).ok()).unwrap_or(STALL_AFTER)
    }

    pub fn validate(&self) -> anyhow::Result<()> {
        if self.failures_in_a_row == Some(0) {
            bail!("`alerts.failures_in_a_row` must be 1 or more (failed runs in a row before an incident opens)");
        }
        if let Some(text) = &self.stall_after {
            parse_interval(text).map_err(|e| anyhow::anyhow!("`alerts.stall_after`: {e}"))?;
        }
        if let Some(w) = &self.webhook
            && !(w.url.starts_with("https://") || w.url.starts_with("http://"))
        {
            bail!("`alerts.webhook.url` must be an http:// or https:// address, got {:?}", w.url);
        }
        if let Some(e) = &self.email {
            if !(e.smtp.starts_with("smtp://") || e.smtp.starts_with("smtps://")) {
                bail!(
                    "`alerts.email.smtp` must be smtps://HOST[:PORT] (TLS), smtp://HOST:587?tls=required \
                     (STARTTLS) or smtp://HOST:PORT (a local relay), got {:?}",
                    e.smtp
                );
            }
            if e.to.is_empty() {
                bail!("`alerts.email.to` needs at least one address");
            }
            for (key, address) in std::iter::once(("from", &e.from)).chain(e.to.iter().map(|a| ("to", a))) {
                if !address.contains('@') {
                    bail!("`alerts.email.{key}` must be an e-mail address, got {address:?}");
                }
            }
            if e.username.is_some() != e.password.is_some() {
                bail!("`alerts.email` needs both `username` and `password`, or neither");
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::tenant::TenantConfig;

    const BASE: &str = "tenant = \"t\"\n";

    #[test]
    fn alerts_default_to_three_failures_and_a_day() {
        let c = TenantConfig::parse(BASE).unwrap();
        assert_eq!(c.alerts.thresholds().failures_in_a_row, 3);
        assert_eq!(c.alerts.stall_after().as_secs(), 86_400);
        let c = TenantConfig::parse(&format!("{BASE}[alerts]\nfailures_in_a_row = 1\nstall_after = \"2h\"\n")).unwrap();
        assert_eq!(c.alerts.thresholds().failures_in_a_row, 1);
        assert_eq!(c.alerts.stall_after().as_secs(), 7200);
    }

    #[test]
    fn bad_alert_settings_are_refused_naming_the_key() {
        let refused = |section: &str| format!("{:#}", TenantConfig::parse(&format!("{BASE}{section}")).unwrap_err());
        assert!(refused("[alerts]\nstall_after = \"2\"\n").contains("`alerts.stall_after`"));
        assert!(refused("[alerts]\nfailures_in_a_row = 0\n").contains("1 or more"));
        assert!(
            refused("[alerts]\nwebhook = { url = \"ops.example\", secret = \"s\" }\n").contains("alerts.webhook.url")
        );
        let mail = "[alerts.email]\nsmtp = \"mail.example\"\nfrom = \"a@b\"\nto = [\"c@d\"]\n";
        assert!(refused(mail).contains("smtps://HOST"));
        let mail = "[alerts.email]\nsmtp = \"smtp://mail.example\"\nfrom = \"a@b\"\nto = []\n";
        assert!(refused(mail).contains("at least one address"));
        let mail = "[alerts.email]\nsmtp = \"smtp://m\"\nfrom = \"ab\"\nto = [\"c@d\"]\n";
        assert!(refused(mail).contains("`alerts.email.from`"));
        assert!(refused("[alerts]\nemails = 1\n").contains("unknown field `emails`"));
    }
}
