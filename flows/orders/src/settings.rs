//! The flow's settings, read once per run from its config. A bad value or
//! an unknown key (a misspelt one would be ignored and its default used) is
//! refused with the key and what is allowed.

use std::collections::BTreeMap;

use trestle::sync::sales_document_sink::DocumentKind;
use trestle_guest::config;
use trestle_guest::flow::countries::ByCountry;
use trestle_guest::flow::settings::{flag, group, refuse_unknown};

use crate::trestle;

#[derive(Debug, Clone, PartialEq)]
pub enum CustomerMode {
    /// Find the buyer by e-mail; create or update.
    Match,
    /// Book every order on one customer.
    Default(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum MissingArticle {
    Park,
    Create,
    Generic(String),
}

/// Whether a booked invoice gets the shop's payment registered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payments {
    Register,
    /// The owner matches bank transactions to invoices by hand.
    Leave,
}

/// What becomes of a booked order the shop cancels afterwards: a booked
/// document is never edited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cancelled {
    /// Reported for the owner, with the reason.
    Park,
    /// A credit invoice for the whole order (and its refund, if paid).
    Credit,
}

/// What becomes of a booked order the shop changes afterwards (see
/// `changes`): a booked document is never edited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Changed {
    /// Reported for the owner once per change, with both totals.
    Report,
    /// Its invoice credited in full and the order booked anew.
    Rebook,
}

/// What becomes of the shop's refunds on booked invoices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refunds {
    /// One credit invoice per refund, with its refund payment.
    Credit,
    /// Left to the owner.
    Leave,
}

/// What becomes of a booked total a little off the shop's (VAT rounded per
/// row in the books, per order in the shop).
#[derive(Debug, Clone, PartialEq)]
pub enum Rounding {
    /// Booked as it comes; the record and the run summary say by how much.
    Accept,
    /// One more row, VAT free, on this article takes up the difference.
    Row(String),
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub document: DocumentKind,
    pub paid_only: bool,
    pub statuses: Vec<String>,
    pub created_since: Option<String>,
    pub customers: CustomerMode,
    pub update_customers: bool,
    pub missing_article: MissingArticle,
    /// Line kind ("shipping", "payment-fee", "discount", "coupon",
    /// "extra-cost"), or kind and VAT rate ("coupon.9"), -> article number;
    /// unnamed kinds are free-text rows. eAccounting books a row's VAT from
    /// its article, so costs and discounts at several rates need an article
    /// per rate.
    pub line_articles: BTreeMap<String, String>,
    /// Payment method -> terms of payment id ("default" for the rest).
    pub payment_terms: BTreeMap<String, String>,
    /// Shipping method -> delivery method id.
    pub delivery_methods: BTreeMap<String, String>,
    /// VAT code per country code, "domestic", "eu", "export" or "default".
    pub vat_codes: ByCountry<String>,
    /// Revenue account per country code, "domestic", "eu", "export" or
    /// "default"; when any is set, every country needs one.
    pub revenue_accounts: ByCountry<u32>,
    /// The shop's own country, to tell EU from domestic sales.
    pub home_country: String,
    /// Stop after this many orders (0 = no limit): for trial runs.
    pub max_orders: u32,
    /// Days each scheduled run looks back for orders that became selectable
    /// after the cursor passed them (0 = off).
    pub recheck_days: u32,
    /// Only invoices take payments: drafts, quotes and orders cannot, so
    /// for them this is always `Leave`.
    pub payments: Payments,
    /// Payment method -> the books' account its money lands on ("default"
    /// for the rest).
    pub bank_accounts: BTreeMap<String, String>,
    /// Source statuses that mean cancelled (CCV Shop: "8"); empty: booked
    /// orders are not watched for cancellations.
    pub cancelled_statuses: Vec<String>,
    pub cancelled: Cancelled,
    /// Only invoices are rebooked: other documents are not booked.
    pub changed: Changed,
    /// Only invoices are credited: for other documents always `Leave`.
    pub refunds: Refunds,
    /// How far a booked total may be from the shop's and be a rounding
    /// (document currency); further apart, the record is mismatched.
    pub totals_threshold: f64,
    pub rounding: Rounding,
}

