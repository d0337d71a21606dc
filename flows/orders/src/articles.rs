//! Every article row must name an article the books know. Known SKUs are
//! remembered across runs; a missing one is parked, created, or replaced by
//! a generic article, as the settings say.

use trestle::sync::product_sink::{self, UpdateMask};
use trestle::sync::product_source;
use trestle_guest::Error;
use trestle_guest::types::{LineKind, Order, OrderLine, Product};

use crate::ledger;
use crate::settings::{MissingArticle, Settings};
use crate::trestle;

/// The article number each line is booked on (None: a free-text row).
/// Shipping, payment fees, discounts and extra costs use the articles the
/// settings name for them (`article.shipping`, or per VAT rate
/// `article.shipping.21` ...), if any.
pub fn resolve(order: &Order, settings: &Settings) -> Result<Vec<Option<String>>, Error> {
    let mut out = Vec::with_capacity(order.lines.len());
    for line in &order.lines {
        let number = match line.kind {
            LineKind::Article if line.sku.is_empty() => {
                return Err(Error::Invalid(format!("line \"{}\" has no SKU, so no article can be found", line.name)));
            }
            LineKind::Article => Some(line.sku.clone()),
            other => settings.line_article(line_kind_name(other), line.vat_rate).cloned(),
        };
        out.push(match number {
            Some(n) => Some(ensure(&n, line, order, settings)?),
            None => None,
        });
    }
    Ok(out)
}

pub fn line_kind_name(kind: LineKind) -> &'static str {
    match kind {
        LineKind::Article => "article",
        LineKind::Shipping => "shipping",
        LineKind::PaymentFee => "payment-fee",
        LineKind::Discount => "discount",
        LineKind::Coupon => "coupon",
        LineKind::ExtraCost => "extra-cost",
    }
}

fn ensure(number: &str, line: &OrderLine, order: &Order, settings: &Settings) -> Result<String, Error> {
    let memo = format!("article/{number}");
    if ledger::remembered(&memo).is_some() {
        return Ok(number.to_string());
    }
    if product_source::get_product(number)?.is_some() {
        ledger::remember(&memo, "1");
        return Ok(number.to_string());
    }
    match &settings.missing_article {
        MissingArticle::Park => Err(Error::NotFound(format!(
            "article {number} (\"{}\") does not exist in the books: create it there, or set missing_article = \"create\"",
            line.name
        ))),
        MissingArticle::Generic(generic) if line.kind == LineKind::Article => Ok(generic.clone()),
        MissingArticle::Generic(_) | MissingArticle::Create => {
            product_sink::upsert_product(&from_line(number, line, order), UpdateMask::all())?;
            ledger::remember(&memo, "1");
            Ok(number.to_string())
        }
    }
}

/// Forgets that these articles exist, after the books refused a document:
/// one of them may have been removed since.
pub fn forget(order: &Order) {
    for line in order.lines.iter().filter(|l| !l.sku.is_empty()) {
        ledger::forget(&format!("article/{}", line.sku));
    }
}

/// An article made from an order line. Cost and discount articles get no
/// price of their own: every row sets its price.
fn from_line(number: &str, line: &OrderLine, order: &Order) -> Product {
    let unit_price = if line.kind == LineKind::Article { line.unit_price } else { 0.0 };
    let factor = 1.0 + line.vat_rate / 100.0;
    let (excl, incl) =
        if line.prices_include_vat { (unit_price / factor, unit_price) } else { (unit_price, unit_price * factor) };
    Product {
        sku: number.to_string(),
        name: line.name.clone(),
        short_description: None,
        long_description: None,
        price_excl_vat: (excl * 100.0).round() / 100.0,
        price_incl_vat: (incl * 100.0).round() / 100.0,
        vat_rate: line.vat_rate,
        ean: None,
        currency: order.currency.clone(),
        unit: None,
        category: Vec::new(),
        active: true,
        stock_managed: true,
        origin: None,
        custom_fields: Vec::new(),
    }
}
