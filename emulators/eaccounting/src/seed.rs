//! The demo company's books at start (and after a reset), deterministic from
//! the seed: a Dutch company (EUR, 21/9/0 % VAT) with Swedish VAT codes too,
//! an article per catalogue item or variant the books know, and customers
//! from the shared buyer list.

use std::collections::BTreeMap;

use emulator_kit::seed::{CatalogueItem, Person, catalogue, people};
use serde_json::{Value, json};

use crate::books::{Books, Kind, round2};
use crate::config::Config;
use crate::schema::schemas;

/// When the seeded entities were created and last changed.
pub const SEEDED_AT: &str = "2024-01-01T08:00:00Z";

/// A stable GUID per seeded entity, so ids survive restarts and resets.
pub fn guid(seed: u64, kind: &str, key: &str) -> String {
    uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, format!("eaccounting/{seed}/{kind}/{key}").as_bytes()).to_string()
}

struct Seeder {
    seed: u64,
    collections: BTreeMap<Kind, Vec<Value>>,
}

impl Seeder {
    fn id(&self, kind: Kind, key: &str) -> String {
        guid(self.seed, kind.path(), key)
    }

    fn add(&mut self, kind: Kind, key: &str, values: Value) -> Value {
        let mut item = schemas().complete(kind.schema(), values);
        if kind.key() == "Id" {
            item["Id"] = json!(self.id(kind, key));
        }
        self.collections.entry(kind).or_default().push(item.clone());
        item
    }
}

pub fn books(config: &Config) -> Books {
    let mut s = Seeder { seed: config.seed, collections: BTreeMap::new() };
    let terms = terms_of_payment(&mut s);
    vat_codes(&mut s);
    let codings = codings(&mut s);
    countries(&mut s);
    let units = units(&mut s);
    for (name, code) in [("PostNL", "POSTNL"), ("DHL Parcel", "DHL"), ("Afhalen", "PICKUP")] {
        s.add(Kind::DeliveryMethods, code, json!({"Name": name, "NameEnglish": name, "Code": code}));
    }
    bank_accounts(&mut s);
    let items = catalogue(config.seed, config.catalogue_size);
    let article_count = articles(&mut s, &items, &codings, &units);
    let buyers = people(config.seed, config.customers);
    for (i, person) in buyers.iter().enumerate() {
        customer(&mut s, i + 1, person, &terms);
    }
    let company = company(&s, &terms, buyers.len(), article_count);
    Books::new(s.collections, company)
}

/// A business current account and a payment provider's settlement
/// account: shops book card and iDEAL payments on the latter.
fn bank_accounts(s: &mut Seeder) {
    for (key, name, kind, ledger, default) in
        [("bank", "Bank", 1, 1930, true), ("psp", "Payment provider", 5, 1940, false)]
    {
        s.add(
            Kind::BankAccounts,
            key,
            json!({"Name": name, "NameEnglish": name, "BankAccountType": kind, "LedgerAccountNumber": ledger,
                   "IsActive": true, "IsDefaultChequeAccount": default, "CurrencyCode": "EUR",
                   "ModifiedUtc": SEEDED_AT}),
        );
    }
}

fn terms_of_payment(s: &mut Seeder) -> Value {
    let rows = [
        ("30 dagen", "30 days", 30, 0, "Normal"),
        ("14 dagen", "14 days", 14, 0, "Normal"),
        ("Contant", "Cash", 0, 2, "Cash"),
        ("Kaartbetaling", "Card payment", 0, 3, "CardPayment"),
    ];
    let mut default = Value::Null;
    for (name, english, days, type_id, type_text) in rows {
        let item = s.add(
            Kind::TermsOfPayments,
            english,
            json!({"Name": name, "NameEnglish": english, "NumberOfDays": days, "TermsOfPaymentTypeId": type_id,
                   "TermsOfPaymentTypeText": type_text, "AvailableForSales": true, "AvailableForPurchase": true}),
        );
        if default.is_null() {
            default = item;
        }
    }
    default
}

