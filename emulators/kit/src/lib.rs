//! Building blocks both emulators share, so that the CCV Shop and eAccounting
//! emulators differ only in what their APIs do, not in how they are served,
//! faulted, counted or throttled.

pub mod control;
pub mod faults;
pub mod rate_limit;
pub mod seed;
pub mod server;
pub mod stats;

pub use faults::{FaultConfig, FaultKind, Faults};
pub use rate_limit::RateLimiter;
pub use server::Running;
pub use stats::RequestStats;

/// Prefix of the inspection and control endpoints, kept apart from the
/// emulated API paths so a connector can never hit them by accident.
pub const CONTROL_PREFIX: &str = "/_emulator";
