//! CCV Shop's HMAC-SHA512 scheme (spec §2): requests and responses are both
//! signed over `public|METHOD|uri|raw body|x-date` with the secret key.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha512;
use trestle_guest::bindings::wasi::clocks::wall_clock;

type HmacSha512 = Hmac<Sha512>;

/// The current time from the host's wall clock.
pub fn now() -> DateTime<Utc> {
    let t = wall_clock::now();
    DateTime::from_timestamp(t.seconds as i64, t.nanoseconds).unwrap_or_default()
}

/// The `x-date` header form: UTC, whole seconds, `Z`.
pub fn x_date(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

pub struct Signed<'a> {
    pub public_key: &'a str,
    pub method: &'a str,
    /// Path and query exactly as sent.
    pub uri: &'a str,
    pub body: &'a [u8],
    pub date: &'a str,
}

impl Signed<'_> {
    fn mac(&self, secret_key: &str) -> HmacSha512 {
        let mut mac = HmacSha512::new_from_slice(secret_key.as_bytes()).expect("HMAC accepts keys of any length");
        for (i, part) in
            [self.public_key.as_bytes(), self.method.as_bytes(), self.uri.as_bytes(), self.body, self.date.as_bytes()]
                .iter()
                .enumerate()
        {
            if i > 0 {
                mac.update(b"|");
            }
            mac.update(part);
        }
        mac
    }

    /// The lowercase hex `x-hash` for these parts.
    pub fn hash(&self, secret_key: &str) -> String {
        hex::encode(self.mac(secret_key).finalize().into_bytes())
    }

    /// Whether `x_hash` is the right signature (compared in constant time).
    pub fn verify(&self, secret_key: &str, x_hash: &str) -> bool {
        hex::decode(x_hash.trim()).is_ok_and(|given| self.mac(secret_key).verify_slice(&given).is_ok())
    }
}
