//! Reference data a flow books with: terms of payment, VAT codes, article
//! account codings, countries, units and delivery methods. Each list is read
//! once per instance (= per run) and kept; other modules use the raw items
//! (e.g. the coding of a VAT rate), `lookup` hands them out as the contract's
//! reference items.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use serde_json::Value;
use trestle_guest::Error;

use crate::client;
use crate::exports::trestle::sync::reference_data::ReferenceItem;
use crate::json::{self, round2};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    TermsOfPayment,
    VatCodes,
    ArticleAccountCodings,
    Countries,
    Units,
    DeliveryMethods,
}

impl Kind {
    pub const ALL: [Kind; 6] = [
        Kind::TermsOfPayment,
        Kind::VatCodes,
        Kind::ArticleAccountCodings,
        Kind::Countries,
        Kind::Units,
        Kind::DeliveryMethods,
    ];

    /// The name `kinds()` lists and `lookup` accepts.
    pub fn name(self) -> &'static str {
        match self {
            Kind::TermsOfPayment => "terms-of-payment",
            Kind::VatCodes => "vat-codes",
            Kind::ArticleAccountCodings => "article-account-codings",
            Kind::Countries => "countries",
            Kind::Units => "units",
            Kind::DeliveryMethods => "delivery-methods",
        }
    }

    fn collection(self) -> &'static str {
        match self {
            Kind::TermsOfPayment => "/termsofpayments",
            Kind::VatCodes => "/vatcodes",
            Kind::ArticleAccountCodings => "/articleaccountcodings",
            Kind::Countries => "/countries",
            Kind::Units => "/units",
            Kind::DeliveryMethods => "/deliverymethods",
        }
    }
}

thread_local! {
    static CACHE: RefCell<HashMap<Kind, Rc<Vec<Value>>>> = RefCell::new(HashMap::new());
}

/// Every item of `kind`, as the API answers them; read once per instance.
pub fn items(kind: Kind) -> Result<Rc<Vec<Value>>, Error> {
    if let Some(cached) = CACHE.with(|c| c.borrow().get(&kind).cloned()) {
        return Ok(cached);
    }
    let items = Rc::new(client::list_all(kind.collection(), &[])?);
    CACHE.with(|c| c.borrow_mut().insert(kind, items.clone()));
    Ok(items)
}

pub fn lookup(name: &str) -> Result<Vec<ReferenceItem>, Error> {
    let kind = Kind::ALL.into_iter().find(|k| k.name() == name).ok_or_else(|| {
        let known: Vec<&str> = Kind::ALL.iter().map(|k| k.name()).collect();
        Error::Invalid(format!("eAccounting has no reference data `{name}`; known kinds: {}", known.join(", ")))
    })?;
    items(kind)?.iter().map(|item| to_reference_item(kind, item)).collect()
}

/// A coding's VAT rate as a percentage. The API documents `VatRatePercent`
/// as a number without saying whether 25 % is 25 or 0.25; both are read.
pub fn coding_vat_percent(coding: &Value) -> Result<f64, Error> {
    let rate = json::number(coding, "VatRatePercent", "eAccounting article account coding")?;
    Ok(if rate > 0.0 && rate < 1.0 { round2(rate * 100.0) } else { rate })
}

fn to_reference_item(kind: Kind, item: &Value) -> Result<ReferenceItem, Error> {
    let what = format!("eAccounting {}", kind.name());
    let text = |field: &str| json::optional_string(item, field, &what).map(Option::unwrap_or_default);
    let number = |field: &str| json::number(item, field, &what).map(|n| n.to_string());
    let flag = |field: &str| json::flag(item, field, &what).map(|b| b.to_string());
    let (id, code, name, attributes) = match kind {
        Kind::TermsOfPayment => (
            json::string(item, "Id", &what)?,
            text("NameEnglish")?,
            text("Name")?,
            vec![
                ("days", number("NumberOfDays")?),
                ("type", text("TermsOfPaymentTypeText")?),
                ("available-for-sales", flag("AvailableForSales")?),
            ],
        ),
        Kind::VatCodes => {
            (json::string(item, "Id", &what)?, text("Code")?, text("Description")?, vec![("rate", number("VatRate")?)])
        }
        Kind::ArticleAccountCodings => (
            json::string(item, "Id", &what)?,
            text("VatRate")?,
            text("Name")?,
            vec![
                ("type", text("Type")?),
                ("rate", coding_vat_percent(item)?.to_string()),
                ("active", flag("IsActive")?),
                ("sales-account", number("DomesticSalesSubjectToVatAccountNumber")?),
            ],
        ),
        Kind::Countries => {
            let code = json::string(item, "Code", &what)?;
            (code.clone(), code, text("Name")?, vec![("eu-member", flag("IsEuMember")?)])
        }
        Kind::Units => (
            json::string(item, "Id", &what)?,
            text("Code")?,
            text("Name")?,
            vec![("abbreviation", text("Abbreviation")?)],
        ),
        Kind::DeliveryMethods => (
            json::string(item, "Id", &what)?,
            text("Code")?,
            text("Name")?,
            vec![("name-english", text("NameEnglish")?)],
        ),
    };
    Ok(ReferenceItem { id, code, name, attributes: attributes.into_iter().map(|(k, v)| (k.to_string(), v)).collect() })
}
