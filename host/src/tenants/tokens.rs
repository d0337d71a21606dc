//! Per-tenant API tokens: each sees and changes only its own tenant. The
//! database keeps their SHA-256 only, so a copy of it yields no token; the
//! token itself is shown once, when issued.

use anyhow::Context;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::args;
use crate::storage::{Sql, Storage};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS tenant_tokens (
    token_sha256 TEXT PRIMARY KEY,
    tenant       TEXT NOT NULL,
    issued_at    TEXT NOT NULL
);
";

/// How every issued token starts, so one found in a log or a paste is
/// recognised for what it is.
pub const TOKEN_PREFIX: &str = "trestle_t_";

#[derive(Clone)]
pub struct TenantTokens {
    storage: Storage,
}

/// The SHA-256 of a token, hex: what is stored and compared.
pub fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

impl TenantTokens {
    pub fn new(storage: Storage) -> anyhow::Result<Self> {
        storage
            .create_tables(SCHEMA)
            .with_context(|| format!("cannot create the tenant tokens table in {}", storage.describe()))?;
        Ok(Self { storage })
    }

    /// A new token for `tenant`; the caller hands it over once.
    pub fn issue(&self, tenant: &str) -> anyhow::Result<String> {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let token = format!("{TOKEN_PREFIX}{}", hex::encode(bytes));
        let issued_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        self.storage
            .execute(
                "INSERT INTO tenant_tokens (token_sha256, tenant, issued_at) VALUES (?1, ?2, ?3)",
                args![digest(&token), tenant, issued_at],
            )
            .with_context(|| format!("cannot store a token in {}", self.storage.describe()))?;
        Ok(token)
    }

    /// The tenant `token` belongs to, if any.
    pub fn tenant_of(&self, token: &str) -> anyhow::Result<Option<String>> {
        self.storage
            .query_opt("SELECT tenant FROM tenant_tokens WHERE token_sha256 = ?1", args![digest(token)], |r| r.get(0))
            .with_context(|| format!("cannot read the tenant tokens in {}", self.storage.describe()))
    }

    /// Revokes every token of `tenant`; says how many there were.
    pub fn revoke(&self, tenant: &str) -> anyhow::Result<usize> {
        self.storage
            .execute("DELETE FROM tenant_tokens WHERE tenant = ?1", args![tenant])
            .map(|n| n as usize)
            .with_context(|| format!("cannot revoke the tokens of `{tenant}` in {}", self.storage.describe()))
    }
}
