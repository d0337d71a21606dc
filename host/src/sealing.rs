//! Secrets at rest. Connector state holds refresh and access tokens; with
//! the operator's keys set, every state value is sealed before it reaches
//! the database (XChaCha20-Poly1305, a random 24-byte nonce per value, the
//! tenant, namespace and key bound in as associated data so a value cannot
//! be moved to another tenant or key), so a copy of the database alone
//! yields no usable token.
//!
//! Keys: `TRESTLE_STATE_KEYS` (or a file named by `TRESTLE_STATE_KEYS_FILE`)
//! holds `id:base64-of-32-bytes` entries separated by commas or lines; the
//! first seals, all open. Rotation: put the new key first, keep the old one
//! after it, run `trestle rekey`, then drop the old key.

use anyhow::{Context, bail};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};

/// How a sealed value starts in the database: `sealed:v1:<key id>:<base64>`.
const PREFIX: &str = "sealed:v1:";

pub struct StateKeys {
    /// (id, cipher); the first seals.
    keys: Vec<(String, XChaCha20Poly1305)>,
}

impl std::fmt::Debug for StateKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<&str> = self.keys.iter().map(|(id, _)| id.as_str()).collect();
        write!(f, "StateKeys({})", ids.join(", "))
    }
}

pub const KEYS_VAR: &str = "TRESTLE_STATE_KEYS";
pub const KEYS_FILE_VAR: &str = "TRESTLE_STATE_KEYS_FILE";

impl StateKeys {
    /// The operator's keys from the environment; `None` when neither
    /// variable is set (state is then stored as it is).
    pub fn from_env() -> anyhow::Result<Option<Self>> {
        let text = match (std::env::var(KEYS_VAR), std::env::var(KEYS_FILE_VAR)) {
            (Ok(text), _) => text,
            (Err(_), Ok(path)) => std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read the state keys file {path} ({KEYS_FILE_VAR})"))?,
            _ => return Ok(None),
        };
        Self::parse(&text).map(Some).with_context(|| format!("in {KEYS_VAR} / {KEYS_FILE_VAR}"))
    }

    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let mut keys = Vec::new();
        for entry in text.split([',', '\n']).map(str::trim).filter(|e| !e.is_empty()) {
            let Some((id, encoded)) = entry.split_once(':') else {
                bail!(
                    "a state key is `id:base64-of-32-bytes` (make one with `trestle rekey --new-key`), got an entry without `:`"
                );
            };
            if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) {
                bail!("state key id {id:?} must be letters, digits, '-', '_' or '.'");
            }
            let bytes =
                STANDARD.decode(encoded.trim()).map_err(|e| anyhow::anyhow!("state key `{id}` is not base64: {e}"))?;
            if bytes.len() != 32 {
                bail!("state key `{id}` has {} bytes; it must have 32", bytes.len());
            }
            if keys.iter().any(|(k, _)| k == id) {
                bail!("state key id `{id}` is given twice");
            }
            keys.push((id.to_string(), XChaCha20Poly1305::new(Key::from_slice(&bytes))));
        }
        if keys.is_empty() {
            bail!("no state key given");
        }
        Ok(Self { keys })
    }

    /// A new key entry, `id:base64`, for the operator to keep.
    pub fn new_entry(id: &str) -> String {
        format!("{id}:{}", STANDARD.encode(XChaCha20Poly1305::generate_key(&mut OsRng)))
    }

    /// The key that seals.
    pub fn current(&self) -> &str {
        &self.keys[0].0
    }

    pub fn seal(&self, bound_to: &str, value: &str) -> String {
        let (id, cipher) = &self.keys[0];
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let sealed = cipher
            .encrypt(&nonce, Payload { msg: value.as_bytes(), aad: bound_to.as_bytes() })
            .expect("sealing a value in memory cannot fail");
        let mut bytes = nonce.to_vec();
        bytes.extend_from_slice(&sealed);
        format!("{PREFIX}{id}:{}", STANDARD.encode(bytes))
    }

    /// Whether `stored` was sealed with a key other than the current one
    /// (or not at all): what `trestle rekey` rewrites.
    pub fn needs_resealing(&self, stored: &str) -> bool {
        sealed_with(stored).is_none_or(|(id, _)| id != self.current())
    }
}

/// The key id and the sealed bytes of a stored value; `None` for a value
/// stored as it is.
fn sealed_with(stored: &str) -> Option<(&str, &str)> {
    stored.strip_prefix(PREFIX)?.split_once(':')
}

/// What a state value is bound to: its tenant, namespace and key, written
/// so that no two different triples give the same text.
pub fn binding(tenant: &str, namespace: &str, key: &str) -> String {
    serde_json::to_string(&[tenant, namespace, key]).expect("strings always serialise")
}

