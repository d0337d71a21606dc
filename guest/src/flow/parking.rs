//! Why a record is parked, in the words the shop owner reads: the message of
//! the error that stopped it, with what kind of failure it was where the
//! message alone would not say.

use crate::Error;

/// The reason of a parked record that is retried on the next run, saying
/// so where the failure was passing.
pub fn reason(e: &Error) -> String {
    match e {
        Error::Transient(m) => format!("temporary failure, retried on the next run: {m}"),
        Error::RateLimited(r) => format!("the API kept asking us to slow down; retried on the next run: {}", r.message),
        _ => cause(e),
    }
}

/// The reason without the retry, for a flow that says that itself.
pub fn cause(e: &Error) -> String {
    match e {
        Error::Invalid(m) | Error::NotFound(m) | Error::Auth(m) | Error::Fatal(m) => m.clone(),
        Error::Transient(m) => format!("temporary failure: {m}"),
        Error::RateLimited(r) => format!("the API kept asking us to slow down: {}", r.message),
    }
}

#[cfg(test)]
mod tests {
    use super::{cause, reason};
    use crate::{Error, RateLimit};

    #[test]
    fn says_what_kind_of_failure_only_where_the_message_does_not() {
        let invalid = Error::Invalid("the order has no lines".into());
        assert_eq!(reason(&invalid), "the order has no lines");
        assert_eq!(cause(&invalid), "the order has no lines");
        let transient = Error::Transient("connection reset".into());
        assert_eq!(reason(&transient), "temporary failure, retried on the next run: connection reset");
        assert_eq!(cause(&transient), "temporary failure: connection reset");
        let limited = Error::RateLimited(RateLimit { message: "429".into(), retry_after_ms: 1000 });
        assert_eq!(reason(&limited), "the API kept asking us to slow down; retried on the next run: 429");
        assert_eq!(cause(&limited), "the API kept asking us to slow down: 429");
    }
}
