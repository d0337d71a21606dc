//! What eAccounting will book for a document's rows, and the difference to
//! the shop's total a rounding row takes up. eAccounting prices each row
//! itself (its amount rounded to the cent, then its VAT rounded to the
//! cent: see emulators/UNCONFIRMED.md), while a shop may round VAT once per
//! order (CCV Shop does for a coupon): on documents priced without VAT the
//! two can end a cent or so apart. The flow checks the booked total after
//! the create, so a wrong guess here is reported, never hidden.

use serde_json::Value;

use crate::json::round2;

/// The total incl. VAT eAccounting books for `rows` of one order line at
/// `vat_rate` percent (a row marked VAT free has none), in the document's
/// basis (`gross`: unit prices include VAT).
pub fn booked(rows: &[Value], vat_rate: f64, gross: bool) -> f64 {
    rows.iter()
        .filter_map(|row| {
            let price = row["UnitPrice"].as_f64()?;
            let quantity = row["Quantity"].as_f64().unwrap_or_default();
            let discount = row["DiscountPercentage"].as_f64().unwrap_or_default();
            let amount = round2(price * quantity * (1.0 - discount));
            let rate = if row["IsVatFree"] == true { 0.0 } else { vat_rate / 100.0 };
            Some(if gross { amount } else { amount + round2(amount * rate) })
        })
        .sum()
}

/// The amount of the rounding row that brings `booked` to `expected`: none
/// when they agree to the cent or are further apart than `up_to` (then it
/// is no rounding, and the flow reports it).
pub fn difference(expected: f64, booked: f64, up_to: f64) -> Option<f64> {
    let difference = round2(expected - booked);
    (difference.abs() >= 0.005 && difference.abs() <= up_to + 0.000_001).then_some(difference)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn net_rows_take_their_vat_rounded_each() {
        let rows = [json!({"UnitPrice": 10.05, "Quantity": 1.0}), json!({"UnitPrice": 10.05, "Quantity": 1.0})];
        // 2.1105 rounds to 2.11 on each row.
        assert!((booked(&rows, 21.0, false) - 24.32).abs() < 1e-9);
        assert!((booked(&rows, 21.0, true) - 20.10).abs() < 1e-9);
        let free = [json!({"UnitPrice": 1.0, "Quantity": 1.0, "IsVatFree": true}), json!({"Text": "a text row"})];
        assert!((booked(&free, 21.0, false) - 1.0).abs() < 1e-9);
    }

    #[test]
    fn only_a_difference_within_the_limit_is_a_rounding() {
        assert_eq!(difference(24.33, 24.32, 0.05), Some(0.01));
        assert_eq!(difference(24.27, 24.32, 0.05), Some(-0.05));
        assert_eq!(difference(24.32, 24.32, 0.05), None);
        assert_eq!(difference(25.32, 24.32, 0.05), None);
    }
}
