//! Are shop and books the same, order by order? Both ways: every order the
//! flow would book has a document under our reference, the same as the flow
//! would write it now (the sink compares total, customer and rows); every
//! document under our reference has its order in the shop. Reads only: the
//! host answers a write (a customer the flow would create to compare with)
//! as in a dry run. See docs/2026-12-02-reconcile.md.

use std::collections::{HashMap, HashSet};

use trestle::sync::order_source::{self, OrderDetail, OrderFilter};
use trestle::sync::sales_document_sink;
use trestle_guest::Error;
use trestle_guest::bindings::trestle::sync::transforms;
use trestle_guest::flow::pages::{Step, read_all};
use trestle_guest::types::Order;

use crate::exports::trestle::sync::flow_run::{DateRange, Drift, DriftKind, Reconciliation};
use crate::process::{Run, kind_name};
use crate::{cancellations, changes, ledger, refunds, trestle};

pub fn reconcile(run: &mut Run, range: Option<DateRange>) -> Result<Reconciliation, Error> {
    let mut filter = crate::filter(&run.settings);
    if let Some(range) = range {
        filter.created_since = Some(range.since);
        filter.created_before = range.before;
    }
    let kind = run.settings.document;
    let noun = kind_name(kind);
    let mut drift = Vec::new();
    let mut in_shop = HashSet::new();
    let read = |cursor: Option<&str>| order_source::list_orders(&filter, cursor);
    read_all(None, read, |page| {
        let booked: Vec<Order> = page.orders.into_iter().filter(|o| should_be_booked(run, o)).collect();
        let references: Vec<String> = booked.iter().map(changes::current_reference).collect();
        let found: HashMap<String, String> =
            sales_document_sink::find_by_references(kind, &references)?.into_iter().collect();
        for (order, reference) in booked.into_iter().zip(references) {
            in_shop.insert(order.order_number.clone());
            match found.get(&reference) {
                None => drift.push(not_in_books(&order, noun)),
                Some(id) => drift.extend(differences(run, order, id)?),
            }
        }
        Ok(Step::Continue)
    })?;
    // Documents dated before the orders' range cannot be theirs.
    let dated_since: Option<String> = filter.created_since.as_deref().map(|s| s.chars().take(10).collect());
    let mut documents = 0;
    let read = |cursor: Option<&str>| sales_document_sink::list_documents(kind, dated_since.as_deref(), cursor);
    read_all(None, read, |page| {
        for document in page.documents {
            documents += 1;
            let order_number = order_of(&document.reference);
            if !in_shop.contains(order_number) && !shop_has(order_number)? {
                drift.push(Drift {
                    record_kind: "order".into(),
                    key: document.reference.clone(),
                    kind: DriftKind::MissingInSource,
                    field: None,
                    source_value: None,
                    target_value: Some(format!("{:.2}", document.total)),
                    detail: format!(
                        "{noun} {} of {} in the books names order {order_number}, which the shop does not have",
                        document.id, document.date
                    ),
                });
            }
        }
        Ok(Step::Continue)
    })?;
    Ok(Reconciliation {
        compared: vec![format!("{} orders in the shop", in_shop.len()), format!("{documents} {noun}s in the books")],
        drift,
    })
}

/// Whether a run would book this order: selected by the listing, not left
/// out by the owner, not cancelled before it was booked.
fn should_be_booked(run: &Run, order: &Order) -> bool {
    !order.order_number.is_empty()
        && ledger::skipped(&order.source_id).is_none()
        && !(run.settings.cancelled_statuses.contains(&order.status) && ledger::synced(&order.source_id).is_none())
}

fn not_in_books(order: &Order, noun: &str) -> Drift {
    let parked = ledger::parked_reason(&order.source_id)
        .map(|why| format!("; it is parked: {why}"))
        .unwrap_or_else(|| "; the next run books it".into());
    Drift {
        record_kind: "order".into(),
        key: order.order_number.clone(),
        kind: DriftKind::MissingInTarget,
        field: None,
        source_value: Some(format!("{:.2}", order.total_incl_vat)),
        target_value: None,
        detail: format!("order {} of {} has no {noun} in the books{parked}", order.order_number, order.created_at),
    }
}

/// How the document `id` differs from what the flow would write for the
/// order now.
fn differences(run: &mut Run, source: Order, id: &str) -> Result<Vec<Drift>, Error> {
    let order = transforms::map_order(&source).map_err(Error::Invalid)?;
    let (document, _) = run.document_for(order, source.order_number.clone())?;
    let noun = kind_name(run.settings.document);
    Ok(sales_document_sink::find_differences(id, &document)?
        .into_iter()
        .map(|d| Drift {
            record_kind: "order".into(),
            key: source.order_number.clone(),
            kind: DriftKind::Differs,
            detail: format!(
                "{noun} {id} in the books: {} {} there, {} from the shop's order",
                d.field, d.stored, d.wanted
            ),
            field: Some(d.field),
            source_value: Some(d.wanted),
            target_value: Some(d.stored),
        })
        .collect())
}

/// The order a reference is of: credits of a refund or a cancellation,
/// and the documents of a change, carry the order number with a suffix.
fn order_of(reference: &str) -> &str {
    let refunded = refunds::order_number_of(reference);
    changes::order_number_of(cancellations::order_number_of(refunded))
}

/// Whether the shop has an order with this number, whatever its status or
/// date.
fn shop_has(order_number: &str) -> Result<bool, Error> {
    let filter = OrderFilter {
        statuses: Vec::new(),
        paid_only: false,
        created_since: None,
        created_before: None,
        order_number: Some(order_number.to_string()),
        detail: OrderDetail::Headers,
    };
    Ok(order_source::list_orders(&filter, None)?.orders.iter().any(|o| o.order_number == order_number))
}
