//! What eAccounting's official schemas say about the bodies we write: the
//! properties of each component, writable or read-only. Every component has
//! `additionalProperties: false`, so nothing else may be sent.

include!(concat!(env!("OUT_DIR"), "/schemas.rs"));

pub struct Component {
    pub name: &'static str,
    /// Sorted.
    pub writable: &'static [&'static str],
    /// Sorted.
    pub read_only: &'static [&'static str],
}

impl Component {
    /// The component called `name`; one build.rs lists (a typo is a bug).
    pub fn named(name: &str) -> &'static Component {
        COMPONENTS.iter().find(|c| c.name == name).unwrap_or_else(|| panic!("build.rs does not list {name}"))
    }

    pub fn is_writable(&self, field: &str) -> bool {
        self.writable.binary_search(&field).is_ok()
    }

    pub fn is_read_only(&self, field: &str) -> bool {
        self.read_only.binary_search(&field).is_ok()
    }
}
