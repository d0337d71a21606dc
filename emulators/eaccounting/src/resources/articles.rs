//! Articles: coding and unit must exist, numbers are unique, and net and
//! gross price must agree at the coding's VAT rate (the API checks this).

use serde_json::{Map, Value, json};

use super::{merge, required_reference, stamp_times};
use crate::books::{Books, Kind, round2};
use crate::errors::{ApiError, FieldError, code};

pub fn prepare(books: &mut Books, input: &Map<String, Value>, existing: Option<&Value>) -> Result<Value, ApiError> {
    let mut article = merge(Kind::Articles.schema(), input, existing);
    let coding = required_reference(books, Kind::ArticleAccountCodings, &article, "CodingId")?.clone();
    let unit = required_reference(books, Kind::Units, &article, "UnitId")?.clone();
    let number = article["Number"].as_str().unwrap_or_default().to_string();
    if books.all(Kind::Articles).iter().any(|a| a["Number"] == number.as_str() && a["Id"] != article["Id"]) {
        return Err(ApiError::field(
            code::CONFLICT,
            FieldError::new("Number", "Duplicate", format!("An article with number '{number}' already exists.")),
        ));
    }
    set_prices(&mut article, input, coding["VatRatePercent"].as_f64().unwrap_or_default())?;
    // The demo company runs the stock module, so StockBalance is read-only
    // on write: it keeps its value (0 for a new article).
    article["StockBalance"] = existing.map_or(json!(0.0), |e| e["StockBalance"].clone());
    let is_service = coding["Type"] == "Service";
    article["CodingName"] = coding["Name"].clone();
    article["IsServiceArticle"] = json!(is_service);
    article["ShowStockInformation"] = json!(!is_service);
    article["UnitName"] = unit["Name"].clone();
    article["UnitAbbreviation"] = unit["Abbreviation"].clone();
    stamp_times(&mut article, existing, "ChangedUtc");
    Ok(article)
}

/// Completes the price that was left out; refuses a pair that disagrees.
fn set_prices(article: &mut Value, input: &Map<String, Value>, rate: f64) -> Result<(), ApiError> {
    let given = |field: &str| input.get(field).and_then(Value::as_f64);
    match (given("NetPrice"), given("GrossPrice")) {
        (Some(net), Some(gross)) => {
            let expected = round2(net * (1.0 + rate));
            if (expected - gross).abs() > 0.011 {
                let message = format!(
                    "GrossPrice {gross:.2} does not match NetPrice {net:.2} at the coding's VAT rate of {}% (expected {expected:.2}).",
                    round2(rate * 100.0)
                );
                return Err(ApiError::validation(
                    message.clone(),
                    vec![FieldError::new("GrossPrice", "Mismatch", message)],
                ));
            }
        }
        (Some(net), None) => article["GrossPrice"] = json!(round2(net * (1.0 + rate))),
        (None, Some(gross)) => article["NetPrice"] = json!(round2(gross / (1.0 + rate))),
        (None, None) => {}
    }
    Ok(())
}