/// The value as it was written: opened with `keys` if sealed, as it is
/// otherwise. `bound_to` is its `binding`; `what` names it in messages.
pub fn open(keys: Option<&StateKeys>, what: &str, bound_to: &str, stored: String) -> anyhow::Result<String> {
    let Some((id, encoded)) = sealed_with(&stored) else {
        return Ok(stored);
    };
    let Some(keys) = keys else {
        bail!("{what} is sealed with state key `{id}`, and no state keys are set: set {KEYS_VAR} (or {KEYS_FILE_VAR})");
    };
    let Some((_, cipher)) = keys.keys.iter().find(|(k, _)| k == id) else {
        let have: Vec<&str> = keys.keys.iter().map(|(k, _)| k.as_str()).collect();
        bail!("{what} is sealed with state key `{id}`, which is not among the keys set ({})", have.join(", "));
    };
    let bytes = STANDARD.decode(encoded).with_context(|| format!("{what}: the sealed value is damaged"))?;
    if bytes.len() < 24 {
        bail!("{what}: the sealed value is damaged (too short)");
    }
    let (nonce, sealed) = bytes.split_at(24);
    let plain = cipher
        .decrypt(XNonce::from_slice(nonce), Payload { msg: sealed, aad: bound_to.as_bytes() })
        .map_err(|_| anyhow::anyhow!("{what} does not open with state key `{id}`: the key differs from the one that sealed it, or the value was changed or moved"))?;
    String::from_utf8(plain).with_context(|| format!("{what}: the opened value is not text"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(text: &str) -> StateKeys {
        StateKeys::parse(text).unwrap()
    }

    #[test]
    fn a_sealed_value_opens_only_with_its_key_and_where_it_belongs() {
        let k1 = StateKeys::new_entry("k1");
        let ring = keys(&k1);
        let sealed = ring.seal("t1/books/refresh_token", "rt-secret-123");
        assert!(!sealed.contains("rt-secret-123"));
        assert!(sealed.starts_with("sealed:v1:k1:"));
        assert_ne!(sealed, ring.seal("t1/books/refresh_token", "rt-secret-123"), "a fresh nonce every time");
        assert_eq!(open(Some(&ring), "the token", "t1/books/refresh_token", sealed.clone()).unwrap(), "rt-secret-123");

        let moved = open(Some(&ring), "the token", "t2/books/refresh_token", sealed.clone()).unwrap_err();
        assert!(format!("{moved}").contains("changed or moved"), "{moved}");
        let other = keys(&StateKeys::new_entry("k1"));
        assert!(
            open(Some(&other), "the token", "t1/books/refresh_token", sealed.clone()).is_err(),
            "another key of the same id"
        );
        let none = open(None, "the token", "t1/books/refresh_token", sealed).unwrap_err();
        assert!(format!("{none}").contains("set TRESTLE_STATE_KEYS"), "{none}");
        assert_eq!(open(None, "x", "x", "plain".into()).unwrap(), "plain", "values from before keys were set");
        assert_ne!(binding("t", "a/b", "c"), binding("t", "a", "b/c"), "bindings never collide");
    }

    #[test]
    fn rotation_opens_with_the_old_key_and_seals_with_the_new() {
        let (k1, k2) = (StateKeys::new_entry("k1"), StateKeys::new_entry("k2"));
        let old = keys(&k1);
        let sealed = old.seal("a", "v");
        let rotated = keys(&format!("{k2}\n{k1}"));
        assert_eq!(rotated.current(), "k2");
        assert_eq!(open(Some(&rotated), "a", "a", sealed.clone()).unwrap(), "v");
        assert!(rotated.needs_resealing(&sealed) && rotated.needs_resealing("plain"));
        assert!(!rotated.needs_resealing(&rotated.seal("a", "v")));
        let dropped = open(Some(&keys(&k2)), "a", "a", sealed).unwrap_err();
        assert!(format!("{dropped}").contains("not among the keys set (k2)"), "{dropped}");
    }

    #[test]
    fn bad_keys_are_refused_saying_what_a_key_looks_like() {
        let refused = |text: &str| format!("{:#}", StateKeys::parse(text).unwrap_err());
        assert!(refused("").contains("no state key"));
        assert!(refused("abc").contains("id:base64-of-32-bytes"));
        assert!(refused("k1:abc").contains("not base64") || refused("k1:abc").contains("bytes"));
        assert!(refused(&format!("k1:{}", STANDARD.encode([0u8; 16]))).contains("has 16 bytes; it must have 32"));
        let k = StateKeys::new_entry("k1");
        assert!(refused(&format!("{k},{k}")).contains("given twice"));
    }
}
