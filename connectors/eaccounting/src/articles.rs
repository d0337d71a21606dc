//! Articles as products and stock levels. An article's number is the SKU;
//! its coding decides the VAT rate (and revenue accounts), so writing a
//! product picks the coding of the product's VAT rate and sends net and
//! gross prices that agree at that rate. The EAN goes in as a barcode.

use serde_json::{Value, json};
use trestle_guest::Error;
use trestle_guest::log::{self, Level};
use trestle_guest::types::{Product, StockLevel};

use crate::client::{self, literal};
use crate::codings::{self, Sort, same_id};
use crate::exports::trestle::sync::product_sink::{UpdateMask, UpsertOutcome, UpsertResult};
use crate::exports::trestle::sync::product_source::{ProductFilter, ProductPage};
use crate::exports::trestle::sync::stock_source::StockPage;
use crate::json::{self, round2};
use crate::origin::{self, Part};
use crate::reference::{self, Kind, coding_vat_percent};
use crate::{company, custom_fields, percent, remembered};

const WHAT: &str = "eAccounting article";
/// eAccounting's only barcode type.
const BARCODE_DEFAULT: i64 = 0;
/// Unit codes taken for "one piece" when a product names no unit.
const PIECE_UNITS: &[&str] = &["pcs", "st", "stk", "styck", "kpl", "piece"];

pub fn list_products(filter: &ProductFilter, cursor: Option<&str>) -> Result<ProductPage, Error> {
    let mut clauses = Vec::new();
    if filter.active_only {
        clauses.push("IsActive eq true".to_string());
    }
    if let Some(prefix) = &filter.sku_prefix {
        clauses.push(format!("startswith(Number,{})", literal(prefix)));
    }
    if let Some(expression) = filter.expression.as_deref().filter(|e| !e.trim().is_empty()) {
        clauses.push(format!("({expression})"));
    }
    let options: Vec<(&str, String)> =
        if clauses.is_empty() { vec![] } else { vec![("$filter", clauses.join(" and "))] };
    let page = client::list_page("/articles", &options, cursor)?;
    let products = page.items.iter().map(to_product).collect::<Result<_, _>>()?;
    Ok(ProductPage { products, next: page.next })
}

pub fn get_product(sku: &str) -> Result<Option<Product>, Error> {
    find(sku)?.as_ref().map(to_product).transpose()
}

pub fn list_stock(cursor: Option<&str>) -> Result<StockPage, Error> {
    let page = client::list_page("/articles", &[("$filter", "IsStock eq true".to_string())], cursor)?;
    let levels = page
        .items
        .iter()
        .map(|article| {
            Ok(StockLevel {
                sku: json::string(article, "Number", WHAT)?,
                on_hand: json::number(article, "StockBalance", WHAT)?,
                reserved: json::number(article, "StockBalanceReserved", WHAT)?,
                available: json::number(article, "StockBalanceAvailable", WHAT)?,
                origin: origin::of(article, Part::Stock)?,
                custom_fields: Vec::new(),
            })
        })
        .collect::<Result<_, Error>>()?;
    Ok(StockPage { levels, next: page.next })
}

thread_local! {
    /// Article number -> id, per instance (= per run): a document's rows
    /// name articles by number, the API wants their ids.
    static IDS: std::cell::RefCell<std::collections::HashMap<String, String>> = Default::default();
}

/// The id of the article with this number (the contract's bookings name
/// articles by number, i.e. the SKU).
pub fn id_for_number(number: &str) -> Result<String, Error> {
    if let Some(id) = IDS.with(|ids| ids.borrow().get(number).cloned()) {
        return Ok(id);
    }
    let article =
        find(number)?.ok_or_else(|| Error::NotFound(format!("article {number} does not exist in eAccounting")))?;
    let id = json::string(&article, "Id", WHAT)?;
    IDS.with(|ids| ids.borrow_mut().insert(number.to_string(), id.clone()));
    Ok(id)
}

