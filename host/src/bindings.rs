//! Host-side bindings to the contract: the capabilities we implement and the
//! exports we call. The role exports are here for embedders and tests that
//! call a connector directly; a flow's role imports are forwarded
//! dynamically instead (see `forward`), whatever the flow imports.

wasmtime::component::bindgen!({
    inline: "
        package trestle:host;
        world host {
            import trestle:sync/state@0.1.0;
            import trestle:sync/config@0.1.0;
            import trestle:sync/log@0.1.0;
            import trestle:sync/transforms@0.1.0;
            export trestle:sync/transforms@0.1.0;
            export trestle:sync/flow-run@0.1.0;
            export trestle:sync/connection@0.1.0;
            export trestle:sync/order-source@0.1.0;
            export trestle:sync/customer-source@0.1.0;
            export trestle:sync/customer-sink@0.1.0;
            export trestle:sync/sales-document-sink@0.1.0;
            export trestle:sync/product-source@0.1.0;
            export trestle:sync/product-sink@0.1.0;
            export trestle:sync/category-sink@0.1.0;
            export trestle:sync/stock-source@0.1.0;
            export trestle:sync/stock-sink@0.1.0;
            export trestle:sync/reference-data@0.1.0;
            export trestle:sync/webhook-source@0.1.0;
        }
    ",
    path: "../wit",
    imports: { default: trappable },
});

pub use exports::trestle::sync::connection::{ConnectorSpec, Setting};
pub use exports::trestle::sync::flow_run::{
    DateRange, Drift, DriftKind, Reconciliation, SkipRequest, Summary, Trigger,
};
pub use trestle::sync::errors::Error as ContractError;
pub use trestle::sync::types;
