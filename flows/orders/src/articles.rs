//! Every article row must name an article the books know. Known SKUs are
//! remembered across runs; a missing one is parked, created, or replaced by
//! a generic article, as the settings say.
//!
//! An article created for a sold product copies the shop's product (name,
//! EAN, active, VAT rate, prices), never the order row that needed it first:
//! that row may be an intra-community sale at 0 %. It is marked as the
//! shop's (origin "shop") and keeps no stock in the books, since the shop
//! keeps it. A cost or discount article is a service, named for its kind and
//! rate, at the rate of its line.

use trestle::sync::order_source;
use trestle::sync::product_sink::{self, UpdateMask};
use trestle::sync::product_source;
use trestle_guest::Error;
use trestle_guest::log::{self, Level};
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
    if known(number)? {
        return Ok(number.to_string());
    }
    let article = match &settings.missing_article {
        MissingArticle::Park => return Err(missing(number, &line.name)),
        MissingArticle::Generic(generic) if line.kind == LineKind::Article => return Ok(generic.clone()),
        MissingArticle::Generic(_) | MissingArticle::Create if line.kind == LineKind::Article => {
            sold_product(number, line, order)?
        }
        MissingArticle::Generic(_) | MissingArticle::Create => cost_article(number, line, order, settings)?,
    };
    let (kind, rate) = (line_kind_name(line.kind), article.vat_rate);
    create(&article, &format!("the {kind} article {number} at {rate} % VAT"), &format!("article.{kind}.{rate}"))?;
    Ok(number.to_string())
}

/// The article rounding rows are booked on (`rounding_article`), created
/// when missing unless missing articles are parked. The rows are VAT free
/// (only invoices and quotes take rounding rows), so its coding decides the
/// revenue account alone: a service at the order's highest rate, as the
/// books code services at 0 % only where the bookkeeper made such a coding.
pub fn ensure_rounding(number: &str, order: &Order, settings: &Settings) -> Result<(), Error> {
    if known(number)? {
        return Ok(());
    }
    if settings.missing_article == MissingArticle::Park {
        return Err(missing(number, "rounding rows"));
    }
    let rate = order.lines.iter().map(|l| l.vat_rate).fold(0.0, f64::max);
    if rate <= 0.0 {
        return Err(Error::NotFound(format!(
            "the rounding article {number} does not exist in the books, and this order has no VAT rate to create \
             it at (an intra-community or export sale): create {number} in the books"
        )));
    }
    let article = Product { name: "Rounding".into(), vat_rate: rate, ..cost_product(number, &order.currency) };
    create(&article, &format!("the rounding article {number} at {rate} % VAT"), "rounding_article")
}

/// Whether the books have article `number` (remembered once seen).
fn known(number: &str) -> Result<bool, Error> {
    let memo = format!("article/{number}");
    if ledger::remembered(&memo).is_some() {
        return Ok(true);
    }
    let exists = product_source::get_product(number)?.is_some();
    if exists {
        ledger::remember(&memo, "1");
    }
    Ok(exists)
}

fn missing(number: &str, what: &str) -> Error {
    Error::NotFound(format!(
        "article {number} (\"{what}\") does not exist in the books: create it there, or set missing_article = \
         \"create\""
    ))
}

/// Creates `article` in the books; a service article the books refuse is
/// explained with `setting`, which names another article instead.
fn create(article: &Product, what: &str, setting: &str) -> Result<(), Error> {
    product_sink::upsert_product(article, UpdateMask::all()).map_err(|e| match e {
        Error::Invalid(why) if article.service => Error::Invalid(format!(
            "cannot create {what}: {why}. Create {} in the books with the coding it should have, or name an \
             existing article for these lines: {setting}",
            article.sku
        )),
        e => e,
    })?;
    ledger::remember(&format!("article/{}", article.sku), "1");
    Ok(())
}

/// Forgets that these articles exist, after the books refused a document:
/// one of them may have been removed since.
pub fn forget(order: &Order) {
    for line in order.lines.iter().filter(|l| !l.sku.is_empty()) {
        ledger::forget(&format!("article/{}", line.sku));
    }
}

