//! CCV Shop webhook signatures: `x-hash` is the lowercase hex
//! HMAC-SHA512(webhook key, `address|raw body`), `address` being the URL the
//! webhook was registered with (spec §6.7, by analogy with the App
//! handshake).

use hmac::{Hmac, Mac};
use sha2::Sha512;

/// Whether `x_hash` signs `address|body` with one of `keys`; compared in
/// constant time.
pub fn signed_by_any(keys: &[String], address: &str, body: &[u8], x_hash: &str) -> bool {
    let Ok(given) = hex::decode(x_hash.trim()) else { return false };
    keys.iter().any(|key| {
        let mut mac = Hmac::<Sha512>::new_from_slice(key.as_bytes()).expect("HMAC takes keys of any length");
        mac.update(address.as_bytes());
        mac.update(b"|");
        mac.update(body);
        mac.verify_slice(&given).is_ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ADDRESS: &str = "http://127.0.0.1:8787/webhooks/ccvshop/orders";
    const BODY: &[u8] = br#"{"id":7}"#;

    fn sign(key: &str, message: &[u8]) -> String {
        let mut mac = Hmac::<Sha512>::new_from_slice(key.as_bytes()).unwrap();
        mac.update(message);
        hex::encode(mac.finalize().into_bytes())
    }

    #[test]
    fn only_the_right_key_address_and_body_match() {
        let keys = vec!["other".to_string(), "k1".to_string()];
        let good = sign("k1", format!("{ADDRESS}|{}", std::str::from_utf8(BODY).unwrap()).as_bytes());
        assert!(signed_by_any(&keys, ADDRESS, BODY, &good));
        assert!(!signed_by_any(&keys[..1], ADDRESS, BODY, &good), "a key not configured");
        assert!(!signed_by_any(&keys, "https://elsewhere/webhooks/ccvshop/orders", BODY, &good), "another address");
        assert!(!signed_by_any(&keys, ADDRESS, br#"{"id":8}"#, &good), "another body");
        assert!(!signed_by_any(&keys, ADDRESS, BODY, "not hex"));
    }
}
