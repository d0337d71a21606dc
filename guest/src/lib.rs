//! What every guest component (connectors, flows) shares: the contract's
//! imported interfaces generated once, an HTTP client over
//! `wasi:http/outgoing-handler`, helpers that turn HTTP answers into the
//! contract's error variant, and what flows share ([`flow`]).
//!
//! A guest crate generates its own world with [`connector_world!`] or
//! [`flow_world!`], which map the shared imports onto the bindings here, so
//! that all guests share one set of record and error types.

pub mod custom_fields;
pub mod errors;
pub mod flow;
pub mod http;
pub mod settings;

/// Re-exported so guest crates need no direct dependency on it.
pub use wit_bindgen;

/// Bindings for everything a guest may import.
pub mod bindings {
    wit_bindgen::generate!({
        inline: "
            package trestle:guest;
            world imports {
                import wasi:http/outgoing-handler@0.2.12;
                // Guests read the time here (e.g. to sign requests), not via std.
                import wasi:clocks/wall-clock@0.2.12;
                // Unique ids a guest needs (e.g. who holds a lease in state).
                import wasi:random/random@0.2.12;
                import trestle:sync/state@0.1.0;
                import trestle:sync/config@0.1.0;
                import trestle:sync/log@0.1.0;
                import trestle:sync/transforms@0.1.0;
                import trestle:sync/connection@0.1.0;
                import trestle:sync/order-source@0.1.0;
                import trestle:sync/customer-source@0.1.0;
                import trestle:sync/customer-sink@0.1.0;
                import trestle:sync/sales-document-sink@0.1.0;
                import trestle:sync/product-source@0.1.0;
                import trestle:sync/product-sink@0.1.0;
                import trestle:sync/category-sink@0.1.0;
                import trestle:sync/stock-source@0.1.0;
                import trestle:sync/stock-sink@0.1.0;
                import trestle:sync/reference-data@0.1.0;
            }
        ",
        path: "../wit",
        world: "trestle:guest/imports",
        generate_all,
    });
}

pub use bindings::trestle::sync::errors::{Error, RateLimit};
pub use bindings::trestle::sync::{config, log, state, types};

/// Generates the exports of a connector's own world. `$world` names the
/// roles it exports; `$wit` is the path from the crate to the `wit/` folder.
#[macro_export]
macro_rules! connector_world {
    ($wit:literal, $world:literal) => {
        $crate::wit_bindgen::generate!({
            inline: $world,
            path: $wit,
            runtime_path: "::trestle_guest::wit_bindgen::rt",
            with: {
                "wasi:http/types@0.2.12": ::trestle_guest::bindings::wasi::http::types,
                "wasi:http/outgoing-handler@0.2.12": ::trestle_guest::bindings::wasi::http::outgoing_handler,
                "wasi:io/error@0.2.12": ::trestle_guest::bindings::wasi::io::error,
                "wasi:io/poll@0.2.12": ::trestle_guest::bindings::wasi::io::poll,
                "wasi:io/streams@0.2.12": ::trestle_guest::bindings::wasi::io::streams,
                "wasi:clocks/monotonic-clock@0.2.12": ::trestle_guest::bindings::wasi::clocks::monotonic_clock,
                "trestle:sync/types@0.1.0": ::trestle_guest::bindings::trestle::sync::types,
                "trestle:sync/errors@0.1.0": ::trestle_guest::bindings::trestle::sync::errors,
                "trestle:sync/state@0.1.0": ::trestle_guest::bindings::trestle::sync::state,
                "trestle:sync/config@0.1.0": ::trestle_guest::bindings::trestle::sync::config,
                "trestle:sync/log@0.1.0": ::trestle_guest::bindings::trestle::sync::log,
            },
        });
    };
}

/// Generates the bindings of a flow's own world: the roles it imports are
/// generated in the flow crate, on the shared record and error types.
#[macro_export]
macro_rules! flow_world {
    ($wit:literal, $world:literal) => {
        $crate::wit_bindgen::generate!({
            inline: $world,
            path: $wit,
            runtime_path: "::trestle_guest::wit_bindgen::rt",
            generate_all,
            with: {
                "trestle:sync/types@0.1.0": ::trestle_guest::bindings::trestle::sync::types,
                "trestle:sync/errors@0.1.0": ::trestle_guest::bindings::trestle::sync::errors,
                "trestle:sync/state@0.1.0": ::trestle_guest::bindings::trestle::sync::state,
                "trestle:sync/config@0.1.0": ::trestle_guest::bindings::trestle::sync::config,
                "trestle:sync/log@0.1.0": ::trestle_guest::bindings::trestle::sync::log,
                "trestle:sync/transforms@0.1.0": ::trestle_guest::bindings::trestle::sync::transforms,
            },
        });
    };
}
