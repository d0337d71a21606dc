//! Paths (and, for the components we ship, bytes) of every guest component,
//! built for wasm32-wasip2 by this crate's build script.

include!(concat!(env!("OUT_DIR"), "/artifacts.rs"));
