//! Articles created from another system's copy (an article created from a
//! shop order) remember that origin with a snapshot of what was written. As
//! long as the article still reads as it was created, the connector reports
//! the origin with it, so a flow going back to the shop leaves the shop's
//! own record alone: the books hold nothing the shop does not already know.
//! Once a bookkeeper changes the article (or its stock), that part becomes
//! the books' own and is never reported as shop-originated again.

use serde_json::{Value, json};
use trestle_guest::{Error, state};

use crate::{company, json};

/// What the products flows compare.
const ARTICLE_FIELDS: &[&str] =
    &["Name", "NetPrice", "GrossPrice", "CodingId", "Barcodes", "IsActive", "Note", "UnitId"];
/// What the stock flow reads.
const STOCK_FIELDS: &[&str] = &["IsStock", "StockBalance", "StockBalanceReserved"];

fn key(number: &str) -> Result<String, Error> {
    Ok(format!("{}/origin/{number}", company::identity()?))
}

fn snapshot(article: &Value, fields: &[&str]) -> Value {
    Value::Object(fields.iter().map(|f| (f.to_string(), article.get(*f).cloned().unwrap_or(Value::Null))).collect())
}

fn unchanged(article: &Value, snapshot: &Value, fields: &[&str]) -> bool {
    fields.iter().all(|f| json::same(article.get(*f).unwrap_or(&Value::Null), snapshot.get(*f).unwrap_or(&Value::Null)))
}

/// Before the create is sent: a run killed (or an answer lost) between the
/// create and `remember` leaves this intent, and the article found later
/// under the number is that create's.
pub fn intend(number: &str, system: &str) -> Result<(), Error> {
    state::set(&key(number)?, &json!({ "system": system, "pending": true }).to_string());
    Ok(())
}

/// Remembers that `article` (as the books answered its create) was made
/// from `system`'s copy.
pub fn remember(number: &str, system: &str, article: &Value) -> Result<(), Error> {
    let entry = json!({
        "system": system,
        "article": snapshot(article, ARTICLE_FIELDS),
        "stock": snapshot(article, STOCK_FIELDS),
    });
    state::set(&key(number)?, &entry.to_string());
    Ok(())
}

/// Which part of an article to judge.
#[derive(Clone, Copy)]
pub enum Part {
    Article,
    Stock,
}

/// The system `article` came from, while that part of it is unchanged since
/// it was created; a changed part is forgotten for good.
pub fn of(article: &Value, part: Part) -> Result<Option<String>, Error> {
    let Some(number) = article.get("Number").and_then(Value::as_str) else { return Ok(None) };
    let key = key(number)?;
    let Some(mut entry) = state::get(&key).and_then(|text| serde_json::from_str::<Value>(&text).ok()) else {
        return Ok(None);
    };
    let (name, fields) = match part {
        Part::Article => ("article", ARTICLE_FIELDS),
        Part::Stock => ("stock", STOCK_FIELDS),
    };
    if entry["pending"] == true {
        remember(number, entry["system"].as_str().unwrap_or_default(), article)?;
        return Ok(entry["system"].as_str().map(str::to_string));
    }
    if entry[name].is_null() {
        return Ok(None);
    }
    if unchanged(article, &entry[name], fields) {
        return Ok(entry["system"].as_str().map(str::to_string));
    }
    entry[name] = Value::Null;
    if entry["article"].is_null() && entry["stock"].is_null() {
        state::delete(&key);
    } else {
        state::set(&key, &entry.to_string());
    }
    Ok(None)
}

/// After an update written from the copy the article came from: the new
/// article fields are still that copy (its stock is not touched by it).
/// An article that was the books' own stays so.
pub fn refresh(number: &str, article: &Value) -> Result<(), Error> {
    let key = key(number)?;
    let Some(mut entry) = state::get(&key).and_then(|text| serde_json::from_str::<Value>(&text).ok()) else {
        return Ok(());
    };
    if !entry["article"].is_null() {
        entry["article"] = snapshot(article, ARTICLE_FIELDS);
        state::set(&key, &entry.to_string());
    }
    Ok(())
}

/// After an update written from anything but the article's origin: what it
/// holds now is the books' own.
pub fn forget(number: &str) {
    if let Ok(key) = key(number) {
        state::delete(&key);
    }
}
