//! Invoices (spec §6.8, filters of §5): an order's debit invoice, and the
//! credit invoices of refunds a test books through the control knob.

use crate::common;

use ccvshop_emulator::{Config, CreditAmounts, NewRefund, Refund, RefundedRow};
use common::{money, start, start_with};
use serde_json::Value;

const INVOICES: &str = "/api/rest/v1/invoices";

/// A paid, completed order of the seed, as the API renders it.
fn paid_order(api: &common::Api) -> Value {
    let orders = api.get("/api/rest/v1/orders?is_paid=true&size=1&expand=orderrows");
    orders["items"][0].clone()
}

fn refund(api: &common::Api, order: &Value, refund: Refund) -> u64 {
    let new = NewRefund { refund, reimbursed: true };
    api.handle.refund_order(order["id"].as_u64().unwrap(), &new).unwrap()
}

#[test]
fn a_paid_order_is_a_debit_invoice_with_its_totals_and_rows() {
    let api = start();
    let order = paid_order(&api);
    let invoice = api.get(&format!("{INVOICES}/{}", order["id"]));
    assert_eq!(invoice["type"], "debit");
    assert_eq!(invoice["status"], "paid");
    assert_eq!(invoice["ordernumber_full"], order["ordernumber_full"]);
    assert_eq!(invoice["invoicenumber"], order["invoicenumber"]);
    assert_eq!(invoice["total_price_inc_tax"], order["total_price"]);
    assert_eq!(invoice["total_tax"], order["total_tax"]);
    let rows = api.get_all(&format!("{INVOICES}/{}/invoicerows", order["id"]));
    assert_eq!(rows.len(), order["orderrows"]["collection"].as_array().unwrap().len());
    let listed = api.get_all(&format!("{INVOICES}?ordernumber={}", order["ordernumber"]));
    assert_eq!(listed.len(), 1, "one invoice per paid order until a refund");
}

#[test]
fn refunds_are_credit_invoices_full_partial_or_an_amount() {
    let api = start();
    let order = paid_order(&api);
    let row = &order["orderrows"]["collection"][0];
    let full = refund(&api, &order, Refund::Full);
    let partial =
        refund(&api, &order, Refund::Rows(vec![RefundedRow { orderrow_id: row["id"].as_u64().unwrap(), count: 1.0 }]));
    let amount = refund(&api, &order, Refund::Amount { amount: 10.0, tax: None });

    let full = api.get(&format!("{INVOICES}/{full}"));
    assert_eq!((full["type"].as_str(), full["status"].as_str()), (Some("credit"), Some("reimbursed")));
    assert_eq!(
        money(&full["total_price_inc_tax"]),
        -money(&order["total_price"]),
        "a full refund is the order's total"
    );
    let partial_rows = api.get_all(&format!("{INVOICES}/{partial}/invoicerows"));
    assert_eq!(partial_rows.len(), 1);
    assert_eq!(partial_rows[0]["product_number"], row["product_number"]);
    assert_eq!(partial_rows[0]["count"], 1.0);
    assert!(money(&partial_rows[0]["price"]) < 0.0, "a credit's money is negative");
    let amount = api.get(&format!("{INVOICES}/{amount}"));
    assert_eq!(money(&amount["total_price_inc_tax"]), -10.0);

    let credits = api.get_all(&format!("{INVOICES}?ordernumber={}&status=reimbursed", order["ordernumber"]));
    assert_eq!(credits.len(), 3);
    let ids: Vec<u64> =
        api.get_all(&format!("{INVOICES}?orderby=id")).iter().map(|i| i["id"].as_u64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "oldest first");
    assert_eq!(ids.last().copied(), amount["id"].as_u64(), "a new refund is listed last");
}

#[test]
fn credit_amounts_can_be_positive_and_bad_refunds_and_filters_are_refused() {
    let api = start_with(Config { credit_invoice_amounts: CreditAmounts::Positive, ..Config::default() });
    let order = paid_order(&api);
    let id = refund(&api, &order, Refund::Full);
    assert_eq!(money(&api.get(&format!("{INVOICES}/{id}"))["total_price_inc_tax"]), money(&order["total_price"]));
    let over = Refund::Rows(vec![RefundedRow {
        orderrow_id: order["orderrows"]["collection"][0]["id"].as_u64().unwrap(),
        count: 1e6,
    }]);
    let error = api.handle.refund_order(order["id"].as_u64().unwrap(), &NewRefund { refund: over, reimbursed: true });
    assert!(error.unwrap_err().to_string().contains("can be refunded"));
    let error = api.error("GET", &format!("{INVOICES}?status=refunded"), None, 400);
    assert!(error["developermessage"].as_str().unwrap().contains("paid, unpaid or reimbursed"), "{error}");
    api.error("GET", &format!("{INVOICES}?type=credit"), None, 400);
}
