//! How an order line is priced on document rows so that eAccounting's row
//! amount (UnitPrice x Quantity x (1 - DiscountPercentage), rounded to the
//! cent) is the shop's to the cent, whatever the quantity.
//!
//! The shop's amount is its discounted unit price times the count, in the
//! line's price basis, converted to the document's basis once for the whole
//! row. Tried in turn: the shop's price with the discount as the four-decimal
//! fraction eAccounting takes (the invoice then shows the discount), a
//! two-decimal unit price, and, where no unit price times the quantity comes
//! to the amount (a converted basis with a large quantity), two rows: all
//! units but one at that price and the last unit at what remains.

use trestle_guest::Error;
use trestle_guest::types::OrderLine;

use crate::json::round2;

/// One row's pricing: unit price in the document's basis, quantity, and the
/// discount as a fraction (0..1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Priced {
    pub unit_price: f64,
    pub quantity: f64,
    pub discount: f64,
}

/// What eAccounting books for a row.
fn amount(row: &Priced) -> f64 {
    round2(row.unit_price * row.quantity * (1.0 - row.discount))
}

fn cents_equal(a: f64, b: f64) -> bool {
    (a - b).abs() < 0.005
}

/// The rows `line` is booked as (one, or two for the remainder), in the
/// document's basis (`gross`: unit prices include VAT).
pub fn rows(line: &OrderLine, gross: bool, index: usize) -> Result<Vec<Priced>, Error> {
    let factor = 1.0 + line.vat_rate / 100.0;
    let usable = [line.unit_price, line.discount, line.quantity].iter().all(|n| n.is_finite());
    if !usable || factor <= 0.0 {
        return Err(Error::Invalid(format!(
            "line {} ({}) has no usable price, quantity or VAT rate",
            index + 1,
            line.name
        )));
    }
    let convert = |price: f64| match (line.prices_include_vat, gross) {
        (false, true) => price * factor,
        (true, false) => price / factor,
        _ => price,
    };
    let quantity = line.quantity;
    let price = round2(convert(line.unit_price));
    if quantity == 0.0 {
        return Ok(vec![Priced { unit_price: price, quantity, discount: 0.0 }]);
    }
    let target = round2(convert(round2(round2(line.unit_price - line.discount) * quantity)));

    if line.discount != 0.0 && line.unit_price != 0.0 {
        let fraction = (line.discount / line.unit_price * 10_000.0).round() / 10_000.0;
        let with_fraction = Priced { unit_price: price, quantity, discount: fraction };
        if fraction > 0.0 && fraction <= 1.0 && cents_equal(amount(&with_fraction), target) {
            return Ok(vec![with_fraction]);
        }
    }
    let unit = round2(target / quantity);
    // One cent either way: for a quantity up to 1 one of these always hits.
    for cents in [0.0, -1.0, 1.0] {
        let row = Priced { unit_price: round2(unit + cents / 100.0), quantity, discount: 0.0 };
        if cents_equal(amount(&row), target) {
            return Ok(vec![row]);
        }
    }
    let most = Priced { unit_price: unit, quantity: quantity - 1.0, discount: 0.0 };
    let last = Priced { unit_price: round2(target - amount(&most)), quantity: 1.0, discount: 0.0 };
    Ok(vec![most, last])
}
