//! Time, from `wasi:clocks`: the wall clock for expiry instants kept in
//! state (shared with other instances), the monotonic clock for waiting.

use trestle_guest::bindings::wasi::clocks::{monotonic_clock, wall_clock};

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    let now = wall_clock::now();
    now.seconds * 1000 + u64::from(now.nanoseconds / 1_000_000)
}

/// Blocks this instance for `ms` milliseconds.
pub fn sleep_ms(ms: u64) {
    monotonic_clock::subscribe_duration(ms * 1_000_000).block();
}
