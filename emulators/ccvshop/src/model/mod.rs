//! The shop's data as the emulator keeps it; rendering to API JSON lives in
//! `resources`, so this holds facts only.

pub mod catalogue;
pub mod invoice;
pub mod order;
pub mod people;
pub mod webhook;

use std::collections::BTreeMap;

use serde::Serialize;

pub use catalogue::{AttributeCombination, Category, Product, ProductToCategory, StockType, Stored, TaxTariff};
pub use invoice::{CreditInvoice, CreditRows, NewRefund, Refund, RefundedRow};
pub use order::{Coupon, Order, OrderRow, Paymethod};
pub use people::{Customer, User};
pub use webhook::Webhook;

use crate::errors::{ApiError, ApiResult};

#[derive(Debug, Clone, Default, Serialize)]
pub struct Shop {
    pub products: BTreeMap<u64, Product>,
    pub attribute_combinations: BTreeMap<u64, AttributeCombination>,
    pub categories: BTreeMap<u64, Category>,
    pub product_to_categories: BTreeMap<u64, ProductToCategory>,
    pub users: BTreeMap<u64, User>,
    pub orders: BTreeMap<u64, Order>,
    /// Refunds; debit invoices are the orders with an invoice number.
    pub credit_invoices: BTreeMap<u64, CreditInvoice>,
    pub paymethods: BTreeMap<u64, Paymethod>,
    pub webhooks: BTreeMap<u64, Webhook>,
    /// One counter for every kind, so ids are never reused after a delete.
    pub next_id: u64,
    pub next_ordernumber: u64,
    pub next_invoicenumber: u64,
}

/// Looks `id` up in `map` or answers 404 naming the resource.
pub fn find<'a, T>(map: &'a BTreeMap<u64, T>, what: &str, id: u64) -> ApiResult<&'a T> {
    map.get(&id).ok_or_else(|| ApiError::not_found(what, id))
}

pub fn find_mut<'a, T>(map: &'a mut BTreeMap<u64, T>, what: &str, id: u64) -> ApiResult<&'a mut T> {
    map.get_mut(&id).ok_or_else(|| ApiError::not_found(what, id))
}

impl Shop {
    pub fn new_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// Gives a completed order its order number (and, when paid, its invoice
    /// number), as the shop does when checkout finishes.
    pub fn number_order(&mut self, order: &mut Order) {
        if order.is_completed && order.ordernumber.is_none() {
            self.next_ordernumber += 1;
            order.ordernumber = Some(self.next_ordernumber);
        }
        if order.paid && order.invoicenumber.is_none() && order.ordernumber.is_some() {
            self.next_invoicenumber += 1;
            order.invoicenumber = Some(self.next_invoicenumber);
        }
    }

    /// The order holding row `row_id`.
    pub fn order_of_row(&self, row_id: u64) -> ApiResult<&Order> {
        self.orders
            .values()
            .find(|o| o.rows.iter().any(|r| r.id == row_id))
            .ok_or_else(|| ApiError::not_found("orderrow", row_id))
    }
}
