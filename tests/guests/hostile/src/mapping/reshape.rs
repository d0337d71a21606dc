//! Records spoilt the ways a careless or hostile mapping spoils them; each
//! feature spoils one way, without a feature records pass unchanged.

use super::trestle::sync::types::{Customer, Order, Product, StockLevel};

/// "WEB-1001" -> "WEB-1002": the next record's identity.
#[cfg(feature = "changes-identity")]
fn next(id: &str) -> String {
    let digits = id.len() - id.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    let (prefix, number) = id.split_at(id.len() - digits);
    format!("{prefix}{}", number.parse::<u64>().unwrap_or(0) + 1)
}

#[cfg(feature = "changes-identity")]
pub fn order(mut order: Order) -> Result<Order, String> {
    order.source_id = next(&order.source_id);
    order.order_number = next(&order.order_number);
    Ok(order)
}

/// One kind of nonsense per order, by the last digit of its number.
#[cfg(feature = "nonsense-numbers")]
pub fn order(mut order: Order) -> Result<Order, String> {
    let digit = order.order_number.chars().last().and_then(|c| c.to_digit(10)).unwrap_or(0);
    let line = &mut order.lines[0];
    match digit {
        0 => line.quantity = -5.0,
        1 => line.quantity = 1e300,
        2 => line.discount = 1e300,
        3 => line.vat_rate = -21.0,
        4 => {
            let copy = order.lines[0].clone();
            order.lines = vec![copy; 10_000];
        }
        5 => order.total_incl_vat = f64::NAN,
        6 => order.total_incl_vat = f64::INFINITY,
        7 => order.total_incl_vat = -1e308,
        8 => line.unit_price = 1e300,
        _ => line.name = "x".repeat(1 << 20),
    }
    Ok(order)
}

#[cfg(feature = "many-custom-fields")]
pub fn order(mut order: Order) -> Result<Order, String> {
    order.custom_fields = (0..200_000).map(|i| (format!("Field{i}"), "\"x\"".to_string())).collect();
    Ok(order)
}

/// Articles at 9 % VAT where the shop charged 21 %, for a buyer made a
/// company: a valid order (its totals follow its lines) which the books, on
/// net prices and the articles' own 21 %, total otherwise.
#[cfg(feature = "relabels-vat")]
pub fn order(mut order: Order) -> Result<Order, String> {
    use super::trestle::sync::types::CustomerKind;
    order.customer.kind = CustomerKind::Company;
    order.customer.company_name.get_or_insert_with(|| format!("{} Trading", order.customer.last_name));
    for line in order.lines.iter_mut().filter(|l| l.vat_rate == 21.0) {
        if !line.prices_include_vat {
            let net = (line.unit_price - line.discount) * line.quantity;
            order.total_incl_vat -= net * 0.12;
            order.total_vat -= net * 0.12;
        }
        line.vat_rate = 9.0;
    }
    Ok(order)
}

/// One owned field per order, by the last digit of its number, so a run
/// shows each being refused: 0, 3, 6, 9 our reference; 1, 4, 7 the rows;
/// 2, 5, 8 the customer.
#[cfg(feature = "owned-custom-fields")]
pub fn order(mut order: Order) -> Result<Order, String> {
    let digit = order.order_number.chars().last().and_then(|c| c.to_digit(10)).unwrap_or(0);
    let (field, value) = match digit % 3 {
        0 => ("OurReference", "\"HIJACKED-1\"".to_string()),
        1 => ("Rows", "[]".to_string()),
        _ => ("CustomerId", "\"00000000-0000-0000-0000-000000000001\"".to_string()),
    };
    order.custom_fields.push((field.to_string(), value));
    Ok(order)
}

#[cfg(feature = "huge-refusal")]
pub fn order(_: Order) -> Result<Order, String> {
    Err("no ".repeat((10 << 20) / 3))
}

#[cfg(not(any(
    feature = "changes-identity",
    feature = "nonsense-numbers",
    feature = "many-custom-fields",
    feature = "relabels-vat",
    feature = "huge-refusal",
    feature = "owned-custom-fields"
)))]
pub fn order(order: Order) -> Result<Order, String> {
    Ok(order)
}

pub fn customer(mut customer: Customer) -> Customer {
    if cfg!(feature = "changes-identity") {
        customer.source_id.push_str("-2");
    }
    customer
}

pub fn product(mut product: Product) -> Product {
    if cfg!(feature = "changes-identity") {
        product.sku.push_str("-X");
    }
    product
}

pub fn stock(mut level: StockLevel) -> StockLevel {
    if cfg!(feature = "changes-identity") {
        level.sku.push_str("-X");
    }
    level
}
