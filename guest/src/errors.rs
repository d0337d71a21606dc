//! Turning an API's HTTP answer into the contract's error variant, the same
//! way for every connector, so the host's retry rules mean the same thing
//! everywhere.

use crate::Error;
use crate::RateLimit;

/// Classifies a non-2xx status. `message` is the API's own explanation,
/// already extracted from its error body by the connector.
pub fn from_status(status: u16, retry_after_ms: Option<u64>, message: String) -> Error {
    match status {
        401 | 403 => Error::Auth(message),
        404 => Error::NotFound(message),
        429 => Error::RateLimited(RateLimit { retry_after_ms: retry_after_ms.unwrap_or(1_000), message }),
        408 | 500..=599 => Error::Transient(message),
        400..=499 => Error::Invalid(message),
        _ => Error::Fatal(format!("unexpected HTTP status {status}: {message}")),
    }
}

/// Parses a Retry-After header given in seconds.
pub fn retry_after_ms(header: Option<&str>) -> Option<u64> {
    header?.trim().parse::<f64>().ok().map(|s| (s.max(0.0) * 1000.0) as u64)
}

/// For JSON that does not have the shape we expect: names the field.
pub fn malformed(what: &str, field: &str, detail: impl std::fmt::Display) -> Error {
    Error::Invalid(format!("{what}: field `{field}` is missing or malformed ({detail})"))
}