fn find(sku: &str) -> Result<Option<Value>, Error> {
    client::find_one("/articles", format!("Number eq {}", literal(sku)))
}

fn to_product(article: &Value) -> Result<Product, Error> {
    let sku = json::string(article, "Number", WHAT)?;
    let what = format!("{WHAT} {sku}");
    let net = json::number(article, "NetPrice", &what)?;
    let gross = json::number(article, "GrossPrice", &what)?;
    let coding_id = json::string(article, "CodingId", &what)?;
    let codings = reference::items(Kind::ArticleAccountCodings)?;
    let vat_rate = match codings.iter().find(|c| same_id(c, &coding_id)) {
        Some(coding) => coding_vat_percent(coding)?,
        // A coding we cannot see: the prices still tell the rate.
        None if net > 0.0 => round2((gross / net - 1.0) * 100.0),
        None => 0.0,
    };
    let ean = json::array(article, "Barcodes", &what)?
        .iter()
        .find_map(|b| b["Barcode"].as_str().filter(|code| !code.is_empty()).map(str::to_string));
    let stock = ["StockBalance", "StockBalanceReserved", "StockBalanceAvailable"]
        .into_iter()
        .map(|field| Ok((field.to_string(), json::number(article, field, &what)?.to_string())))
        .collect::<Result<_, Error>>()?;
    let unit = json::optional_string(article, "UnitAbbreviation", &what)?
        .or(json::optional_string(article, "UnitName", &what)?);
    Ok(Product {
        name: json::optional_string(article, "Name", &what)?.unwrap_or_default(),
        short_description: None,
        long_description: json::optional_string(article, "Note", &what)?,
        price_excl_vat: net,
        price_incl_vat: gross,
        vat_rate,
        ean,
        currency: company::currency()?,
        unit,
        category: Vec::new(),
        active: json::flag(article, "IsActive", &what)?,
        stock_managed: json::flag(article, "IsStock", &what)?,
        service: codings::is_service(&coding_id)? || remembered::created_as_service(&sku)?,
        origin: origin::of(article, Part::Article)?,
        custom_fields: stock,
        sku,
    })
}

pub fn upsert(product: &Product, mask: UpdateMask) -> Result<UpsertResult, Error> {
    let what = format!("product {}", product.sku);
    match find(&product.sku)? {
        None => {
            let sort = if product.service { Sort::Service } else { Sort::Goods };
            let coding = codings::for_rate(product.vat_rate, sort)?;
            let mut body = json!({
                "Number": product.sku,
                "IsStock": product.stock_managed,
                "UnitId": unit_for(product.unit.as_deref())?,
            });
            apply(&mut body, product, UpdateMask::all(), &coding)?;
            custom_fields::merge(&mut body, &product.custom_fields, &custom_fields::Target::article(), &what)?;
            // What the article is, recorded before it is created, so that a
            // run killed in between still knows it afterwards.
            if let Some(system) = &product.origin {
                origin::intend(&product.sku, system)?;
            }
            if product.service {
                remembered::service(&product.sku)?;
            }
            let created = client::post("/articles", &body)?;
            let id = json::string(&created, "Id", &format!("{WHAT} just created"))?;
            if let Some(system) = &product.origin {
                origin::remember(&product.sku, system, &created)?;
            }
            Ok(UpsertResult { id, outcome: UpsertOutcome::Created, note: None })
        }
        Some(existing) => {
            let id = json::string(&existing, "Id", WHAT)?;
            let current_coding = json::string(&existing, "CodingId", WHAT)?;
            let coding = if mask.contains(UpdateMask::VAT) {
                codings::for_rate(product.vat_rate, codings::sort_of(&current_coding, Sort::Goods)?)?
            } else {
                codings::by_id(&current_coding)?
            };
            let mut body = existing.clone();
            apply(&mut body, product, mask, &coding)?;
            if mask.contains(UpdateMask::UNIT) && product.unit.is_some() {
                body["UnitId"] = json!(unit_for(product.unit.as_deref())?);
            }
            custom_fields::merge(&mut body, &product.custom_fields, &custom_fields::Target::article(), &what)?;
            let changed = changed_fields(&existing, &body);
            if changed.is_empty() {
                return Ok(UpsertResult { id, outcome: UpsertOutcome::Unchanged, note: None });
            }
            client::put(&format!("/articles/{}", percent::encode(&id)), &body)?;
            // Written again from the copy it came from, a shop-originated
            // article is still that copy; written from anything else, it is
            // the books' own now.
            match &product.origin {
                Some(_) => origin::refresh(&product.sku, &body)?,
                None => origin::forget(&product.sku),
            }
            log::log(
                Level::Info,
                &format!("article {} updated: {}", product.sku, changed.join(", ")),
                &[("id".into(), id.clone())],
            );
            Ok(UpsertResult { id, outcome: UpsertOutcome::Updated, note: None })
        }
    }
}

