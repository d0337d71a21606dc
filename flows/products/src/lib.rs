//! The products flow (books -> shop and shop -> books). Being built: see issue 7.

trestle_guest::flow_world!(
    "../../wit",
    "package trestle:products-flow; world products-flow {
        include trestle:sync/flow-base@0.1.0;
        import trestle:sync/product-source@0.1.0;
        import trestle:sync/product-sink@0.1.0;
        import trestle:sync/category-sink@0.1.0;
        import trestle:sync/stock-sink@0.1.0;
    }"
);

use exports::trestle::sync::flow_run::{Guest, Summary, Trigger};
use trestle_guest::Error;

struct ProductsFlow;

impl Guest for ProductsFlow {
    fn run(_trigger: Trigger) -> Result<Summary, Error> {
        Err(Error::Invalid("the products flow is not built yet".into()))
    }
}

export!(ProductsFlow);
