//! The owner's operations on a flow besides its schedule and its record
//! runs (resend a synced record, backfill a range, unpark, skip): what a
//! flow that offers none of them answers.

use crate::Error;

/// The refusal of a flow named `flow`, saying what it does take.
pub fn not_offered(flow: &str) -> Error {
    Error::Invalid(format!(
        "the {flow} flow offers no --force, --since, unpark or skip; it takes a scheduled run and one record by its \
         id (`trestle run --flow {flow} --record ID`)"
    ))
}
