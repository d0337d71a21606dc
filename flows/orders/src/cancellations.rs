//! A booked order the shop cancels afterwards. A booked document is never
//! edited: the order is either reported for the owner (parked, with the
//! reason) or credited by a credit invoice, found again by its own
//! reference (the order number with a suffix): in full, or what is left of
//! it after the refunds already credited.

use trestle::sync::order_source::Refund;
use trestle_guest::types::{Order, OrderLine};

use crate::trestle;

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

/// What is left to credit depends on the refunds (see `less_refunds`);
/// parked, the owner is told they exist.
pub fn parked_after_refund(order_number: &str, booked: &str, refund: &str) -> String {
    format!(
        "order {order_number} was cancelled in the shop after {booked} was booked and its refund {refund} was \
         credited; credit what the refunds left in the books, or set cancelled_after_booking = \"credit\" to have \
         Trestle credit it"
    )
}

/// The order less what `refunds` gave back: each refunded line takes its
/// quantity off the order's line it refunds (same kind, SKU, name, price,
/// discount and VAT), dropped once nothing is left of it; a refunded amount
/// that matches no line (an amount given back, not a row) is a line of its
/// own at the negated price. Totals less the refunds' totals.
pub fn less_refunds(mut order: Order, refunds: &[Refund]) -> Order {
    for refund in refunds {
        for refunded in &refund.lines {
            match order.lines.iter_mut().find(|l| same_line(l, refunded) && l.quantity >= refunded.quantity - 1e-9) {
                Some(line) => line.quantity -= refunded.quantity,
                // Taken off at a negative price: quantities stay positive.
                None => order.lines.push(OrderLine {
                    unit_price: -refunded.unit_price,
                    discount: -refunded.discount,
                    ..refunded.clone()
                }),
            }
        }
        order.total_excl_vat -= refund.total_excl_vat;
        order.total_vat -= refund.total_vat;
        order.total_incl_vat -= refund.total_incl_vat;
    }
    order.lines.retain(|l| l.quantity.abs() > 1e-9);
    for total in [&mut order.total_excl_vat, &mut order.total_vat, &mut order.total_incl_vat] {
        *total = (*total * 100.0).round() / 100.0;
    }
    order
}

fn same_line(a: &OrderLine, b: &OrderLine) -> bool {
    a.kind == b.kind
        && a.sku == b.sku
        && a.name == b.name
        && a.prices_include_vat == b.prices_include_vat
        && (a.unit_price - b.unit_price).abs() < 0.005
        && (a.discount - b.discount).abs() < 0.005
        && (a.vat_rate - b.vat_rate).abs() < 0.005
}
