//! The components shipped inside the `trestle` binary, by the names a tenant
//! config uses for them.

use trestle_host::ComponentKind;
use trestle_host::tenant::ComponentSource;

pub struct Builtins;

impl ComponentSource for Builtins {
    fn builtin(&self, kind: ComponentKind, name: &str) -> Option<&'static [u8]> {
        match (kind, name) {
            (ComponentKind::Connector, "ccvshop") => Some(trestle_artifacts::CCVSHOP_CONNECTOR_BYTES),
            (ComponentKind::Connector, "eaccounting") => Some(trestle_artifacts::EACCOUNTING_CONNECTOR_BYTES),
            (ComponentKind::Flow, "orders") => Some(trestle_artifacts::ORDERS_FLOW_BYTES),
            (ComponentKind::Mapping, "country-codes") => Some(trestle_artifacts::COUNTRY_CODES_MAPPING_BYTES),
            _ => None,
        }
    }
}
