//! Invoice payments and credit invoices as the official document describes
//! them: remaining amount and payment status follow the payments;
//! overpayments, drafts and unknown bank accounts are refused.

use crate::common;

use common::{Connected, connect, error_fields};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn bank(c: &Connected) -> Value {
    c.emu.state()["books"]["bankaccounts"][0]["Id"].clone()
}

/// A customer and an invoice of two of the first article; the invoice.
fn invoice(c: &Connected, quantity: f64, credit: bool) -> (StatusCode, Value) {
    let terms = c.first("/termsofpayments");
    let customer = c
        .post(
            "/customers",
            &json!({"Name": "Payer", "InvoiceCity": "Utrecht", "InvoicePostalCode": "3511 CE",
                    "IsPrivatePerson": true, "IsActive": true, "TermsOfPaymentId": terms["Id"]}),
        )
        .1;
    let article = c.first("/articles?$pagesize=1");
    c.post(
        "/customerinvoices",
        &json!({"CustomerId": customer["Id"], "EuThirdParty": false, "RotReducedInvoicingType": 0,
                "IsCreditInvoice": credit, "Rows": [{"ArticleId": article["Id"], "Quantity": quantity}]}),
    )
}

fn pay(c: &Connected, invoice: &Value, amount: f64, kind: i64) -> (StatusCode, Value) {
    let body = json!({"CompanyBankAccountId": bank(c), "PaymentAmount": amount, "PaymentCurrency": "EUR",
                      "PaymentType": kind, "PaymentDate": "2025-01-06T00:00:00"});
    c.post(&format!("/customerinvoices/{}/payments", invoice["Id"].as_str().unwrap()), &body)
}

fn reread(c: &Connected, invoice: &Value) -> Value {
    c.get(&format!("/customerinvoices/{}", invoice["Id"].as_str().unwrap())).1
}

#[test]
fn payments_lower_the_remaining_amount_until_the_invoice_is_paid_and_never_beyond() {
    let c = connect();
    let (status, invoice) = invoice(&c, 2.0, false);
    assert_eq!(status, StatusCode::CREATED, "{invoice}");
    let total = invoice["TotalAmount"].as_f64().unwrap();
    assert_eq!(invoice["PaymentStatus"], 1);

    let (status, body) = pay(&c, &invoice, total + 1.0, 2);
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["DeveloperErrorMessage"].as_str().unwrap().contains("overpayment"), "{body}");
    assert_eq!(error_fields(&body), ["PaymentAmount"]);

    let (status, body) = pay(&c, &invoice, 10.0, 2);
    assert_eq!(status, StatusCode::BAD_REQUEST, "a complete payment must settle the rest: {body}");
    let (status, body) = pay(&c, &invoice, 10.0, 1);
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(body.get("Id").is_none(), "the API gives a payment no id");
    let after = reread(&c, &invoice);
    assert_eq!(after["RemainingAmount"].as_f64().unwrap(), ((total - 10.0) * 100.0).round() / 100.0);
    assert_eq!(after["PaymentStatus"], 1);

    let rest = after["RemainingAmount"].as_f64().unwrap();
    assert_eq!(pay(&c, &invoice, rest, 2).0, StatusCode::CREATED);
    let paid = reread(&c, &invoice);
    assert_eq!((paid["RemainingAmount"].as_f64(), &paid["PaymentStatus"]), (Some(0.0), &json!(0)));
    assert_eq!(paid["PaymentDate"], "2025-01-06T00:00:00Z");
    let (status, body) = pay(&c, &invoice, 1.0, 1);
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["DeveloperErrorMessage"].as_str().unwrap().contains("already paid"), "{body}");
    assert_eq!(c.emu.state()["books"]["payments"].as_array().unwrap().len(), 2);
}

#[test]
fn drafts_unknown_fields_accounts_and_future_dates_are_refused() {
    let c = connect();
    let (_, invoice) = invoice(&c, 1.0, false);
    let customer = invoice["CustomerId"].clone();
    let article = c.first("/articles?$pagesize=1");
    let draft = c
        .post(
            "/customerinvoicedrafts",
            &json!({"CustomerId": customer, "EuThirdParty": false, "RotReducedInvoicingType": 0,
                    "Rows": [{"ArticleId": article["Id"], "Quantity": 1, "IsTextRow": false,
                              "ReversedConstructionServicesVatFree": false}]}),
        )
        .1;
    let (status, body) = pay(&c, &draft, 1.0, 1);
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["DeveloperErrorMessage"].as_str().unwrap().contains("draft takes no payments"), "{body}");

    let path = format!("/customerinvoices/{}/payments", invoice["Id"].as_str().unwrap());
    let base = json!({"CompanyBankAccountId": bank(&c), "PaymentAmount": 1.0, "PaymentCurrency": "EUR",
                      "PaymentType": 1});
    let mut unknown = base.clone();
    unknown["PaymentId"] = json!("x");
    assert_eq!(c.post(&path, &unknown).0, StatusCode::BAD_REQUEST, "additionalProperties: false");
    let mut account = base.clone();
    account["CompanyBankAccountId"] = json!(uuid::Uuid::new_v4().to_string());
    assert_eq!(c.post(&path, &account).1["ErrorCode"], 3000);
    let mut future = base.clone();
    future["PaymentDate"] = json!("2999-01-01T00:00:00");
    assert_eq!(error_fields(&c.post(&path, &future).1), ["PaymentDate"]);
    let mut currency = base;
    currency["PaymentCurrency"] = json!("SEK");
    assert_eq!(error_fields(&c.post(&path, &currency).1), ["PaymentCurrency"]);
}

#[test]
fn a_credit_invoice_has_a_negative_total_and_takes_refunds_up_to_it() {
    let c = connect();
    let (status, body) = invoice(&c, 1.0, true);
    assert_eq!(status, StatusCode::BAD_REQUEST, "a credit invoice with a positive total: {body}");
    let (status, body) = invoice(&c, -1.0, false);
    assert_eq!(status, StatusCode::BAD_REQUEST, "a negative total needs IsCreditInvoice: {body}");
    let (status, credit) = invoice(&c, -1.0, true);
    assert_eq!(status, StatusCode::CREATED, "{credit}");
    let total = credit["TotalAmount"].as_f64().unwrap();
    assert!(total < 0.0);
    assert_eq!(pay(&c, &credit, -total, 1).0, StatusCode::BAD_REQUEST, "a refund is negative");
    assert_eq!(pay(&c, &credit, total, 2).0, StatusCode::CREATED);
    assert_eq!(reread(&c, &credit)["RemainingAmount"], 0.0);
}
