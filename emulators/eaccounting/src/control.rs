//! The eAccounting side of `/_emulator`: state dump, reset, revoking grants,
//! expiring tokens, minting a new consent, and changing an article's stock
//! or price as a bookkeeper would in the UI, changing or deleting an
//! invoice (drift for reconcile tests), and losing the answers to
//! payments. (Counts and faults come from
//! `emulator_kit::control`.)

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::answers::PaymentAnswerConfig;
use crate::app::App;
use crate::books::{Kind, now_utc, round2};
use crate::schema::schemas;

/// A bookkeeper's change to an article, by article number.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ArticleChange {
    pub stock_balance: Option<f64>,
    /// The gross price follows at the coding's VAT rate.
    pub net_price: Option<f64>,
    pub is_active: Option<bool>,
}

impl App {
    pub fn change_article(&self, number: &str, change: &ArticleChange) -> anyhow::Result<Value> {
        let mut books = self.books();
        let article = books
            .all(Kind::Articles)
            .iter()
            .find(|a| a["Number"] == number)
            .cloned()
            .ok_or_else(|| anyhow::anyhow!("no article with number '{number}' in the emulated books"))?;
        let rate = books
            .find(Kind::ArticleAccountCodings, article["CodingId"].as_str().unwrap_or_default())
            .and_then(|c| c["VatRatePercent"].as_f64())
            .unwrap_or_default();
        let mut changed = article;
        if let Some(balance) = change.stock_balance {
            changed["StockBalance"] = json!(balance);
            changed["StockBalanceManuallyChangedUtc"] = json!(now_utc());
        }
        if let Some(net) = change.net_price {
            changed["NetPrice"] = json!(net);
            changed["GrossPrice"] = json!(round2(net * (1.0 + rate)));
        }
        if let Some(active) = change.is_active {
            changed["IsActive"] = json!(active);
        }
        changed["ChangedUtc"] = json!(now_utc());
        let id = changed["Id"].as_str().unwrap_or_default().to_string();
        books.put(Kind::Articles, changed);
        crate::resources::reserve_stock(&mut books);
        Ok(books.find(Kind::Articles, &id).cloned().unwrap_or_default())
    }

    /// A customer entered by a bookkeeper: `values` completed with the
    /// blanks of every other property, a new id and the next number. Not
    /// checked against the schema (nor is `edit_customer`), so a test can
    /// seed what an older record or another client left behind.
    pub fn add_customer(&self, values: Value) -> Value {
        let mut books = self.books();
        let mut customer = schemas().complete(Kind::Customers.schema(), values);
        customer["Id"] = json!(uuid::Uuid::new_v4().to_string());
        if customer["CustomerNumber"].as_str().is_none_or(str::is_empty) {
            customer["CustomerNumber"] = json!(books.take_number("NextCustomerNumber").to_string());
        }
        // The terms named, else the first: every customer has terms.
        let named = customer["TermsOfPaymentId"].as_str().and_then(|id| books.find(Kind::TermsOfPayments, id));
        if let Some(terms) = named.or_else(|| books.all(Kind::TermsOfPayments).first()).cloned() {
            customer["TermsOfPaymentId"] = terms["Id"].clone();
            customer["TermsOfPayment"] = terms;
        }
        if customer["CurrencyCode"].is_null() {
            customer["CurrencyCode"] = books.company["CurrencyCode"].clone();
        }
        customer["ChangedUtc"] = json!(now_utc());
        books.put(Kind::Customers, customer.clone());
        customer
    }

    /// Changes a customer (by id) as a bookkeeper would; returns it.
    pub fn edit_customer(&self, id: &str, edit: impl FnOnce(&mut Value)) -> anyhow::Result<Value> {
        let mut books = self.books();
        let mut customer = books
            .find(Kind::Customers, id)
            .cloned()
            .ok_or_else(|| anyhow::anyhow!("no customer with id '{id}' in the emulated books"))?;
        edit(&mut customer);
        customer["Id"] = json!(id);
        customer["ChangedUtc"] = json!(now_utc());
        books.put(Kind::Customers, customer.clone());
        Ok(customer)
    }

    /// Changes a customer invoice (by id) as a bookkeeper would, to plant
    /// drift for a test; returns it. `None`: the invoice is deleted.
    pub fn edit_invoice(&self, id: &str, edit: impl FnOnce(&mut Value) -> Option<()>) -> anyhow::Result<Option<Value>> {
        let mut books = self.books();
        let mut invoice = books
            .find(Kind::CustomerInvoices, id)
            .cloned()
            .ok_or_else(|| anyhow::anyhow!("no customer invoice with id '{id}' in the emulated books"))?;
        if edit(&mut invoice).is_none() {
            books.remove(Kind::CustomerInvoices, id);
            return Ok(None);
        }
        invoice["Id"] = json!(id);
        books.put(Kind::CustomerInvoices, invoice.clone());
        Ok(Some(invoice))
    }

    pub fn state(&self) -> Value {
        json!({
            "books": self.books().dump(),
            "grants": self.tokens().grants(),
            "initial_refresh_token": self.initial_refresh_token,
        })
    }
}

pub fn routes(app: Arc<App>) -> Router {
    Router::new()
        .route("/_emulator/state", get(|State(app): State<Arc<App>>| async move { Json(app.state()) }))
        .route("/_emulator/reset", post(|State(app): State<Arc<App>>| async move { done(|| app.reset()) }))
        .route(
            "/_emulator/grants/revoke",
            post(|State(app): State<Arc<App>>| async move { done(|| app.tokens().revoke_all()) }),
        )
        .route(
            "/_emulator/tokens/expire",
            post(|State(app): State<Arc<App>>| async move { done(|| app.tokens().expire_access_tokens()) }),
        )
        .route("/_emulator/grants", post(new_grant))
        .route("/_emulator/articles/{number}", patch(change_article))
        .route(
            "/_emulator/payments/answers",
            get(|State(app): State<Arc<App>>| async move { Json(app.payment_answers.config()) }).post(
                |State(app): State<Arc<App>>, Json(config): Json<PaymentAnswerConfig>| async move {
                    done(|| app.payment_answers.set(config))
                },
            ),
        )
        .with_state(app)
}

fn done(action: impl FnOnce()) -> StatusCode {
    action();
    StatusCode::NO_CONTENT
}

/// A fresh consent for the demo user: `{"refresh_token": …}`.
async fn new_grant(State(app): State<Arc<App>>) -> Json<Value> {
    let token = app.tokens().consent_offline(&app.config.client_id, app.config.scopes.clone());
    Json(json!({ "refresh_token": token }))
}

async fn change_article(
    State(app): State<Arc<App>>,
    Path(number): Path<String>,
    Json(change): Json<ArticleChange>,
) -> Response {
    match app.change_article(&number, &change) {
        Ok(article) => Json(article).into_response(),
        Err(e) => (StatusCode::NOT_FOUND, e.to_string()).into_response(),
    }
}
