//! What the host supplies to components, one capability per module. Each is
//! plain Rust, testable without wasm; `linking` wires them to components.

pub mod config;
pub mod http;
pub mod log;
pub mod network;
mod outbound;
pub mod pacing;
pub mod state;
