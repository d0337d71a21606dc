//! Orders, their rows, and how the money adds up.
//!
//! One rule for every amount: it is stated in the order's price basis (incl.
//! VAT when `prices_include_tax`, else excl.), its VAT is derived from it and
//! rounded to cents, and the order totals are sums of those rounded parts, so
//! `total_price` = rows + shipping + payment costs + extra costs − discounts
//! (all incl. VAT) and `total_tax` is the sum of the parts' VAT.

use chrono::{DateTime, Utc};
use emulator_kit::seed::round2;
use serde::Serialize;

use super::Customer;

#[derive(Debug, Clone, Serialize)]
pub struct Order {
    pub id: u64,
    pub ordernumber: Option<u64>,
    pub invoicenumber: Option<u64>,
    pub create_date: DateTime<Utc>,
    pub status: Option<u8>,
    /// False for an abandoned basket.
    pub is_completed: bool,
    pub paid: bool,
    pub user_id: Option<u64>,
    pub customer: Customer,
    pub paymethod_id: u64,
    pub transaction_id: Option<String>,
    pub deliver_method: String,
    /// One flag for rows, shipping and costs (the API reports three).
    pub prices_include_tax: bool,
    pub is_intra_community_order: bool,
    pub shipping_tax_percentage: f64,
    pub total_shipping: f64,
    pub paymethod_costs: f64,
    pub extra_costs: f64,
    pub coupon: Option<Coupon>,
    pub track_and_trace_code: Option<String>,
    pub track_and_trace_carrier: Option<String>,
    pub rows: Vec<OrderRow>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Coupon {
    pub code: String,
    /// Amount off the order, in the order's price basis.
    pub discount: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct OrderRow {
    pub id: u64,
    pub product_id: Option<u64>,
    pub attribute_combination_id: Option<u64>,
    pub product_name: String,
    pub product_number: String,
    pub sub_sku_number: Option<String>,
    pub sub_ean_number: Option<String>,
    pub count: f64,
    /// Unit price before discount.
    pub price: f64,
    /// Per unit.
    pub discount: f64,
    /// Percent.
    pub tax: f64,
    pub unit: String,
    pub weight: f64,
    pub package_id: u64,
    pub attributes: Vec<(String, String)>,
    /// Excl. VAT, from the product when the row was filled from one.
    pub purchase_price: Option<f64>,
    /// Whether the row's price was given rather than taken from the product.
    pub custom_price: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Paymethod {
    pub id: u64,
    pub psp: String,
    pub method: String,
    pub label: String,
    pub extra_costs_fixed: f64,
}

impl Paymethod {
    pub fn combined_name(&self) -> String {
        format!("{}_{}", self.psp, self.method)
    }
}

impl OrderRow {
    pub fn selling_price(&self) -> f64 {
        round2(self.price - self.discount)
    }

    pub fn total_price(&self) -> f64 {
        round2(self.selling_price() * self.count)
    }
}

/// An amount in the order's basis, split into VAT and the amount incl. VAT.
#[derive(Debug, Clone, Copy, Default)]
struct Part {
    tax: f64,
    incl: f64,
}

fn part(amount: f64, rate: f64, includes_tax: bool) -> Part {
    if includes_tax {
        Part { tax: round2(amount * rate / (100.0 + rate)), incl: amount }
    } else {
        let tax = round2(amount * rate / 100.0);
        Part { tax, incl: round2(amount + tax) }
    }
}

/// The order's derived money fields.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Totals {
    pub total_orderrow_price: f64,
    pub total_discounts: f64,
    pub total_tax: f64,
    pub total_price: f64,
}

impl Order {
    pub fn totals(&self) -> Totals {
        let incl = self.prices_include_tax;
        let rows: Vec<Part> = self.rows.iter().map(|r| part(r.total_price(), r.tax, incl)).collect();
        let row_total: f64 = round2(self.rows.iter().map(OrderRow::total_price).sum());
        let row_tax: f64 = round2(rows.iter().map(|p| p.tax).sum());
        let row_incl: f64 = round2(rows.iter().map(|p| p.incl).sum());
        let costs = [self.total_shipping, self.paymethod_costs, self.extra_costs]
            .map(|amount| part(amount, self.shipping_tax_percentage, incl));
        // A coupon lowers every rate in proportion to the rows' share.
        let discount = self.coupon.as_ref().map_or(0.0, |c| c.discount);
        let discount_tax = if row_total == 0.0 { 0.0 } else { round2(row_tax * discount / row_total) };
        let discount_incl = if incl { discount } else { round2(discount + discount_tax) };
        Totals {
            total_orderrow_price: row_total,
            total_discounts: discount,
            total_tax: round2(row_tax + costs.iter().map(|p| p.tax).sum::<f64>() - discount_tax),
            total_price: round2(row_incl + costs.iter().map(|p| p.incl).sum::<f64>() - discount_incl),
        }
    }
}
