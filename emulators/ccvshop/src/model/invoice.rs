//! Credit invoices: money the shop gives back on an order after it was
//! placed (a refund). Debit invoices are not kept apart: an order with an
//! invoice number is one (see `resources::invoices`).

use chrono::{DateTime, Utc};
use emulator_kit::seed::round2;
use serde::{Deserialize, Serialize};

use super::{Order, OrderRow};
use crate::errors::{ApiError, ApiResult};

#[derive(Debug, Clone, Serialize)]
pub struct CreditInvoice {
    pub id: u64,
    pub invoicenumber: u64,
    pub order_id: u64,
    pub create_date: DateTime<Utc>,
    /// Whether the money went back to the buyer (status `reimbursed`, else
    /// `unpaid`).
    pub reimbursed: bool,
    /// What is credited, in the order's price basis and with positive
    /// counts: refunded product rows, and costs (shipping, payment, extra)
    /// and discounts as manual rows (a discount at a negative price).
    pub rows: Vec<OrderRow>,
    /// Credited shipping and discounts (also among the rows).
    pub total_shipping: f64,
    pub total_discounts: f64,
    /// Credited amount incl. VAT and its VAT, positive: for a full refund
    /// the order's own totals.
    pub total_price: f64,
    pub total_tax: f64,
}

/// What a test refunds on an order (`POST /_emulator/orders/{id}/refunds`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewRefund {
    pub refund: Refund,
    /// Whether the money went back already (default true).
    #[serde(default = "yes")]
    pub reimbursed: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Refund {
    /// Everything: rows, costs and discounts; the order's total.
    Full,
    /// Some units of some rows.
    Rows(Vec<RefundedRow>),
    /// An amount in the order's price basis, at a VAT rate (default the
    /// order's shipping rate), as one manual row.
    Amount { amount: f64, tax: Option<f64> },
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefundedRow {
    pub orderrow_id: u64,
    pub count: f64,
}

impl CreditRows {
    /// The credit `refund` gives on `order`; `new_id` numbers its manual
    /// rows.
    pub fn for_order(order: &Order, refund: &Refund, mut new_id: impl FnMut() -> u64) -> ApiResult<Self> {
        let manual = |id: u64, name: &str, price: f64, tax: f64| OrderRow {
            id,
            product_id: None,
            attribute_combination_id: None,
            product_name: name.to_string(),
            product_number: String::new(),
            sub_sku_number: None,
            sub_ean_number: None,
            count: 1.0,
            price,
            discount: 0.0,
            tax,
            unit: "pcs".into(),
            weight: 0.0,
            package_id: 1,
            attributes: Vec::new(),
            purchase_price: None,
            custom_price: true,
        };
        let rate = order.shipping_tax_percentage;
        match refund {
            Refund::Full => {
                let totals = order.totals();
                let mut rows: Vec<OrderRow> =
                    order.rows.iter().map(|r| OrderRow { id: new_id(), ..r.clone() }).collect();
                for (name, amount) in [
                    ("Shipping", order.total_shipping),
                    ("Payment costs", order.paymethod_costs),
                    ("Extra costs", order.extra_costs),
                ] {
                    if amount != 0.0 {
                        rows.push(manual(new_id(), name, amount, rate));
                    }
                }
                for (tax, share) in discount_by_rate(order) {
                    rows.push(manual(new_id(), "Discount", -share, tax));
                }
                Ok(CreditRows {
                    rows,
                    total_shipping: order.total_shipping,
                    total_discounts: totals.total_discounts,
                    total_price: totals.total_price,
                    total_tax: totals.total_tax,
                })
            }
            Refund::Rows(refunded) => {
                if refunded.is_empty() {
                    return Err(ApiError::validation("a refund of rows names at least one row"));
                }
                let mut rows = Vec::new();
                for r in refunded {
                    let row = order.rows.iter().find(|o| o.id == r.orderrow_id).ok_or_else(|| {
                        ApiError::validation(format!("order {} has no row {}", order.id, r.orderrow_id))
                    })?;
                    if r.count.is_nan() || r.count <= 0.0 || r.count > row.count {
                        return Err(ApiError::validation(format!(
                            "row {} can be refunded 0 < count <= {}, got {}",
                            row.id, row.count, r.count
                        )));
                    }
                    rows.push(OrderRow { id: new_id(), count: r.count, ..row.clone() });
                }
                Ok(CreditRows::of_rows(order, rows))
            }
            Refund::Amount { amount, tax } => {
                if amount.is_nan() || *amount <= 0.0 {
                    return Err(ApiError::validation(format!("a refunded amount is above 0, got {amount}")));
                }
                let tax = if order.shipping_tax_percentage == 0.0 { 0.0 } else { tax.unwrap_or(rate) };
                Ok(CreditRows::of_rows(order, vec![manual(new_id(), "Refund", round2(*amount), tax)]))
            }
        }
    }
}

/// A credit's rows and totals, before it is numbered.
pub struct CreditRows {
    pub rows: Vec<OrderRow>,
    pub total_shipping: f64,
    pub total_discounts: f64,
    pub total_price: f64,
    pub total_tax: f64,
}

impl CreditRows {
    /// Totals of rows alone, by the order's own rule.
    fn of_rows(order: &Order, rows: Vec<OrderRow>) -> Self {
        let alone = Order {
            rows: rows.clone(),
            total_shipping: 0.0,
            paymethod_costs: 0.0,
            extra_costs: 0.0,
            coupon: None,
            ..order.clone()
        };
        let totals = alone.totals();
        CreditRows {
            rows,
            total_shipping: 0.0,
            total_discounts: 0.0,
            total_price: totals.total_price,
            total_tax: totals.total_tax,
        }
    }
}

/// The order's coupon split over its rows' VAT rates in proportion (the
/// last rate takes what rounding leaves).
fn discount_by_rate(order: &Order) -> Vec<(f64, f64)> {
    let Some(discount) = order.coupon.as_ref().map(|c| c.discount).filter(|d| *d != 0.0) else {
        return Vec::new();
    };
    let mut by_rate: Vec<(f64, f64)> = Vec::new();
    for row in &order.rows {
        match by_rate.iter_mut().find(|(rate, _)| *rate == row.tax) {
            Some((_, total)) => *total += row.total_price(),
            None => by_rate.push((row.tax, row.total_price())),
        }
    }
    let total: f64 = by_rate.iter().map(|(_, t)| t).sum();
    let mut left = discount;
    let last = by_rate.len().saturating_sub(1);
    by_rate
        .iter()
        .enumerate()
        .map(|(i, (rate, amount))| {
            let share = if i == last || total == 0.0 { round2(left) } else { round2(discount * amount / total) };
            left -= share;
            (*rate, share)
        })
        .collect()
}
