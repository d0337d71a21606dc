//! The emulated company's books: every collection as the JSON objects the API
//! serves (PascalCase, all schema properties present), plus company settings.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Value, json};

use crate::config::Config;

/// The collections the API serves, with what the official document says
/// about each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Kind {
    Customers,
    Articles,
    Orders,
    Quotes,
    CustomerInvoiceDrafts,
    CustomerInvoices,
    TermsOfPayments,
    VatCodes,
    ArticleAccountCodings,
    Countries,
    Units,
    DeliveryMethods,
    BankAccounts,
}

/// Which writes a collection takes (those a shop connector needs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Writes {
    pub create: bool,
    pub update: bool,
    pub delete: bool,
}

impl Kind {
    pub const ALL: [Kind; 13] = [
        Kind::Customers,
        Kind::Articles,
        Kind::Orders,
        Kind::Quotes,
        Kind::CustomerInvoiceDrafts,
        Kind::CustomerInvoices,
        Kind::TermsOfPayments,
        Kind::VatCodes,
        Kind::ArticleAccountCodings,
        Kind::Countries,
        Kind::Units,
        Kind::DeliveryMethods,
        Kind::BankAccounts,
    ];

    /// Path segment under `/v2`.
    pub fn path(self) -> &'static str {
        match self {
            Kind::Customers => "customers",
            Kind::Articles => "articles",
            Kind::Orders => "orders",
            Kind::Quotes => "quotes",
            Kind::CustomerInvoiceDrafts => "customerinvoicedrafts",
            Kind::CustomerInvoices => "customerinvoices",
            Kind::TermsOfPayments => "termsofpayments",
            Kind::VatCodes => "vatcodes",
            Kind::ArticleAccountCodings => "articleaccountcodings",
            Kind::Countries => "countries",
            Kind::Units => "units",
            Kind::DeliveryMethods => "deliverymethods",
            Kind::BankAccounts => "bankaccounts",
        }
    }

    /// Component schema of one item.
    pub fn schema(self) -> &'static str {
        match self {
            Kind::Customers => "CustomerApi",
            Kind::Articles => "ArticleApi",
            Kind::Orders => "OrderApi",
            Kind::Quotes => "QuoteApi",
            Kind::CustomerInvoiceDrafts => "CustomerInvoiceDraftApi",
            Kind::CustomerInvoices => "CustomerInvoiceApi",
            Kind::TermsOfPayments => "TermsOfPaymentApi",
            Kind::VatCodes => "VatCodeApi",
            Kind::ArticleAccountCodings => "ArticleAccountCodingApi",
            Kind::Countries => "CountryApi",
            Kind::Units => "UnitApi",
            Kind::DeliveryMethods => "DeliveryMethodApi",
            Kind::BankAccounts => "BankAccountApi",
        }
    }

    /// The property a path `{id}` is matched against.
    pub fn key(self) -> &'static str {
        if self == Kind::Countries { "Code" } else { "Id" }
    }

    /// What one item is called in messages.
    pub fn noun(self) -> &'static str {
        match self {
            Kind::Customers => "Customer",
            Kind::Articles => "Article",
            Kind::Orders => "Order",
            Kind::Quotes => "Quote",
            Kind::CustomerInvoiceDrafts => "Customer invoice draft",
            Kind::CustomerInvoices => "Customer invoice",
            Kind::TermsOfPayments => "Terms of payment",
            Kind::VatCodes => "VAT code",
            Kind::ArticleAccountCodings => "Article account coding",
            Kind::Countries => "Country",
            Kind::Units => "Unit",
            Kind::DeliveryMethods => "Delivery method",
            Kind::BankAccounts => "Bank account",
        }
    }

    pub fn writes(self) -> Writes {
        let (create, update, delete) = match self {
            Kind::Customers | Kind::Orders | Kind::Quotes | Kind::CustomerInvoiceDrafts => (true, true, true),
            Kind::Articles => (true, true, false),
            Kind::CustomerInvoices => (true, false, false),
            _ => (false, false, false),
        };
        Writes { create, update, delete }
    }
}

pub struct Books {
    collections: BTreeMap<Kind, Vec<Value>>,
    pub company: Value,
    /// Every invoice payment taken, in order, with the invoice it was for:
    /// the API lists none, so tests read them here.
    pub payments: Vec<Value>,
}

/// Now as the API writes timestamps: RFC 3339, UTC, whole seconds.
pub fn now_utc() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Money and prices carry two decimals.
pub fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

impl Books {
    pub fn new(collections: BTreeMap<Kind, Vec<Value>>, company: Value) -> Self {
        Self { collections, company, payments: Vec::new() }
    }

    pub fn seeded(config: &Config) -> Self {
        crate::seed::books(config)
    }

    pub fn all(&self, kind: Kind) -> &[Value] {
        self.collections.get(&kind).map(Vec::as_slice).unwrap_or_default()
    }

    /// By key; GUIDs compare case-insensitively, as .NET parses them.
    pub fn find(&self, kind: Kind, key: &str) -> Option<&Value> {
        self.all(kind).iter().find(|item| item[kind.key()].as_str().is_some_and(|k| k.eq_ignore_ascii_case(key)))
    }

    pub fn put(&mut self, kind: Kind, item: Value) {
        let key = item[kind.key()].as_str().unwrap_or_default().to_string();
        let items = self.collections.entry(kind).or_default();
        match items.iter_mut().find(|i| i[kind.key()] == key.as_str()) {
            Some(slot) => *slot = item,
            None => items.push(item),
        }
    }

    pub fn remove(&mut self, kind: Kind, key: &str) {
        if let Some(items) = self.collections.get_mut(&kind) {
            items.retain(|i| !i[kind.key()].as_str().is_some_and(|k| k.eq_ignore_ascii_case(key)));
        }
    }

    pub fn all_mut(&mut self, kind: Kind) -> &mut Vec<Value> {
        self.collections.entry(kind).or_default()
    }

    /// Takes the next number from a company-settings counter
    /// (`NextCustomerNumber`, `NextOrderNumber` …).
    pub fn take_number(&mut self, counter: &str) -> i64 {
        let next = self.company[counter].as_i64().unwrap_or(1);
        self.company[counter] = json!(next + 1);
        next
    }

    /// Everything, for `GET /_emulator/state`.
    pub fn dump(&self) -> Value {
        let mut state: serde_json::Map<String, Value> =
            self.collections.iter().map(|(kind, items)| (kind.path().to_string(), json!(items))).collect();
        state.insert("companysettings".into(), self.company.clone());
        state.insert("payments".into(), json!(self.payments));
        Value::Object(state)
    }
}
