//! The booked-totals check: after each document is created, its total as
//! the books booked it (incl. VAT, in its currency) against the shop's. A
//! few cents apart is rounding (VAT rounded per row in the books, per order
//! in the shop): a rounding row took it up, or it is accepted and said. Any
//! further apart and the record is `mismatched`, with both totals and the
//! likely cause: the host opens an incident for it.

use trestle::sync::sales_document_sink::{CreatedDocument, RoundingRow};
use trestle_guest::bindings::trestle::sync::log::Outcome;
use trestle_guest::types::Order;

use crate::settings::{Rounding, Settings};
use crate::trestle;

/// What the check found for one created document.
#[derive(Debug, Clone, PartialEq)]
pub enum Check {
    /// The books did not say (a document found by our reference, a dry run).
    Unchecked,
    /// The books' total is the shop's; `rounding`: the rounding row that
    /// made it so (0 for none).
    Agrees {
        rounding: f64,
    },
    /// Apart by no more than the threshold, accepted.
    Rounded {
        booked: f64,
        shop: f64,
    },
    Mismatched {
        booked: f64,
        shop: f64,
        cause: String,
    },
}

/// What the books are asked to take up as a rounding row, if the settings
/// book rounding rows.
pub fn rounding_row(settings: &Settings) -> Option<RoundingRow> {
    match &settings.rounding {
        Rounding::Row(article) => Some(RoundingRow { article_id: article.clone(), up_to: settings.totals_threshold }),
        Rounding::Accept => None,
    }
}

pub fn check(order: &Order, created: &CreatedDocument, settings: &Settings) -> Check {
    let Some(booked) = created.booked_total else { return Check::Unchecked };
    let shop = order.total_incl_vat;
    let apart = (booked - shop).abs();
    if apart < 0.005 {
        Check::Agrees { rounding: created.rounding }
    } else if apart <= settings.totals_threshold + 0.000_001 {
        Check::Rounded { booked, shop }
    } else {
        Check::Mismatched { booked, shop, cause: likely_cause(order, booked) }
    }
}

fn likely_cause(order: &Order, booked: f64) -> String {
    if (booked - order.total_excl_vat).abs() < 0.005 {
        return "the books booked the amounts without VAT: check the customer's kind (private or company) and the \
                company's price setting in the books"
            .into();
    }
    let mut rates: Vec<String> = Vec::new();
    for line in &order.lines {
        let rate = format!("{} %", line.vat_rate);
        if !rates.contains(&rate) {
            rates.push(rate);
        }
    }
    format!(
        "the books take each row's VAT rate from its article's coding: check the codings of this document's \
         articles against the shop's rates ({})",
        rates.join(", ")
    )
}

impl Check {
    /// A document booked with other totals is in the books all the same.
    pub fn outcome(&self) -> Outcome {
        match self {
            Check::Mismatched { .. } => Outcome::Mismatched,
            _ => Outcome::Synced,
        }
    }

    /// What the record's detail adds, if anything is worth saying.
    pub fn detail(&self, currency: &str, threshold: f64) -> Option<String> {
        match self {
            Check::Unchecked => None,
            Check::Agrees { rounding } if *rounding == 0.0 => None,
            Check::Agrees { rounding } => {
                Some(format!("a rounding row of {rounding:.2} {currency} brings it to the shop's total"))
            }
            Check::Rounded { booked, shop } => Some(format!(
                "booked at {booked:.2} {currency}, the shop's total is {shop:.2} ({:.2} apart, within the \
                 totals_threshold of {threshold:.2}: accepted as rounding)",
                booked - shop
            )),
            Check::Mismatched { booked, shop, cause } => Some(format!(
                "booked at {booked:.2} {currency}, the shop's total is {shop:.2}: {:.2} apart, more than the \
                 totals_threshold of {threshold:.2}; likely cause: {cause}",
                booked - shop
            )),
        }
    }

    /// Whether the run summary should say it.
    pub fn is_news(&self) -> bool {
        matches!(self, Check::Rounded { .. } | Check::Mismatched { .. })
    }
}