fn vat_codes(s: &mut Seeder) {
    let rows = [
        ("MP1", "Utgående moms 25 % (SE)", 25.0, 2611),
        ("MP2", "Utgående moms 12 % (SE)", 12.0, 2621),
        ("MP3", "Utgående moms 6 % (SE)", 6.0, 2631),
        ("NL21", "Btw hoog 21 % (NL)", 21.0, 1671),
        ("NL9", "Btw laag 9 % (NL)", 9.0, 1672),
        ("NL0", "Btw 0 % / vrijgesteld (NL)", 0.0, 1673),
    ];
    for (code, description, rate, account) in rows {
        s.add(
            Kind::VatCodes,
            code,
            json!({"Code": code, "Description": description, "VatRate": rate, "OssCodeType": 0,
                   "RelatedAccounts": {"AccountNumber1": account, "AccountNumber2": null, "AccountNumber3": null}}),
        );
    }
}

/// Codings by VAT percent, for goods; plus one for services and one for
/// gift cards (0 %, booked as a liability: not a sale of goods or services,
/// though its type does not say so).
fn codings(s: &mut Seeder) -> BTreeMap<u32, Value> {
    let mut by_rate = BTreeMap::new();
    for (rate, account) in [(21u32, 8000), (9, 8010), (0, 8020)] {
        let item = s.add(
            Kind::ArticleAccountCodings,
            &format!("goods-{rate}"),
            json!({"Name": format!("Goederen {rate}%"), "NameEnglish": format!("Goods {rate}%"), "Type": "Goods",
                   "VatRate": rate.to_string(), "VatRatePercent": f64::from(rate) / 100.0, "IsActive": true,
                   "DomesticSalesSubjectToVatAccountNumber": account, "ChangedUtc": SEEDED_AT}),
        );
        by_rate.insert(rate, item);
    }
    s.add(
        Kind::ArticleAccountCodings,
        "services-21",
        json!({"Name": "Diensten 21%", "NameEnglish": "Services 21%", "Type": "Service", "VatRate": "21",
               "VatRatePercent": 0.21, "IsActive": true, "DomesticSalesSubjectToVatAccountNumber": 8100,
               "ChangedUtc": SEEDED_AT}),
    );
    s.add(
        Kind::ArticleAccountCodings,
        "gift-cards",
        json!({"Name": "Cadeaubonnen", "NameEnglish": "Gift cards", "Type": "Goods", "VatRate": "0",
               "VatRatePercent": 0.0, "IsActive": true, "DomesticSalesVatExemptAccountNumber": 1450,
               "ChangedUtc": SEEDED_AT}),
    );
    by_rate
}

fn countries(s: &mut Seeder) {
    let rows = [
        ("NL", "Nederland", "Netherlands", true),
        ("BE", "België", "Belgium", true),
        ("DE", "Duitsland", "Germany", true),
        ("FR", "Frankrijk", "France", true),
        ("SE", "Zweden", "Sweden", true),
        ("DK", "Denemarken", "Denmark", true),
        ("FI", "Finland", "Finland", true),
        ("NO", "Noorwegen", "Norway", false),
        ("GB", "Verenigd Koninkrijk", "United Kingdom", false),
        ("US", "Verenigde Staten", "United States", false),
    ];
    for (code, name, english, eu) in rows {
        s.add(Kind::Countries, code, json!({"Code": code, "Name": name, "NameEnglish": english, "IsEuMember": eu}));
    }
}

/// Units by the catalogue's unit code.
fn units(s: &mut Seeder) -> BTreeMap<&'static str, Value> {
    [("pcs", "Stuks", "Piece"), ("kg", "Kilogram", "Kilogram"), ("h", "Uur", "Hour")]
        .into_iter()
        .map(|(code, name, english)| {
            let item = s.add(
                Kind::Units,
                code,
                json!({"Name": name, "Code": code, "Abbreviation": code, "AbbreviationEnglish": english}),
            );
            (code, item)
        })
        .collect()
}

