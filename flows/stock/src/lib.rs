//! The stock flow (books -> shop). Being built: see issue 7.

trestle_guest::flow_world!(
    "../../wit",
    "package trestle:stock-flow; world stock-flow {
        include trestle:sync/flow-base@0.1.0;
        import trestle:sync/stock-source@0.1.0;
        import trestle:sync/stock-sink@0.1.0;
    }"
);

use exports::trestle::sync::flow_run::{Guest, Summary, Trigger};
use trestle_guest::Error;

struct StockFlow;

impl Guest for StockFlow {
    fn run(_trigger: Trigger) -> Result<Summary, Error> {
        Err(Error::Invalid("the stock flow is not built yet".into()))
    }
}

export!(StockFlow);
