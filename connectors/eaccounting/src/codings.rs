//! Which article account coding an article is booked on. A coding decides
//! the VAT rate and the revenue accounts, so it is chosen by rate and kind:
//! goods on a goods coding, services (shipping, fees, discounts) on a
//! services coding where there is one. Only codings for sales of goods or
//! services (`Type` "Goods" or "Service") are ever chosen: a coding of any
//! other type serves another purpose. A service at 0 % goes only on a 0 %
//! services coding: 0 % may mean zero-rated, exempt, outside the scope or a
//! voucher, which is the bookkeeper's call, so it is never guessed from a
//! goods coding (or a gift-card one) that happens to have 0 %.

use serde_json::Value;
use trestle_guest::Error;

use crate::json;
use crate::reference::{self, Kind, coding_vat_percent};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    Goods,
    Service,
}

impl Sort {
    fn of(coding: &Value) -> Option<Sort> {
        match coding["Type"].as_str().map(str::to_ascii_lowercase).as_deref() {
            Some("goods") => Some(Sort::Goods),
            Some("service" | "services") => Some(Sort::Service),
            _ => None,
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Sort::Goods => "goods",
            Sort::Service => "services",
        }
    }
}

pub fn same_id(item: &Value, id: &str) -> bool {
    item["Id"].as_str().is_some_and(|own| own.eq_ignore_ascii_case(id))
}

/// Whether the coding with this id is a services coding.
pub fn is_service(id: &str) -> Result<bool, Error> {
    Ok(reference::items(Kind::ArticleAccountCodings)?.iter().find(|c| same_id(c, id)).and_then(Sort::of)
        == Some(Sort::Service))
}

pub fn by_id(id: &str) -> Result<Value, Error> {
    reference::items(Kind::ArticleAccountCodings)?.iter().find(|c| same_id(c, id)).cloned().ok_or_else(|| {
        Error::Invalid(format!("the article's coding {id} is not among eAccounting's article account codings"))
    })
}

/// The kind an article keeps when its coding changes: that of its current
/// coding, else `default`.
pub fn sort_of(current: &str, default: Sort) -> Result<Sort, Error> {
    let codings = reference::items(Kind::ArticleAccountCodings)?;
    Ok(codings.iter().find(|c| same_id(c, current)).and_then(Sort::of).unwrap_or(default))
}

/// The active coding for `sort` at `rate` percent: one of that sort, else
/// one of the other sort (never for a service at 0 %).
pub fn for_rate(rate: f64, sort: Sort) -> Result<Value, Error> {
    let codings = reference::items(Kind::ArticleAccountCodings)?;
    let mut candidates: Vec<(Sort, &Value)> = Vec::new();
    for coding in codings.iter() {
        let active = json::flag(coding, "IsActive", "eAccounting article account coding")?;
        if let Some(kind) = Sort::of(coding)
            && active
            && (coding_vat_percent(coding)? - rate).abs() < 0.01
        {
            candidates.push((kind, coding));
        }
    }
    let zero_rated_service = sort == Sort::Service && rate.abs() < 0.01;
    candidates.retain(|(kind, _)| *kind == sort || !zero_rated_service);
    candidates.sort_by_key(|(kind, _)| *kind != sort);
    if let Some((_, coding)) = candidates.first() {
        return Ok((*coding).clone());
    }
    let known: Vec<String> = codings
        .iter()
        .map(|c| {
            format!(
                "{} ({}, {}%)",
                c["Name"].as_str().unwrap_or("?"),
                c["Type"].as_str().unwrap_or("no type"),
                coding_vat_percent(c).unwrap_or_default()
            )
        })
        .collect();
    let why = if zero_rated_service {
        "a service at 0 % is booked only on a 0 % services coding, never by guess on a goods coding or one for \
         another purpose (gift cards, vouchers)"
    } else {
        "only codings for goods or services are used"
    };
    Err(Error::Invalid(format!(
        "no active {} article account coding in eAccounting has a VAT rate of {rate}% ({why}); there are: {}",
        sort.noun(),
        known.join(", ")
    )))
}
