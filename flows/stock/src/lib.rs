//! The stock flow (books -> shop). Every run reads all of the books' stock
//! levels (the books offer no "changed since"), works out the quantity the
//! shop should show, and writes it only where it differs from what was last
//! pushed for that SKU: a rerun without changes writes nothing, and one
//! changed article means one write. A webhook naming one SKU syncs just it.
//! With `manage_stock = false` the flow writes nothing to the shop.

mod ledger;
mod process;
mod quantity;
mod reconcile;
mod settings;

trestle_guest::flow_world!(
    "../../wit",
    "package trestle:stock-flow; world stock-flow {
        include trestle:sync/flow-base@0.1.0;
        import trestle:sync/stock-source@0.1.0;
        import trestle:sync/stock-sink@0.1.0;
    }"
);

trestle_guest::pages!(StockPage);

use exports::trestle::sync::flow_run::{DateRange, Guest, Reconciliation, Summary, Trigger};
use trestle::sync::stock_source::{self, StockPage};
use trestle_guest::Error;
use trestle_guest::flow::pages::{Step, read_all};

use crate::process::Run;
use crate::settings::Settings;

struct StockFlow;

impl Guest for StockFlow {
    /// A record run syncs a stock level by its sku.
    fn record_kinds() -> Vec<String> {
        vec!["stock".into()]
    }

    fn run(trigger: Trigger) -> Result<Summary, Error> {
        let settings = Settings::from_config().map_err(Error::Invalid)?;
        let manage_stock = settings.manage_stock;
        let mut run = Run::new(settings);
        if !manage_stock {
            ledger::forget_all();
            run.notes.push(
                "manage_stock = false: the shop keeps its own stock and nothing was written; once switched back \
                 on, every level is pushed again"
                    .into(),
            );
            return Ok(run.summary());
        }
        match trigger {
            Trigger::Scheduled => each_level(|level| run.handle(&level).map(|()| Step::Continue))?,
            Trigger::RecordId(sku) => {
                let mut found = false;
                each_level(|level| {
                    if level.sku != sku {
                        return Ok(Step::Continue);
                    }
                    found = true;
                    run.handle(&level).map(|()| Step::Stop)
                })?;
                if !found {
                    return Err(Error::NotFound(format!(
                        "the books have no stock article with number {sku}, so there is no stock level to push"
                    )));
                }
            }
            _ => return Err(trestle_guest::flow::operations::not_offered("stock")),
        }
        Ok(run.summary())
    }

    /// Every level, as a run reads them: stock has no creation date to
    /// range over.
    fn reconcile(_range: Option<DateRange>) -> Result<Reconciliation, Error> {
        let settings = Settings::from_config().map_err(Error::Invalid)?;
        reconcile::reconcile(&settings)
    }
}

/// Pages through the books' stock levels; `visit` says whether to go on.
fn each_level(mut visit: impl FnMut(trestle_guest::types::StockLevel) -> Result<Step, Error>) -> Result<(), Error> {
    read_all(None, stock_source::list_stock, |page| {
        for level in page.levels {
            if visit(level)? == Step::Stop {
                return Ok(Step::Stop);
            }
        }
        Ok(Step::Continue)
    })?;
    Ok(())
}

export!(StockFlow);
