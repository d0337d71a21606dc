//! A booked order the shop changes afterwards (rows edited in the back
//! office: its totals move). A booked document is never edited: by setting
//! (`changed_after_booking`), the change is reported for the owner once, or
//! the booked invoice is credited in full and the order booked anew, each
//! under a reference of its own: `<order>-CHANGE-<n>-CREDIT` and
//! `<order>-CHANGE-<n>` for the n-th change.
//!
//! A change is told by the order's totals and currency as its listing's
//! headers give them (no extra request per booked order): a change that
//! leaves every total as it was (one article swapped for another of the
//! same price) is not seen. See docs/2026-12-03-changed-orders.md.

use trestle_guest::types::Order;

use crate::ledger;

/// What of an order a change is told by, readable: "<incl. VAT> <currency>
/// <excl. VAT> <VAT>".
pub fn digest(order: &Order) -> String {
    format!("{:.2} {} {:.2} {:.2}", order.total_incl_vat, order.currency, order.total_excl_vat, order.total_vat)
}

/// The total incl. VAT and currency a digest holds, for people.
pub fn total_of(digest: &str) -> String {
    digest.split(' ').take(2).collect::<Vec<_>>().join(" ")
}

/// The total incl. VAT a digest holds.
pub fn amount_of(digest: &str) -> Option<f64> {
    digest.split(' ').next()?.parse().ok()
}

/// Our reference of the document an order is booked as after `n` changes.
pub fn reference(order_number: &str, n: u32) -> String {
    match n {
        0 => order_number.to_string(),
        n => format!("{order_number}{CHANGE}{n}"),
    }
}

/// Our reference of the document an order is booked as now.
pub fn current_reference(order: &Order) -> String {
    reference(&order.order_number, ledger::rebookings(&order.source_id))
}

/// Our reference of the credit that undoes the document booked before the
/// `n`-th change.
pub fn credit_reference(order_number: &str, n: u32) -> String {
    format!("{order_number}{CHANGE}{n}-CREDIT")
}

const CHANGE: &str = "-CHANGE-";

/// The order a change's reference (its credit's or its new document's)
/// names; any other reference as it is.
pub fn order_number_of(reference: &str) -> &str {
    match reference.rsplit_once(CHANGE) {
        Some((order, n)) if n.trim_end_matches("-CREDIT").bytes().all(|b| b.is_ascii_digit()) => order,
        _ => reference,
    }
}

pub fn reported(order_number: &str, booked: &str, was: &str, now: &str, why_not_rebooked: Option<&str>) -> String {
    let next = why_not_rebooked.map_or_else(
        || "credit it and book the order anew in the books, or set changed_after_booking = \"rebook\"".to_string(),
        |why| format!("{why}: correct it in the books by hand"),
    );
    format!(
        "order {order_number} changed in the shop after {booked} was booked: its total was {}, is {} now; a booked \
         document is never edited: {next}",
        total_of(was),
        total_of(now)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_name_their_order_and_change() {
        assert_eq!(reference("ORD-7", 0), "ORD-7");
        assert_eq!(reference("ORD-7", 2), "ORD-7-CHANGE-2");
        assert_eq!(credit_reference("ORD-7", 2), "ORD-7-CHANGE-2-CREDIT");
        assert_eq!(order_number_of("ORD-7-CHANGE-2"), "ORD-7");
        assert_eq!(order_number_of("ORD-7-CHANGE-2-CREDIT"), "ORD-7");
        assert_eq!(order_number_of("ORD-CHANGE-X"), "ORD-CHANGE-X", "not a change's reference");
    }

    #[test]
    fn a_digest_gives_back_its_total() {
        assert_eq!(total_of("120.50 EUR 99.59 20.91"), "120.50 EUR");
        assert_eq!(amount_of("120.50 EUR 99.59 20.91"), Some(120.5));
    }
}
