//! Paths (and, for the components we ship, bytes) of every guest component,
//! built for wasm32-wasip2 by this crate's build script.

use trestle_host::ComponentKind;
use trestle_host::tenant::ComponentSource;

include!(concat!(env!("OUT_DIR"), "/artifacts.rs"));

/// The shipped components by the names a tenant config uses for them.
pub struct Builtins;

impl ComponentSource for Builtins {
    fn builtin(&self, kind: ComponentKind, name: &str) -> Option<&'static [u8]> {
        BUILTINS.iter().find(|(k, n, _)| *k == kind && *n == name).map(|(_, _, bytes)| *bytes)
    }
}