/// One article per simple item and per variant (eAccounting has no
/// variants); items the books do not know are skipped. Returns the count.
fn articles(
    s: &mut Seeder,
    items: &[CatalogueItem],
    codings: &BTreeMap<u32, Value>,
    units: &BTreeMap<&str, Value>,
) -> usize {
    let mut count = 0;
    for item in items.iter().filter(|i| i.in_books) {
        let coding = &codings[&(item.vat_rate as u32)];
        let unit = units.get(item.unit.as_str()).unwrap_or(&units["pcs"]);
        let mut add = |number: &str, name: String, ean: Option<&str>, stock: f64| {
            let name: String = name.chars().take(50).collect();
            let barcodes: Vec<Value> = ean.into_iter().map(|e| json!({"Barcode": e, "BarcodeType": 0})).collect();
            s.add(
                Kind::Articles,
                number,
                json!({"Number": number, "Name": name, "NameEnglish": name, "IsActive": item.active,
                       "NetPrice": item.price_excl_vat, "GrossPrice": round2(item.price_excl_vat * (1.0 + item.vat_rate / 100.0)),
                       "CodingId": coding["Id"], "CodingName": coding["Name"], "UnitId": unit["Id"],
                       "UnitName": unit["Name"], "UnitAbbreviation": unit["Abbreviation"],
                       "IsStock": true, "StockBalance": stock, "StockBalanceReserved": 0.0, "StockBalanceAvailable": stock,
                       "ShowStockInformation": true, "SendToWebshop": true, "Barcodes": barcodes,
                       "CreatedUtc": SEEDED_AT, "ChangedUtc": SEEDED_AT}),
            );
            count += 1;
        };
        if item.variants.is_empty() {
            add(&item.sku, item.name.clone(), item.ean.as_deref(), item.stock);
        } else {
            for variant in &item.variants {
                let label: Vec<&str> = variant.attributes.iter().map(|(_, v)| v.as_str()).collect();
                add(&variant.sku, format!("{} {}", item.name, label.join(" ")), Some(&variant.ean), variant.stock);
            }
        }
    }
    count
}

fn customer(s: &mut Seeder, number: usize, person: &Person, terms: &Value) {
    let name = person.company.clone().unwrap_or_else(|| format!("{} {}", person.first_name, person.last_name));
    let street = match &person.house_number_suffix {
        Some(suffix) => format!("{} {} {suffix}", person.street, person.house_number),
        None => format!("{} {}", person.street, person.house_number),
    };
    s.add(
        Kind::Customers,
        &number.to_string(),
        json!({"CustomerNumber": number.to_string(), "Name": name, "IsPrivatePerson": person.company.is_none(),
               "IsActive": true, "EmailAddress": person.email, "InvoiceAddress1": street,
               "InvoicePostalCode": person.postal_code, "InvoiceCity": person.city,
               "InvoiceCountryCode": person.country_code, "VatNumber": person.vat_number,
               "Telephone": person.phone, "CurrencyCode": "EUR", "TermsOfPaymentId": terms["Id"],
               "TermsOfPayment": terms, "ContactPersonName": format!("{} {}", person.first_name, person.last_name),
               "ChangedUtc": SEEDED_AT}),
    );
}

fn company(s: &Seeder, terms: &Value, customers: usize, articles: usize) -> Value {
    schemas().complete(
        "CompanySettingsApi",
        json!({"Name": "Trestle Demo B.V.", "Email": "boekhouding@trestle-demo.example", "Address1": "Keizersgracht 1",
               "PostalCode": "1015 CJ", "City": "Amsterdam", "CountryCode": "NL", "CurrencyCode": "EUR",
               "TermsOfPaymentId": terms["Id"], "CorporateIdentityNumber": "12345678", "VatCode": "NL123456789B01",
               "ProductVariant": 1, "ActivatedModules": ["QuoteAndOrder", "Stock"], "CompanyStatus": 1,
               "CompanyIdentifier": guid(s.seed, "company", "demo"), "ShowPricesExclVatPC": false,
               "NextCustomerNumber": customers + 1, "NextArticleNumber": articles + 1, "NextOrderNumber": 1,
               "NextQuoteNumber": 1, "NextCustomerInvoiceNumber": 1, "NextSupplierNumber": 1}),
    )
}
