//! The orders flow (shop -> books). Per order: skip it if it is already in
//! the books; map it through the tenant's module; find or create the
//! customer; make sure every article exists; create the document with
//! bookings per country; record where it went. An order that cannot be
//! synced is parked with a reason and retried on every later run; it never
//! blocks the orders behind it. A booked invoice then gets the shop's
//! payment registered, on a later run if the order is paid later, and the
//! shop's refunds become credit invoices with their refund payments.

mod articles;
mod bookings;
mod cancellations;
mod changes;
mod customers;
mod ledger;
mod listing;
mod payments;
mod process;
mod recheck;
mod reconcile;
mod refunds;
mod settings;
mod totals;

trestle_guest::flow_world!(
    "../../wit",
    "package trestle:orders-flow; world orders-flow {
        include trestle:sync/flow-base@0.1.0;
        import trestle:sync/order-source@0.1.0;
        import trestle:sync/customer-sink@0.1.0;
        import trestle:sync/sales-document-sink@0.1.0;
        import trestle:sync/product-source@0.1.0;
        import trestle:sync/product-sink@0.1.0;
    }"
);

trestle_guest::pages!(
    listing::Page,
    order_source::OrderPage,
    order_source::RefundPage,
    trestle::sync::sales_document_sink::StoredDocumentPage,
);

use exports::trestle::sync::flow_run::{DateRange, Guest, Reconciliation, Summary, Trigger};
use trestle::sync::order_source::{self, OrderDetail, OrderFilter};
use trestle_guest::Error;
use trestle_guest::types::Order;

use trestle_guest::flow::pages::{Step, read_all};

use crate::process::Run;
use crate::settings::Settings;

struct OrdersFlow;

impl Guest for OrdersFlow {
    /// A record run syncs an order by its id in the source.
    fn record_kinds() -> Vec<String> {
        vec!["order".into()]
    }

    fn run(trigger: Trigger) -> Result<Summary, Error> {
        let settings = Settings::from_config().map_err(Error::Invalid)?;
        let mut run = Run::new(settings);
        match trigger {
            Trigger::RecordId(id) => {
                if let Some(order) = selected_order(&mut run, &id)? {
                    run.handle_batch(vec![order])?;
                }
            }
            Trigger::Resync(id) => run.resync(&id)?,
            Trigger::Unpark(id) => run.unpark(&id)?,
            Trigger::Skip(request) => run.skip(&request.id, &request.reason)?,
            Trigger::Backfill(range) => {
                let filter = OrderFilter {
                    created_since: Some(range.since),
                    created_before: range.before,
                    ..filter(&run.settings)
                };
                recheck::sweep(&mut run, &filter)?;
            }
            Trigger::Scheduled => {
                let recent = filter(&run.settings);
                if run.retry_parked()? == Step::Continue
                    && sync_new_orders(&mut run)? == Step::Continue
                    && recheck::recent_orders(&mut run, recent)? == Step::Continue
                {
                    run.settle_awaited()?;
                    refunds::credit_refunds(&mut run)?;
                }
            }
        }
        Ok(run.summary())
    }

    fn reconcile(range: Option<DateRange>) -> Result<Reconciliation, Error> {
        let settings = Settings::from_config().map_err(Error::Invalid)?;
        reconcile::reconcile(&mut Run::new(settings), range)
    }
}

/// The order with this source id, if the settings select it; one they do
/// not is reported as passed over.
fn selected_order(run: &mut Run, id: &str) -> Result<Option<Order>, Error> {
    let order = order_source::get_order(id)?;
    if selected(&run.settings, &order)? {
        return Ok(Some(order));
    }
    run.pass_over(
        &order,
        "not selected by the settings (paid_only, statuses, created_since) or not a completed order yet; a later \
         webhook or run syncs it once it is"
            .into(),
    );
    Ok(None)
}

/// Whether the settings select this order, as the shop answers it: a
/// webhook names any order (an unpaid one, a basket), and the source
/// connector is the one that knows how its statuses and dates compare.
fn selected(settings: &Settings, order: &Order) -> Result<bool, Error> {
    if order.order_number.is_empty() {
        return Ok(false);
    }
    let filter = OrderFilter {
        order_number: Some(order.order_number.clone()),
        detail: OrderDetail::Headers,
        ..filter(settings)
    };
    let page = order_source::list_orders(&filter, None)?;
    Ok(page.orders.iter().any(|o| o.source_id == order.source_id))
}

fn filter(settings: &Settings) -> OrderFilter {
    OrderFilter {
        statuses: settings.statuses.clone(),
        paid_only: settings.paid_only,
        created_since: settings.created_since.clone(),
        created_before: None,
        order_number: None,
        detail: OrderDetail::Full,
    }
}

/// Pages through the orders the settings select, from the stored cursor.
/// The cursor moves past a page only when every order on it was written,
/// skipped or parked; the last page's cursor is kept, so orders added to it
/// later are seen by the next run (the ones it already has cost nothing but
/// the listing).
fn sync_new_orders(run: &mut Run) -> Result<Step, Error> {
    let filter = filter(&run.settings);
    handle_pages(run, &filter, ledger::cursor(), true)
}

/// Every page the filter selects from `cursor` on: the booked orders it
/// shows cancelled or changed, then the ones the flow does not have yet.
/// With `keep`, the cursor past each page done is stored for the next run.
pub(crate) fn handle_pages(
    run: &mut Run,
    filter: &OrderFilter,
    cursor: Option<String>,
    keep: bool,
) -> Result<Step, Error> {
    // Parked orders are retried at the start of a scheduled run.
    let parked = ledger::parked();
    let cancelled = run.settings.cancelled_statuses.clone();
    let read = |cursor: Option<&str>| listing::read(filter, cursor, &parked, &cancelled);
    read_all(cursor, read, |page| {
        run.cancelled_after_booking(page.cancelled)?;
        run.changed_after_booking(page.changed)?;
        if run.handle_batch(page.new)? == Step::Stop {
            return Ok(Step::Stop);
        }
        if let (true, Some(next)) = (keep, &page.next) {
            ledger::set_cursor(next);
        }
        Ok(Step::Continue)
    })
}

export!(OrdersFlow);