/// Writes the fields `mask` lets us overwrite.
fn apply(body: &mut Value, product: &Product, mask: UpdateMask, coding: &Value) -> Result<(), Error> {
    if mask.contains(UpdateMask::NAME) {
        body["Name"] = json!(product.name);
    }
    if mask.contains(UpdateMask::DESCRIPTIONS) {
        body["Note"] = json!(product.long_description.clone().or_else(|| product.short_description.clone()));
    }
    if mask.contains(UpdateMask::VAT) {
        body["CodingId"] = coding["Id"].clone();
    }
    if mask.contains(UpdateMask::PRICE) {
        let (net, gross) = prices(product, coding_vat_percent(coding)?);
        body["NetPrice"] = json!(net);
        body["GrossPrice"] = json!(gross);
    }
    if mask.contains(UpdateMask::EAN) {
        let barcodes: Vec<Value> =
            product.ean.iter().map(|ean| json!({"Barcode": ean, "BarcodeType": BARCODE_DEFAULT})).collect();
        body["Barcodes"] = json!(barcodes);
    }
    if mask.contains(UpdateMask::ACTIVE) {
        body["IsActive"] = json!(product.active);
    }
    Ok(())
}

/// Net and gross price at `rate` percent. The gross price is the one a shop
/// shows its buyers, so it is kept exact when there is one and the net price
/// follows (they then agree to the cent, as the API demands).
fn prices(product: &Product, rate: f64) -> (f64, f64) {
    let factor = 1.0 + rate / 100.0;
    if product.price_incl_vat > 0.0 {
        let gross = round2(product.price_incl_vat);
        (round2(gross / factor), gross)
    } else {
        let net = round2(product.price_excl_vat);
        (net, round2(net * factor))
    }
}

fn changed_fields(before: &Value, after: &Value) -> Vec<String> {
    let Some(after) = after.as_object() else {
        return Vec::new();
    };
    after
        .iter()
        .filter(|(field, value)| !before.get(field.as_str()).is_some_and(|old| json::same(old, value)))
        .map(|(field, _)| field.clone())
        .collect()
}

/// The unit whose code, abbreviation or name is `unit`; for none, a piece.
fn unit_for(unit: Option<&str>) -> Result<String, Error> {
    let units = reference::items(Kind::Units)?;
    let matches = |item: &Value, wanted: &str| {
        ["Code", "Abbreviation", "AbbreviationEnglish", "Name"]
            .iter()
            .any(|field| item[*field].as_str().is_some_and(|v| v.eq_ignore_ascii_case(wanted.trim())))
    };
    let found = match unit {
        Some(wanted) => units.iter().find(|u| matches(u, wanted)),
        None => units.iter().find(|u| PIECE_UNITS.iter().any(|piece| matches(u, piece))).or(units.first()),
    };
    let found = found.ok_or_else(|| {
        let known: Vec<&str> = units.iter().filter_map(|u| u["Code"].as_str()).collect();
        Error::Invalid(format!(
            "unit `{}` is not one of eAccounting's units ({})",
            unit.unwrap_or("piece"),
            known.join(", ")
        ))
    })?;
    json::string(found, "Id", "eAccounting unit")
}
