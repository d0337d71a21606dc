//! The Visma eAccounting connector component: OAuth2 with rotating refresh
//! tokens, customers, sales documents, articles and stock, and the reference
//! data a flow needs to book them. Each role's logic lives in its own module;
//! this file only wires the contract's exports to them.

trestle_guest::connector_world!(
    "../../wit",
    "package trestle:eaccounting;
     world eaccounting {
         include trestle:sync/connector-base@0.1.0;
         export trestle:sync/customer-source@0.1.0;
         export trestle:sync/customer-sink@0.1.0;
         export trestle:sync/sales-document-sink@0.1.0;
         export trestle:sync/product-source@0.1.0;
         export trestle:sync/product-sink@0.1.0;
         export trestle:sync/stock-source@0.1.0;
         export trestle:sync/reference-data@0.1.0;
     }"
);

mod api_error;
mod articles;
mod client;
mod clock;
mod codings;
mod company;
mod credits;
mod custom_fields;
mod customer_fields;
mod customer_match;
mod customers;
mod documents;
mod json;
mod lease;
mod oauth;
mod origin;
mod payments;
mod percent;
mod reference;
mod remembered;
mod rounding;
mod row_amounts;
mod schema;
mod settings;

use exports::trestle::sync::connection::{self, ConnectorSpec, RateLimit};
use exports::trestle::sync::customer_sink::{self, CustomerDefaults, StoredCustomer};
use exports::trestle::sync::customer_source::{self, CustomerPage};
use exports::trestle::sync::product_sink::{self, UpdateMask, UpsertResult};
use exports::trestle::sync::product_source::{self, ProductFilter, ProductPage};
use exports::trestle::sync::reference_data::{self, ReferenceItem};
use exports::trestle::sync::sales_document_sink::{
    self, CreatedDocument, Difference, DocumentKind, SalesDocument, Settled, Settlement, StoredDocumentPage,
};
use exports::trestle::sync::stock_source::{self, StockPage};
use trestle_guest::Error;
use trestle_guest::types::{Customer, Product};

struct Eaccounting;

impl connection::Guest for Eaccounting {
    fn spec() -> ConnectorSpec {
        ConnectorSpec {
            name: "eaccounting".into(),
            title: "Visma eAccounting".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            settings: settings::described(),
            auth: oauth::declared(),
            // 600 requests a minute per client and URL, all methods together.
            rate_limits: vec![RateLimit {
                methods: Vec::new(),
                path_suffixes: Vec::new(),
                per_method: false,
                per_minute: 600,
            }],
        }
    }

    fn check() -> Result<String, Error> {
        company::check()
    }
}

impl customer_source::Guest for Eaccounting {
    fn list_customers(cursor: Option<String>) -> Result<CustomerPage, Error> {
        customers::list(cursor.as_deref())
    }
}

impl customer_sink::Guest for Eaccounting {
    fn find_by_email(email: String) -> Result<Option<StoredCustomer>, Error> {
        customers::find_by_email(&email)
    }

    fn create_customer(customer: Customer, defaults: CustomerDefaults) -> Result<String, Error> {
        customers::create(&customer, &defaults)
    }

    fn update_customer(id: String, customer: Customer, defaults: CustomerDefaults) -> Result<(), Error> {
        // The update may turn a private person into a company.
        remembered::forget_customer(&id);
        customers::update(&id, &customer, &defaults)
    }
}

impl sales_document_sink::Guest for Eaccounting {
    fn find_by_references(kind: DocumentKind, references: Vec<String>) -> Result<Vec<(String, String)>, Error> {
        documents::find_by_references(kind, &references)
    }

    fn create_document(document: SalesDocument) -> Result<CreatedDocument, Error> {
        documents::create(&document)
    }

    fn create_credit(
        kind: DocumentKind,
        id: String,
        reference: String,
        dated: String,
    ) -> Result<CreatedDocument, Error> {
        credits::create(kind, &id, &reference, &dated)
    }

    fn find_differences(id: String, document: SalesDocument) -> Result<Vec<Difference>, Error> {
        documents::differences(&id, &document)
    }

    fn list_documents(
        kind: DocumentKind,
        dated_since: Option<String>,
        cursor: Option<String>,
    ) -> Result<StoredDocumentPage, Error> {
        documents::list(kind, dated_since.as_deref(), cursor.as_deref())
    }

    fn settle_document(kind: DocumentKind, settlement: Settlement) -> Result<Settled, Error> {
        payments::settle(kind, &settlement)
    }
}

impl product_source::Guest for Eaccounting {
    fn list_products(filter: ProductFilter, cursor: Option<String>) -> Result<ProductPage, Error> {
        articles::list_products(&filter, cursor.as_deref())
    }

    fn get_product(sku: String) -> Result<Option<Product>, Error> {
        articles::get_product(&sku)
    }
}

impl product_sink::Guest for Eaccounting {
    fn upsert_product(product: Product, mask: UpdateMask) -> Result<UpsertResult, Error> {
        articles::upsert(&product, mask)
    }

    fn get_stored_product(sku: String) -> Result<Option<Product>, Error> {
        articles::get_product(&sku)
    }
}

impl stock_source::Guest for Eaccounting {
    fn list_stock(cursor: Option<String>) -> Result<StockPage, Error> {
        articles::list_stock(cursor.as_deref())
    }
}

impl reference_data::Guest for Eaccounting {
    fn kinds() -> Vec<String> {
        reference::Kind::ALL.iter().map(|k| k.name().to_string()).collect()
    }

    fn lookup(kind: String) -> Result<Vec<ReferenceItem>, Error> {
        reference::lookup(&kind)
    }
}

export!(Eaccounting);
