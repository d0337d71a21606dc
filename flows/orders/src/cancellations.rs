//! A booked order the shop cancels afterwards. A booked document is never
//! edited: the order is either reported for the owner (parked, with the
//! reason) or credited in full by a credit invoice, found again by its own
//! reference (the order number with a suffix).

use trestle_guest::types::Order;

pub fn credit_reference(order_number: &str) -> String {
    format!("{order_number}{CREDIT}")
}

const CREDIT: &str = "-CREDIT";

/// The order a cancellation's credit reference names; any other reference
/// as it is.
pub fn order_number_of(reference: &str) -> &str {
    reference.strip_suffix(CREDIT).unwrap_or(reference)
}

/// The order with every quantity and total turned: booked, it credits the
/// buyer (and brings the goods back into stock).
pub fn credit_of(mut order: Order) -> Order {
    for line in &mut order.lines {
        line.quantity = -line.quantity;
    }
    order.total_excl_vat = -order.total_excl_vat;
    order.total_vat = -order.total_vat;
    order.total_incl_vat = -order.total_incl_vat;
    order
}

pub fn parked_reason(order_number: &str, booked: &str) -> String {
    format!(
        "order {order_number} was cancelled in the shop after {booked} was booked; a booked document is never \
         edited: credit it in the books, or set cancelled_after_booking = \"credit\""
    )
}

/// A full credit would credit the refund a second time; what is left to
/// credit is the owner's call (docs/2026-12-02-refunds.md).
pub fn parked_after_refund(order_number: &str, booked: &str, refund: &str) -> String {
    format!(
        "order {order_number} was cancelled in the shop after {booked} was booked and its refund {refund} was \
         credited; a full credit would credit that refund twice: credit what is left in the books by hand, then \
         skip this record"
    )
}