const KEYS: &[&str] = &[
    "document",
    "paid_only",
    "statuses",
    "created_since",
    "customers",
    "default_customer_id",
    "update_customers",
    "missing_article",
    "generic_article",
    "home_country",
    "recheck_days",
    "max_orders",
    "payments",
    "cancelled_statuses",
    "cancelled_after_booking",
    "changed_after_booking",
    "refunds",
    "totals_threshold",
    "rounding",
    "rounding_article",
];

/// Tables of settings, by prefix, and what follows the dot.
const GROUPS: &[(&str, &str)] = &[
    ("article.", "<line kind>[.<VAT rate>]"),
    ("payment_terms.", "<payment method or default>"),
    ("delivery_methods.", "<shipping method>"),
    ("vat_code.", "<country, domestic, eu, export or default>"),
    ("revenue_account.", "<country, domestic, eu, export or default>"),
    ("bank_account.", "<payment method or default>"),
];

const LINE_KINDS: &[&str] = &["shipping", "payment-fee", "discount", "coupon", "extra-cost"];

/// `article.<kind> = "NUMBER"`, or per VAT rate
/// `article.<kind> = { 21 = "NUMBER", 9 = "NUMBER", default = "NUMBER" }`;
/// rates normalised so `9` and `"9.0"` are one.
fn line_articles(e: &BTreeMap<String, String>) -> Result<BTreeMap<String, String>, String> {
    let mut articles = BTreeMap::new();
    for (key, number) in group(e, "article.") {
        let (kind, rate) = match key.split_once('.') {
            Some((kind, rate)) => (kind, Some(rate)),
            None => (key.as_str(), None),
        };
        if !LINE_KINDS.contains(&kind) {
            return Err(format!("setting `article.{key}` names no line kind; allowed: {}", LINE_KINDS.join(", ")));
        }
        let normalised = match rate {
            None | Some("default") => kind.to_string(),
            Some(rate) => match rate.parse::<f64>() {
                Ok(r) if r.is_finite() && r >= 0.0 => rate_key(kind, r),
                _ => {
                    return Err(format!(
                        "setting `article.{key}`: {rate:?} is neither a VAT rate nor `default`; \
                         write e.g. `{kind} = {{ 21 = \"NUMBER\", default = \"NUMBER\" }}`"
                    ));
                }
            },
        };
        if articles.insert(normalised.clone(), number).is_some() {
            return Err(format!(
                "setting `article.{key}` names the same kind and VAT rate as another `article` setting \
                 ({normalised}); keep one of them"
            ));
        }
    }
    Ok(articles)
}

fn rate_key(kind: &str, rate: f64) -> String {
    format!("{kind}.{}", (rate * 100.0).round() / 100.0)
}

impl Settings {
    /// The article a cost or discount line of this kind and VAT rate is
    /// booked on: the one for its rate, else the kind's.
    pub fn line_article(&self, kind: &str, vat_rate: f64) -> Option<&String> {
        self.line_articles.get(&rate_key(kind, vat_rate)).or_else(|| self.line_articles.get(kind))
    }

    /// The VAT rates the settings name `number` for, for lines of `kind`
    /// (`article.shipping.21 = "SHIPPING"`: 21).
    pub fn rates_naming(&self, kind: &str, number: &str) -> Vec<f64> {
        let prefix = format!("{kind}.");
        self.line_articles
            .iter()
            .filter(|(_, n)| n.as_str() == number)
            .filter_map(|(key, _)| key.strip_prefix(&prefix)?.parse().ok())
            .collect()
    }

    /// Whether lines of `kind` have articles per VAT rate (so the kind's
    /// own article is the one for the rates not listed).
    pub fn has_rate_articles(&self, kind: &str) -> bool {
        let prefix = format!("{kind}.");
        self.line_articles.keys().any(|key| key.starts_with(&prefix))
    }

