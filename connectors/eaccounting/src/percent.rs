//! Percent-encoding for query strings and form bodies (RFC 3986 unreserved
//! characters pass, everything else is encoded byte by byte).

pub use trestle_guest::http::encode;

/// `name=value&...`, both sides encoded.
pub fn pairs(pairs: &[(&str, &str)]) -> String {
    pairs.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect::<Vec<_>>().join("&")
}
