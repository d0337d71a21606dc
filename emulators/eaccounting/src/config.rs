//! What a test or the CLI chooses about an emulated eAccounting company and
//! its registered OAuth client.

use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Config {
    /// The registered OAuth client.
    pub client_id: String,
    pub client_secret: String,
    /// `redirect_uri` must equal one of these exactly, as on the real server.
    pub redirect_uris: Vec<String>,
    /// Real tokens live 3600 s; tests set seconds to reach expiry.
    pub access_token_lifetime: Duration,
    /// Scopes the demo user consents to; a request for more is refused.
    pub scopes: Vec<String>,
    /// Seed of the catalogue and customers (shared with the CCV Shop emulator).
    pub seed: u64,
    /// Catalogue items generated; those `in_books` become articles.
    pub catalogue_size: usize,
    /// Customers already in the books.
    pub customers: usize,
    /// Requests per minute per client and endpoint; `None` disables the limit.
    pub rate_limit_per_minute: Option<u32>,
    /// Larger `$pagesize` values are clamped to this (the real maximum is unknown).
    pub max_page_size: u32,
    /// How `$filter` compares strings (`EmailAddress eq '…'`): the real
    /// API's collation is not documented, so both are emulated.
    pub filter_strings: StringComparison,
    /// What a write that carries read-only properties gets: not documented
    /// (ASP.NET ignores them; the schema says a client should not send them).
    pub read_only_fields: ReadOnlyFields,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StringComparison {
    #[default]
    CaseSensitive,
    /// As a SQL Server database with its default collation would.
    CaseInsensitive,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReadOnlyFields {
    /// Dropped without a word (the ASP.NET default).
    #[default]
    Ignore,
    /// Refused with 400, naming each one.
    Refuse,
}

pub const DEFAULT_PAGE_SIZE: u32 = 50;

impl Default for Config {
    fn default() -> Self {
        Self {
            client_id: "trestle-demo".into(),
            client_secret: "trestle-demo-secret".into(),
            redirect_uris: vec!["http://localhost:8765/callback".into()],
            access_token_lifetime: Duration::from_secs(3600),
            scopes: ["ea:api", "offline_access", "ea:sales", "ea:accounting_readonly"].map(String::from).to_vec(),
            seed: 42,
            catalogue_size: 60,
            customers: 12,
            rate_limit_per_minute: Some(600),
            max_page_size: 1000,
            filter_strings: StringComparison::default(),
            read_only_fields: ReadOnlyFields::default(),
        }
    }
}
