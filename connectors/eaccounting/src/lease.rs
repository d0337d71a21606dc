//! A lease in the connection's state that keeps two runs of the same
//! connection out of a critical section (the token refresh) at once.
//!
//! State offers only get/set/delete on a shared SQLite table, no
//! compare-and-swap, so this is Fischer's timed mutual exclusion: a run that
//! finds the lease free writes its own id, waits [`SETTLE_MS`], and enters
//! only if its id is still there. Honest guarantee: two runs are excluded as
//! long as each writes its claim within [`SETTLE_MS`] of having seen the
//! lease free (two local SQLite calls, normally microseconds apart); a run
//! stalled longer than that between the two (a frozen process) could enter
//! together with another. A holder that dies leaves a lease that expires
//! after [`LEASE_MS`], and a holder slower than that could be overtaken.
//! The refresh itself double-checks (see `oauth`), so even then the worst
//! case is one run failing with an error that a retry clears.

use serde_json::{Value, json};
use trestle_guest::bindings::wasi::random::random;
use trestle_guest::{Error, state};

use crate::clock::{now_ms, sleep_ms};

/// How long a claim must survive unchanged before its writer enters.
const SETTLE_MS: u64 = 150;
/// How long a lease is good for; far longer than one token request.
const LEASE_MS: u64 = 30_000;
/// Poll interval while another run holds the lease.
const POLL_MS: u64 = 50;
/// Longest we wait for another run before giving up (transient: retry).
const WAIT_LIMIT_MS: u64 = 2 * LEASE_MS;

/// Runs `critical` while holding the lease `key`.
pub fn hold<T>(key: &str, critical: impl FnOnce() -> Result<T, Error>) -> Result<T, Error> {
    let me = format!("{:016x}", random::get_random_u64());
    let give_up_at = now_ms() + WAIT_LIMIT_MS;
    loop {
        if let Some(other) = holder(key).filter(|owner| *owner != me) {
            if now_ms() > give_up_at {
                return Err(Error::Transient(format!(
                    "another run of this connection has held `{key}` (holder {other}) for over {} s; \
                     it will expire on its own, try again",
                    WAIT_LIMIT_MS / 1000
                )));
            }
            sleep_ms(POLL_MS);
            continue;
        }
        state::set(key, &json!({"owner": me, "expires_at_ms": now_ms() + LEASE_MS}).to_string());
        sleep_ms(SETTLE_MS);
        if holder(key).as_deref() == Some(me.as_str()) {
            break;
        }
    }
    let result = critical();
    if holder(key).as_deref() == Some(me.as_str()) {
        state::delete(key);
    }
    result
}

/// The owner of an unexpired lease; a garbled or expired one counts as free.
fn holder(key: &str) -> Option<String> {
    let lease: Value = serde_json::from_str(&state::get(key)?).ok()?;
    let expires_at = lease["expires_at_ms"].as_u64()?;
    (expires_at > now_ms()).then(|| lease["owner"].as_str().map(str::to_string))?
}
