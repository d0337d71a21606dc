//! The connection values a tenant config needs for each emulator, as plain
//! strings so they can be written into any config format.

use std::collections::BTreeMap;
use std::fmt;

/// Keys per side: CCV `base_url`, `public_key`, `secret_key`; eAccounting
/// `api_base_url`, `identity_base_url`, `client_id`, `client_secret`,
/// `refresh_token`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionSettings {
    pub ccvshop: BTreeMap<String, String>,
    pub eaccounting: BTreeMap<String, String>,
    /// Whether the emulators enforce the APIs' rate limits; when they do not,
    /// the tenant config tells the host not to pace requests either.
    pub rate_limited: bool,
}

impl ConnectionSettings {
    pub(crate) fn of(shop: &ccvshop_emulator::Handle, books: &eaccounting_emulator::Handle) -> Self {
        let shop_config = shop.config();
        let books_config = books.config();
        // The shop's own domain, as on a real shop; the connector adds `/api/rest/v1`.
        let ccvshop = [
            ("base_url", shop.base_url()),
            ("public_key", shop_config.public_key.clone()),
            ("secret_key", shop_config.secret_key.clone()),
        ];
        // The initial consent's token: single use, so one connector run per start
        // (`Handle::new_refresh_token` mints more).
        let eaccounting = [
            ("api_base_url", books.api_base_url()),
            ("identity_base_url", books.identity_base_url()),
            ("client_id", books_config.client_id.clone()),
            ("client_secret", books_config.client_secret.clone()),
            ("refresh_token", books.initial_refresh_token()),
        ];
        let rate_limited = shop_config.rate_limits.is_some() || books_config.rate_limit_per_minute.is_some();
        Self { ccvshop: owned(ccvshop), eaccounting: owned(eaccounting), rate_limited }
    }

    /// The two `[connections.NAME]` tables of a Trestle tenant config (TOML),
    /// named `shop` and `books`.
    pub fn tenant_connections(&self) -> String {
        let table = |name: &str, connector: &str, values: &BTreeMap<String, String>| {
            // The emulators listen on this machine: a loopback address.
            let mut t = format!("[connections.{name}]\nconnector = \"{connector}\"\nallow_private_network = true\n");
            if !self.rate_limited {
                t += "pace_requests = false\n";
            }
            for (k, v) in values {
                t += &format!("{k} = {v:?}\n");
            }
            t
        };
        format!("{}\n{}", table("shop", "ccvshop", &self.ccvshop), table("books", "eaccounting", &self.eaccounting))
    }
}

fn owned<const N: usize>(pairs: [(&str, String); N]) -> BTreeMap<String, String> {
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

/// A short block for a terminal: one titled, aligned list per side.
impl fmt::Display for ConnectionSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sides = [("CCV Shop", &self.ccvshop), ("eAccounting", &self.eaccounting)];
        for (i, (title, values)) in sides.into_iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            writeln!(f, "{title}")?;
            let width = values.keys().map(String::len).max().unwrap_or(0);
            for (key, value) in values {
                writeln!(f, "  {key:width$}  {value}")?;
            }
        }
        Ok(())
    }
}
