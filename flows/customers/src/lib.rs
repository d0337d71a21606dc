//! The customers flow (shop -> books). Being built: see issue 7.

trestle_guest::flow_world!(
    "../../wit",
    "package trestle:customers-flow; world customers-flow {
        include trestle:sync/flow-base@0.1.0;
        import trestle:sync/customer-source@0.1.0;
        import trestle:sync/customer-sink@0.1.0;
    }"
);

use exports::trestle::sync::flow_run::{Guest, Summary, Trigger};
use trestle_guest::Error;

struct CustomersFlow;

impl Guest for CustomersFlow {
    fn run(_trigger: Trigger) -> Result<Summary, Error> {
        Err(Error::Invalid("the customers flow is not built yet".into()))
    }
}

export!(CustomersFlow);
