//! The products flow, books -> shop (default) or shop -> books. Per product,
//! matched by SKU: map it through the tenant's module; skip it when it is as
//! it was last written; otherwise make sure its category exists (books ->
//! shop), create or update it with the update mask the settings allow, link
//! it to its category and, when it was just created, give it the books'
//! stock. A product that cannot be written is parked with a reason and
//! written again on the next run; it never stops the run.

mod ledger;
mod outgoing;
mod process;
mod reconcile;
mod settings;

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

use std::collections::HashSet;

trestle_guest::pages!(ProductPage);

use exports::trestle::sync::flow_run::{DateRange, Guest, Reconciliation, Summary, Trigger};
use trestle::sync::product_source::{self, ProductFilter, ProductPage};
use trestle_guest::Error;
use trestle_guest::flow::pages::{Step, read_all};
use trestle_guest::types::Product;

use crate::process::Run;
use crate::settings::Settings;

struct ProductsFlow;

impl Guest for ProductsFlow {
    /// A record run syncs a product by its sku.
    fn record_kinds() -> Vec<String> {
        vec!["product".into()]
    }

    fn run(trigger: Trigger) -> Result<Summary, Error> {
        let settings = Settings::from_config().map_err(Error::Invalid)?;
        let mut run = Run::new(settings);
        match trigger {
            Trigger::RecordId(sku) => sync_one(&mut run, &sku)?,
            Trigger::Scheduled => sync_catalogue(&mut run)?,
            _ => return Err(trestle_guest::flow::operations::not_offered("products")),
        }
        Ok(run.summary())
    }

    /// The whole (filtered) catalogue, as a run reads it: products have no
    /// creation date to range over.
    fn reconcile(_range: Option<DateRange>) -> Result<Reconciliation, Error> {
        let settings = Settings::from_config().map_err(Error::Invalid)?;
        reconcile::reconcile(&settings)
    }
}

/// Reads the whole (filtered) catalogue: neither API can list only the
/// products changed since a point, so what changed is found by fingerprint,
/// and only that is written. Parked products come round again this way; one
/// the listing no longer shows (deleted, or filtered out) is unparked.
fn sync_catalogue(run: &mut Run) -> Result<(), Error> {
    let filter = ProductFilter {
        active_only: run.settings.active_only,
        sku_prefix: run.settings.sku_prefix.clone(),
        expression: run.settings.expression.clone(),
    };
    let mut seen = HashSet::new();
    read_all(
        None,
        |cursor| product_source::list_products(&filter, cursor),
        |page| {
            for product in page.products {
                run.handle(&product)?;
                seen.insert(product.sku);
            }
            Ok(Step::Continue)
        },
    )?;
    let (source, _) = run.systems();
    for sku in ledger::parked().into_iter().filter(|sku| !seen.contains(sku)) {
        ledger::unpark(&sku);
        run.note(format!(
            "product {sku} was parked but the {source} no longer lists it (deleted or filtered out); unparked"
        ));
    }
    Ok(())
}

/// A webhook named one product: the same filters apply, except the
/// connector's own expression, which only the source can evaluate.
fn sync_one(run: &mut Run, sku: &str) -> Result<(), Error> {
    let (source, _) = run.systems();
    let Some(product) = product_source::get_product(sku)? else {
        ledger::unpark(sku);
        run.skip(format!("the {source} has no product with SKU {sku}"));
        return Ok(());
    };
    if let Some(why) = filtered_out(&product, &run.settings) {
        run.skip(format!("product {sku} not synced: {why}"));
        return Ok(());
    }
    run.handle(&product)
}

fn filtered_out(product: &Product, settings: &Settings) -> Option<String> {
    if settings.active_only && !product.active {
        return Some("it is inactive and `filter.active_only` is on".into());
    }
    match &settings.sku_prefix {
        Some(prefix) if !product.sku.starts_with(prefix.as_str()) => {
            Some(format!("its SKU does not start with `filter.sku_prefix` = {prefix:?}"))
        }
        _ => None,
    }
}

export!(ProductsFlow);
