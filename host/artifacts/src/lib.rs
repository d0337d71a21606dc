//! Paths (and, for the components we ship, bytes) of every guest component,
//! built for wasm32-wasip2 by this crate's build script.

include!(concat!(env!("OUT_DIR"), "/artifacts.rs"));

use trestle_host::ComponentKind;
use trestle_host::tenant::ComponentSource;

/// The shipped components by the names a tenant config uses for them.
pub struct Builtins;

impl ComponentSource for Builtins {
    fn builtin(&self, kind: ComponentKind, name: &str) -> Option<&'static [u8]> {
        match (kind, name) {
            (ComponentKind::Connector, "ccvshop") => Some(CCVSHOP_CONNECTOR_BYTES),
            (ComponentKind::Connector, "eaccounting") => Some(EACCOUNTING_CONNECTOR_BYTES),
            (ComponentKind::Flow, "orders") => Some(ORDERS_FLOW_BYTES),
            (ComponentKind::Flow, "stock") => Some(STOCK_FLOW_BYTES),
            (ComponentKind::Flow, "customers") => Some(CUSTOMERS_FLOW_BYTES),
            (ComponentKind::Flow, "products") => Some(PRODUCTS_FLOW_BYTES),
            (ComponentKind::Mapping, "country-codes") => Some(COUNTRY_CODES_MAPPING_BYTES),
            (ComponentKind::Mapping, "safety-stock") => Some(SAFETY_STOCK_MAPPING_BYTES),
            _ => None,
        }
    }
}