    /// The books' account the payments of this payment method land on.
    pub fn bank_account(&self, method: Option<&str>) -> Option<&String> {
        method.and_then(|m| self.bank_accounts.get(m)).or_else(|| self.bank_accounts.get("default"))
    }

    pub fn from_config() -> Result<Self, String> {
        let mut entries: BTreeMap<String, String> = config::entries().into_iter().collect();
        // Secrets are not listed by entries(); a flow has none, but read the
        // known keys directly too, so the result never depends on that.
        for key in ["default_customer_id"] {
            if let Some(v) = config::get(key) {
                entries.insert(key.into(), v);
            }
        }
        Self::parse(&entries)
    }

    pub fn parse(e: &BTreeMap<String, String>) -> Result<Self, String> {
        refuse_unknown(e, "orders", KEYS, GROUPS)?;
        let document = match e.get("document").map(String::as_str).unwrap_or("invoice-draft") {
            "quote" => DocumentKind::Quote,
            "order" => DocumentKind::Order,
            "invoice-draft" => DocumentKind::InvoiceDraft,
            "invoice" => DocumentKind::Invoice,
            other => {
                return Err(format!("setting `document` = {other:?}; allowed: quote, order, invoice-draft, invoice"));
            }
        };
        let customers =
            match e.get("customers").map(String::as_str).unwrap_or("match") {
                "match" => CustomerMode::Match,
                "default" => CustomerMode::Default(e.get("default_customer_id").cloned().ok_or(
                    "setting `customers` = \"default\" needs `default_customer_id` (the customer to book on)",
                )?),
                other => return Err(format!("setting `customers` = {other:?}; allowed: match, default")),
            };
        let missing_article = match e.get("missing_article").map(String::as_str).unwrap_or("park") {
            "park" => MissingArticle::Park,
            "create" => MissingArticle::Create,
            "generic" => MissingArticle::Generic(
                e.get("generic_article")
                    .cloned()
                    .ok_or("setting `missing_article` = \"generic\" needs `generic_article` (its article number)")?,
            ),
            other => return Err(format!("setting `missing_article` = {other:?}; allowed: park, create, generic")),
        };
        let mut revenue_accounts = BTreeMap::new();
        for (k, v) in group(e, "revenue_account.") {
            let account =
                v.parse().map_err(|_| format!("setting `revenue_account.{k}` must be an account number, got {v:?}"))?;
            revenue_accounts.insert(k, account);
        }
        let list = |key: &str| -> Vec<String> {
            e.get(key)
                .map(|s| s.split(',').map(|x| x.trim().to_string()).filter(|x| !x.is_empty()).collect())
                .unwrap_or_default()
        };
        let statuses = list("statuses");
        let cancelled = match e.get("cancelled_after_booking").map(String::as_str).unwrap_or("park") {
            "park" => Cancelled::Park,
            "credit" if document == DocumentKind::Invoice => Cancelled::Credit,
            "credit" => {
                return Err("setting `cancelled_after_booking` = \"credit\" needs `document` = \"invoice\": only \
                            an invoice is credited"
                    .into());
            }
            other => {
                return Err(format!("setting `cancelled_after_booking` = {other:?}; allowed: park, credit"));
            }
        };
        let changed = match e.get("changed_after_booking").map(String::as_str).unwrap_or("report") {
            "report" => Changed::Report,
            "rebook" if document == DocumentKind::Invoice => Changed::Rebook,
            "rebook" => {
                return Err("setting `changed_after_booking` = \"rebook\" needs `document` = \"invoice\": only a \
                            booked invoice is credited and booked anew; quotes, orders and drafts can be corrected \
                            in the books"
                    .into());
            }
            other => {
                return Err(format!("setting `changed_after_booking` = {other:?}; allowed: report, rebook"));
            }
        };
        let payments = match (e.get("payments").map(String::as_str), document) {
            (None, DocumentKind::Invoice) | (Some("register"), DocumentKind::Invoice) => Payments::Register,
            (None | Some("leave"), _) => Payments::Leave,
            (Some("register"), _) => {
                return Err("setting `payments` = \"register\" needs `document` = \"invoice\": only a booked \
                            invoice takes payments (invoice drafts, quotes and orders cannot); book invoices, or \
                            set payments = \"leave\""
                    .into());
            }
            (Some(other), _) => return Err(format!("setting `payments` = {other:?}; allowed: register, leave")),
        };
        let refunds = match (e.get("refunds").map(String::as_str), document) {
            (Some("credit"), DocumentKind::Invoice) => Refunds::Credit,
            (None | Some("leave"), _) => Refunds::Leave,
            (Some("credit"), _) => {
                return Err("setting `refunds` = \"credit\" needs `document` = \"invoice\": only an invoice is \
                            credited; book invoices, or set refunds = \"leave\""
                    .into());
            }
            (Some(other), _) => return Err(format!("setting `refunds` = {other:?}; allowed: credit, leave")),
        };
        let rounding = match (e.get("rounding").map(String::as_str), e.get("rounding_article")) {
            (None | Some("accept"), None) => Rounding::Accept,
            (Some("row"), Some(article)) if matches!(document, DocumentKind::Invoice | DocumentKind::Quote) => {
                Rounding::Row(article.clone())
            }
            (Some("row"), Some(_)) => {
                return Err("setting `rounding` = \"row\" needs `document` = \"invoice\" or \"quote\": only their \
                            rows can be VAT free, and a rounding row must add its amount alone; set rounding = \
                            \"accept\""
                    .into());
            }
            (Some("row"), None) => {
                return Err("setting `rounding` = \"row\" needs `rounding_article` (the article number the rounding \
                            rows are booked on; the flow creates it at 0 % with missing_article = \"create\")"
                    .into());
            }
            (None | Some("accept"), Some(_)) => {
                return Err("setting `rounding_article` is used only with `rounding` = \"row\"; set that too, or \
                            drop rounding_article"
                    .into());
            }
            (Some(other), _) => return Err(format!("setting `rounding` = {other:?}; allowed: accept, row")),
        };
        let totals_threshold = match e.get("totals_threshold") {
            None => 0.05,
            Some(v) => match v.parse::<f64>() {
                Ok(t) if t.is_finite() && t >= 0.0 => t,
                _ => {
                    return Err(format!(
                        "setting `totals_threshold` must be an amount of 0 or more in the document's currency \
                         (e.g. \"0.05\"), got {v:?}"
                    ));
                }
            },
        };
        Ok(Settings {
            totals_threshold,
            rounding,
            refunds,
            payments,
            bank_accounts: group(e, "bank_account."),
            cancelled_statuses: list("cancelled_statuses"),
            cancelled,
            changed,
            document,
            paid_only: flag(e, "paid_only", true)?,
            statuses,
            created_since: e.get("created_since").cloned(),
            customers,
            update_customers: flag(e, "update_customers", true)?,
            missing_article,
            line_articles: line_articles(e)?,
            payment_terms: group(e, "payment_terms."),
            delivery_methods: group(e, "delivery_methods."),
            // Read as they always were (keys as written, values as given), not
            // with ByCountry::parse, which would refuse configs that work.
            vat_codes: ByCountry::as_written("vat_code", group(e, "vat_code.")),
            revenue_accounts: ByCountry::as_written("revenue_account", revenue_accounts),
            home_country: e.get("home_country").cloned().unwrap_or_else(|| "NL".into()).to_uppercase(),
            recheck_days: e
                .get("recheck_days")
                .map(|v| {
                    v.parse().map_err(|_| format!("setting `recheck_days` must be a whole number of days, got {v:?}"))
                })
                .transpose()?
                .unwrap_or(14),
            max_orders: e
                .get("max_orders")
                .map(|v| v.parse().map_err(|_| format!("setting `max_orders` must be a whole number, got {v:?}")))
                .transpose()?
                .unwrap_or(0),
        })
    }
}