/// The article for a sold SKU, from the shop's own product; from the order
/// row only when the shop no longer has it, and never from a VAT-exempt
/// row, whose 0 % is not the product's rate.
fn sold_product(number: &str, line: &OrderLine, order: &Order) -> Result<Product, Error> {
    if let Some(shop) = order_source::get_sold_product(number)? {
        return Ok(Product {
            sku: number.to_string(),
            // Descriptions, unit and the shop's own fields are not the
            // books' business (and may not fit them).
            short_description: None,
            long_description: None,
            unit: None,
            category: Vec::new(),
            stock_managed: false,
            service: false,
            origin: Some("shop".into()),
            custom_fields: Vec::new(),
            ..shop
        });
    }
    if order.vat_exempt {
        return Err(Error::NotFound(format!(
            "article {number} (\"{}\") does not exist in the books and the shop no longer has the product, so its \
             VAT rate is unknown (this VAT-exempt order's row has 0 %): create {number} in the books",
            line.name
        )));
    }
    log::log(
        Level::Warn,
        &format!(
            "article {number} created from order {}'s row: the shop no longer has a product {number}, so name, \
             price and VAT rate are the row's",
            order.order_number
        ),
        &[("sku".into(), number.to_string())],
    );
    let (excl, incl) = prices(line.unit_price, line.vat_rate, line.prices_include_vat);
    Ok(Product {
        sku: number.to_string(),
        name: line.name.clone(),
        short_description: None,
        long_description: None,
        price_excl_vat: excl,
        price_incl_vat: incl,
        vat_rate: line.vat_rate,
        ean: None,
        currency: order.currency.clone(),
        unit: None,
        category: Vec::new(),
        active: true,
        stock_managed: false,
        service: false,
        origin: Some("shop".into()),
        custom_fields: Vec::new(),
    })
}

/// A service article for a cost or discount line, with no price of its own
/// (every row sets its price), at the rate it is for (see `cost_rate`).
fn cost_article(number: &str, line: &OrderLine, order: &Order, settings: &Settings) -> Result<Product, Error> {
    let rate = cost_rate(number, line, settings)?;
    Ok(Product {
        name: format!("{} {rate} %", cost_name(line.kind)),
        vat_rate: rate,
        ..cost_product(number, &order.currency)
    })
}

/// A service article with no price of its own (every row sets its price).
fn cost_product(number: &str, currency: &str) -> Product {
    Product {
        sku: number.to_string(),
        name: String::new(),
        short_description: None,
        long_description: None,
        price_excl_vat: 0.0,
        price_incl_vat: 0.0,
        vat_rate: 0.0,
        ean: None,
        currency: currency.to_string(),
        unit: None,
        category: Vec::new(),
        active: true,
        stock_managed: false,
        service: true,
        origin: None,
        custom_fields: Vec::new(),
    }
}

/// The VAT rate a cost article is for: the rate the settings name it for
/// (the line's, if it is one of them); else the line's. A 0 % line (every
/// line of an intra-community or export order is 0 %) does not tell the
/// rate of an article the settings name for every rate, so that one is
/// never created from it: an article made at 0 % would book every later
/// domestic cost without VAT.
fn cost_rate(number: &str, line: &OrderLine, settings: &Settings) -> Result<f64, Error> {
    let kind = line_kind_name(line.kind);
    let same = |a: f64, b: f64| (a - b).abs() < 0.005;
    let real: Vec<f64> = settings.rates_naming(kind, number).into_iter().filter(|r| *r > 0.0).collect();
    if let Some(first) = real.first() {
        return Ok(if real.iter().any(|r| same(*r, line.vat_rate)) { line.vat_rate } else { *first });
    }
    if line.vat_rate > 0.0 || settings.has_rate_articles(kind) {
        return Ok(line.vat_rate);
    }
    Err(Error::NotFound(format!(
        "the {kind} article {number} does not exist in the books, and this order's {kind} line has 0 % VAT (an \
         intra-community or export sale), which does not tell the rate of {number}, the article for every rate: \
         create {number} in the books, or say which rate it is for, e.g. article.{kind} = {{ 21 = \"{number}\", \
         default = \"{number}\" }}"
    )))
}

fn cost_name(kind: LineKind) -> &'static str {
    match kind {
        LineKind::Article => "Article",
        LineKind::Shipping => "Shipping",
        LineKind::PaymentFee => "Payment fee",
        LineKind::Discount => "Discount",
        LineKind::Coupon => "Coupon",
        LineKind::ExtraCost => "Extra cost",
    }
}

/// Net and gross unit price, rounded to cents.
fn prices(price: f64, rate: f64, includes_vat: bool) -> (f64, f64) {
    let factor = 1.0 + rate / 100.0;
    let (excl, incl) = if includes_vat { (price / factor, price) } else { (price, price * factor) };
    ((excl * 100.0).round() / 100.0, (incl * 100.0).round() / 100.0)
}
