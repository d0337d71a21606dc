//! Components that misbehave on purpose, one behaviour per cargo feature, so
//! the sandbox tests can prove each limit holds. Never shipped.

#[cfg(not(feature = "forbidden-host"))]
mod mapping;

#[cfg(feature = "forbidden-host")]
mod forbidden_host;
