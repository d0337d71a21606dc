//! Orders, and the stock they reserve: every article's reserved balance is
//! the undelivered quantity on draft and ongoing orders.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use super::documents::{CUSTOMER_FIELDS, copy_from_customer, customer, includes_vat, price_rows};
use super::{merge, stamp_times};
use crate::books::{Books, Kind, round2};
use crate::errors::{ApiError, code};

const DRAFT: i64 = 1;
const ONGOING: i64 = 2;

pub fn prepare(books: &mut Books, input: &Map<String, Value>, existing: Option<&Value>) -> Result<Value, ApiError> {
    let mut order = merge(Kind::Orders.schema(), input, existing);
    let customer = customer(books, &order)?;
    let gross = includes_vat(books, &customer);
    copy_from_customer(&mut order, &customer, CUSTOMER_FIELDS);
    order["IncludesVat"] = json!(gross);
    let totals = price_rows(books, &mut order, "OrderRowApi", gross)?;
    order["Amount"] = json!(totals.gross());
    order["VatAmount"] = json!(totals.vat);
    order["RoundingsAmount"] = json!(0.0);
    order["Number"] = match existing {
        Some(existing) => existing["Number"].clone(),
        None => json!(books.take_number("NextOrderNumber")),
    };
    stamp_times(&mut order, existing, "ModifiedUtc");
    Ok(order)
}

/// Shipped and invoiced orders cannot be deleted.
pub fn check_delete(order: &Value) -> Result<(), ApiError> {
    match order["Status"].as_i64() {
        Some(DRAFT | ONGOING) => Ok(()),
        _ => Err(ApiError::new(
            axum::http::StatusCode::BAD_REQUEST,
            code::CANNOT_BE_DELETED,
            "Shipped or invoiced orders cannot be deleted.",
        )),
    }
}

/// Recomputes `StockBalanceReserved` and `StockBalanceAvailable` of every
/// article from the open orders.
pub fn reserve_stock(books: &mut Books) {
    let mut reserved: HashMap<String, f64> = HashMap::new();
    for order in books.all(Kind::Orders) {
        if !matches!(order["Status"].as_i64(), Some(DRAFT | ONGOING)) {
            continue;
        }
        for row in order["Rows"].as_array().into_iter().flatten() {
            if let Some(article) = row["ArticleId"].as_str() {
                let open = row["Quantity"].as_f64().unwrap_or_default()
                    - row["DeliveredQuantity"].as_f64().unwrap_or_default();
                *reserved.entry(article.to_lowercase()).or_default() += open.max(0.0);
            }
        }
    }
    for article in books.all_mut(Kind::Articles) {
        let id = article["Id"].as_str().unwrap_or_default().to_lowercase();
        let held = if article["IsStock"] == true { reserved.get(&id).copied().unwrap_or_default() } else { 0.0 };
        let balance = article["StockBalance"].as_f64().unwrap_or_default();
        article["StockBalanceReserved"] = json!(round2(held));
        article["StockBalanceAvailable"] = json!(round2(balance - held));
    }
}
