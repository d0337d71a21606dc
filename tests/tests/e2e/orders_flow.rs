//! The orders flow end to end: the CCV Shop and eAccounting connectors, the
//! orders flow and the example mapping, run by the host against both
//! emulators over real sockets.

use std::collections::BTreeSet;

use serde_json::Value;
use trestle_artifacts::Builtins;
use trestle_e2e::{shop_only_product, simple_products};
use trestle_emulators::{COST_ARTICLES, Emulators, Options};
use trestle_host::bindings::Trigger;
use trestle_host::run::RunReport;
use trestle_host::storage::Database;
use trestle_host::tenant::{PreparedTenant, TenantConfig};
use trestle_host::{Host, HostOptions};

/// A tenant syncing the emulated shop into the emulated books; `settings`
/// are extra lines for `[flows.orders.settings]`.
fn tenant(host: &Host, emulators: &Emulators, settings: &str) -> PreparedTenant {
    tenant_with_articles(host, emulators, settings, COST_ARTICLES)
}

/// The same, with `articles` as the `[flows.orders.settings.article]` table.
fn tenant_with_articles(host: &Host, emulators: &Emulators, settings: &str, articles: &str) -> PreparedTenant {
    let config =
        TenantConfig::parse(&config_text(emulators, settings, articles)).expect("the test's tenant config is valid");
    PreparedTenant::prepare(host, &Builtins, config).unwrap_or_else(|e| panic!("{e:#}"))
}

/// The tenant config of `tenant_with_articles`, as its file would hold it.
fn config_text(emulators: &Emulators, settings: &str, articles: &str) -> String {
    format!(
        "tenant = \"e2e\"\n{}\n[mapping]\nmodule = \"country-codes\"\n\n[flows.orders]\n\
         roles = {{ order-source = \"shop\", customer-sink = \"books\", sales-document-sink = \"books\", \
         product-source = \"books\", product-sink = \"books\" }}\n\
         [flows.orders.settings]\ndocument = \"invoice\"\n{settings}\n\
         [flows.orders.settings.article]\n{articles}",
        emulators.connection_settings().tenant_connections(),
    )
}

fn run(host: &Host, tenant: &PreparedTenant) -> RunReport {
    let run = tenant.flow_run(host, &Builtins, "orders", Trigger::Scheduled).unwrap();
    host.run_flow(run).unwrap_or_else(|e| panic!("the run failed: {e:#}"))
}

fn invoices(emulators: &Emulators) -> Vec<Value> {
    emulators.eaccounting.state()["books"]["customerinvoices"].as_array().cloned().unwrap_or_default()
}

/// Every paid order exactly once, under its own number, and nothing else.
fn assert_exactly_once(emulators: &Emulators) {
    let invoices = invoices(emulators);
    let references: Vec<String> =
        invoices.iter().map(|i| i["OurReference"].as_str().unwrap_or_default().to_string()).collect();
    let unique: BTreeSet<String> = references.iter().cloned().collect();
    assert_eq!(unique.len(), references.len(), "duplicate invoices: {references:?}");
    assert_eq!(unique, trestle_e2e::paid_order_numbers(emulators), "every paid order exactly once, nothing else");
}

fn host() -> Host {
    trestle_e2e::host()
}

#[test]
fn paid_orders_land_exactly_once_and_a_second_run_creates_nothing() {
    let emulators =
        Emulators::start(Options { orders: 500, products: 60, rate_limits: false, ..Options::default() }).unwrap();
    let host = host();
    let tenant = tenant(&host, &emulators, "missing_article = \"create\"");
    let first = run(&host, &tenant);
    assert_eq!(first.summary.parked, 0, "{:?}", first.summary.notes);
    assert!(first.summary.synced > 100, "{:?}", first.summary);
    assert_exactly_once(&emulators);

    // Business buyers became companies with the buyer as contact, the rest
    // private persons; each customer once, found by e-mail.
    let customers = emulators.eaccounting.state()["books"]["customers"].as_array().cloned().unwrap();
    let emails: Vec<&str> = customers.iter().filter_map(|c| c["EmailAddress"].as_str()).collect();
    let unique: BTreeSet<&str> = emails.iter().copied().collect();
    assert_eq!(unique.len(), emails.len(), "a customer was created twice");
    assert!(customers.iter().any(|c| c["IsPrivatePerson"] == false));
    assert!(customers.iter().any(|c| c["IsPrivatePerson"] == true));

    let before = invoices(&emulators).len();
    let second = run(&host, &tenant);
    assert_eq!(second.summary.synced, 0, "{:?}", second.summary);
    assert_eq!(invoices(&emulators).len(), before, "a second run creates nothing");
}

#[test]
fn on_postgres_paid_orders_land_exactly_once_and_a_rerun_by_another_process_books_nothing() {
    let emulators =
        Emulators::start(Options { orders: 80, products: 40, rate_limits: false, ..Options::default() }).unwrap();
    let database = trestle_e2e::postgres::fresh_database();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tenant.toml");
    let text = config_text(&emulators, "missing_article = \"create\"", COST_ARTICLES);
    std::fs::write(&file, format!("database = \"{}\"\n{text}", database.url())).unwrap();
    // As `trestle run` does: the host on the database the file names.
    let open = || {
        let config = TenantConfig::load(&file).unwrap_or_else(|e| panic!("{e:#}"));
        assert!(matches!(config.database, Some(Database::Postgres(_))), "{:?}", config.database);
        let options = HostOptions { database: config.database.clone(), cache_dir: Some(trestle_e2e::cache_dir()) };
        let host = Host::new(options).unwrap_or_else(|e| panic!("{e:#}"));
        let tenant = PreparedTenant::prepare(&host, &Builtins, config).unwrap_or_else(|e| panic!("{e:#}"));
        (host, tenant)
    };

    let (host, tenant) = open();
    let first = run(&host, &tenant);
    assert_eq!((first.summary.parked, first.summary.failed), (0, 0), "{:?}", first.summary.notes);
    assert!(first.summary.synced > 10, "{:?}", first.summary);
    assert_exactly_once(&emulators);
    let booked = invoices(&emulators).len();
    drop((host, tenant));

    let (host, tenant) = open();
    let second = run(&host, &tenant);
    assert_eq!(second.summary.synced, 0, "{:?}", second.summary);
    assert_eq!(invoices(&emulators).len(), booked, "a rerun books nothing");
    assert_exactly_once(&emulators);
}

#[test]
fn parked_orders_say_why_and_sync_once_the_config_is_fixed() {
    let emulators =
        Emulators::start(Options { orders: 80, products: 60, rate_limits: false, ..Options::default() }).unwrap();
    let host = host();
    let strict = tenant(&host, &emulators, "missing_article = \"park\"");
    let first = run(&host, &strict);
    assert!(first.summary.parked > 0, "the seed has SKUs the books do not know: {:?}", first.summary);
    assert!(
        first.summary.notes.iter().any(|n| n.contains("does not exist in the books") && n.contains("missing_article")),
        "{:?}",
        first.summary.notes
    );
    let parked_log =
        host.activity(&trestle_host::ActivityQuery { outcome: Some("parked".into()), ..Default::default() }).unwrap();
    assert_eq!(parked_log.len() as u32, first.summary.parked);

    // Fixed config: the parked orders are retried first and land.
    let fixed = tenant(&host, &emulators, "missing_article = \"create\"");
    let second = run(&host, &fixed);
    assert_eq!(second.summary.parked, 0, "{:?}", second.summary.notes);
    assert!(second.summary.synced >= first.summary.parked);
    assert_exactly_once(&emulators);
}

#[test]
fn an_unmapped_country_parks_the_order_with_the_setting_to_add() {
    let emulators =
        Emulators::start(Options { orders: 40, products: 60, rate_limits: false, ..Options::default() }).unwrap();
    let host = host();
    let strict = tenant(&host, &emulators, "missing_article = \"create\"\nrevenue_account = { NL = 3001 }");
    let report = run(&host, &strict);
    assert!(report.summary.parked > 0);
    assert!(
        report.summary.notes.iter().any(|n| n.contains("no revenue account for deliveries to")),
        "{:?}",
        report.summary.notes
    );

    // A default account for every other country: the parked orders land.
    let fixed =
        tenant(&host, &emulators, "missing_article = \"create\"\nrevenue_account = { NL = 3001, default = 3002 }");
    let second = run(&host, &fixed);
    assert_eq!(second.summary.parked, 0, "{:?}", second.summary.notes);
    assert!(second.summary.synced >= report.summary.parked);
    assert_exactly_once(&emulators);
}

#[test]
fn injected_faults_converge_to_the_same_books_without_duplicates() {
    let emulators =
        Emulators::start(Options { orders: 60, products: 60, rate_limits: false, ..Options::default() }).unwrap();
    let faults = emulator_kit::FaultConfig {
        error_rate: 0.10,
        drop_rate: 0.02,
        burst_every: 40,
        burst_length: 3,
        seed: 7,
        ..Default::default()
    };
    emulators.ccvshop.set_faults(faults.clone()).unwrap();
    emulators.eaccounting.set_faults(faults).unwrap();
    let host = host();
    let tenant = tenant(&host, &emulators, "missing_article = \"create\"");
    let mut runs = 0;
    loop {
        runs += 1;
        let report = host.run_flow(tenant.flow_run(&host, &Builtins, "orders", Trigger::Scheduled).unwrap());
        if let Ok(r) = report
            && r.summary.parked == 0
        {
            break;
        }
        assert!(runs < 8, "no convergence after {runs} runs");
    }
    emulators.ccvshop.set_faults(Default::default()).unwrap();
    emulators.eaccounting.set_faults(Default::default()).unwrap();
    assert_exactly_once(&emulators);
}

/// A checkout in the shop: one row of `count` x `sku`; returns the order id.
fn place_order(emulators: &Emulators, sku: &str, count: f64, paid: bool) -> u64 {
    let rows = vec![ccvshop_emulator::NewOrderRow { sku: sku.into(), count }];
    emulators.ccvshop.place_order(&ccvshop_emulator::NewOrder { rows, paid, ..Default::default() }).unwrap()
}

/// A run for one order, as a webhook starts it.
fn record_run(host: &Host, tenant: &PreparedTenant, order_id: u64) -> RunReport {
    let run = tenant.flow_run(host, &Builtins, "orders", Trigger::RecordId(order_id.to_string())).unwrap();
    host.run_flow(run).unwrap()
}

#[test]
fn a_webhook_triggered_run_syncs_just_that_order() {
    let emulators =
        Emulators::start(Options { orders: 20, products: 60, rate_limits: false, ..Options::default() }).unwrap();
    let host = host();
    let tenant = tenant(&host, &emulators, "missing_article = \"create\"");
    let id = place_order(&emulators, "SKU-00001", 2.0, true);
    let report = record_run(&host, &tenant, id);
    assert_eq!((report.summary.synced, report.summary.parked), (1, 0), "{:?}", report.summary);
    let first = invoices(&emulators);
    assert_eq!(first.len(), 1, "only the named order is synced");
    let number = emulators.ccvshop.state()["shop"]["orders"][id.to_string()]["ordernumber"].as_u64().unwrap();
    assert_eq!(first[0]["OurReference"], format!("ORD-{number}"));

    // A webhook for an order the settings do not select (unpaid, with
    // paid_only) is skipped with the reason, not invoiced.
    let unpaid = place_order(&emulators, "SKU-00002", 1.0, false);
    let report = record_run(&host, &tenant, unpaid);
    assert_eq!((report.summary.synced, report.summary.skipped), (0, 1), "{:?}", report.summary);
    assert!(report.summary.notes.iter().any(|n| n.contains("paid_only")), "{:?}", report.summary.notes);
    assert_eq!(invoices(&emulators).len(), 1, "the unpaid order is not invoiced");

    // Once paid, its webhook syncs it.
    emulators.ccvshop.mark_order_paid(unpaid).unwrap();
    assert_eq!(record_run(&host, &tenant, unpaid).summary.synced, 1);
    assert_eq!(invoices(&emulators).len(), 2);
}

/// What the shop says an order comes to, worked out from its own data: rows
/// (price less row discount, times count) at their VAT rates; shipping,
/// payment and extra costs at the shipping rate; the coupon spread over the
/// rows' rates in proportion; no VAT on intra-community orders.
fn shop_totals(order: &Value) -> (f64, f64) {
    let incl = order["prices_include_tax"] == true;
    let exempt = order["is_intra_community_order"] == true;
    // (amount as the shop states it, VAT rate in %)
    let mut amounts: Vec<(f64, f64)> = Vec::new();
    for row in order["rows"].as_array().unwrap() {
        let f = |k: &str| row[k].as_f64().unwrap();
        amounts.push(((f("price") - f("discount")) * f("count"), f("tax")));
    }
    let rows_total: f64 = amounts.iter().map(|(a, _)| a).sum();
    let coupon = order["coupon"]["discount"].as_f64().unwrap_or(0.0);
    let coupon_shares: Vec<(f64, f64)> =
        amounts.iter().map(|(a, rate)| (-coupon * a / rows_total.max(0.01), *rate)).collect();
    amounts.extend(coupon_shares);
    let shipping_rate = order["shipping_tax_percentage"].as_f64().unwrap_or(0.0);
    for cost in ["total_shipping", "paymethod_costs", "extra_costs"] {
        amounts.push((order[cost].as_f64().unwrap_or(0.0), shipping_rate));
    }
    let (mut gross, mut vat) = (0.0, 0.0);
    for (amount, rate) in amounts {
        let rate = if exempt { 0.0 } else { rate / 100.0 };
        let (g, v) =
            if incl { (amount, amount - amount / (1.0 + rate)) } else { (amount * (1.0 + rate), amount * rate) };
        gross += g;
        vat += v;
    }
    (gross, vat)
}

#[test]
fn every_invoice_has_the_shop_orders_rows_vat_shipping_discounts_and_buyer() {
    let emulators =
        Emulators::start(Options { orders: 150, products: 60, rate_limits: false, ..Options::default() }).unwrap();
    let host = host();
    // Costs and coupons at every rate the seed uses get an article of that
    // rate; 0 % lines (intra-community and export orders) go on the 21 % one.
    let articles = "shipping = { 21 = \"SHIPPING-21\", 9 = \"SHIPPING-9\", default = \"SHIPPING-21\" }\n\
        coupon = { 21 = \"COUPON-21\", 9 = \"COUPON-9\", default = \"COUPON-21\" }\n\
        payment-fee = { 21 = \"FEE-21\", default = \"FEE-21\" }\nextra-cost = { 21 = \"EXTRA-21\", default = \"EXTRA-21\" }\n\
        discount = { 21 = \"DISCOUNT\", default = \"DISCOUNT\" }\n";
    let tenant = tenant_with_articles(&host, &emulators, "missing_article = \"create\"", articles);
    let report = run(&host, &tenant);
    assert_eq!(report.summary.parked, 0, "{:?}", report.summary.notes);
    assert_exactly_once(&emulators);

    let shop = emulators.ccvshop.state()["shop"]["orders"].clone();
    let by_number: std::collections::BTreeMap<String, &Value> = shop
        .as_object()
        .unwrap()
        .values()
        .filter_map(|o| Some((format!("ORD-{}", o["ordernumber"].as_u64()?), o)))
        .collect();
    let books = emulators.eaccounting.state()["books"].clone();
    let customers = books["customers"].as_array().unwrap();
    let mut checked = (0, 0, 0, 0);
    for invoice in invoices(&emulators) {
        let reference = invoice["OurReference"].as_str().unwrap();
        let order = by_number[reference];
        let (gross, vat) = shop_totals(order);
        let total = invoice["TotalAmount"].as_f64().unwrap();
        let books_vat = invoice["TotalVatAmount"].as_f64().unwrap();
        assert!((total - gross).abs() <= 0.05, "{reference}: books total {total:.2}, shop {gross:.2}: {invoice:#}");
        assert!((books_vat - vat).abs() <= 0.05, "{reference}: books VAT {books_vat:.2}, shop {vat:.2}: {invoice:#}");

        // Every shop row as an article row with its SKU (the variant's own)
        // and count, in the shop's order (a row booked as two, for its
        // amount to the cent, counts once).
        let rows = invoice["Rows"].as_array().unwrap();
        let mut article_rows: Vec<(&str, f64)> = Vec::new();
        for row in rows.iter().filter(|r| r["ArticleNumber"].as_str().is_some_and(|n| n.starts_with("SKU-"))) {
            let (sku, quantity) = (row["ArticleNumber"].as_str().unwrap(), row["Quantity"].as_f64().unwrap());
            match article_rows.last_mut() {
                Some((last, total)) if *last == sku && quantity == 1.0 => *total += quantity,
                _ => article_rows.push((sku, quantity)),
            }
        }
        let shop_rows: Vec<(&str, f64)> = order["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let sku = r["sub_sku_number"].as_str().or(r["product_number"].as_str()).unwrap();
                (sku, r["count"].as_f64().unwrap())
            })
            .collect();
        assert_eq!(article_rows, shop_rows, "{reference}: article rows");

        let sum_of = |prefix: &str| -> f64 {
            rows.iter()
                .filter(|r| r["ArticleNumber"].as_str().is_some_and(|n| n.starts_with(prefix)))
                .map(|r| r["Amount"].as_f64().unwrap())
                .sum()
        };
        let shipping = order["total_shipping"].as_f64().unwrap();
        if shipping > 0.0 {
            checked.0 += 1;
            assert!(sum_of("SHIPPING").abs() > 0.0, "{reference}: a shipping row");
        }
        if let Some(coupon) = order["coupon"]["discount"].as_f64() {
            checked.1 += 1;
            assert!(sum_of("COUPON").abs() > 0.0, "{reference}: coupon rows");
            assert!(sum_of("COUPON") < 0.0, "{reference}: the coupon lowers the total ({coupon})");
        }
        if order["rows"].as_array().unwrap().iter().any(|r| r["discount"].as_f64().unwrap() > 0.0) {
            checked.2 += 1;
        }

        // The buyer: the customer with the order's e-mail, a company when
        // the shop names one, else a private person.
        let person = &order["customer"]["person"];
        let customer = customers.iter().find(|c| c["Id"] == invoice["CustomerId"]).expect("the invoice's customer");
        assert_eq!(customer["EmailAddress"].as_str(), person["email"].as_str(), "{reference}: customer by e-mail");
        let company = person["company"].as_str().is_some_and(|c| !c.is_empty());
        if customers.iter().filter(|c| c["EmailAddress"] == person["email"]).count() == 1 && company {
            checked.3 += 1;
            assert_eq!(customer["IsPrivatePerson"], false, "{reference}: a company buyer is a business customer");
        }
    }
    let (shipping, coupons, row_discounts, companies) = checked;
    assert!(
        shipping > 20 && coupons > 5 && row_discounts > 5 && companies > 5,
        "the seed covers each case: {checked:?}"
    );
}

#[test]
fn with_one_default_customer_every_order_is_booked_on_it_and_no_customer_is_created() {
    let emulators =
        Emulators::start(Options { orders: 40, products: 60, rate_limits: false, ..Options::default() }).unwrap();
    let customers_before = emulators.eaccounting.state()["books"]["customers"].as_array().unwrap().clone();
    let default = customers_before[0]["Id"].as_str().unwrap().to_string();
    let host = host();
    let settings =
        format!("missing_article = \"create\"\ncustomers = \"default\"\ndefault_customer_id = \"{default}\"");
    let report = run(&host, &tenant(&host, &emulators, &settings));
    assert_eq!(report.summary.parked, 0, "{:?}", report.summary.notes);
    assert_exactly_once(&emulators);
    assert!(invoices(&emulators).iter().all(|i| i["CustomerId"] == default.as_str()));
    let customers_after = emulators.eaccounting.state()["books"]["customers"].as_array().unwrap().clone();
    assert_eq!(customers_after.len(), customers_before.len(), "no customer created");
}

#[test]
fn an_order_the_books_refuse_is_parked_with_their_reason_and_synced_once_the_config_is_fixed() {
    let emulators =
        Emulators::start(Options { orders: 30, products: 60, rate_limits: false, ..Options::default() }).unwrap();
    let host = host();
    // Terms of payment the books do not have: every new customer is refused.
    let bogus = "payment_terms.default = \"0b5e9f43-0000-4000-8000-000000000000\"\nmissing_article = \"create\"";
    let first = run(&host, &tenant(&host, &emulators, bogus));
    assert!(first.summary.parked > 0, "{:?}", first.summary);
    assert!(
        first.summary.notes.iter().any(|n| n.contains("TermsOfPaymentId") && n.contains("0b5e9f43")),
        "the books' reason, naming the field and value: {:?}",
        first.summary.notes
    );
    let terms = emulators.eaccounting.state()["books"]["termsofpayments"][0]["Id"].as_str().unwrap().to_string();
    let fixed = format!("payment_terms.default = \"{terms}\"\nmissing_article = \"create\"");
    let second = run(&host, &tenant(&host, &emulators, &fixed));
    assert_eq!(second.summary.parked, 0, "{:?}", second.summary.notes);
    assert_exactly_once(&emulators);
}

#[test]
fn an_older_order_paid_after_a_run_is_synced_by_the_next_run() {
    let emulators =
        Emulators::start(Options { orders: 120, products: 60, rate_limits: false, ..Options::default() }).unwrap();
    let host = host();
    // The seed's orders are from 2025: look back far enough to see them.
    let tenant = tenant(&host, &emulators, "missing_article = \"create\"\nrecheck_days = 3650");
    run(&host, &tenant);
    // The oldest completed order still unpaid (a bank transfer, say) is paid
    // now, with newer orders already synced past it.
    let shop = emulators.ccvshop.state()["shop"]["orders"].clone();
    let unpaid = shop
        .as_object()
        .unwrap()
        .values()
        .filter(|o| o["paid"] == false && o["is_completed"] == true)
        .min_by_key(|o| o["id"].as_u64().unwrap())
        .expect("the seed has unpaid completed orders")["id"]
        .as_u64()
        .unwrap();
    emulators.ccvshop.mark_order_paid(unpaid).unwrap();
    let second = run(&host, &tenant);
    assert_eq!(second.summary.synced, 1, "{:?}", second.summary);
    assert_exactly_once(&emulators);

    // Looking back costs the shop's listing, and nothing in the books.
    let before = emulators.eaccounting.request_counts();
    let third = run(&host, &tenant);
    assert_eq!(third.summary.synced, 0, "{:?}", third.summary);
    assert_eq!(emulators.eaccounting.request_counts().into_iter().filter(|(k, n)| before.get(k) != Some(n)).count(), 0);
}

/// Writes the books have answered so far (POST and PUT, any collection).
fn books_writes(emulators: &Emulators) -> u64 {
    let counts = emulators.eaccounting.request_counts();
    counts.iter().filter(|(k, _)| k.starts_with("POST ") || k.starts_with("PUT ")).map(|(_, n)| n).sum()
}

fn warnings(host: &Host, report: &RunReport) -> Vec<String> {
    let query = trestle_host::ActivityQuery { run_id: Some(report.run_id.clone()), ..Default::default() };
    host.activity(&query).unwrap().into_iter().filter(|e| e.level == "warn").map(|e| e.message).collect()
}

/// The shop's orders carry `transaction_id` and `track_and_trace_code`,
/// which eAccounting's invoice schema does not have (and the books refuse).
#[test]
fn shop_fields_the_books_schema_lacks_are_dropped_with_one_warning_per_run() {
    let emulators =
        Emulators::start(Options { orders: 60, products: 60, rate_limits: false, ..Options::default() }).unwrap();
    let host = host();
    let tenant = tenant(&host, &emulators, "missing_article = \"create\"");
    let report = run(&host, &tenant);
    assert_eq!(report.summary.parked, 0, "{:?}", report.summary.notes);
    assert_exactly_once(&emulators);
    let invoices = invoices(&emulators);
    assert!(invoices.len() > 10, "{} invoices", invoices.len());
    for invoice in &invoices {
        assert!(invoice.get("transaction_id").is_none() && invoice.get("track_and_trace_code").is_none());
        assert!(invoice["YourReference"].as_str().is_some_and(|r| r.starts_with("Webshop order")), "{invoice}");
        let date = invoice["InvoiceDate"].as_str().unwrap();
        assert!(date.len() > 10 && date.contains('T'), "a date-time, as the schema types it: {date}");
    }
    let dropped: Vec<String> = warnings(&host, &report).into_iter().filter(|w| w.contains("custom field")).collect();
    assert_eq!(dropped.len(), 2, "one warning per field and run: {dropped:?}");
    for field in ["transaction_id", "track_and_trace_code"] {
        assert!(dropped.iter().any(|w| w.contains(&format!("`{field}`")) && w.contains("not sent")), "{dropped:?}");
    }
}

/// A mapping that sets what the connector owns (our reference, the rows,
/// the customer) parks the order naming the field, and writes nothing.
#[test]
fn a_mapping_cannot_replace_our_reference_rows_or_customer() {
    let emulators =
        Emulators::start(Options { orders: 40, products: 60, rate_limits: false, ..Options::default() }).unwrap();
    let customer = emulators.eaccounting.state()["books"]["customers"][0]["Id"].as_str().unwrap().to_string();
    let host = host();
    let config = format!(
        "tenant = \"e2e\"\n{}\n[mapping]\nmodule = {:?}\n\n[flows.orders]\n\
         roles = {{ order-source = \"shop\", customer-sink = \"books\", sales-document-sink = \"books\", \
         product-source = \"books\", product-sink = \"books\" }}\n\
         [flows.orders.settings]\ndocument = \"invoice\"\nmissing_article = \"create\"\n\
         customers = \"default\"\ndefault_customer_id = \"{customer}\"\n\
         [flows.orders.settings.article]\n{COST_ARTICLES}",
        emulators.connection_settings().tenant_connections(),
        trestle_artifacts::HOSTILE_OWNED_CUSTOM_FIELDS,
    );
    let config = TenantConfig::parse(&config).expect("the test's tenant config is valid");
    let tenant = PreparedTenant::prepare(&host, &Builtins, config).unwrap_or_else(|e| panic!("{e:#}"));
    let report = run(&host, &tenant);

    let paid = trestle_e2e::paid_order_numbers(&emulators);
    assert_eq!(report.summary.synced, 0, "{:?}", report.summary);
    assert_eq!(report.summary.parked as usize, paid.len(), "every paid order parked: {:?}", report.summary.notes);
    let parked =
        host.activity(&trestle_host::ActivityQuery { outcome: Some("parked".into()), ..Default::default() }).unwrap();
    let mut named = BTreeSet::new();
    for record in &parked {
        let number = record.source_id.as_deref().and_then(|id| {
            emulators.ccvshop.state()["shop"]["orders"][id]["ordernumber"].as_u64().map(|n| n.to_string())
        });
        let digit = number.and_then(|n| n.chars().last()).and_then(|c| c.to_digit(10)).unwrap();
        let field = ["OurReference", "Rows", "CustomerId"][(digit % 3) as usize];
        assert!(
            record.message.contains(&format!("custom field `{field}`")) && record.message.contains("owns"),
            "the reason names the field the mapping set: {}",
            record.message
        );
        named.insert(field);
    }
    assert_eq!(named.len(), 3, "each owned field was tried: {named:?}");
    assert!(invoices(&emulators).is_empty(), "no invoice reached the books");
    let articles_created = emulators.eaccounting.request_counts().get("POST /v2/articles").copied().unwrap_or(0);
    assert_eq!(books_writes(&emulators), articles_created, "nothing but missing articles was written");
}

#[test]
fn an_unknown_setting_is_refused_naming_it_and_the_allowed_ones() {
    let emulators =
        Emulators::start(Options { orders: 10, products: 60, rate_limits: false, ..Options::default() }).unwrap();
    let host = host();
    let cases = [
        ("missing_articles = \"create\"", "`missing_articles` is not a setting of the orders flow"),
        ("payment_term = { ideal = \"x\" }", "`payment_term.ideal` is not a setting of the orders flow"),
    ];
    for (settings, expected) in cases {
        let tenant = tenant(&host, &emulators, settings);
        let run = tenant.flow_run(&host, &Builtins, "orders", Trigger::Scheduled).unwrap();
        let error = format!("{:#}", host.run_flow(run).expect_err(settings));
        assert!(error.contains(expected), "{settings}: {error}");
        for allowed in ["missing_article", "payment_terms.<payment method or default>", "article.<line kind>"] {
            assert!(error.contains(allowed), "{settings}: names the allowed setting {allowed}: {error}");
        }
    }
    assert!(invoices(&emulators).is_empty(), "a refused run writes nothing");
}

/// A registered buyer in the shop (see `trestle_e2e::person`); returns the
/// user id.
fn buyer(emulators: &Emulators, email: &str, company: Option<&str>, country: &str) -> u64 {
    emulators.ccvshop.add_user(trestle_e2e::person(email, company, country))
}

/// A paid checkout by `user`: `count` x `sku`; returns the order id.
fn order_by(emulators: &Emulators, user: u64, sku: &str, count: f64) -> u64 {
    let rows = vec![ccvshop_emulator::NewOrderRow { sku: sku.into(), count }];
    let order = ccvshop_emulator::NewOrder { rows, user_id: Some(user), paid: true };
    emulators.ccvshop.place_order(&order).unwrap()
}

/// The shop's order as its dump shows it.
fn shop_order(emulators: &Emulators, id: u64) -> Value {
    emulators.ccvshop.state()["shop"]["orders"][id.to_string()].clone()
}

/// The invoice the shop order `id` became.
fn invoice_of(emulators: &Emulators, id: u64) -> Value {
    let reference = format!("ORD-{}", shop_order(emulators, id)["ordernumber"].as_u64().unwrap());
    invoices(emulators)
        .into_iter()
        .find(|i| i["OurReference"] == reference.as_str())
        .unwrap_or_else(|| panic!("no invoice for {reference}"))
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

#[test]
fn a_large_row_with_a_per_unit_discount_is_booked_to_the_cent_for_private_and_business_buyers() {
    let emulators =
        Emulators::start(Options { orders: 0, products: 60, rate_limits: false, ..Options::default() }).unwrap();
    let (product, sku) = simple_products(&emulators).into_iter().next().expect("the seed has simple products");
    // 0.75 off each unit: as a four-decimal fraction of 11.47 it is off by
    // a few cents over 300 units.
    emulators
        .ccvshop
        .update_product(product, serde_json::json!({"price": 11.47, "discount": 0.75, "vatrate": 21}))
        .unwrap();
    let private = buyer(&emulators, "fenna@visser.example", None, "NL");
    let business = buyer(&emulators, "inkoop@devries.example", Some("Bakkerij De Vries B.V."), "NL");
    let orders = [order_by(&emulators, private, &sku, 300.0), order_by(&emulators, business, &sku, 300.0)];
    let host = host();
    let report = run(&host, &tenant(&host, &emulators, "missing_article = \"create\""));
    assert_eq!((report.summary.synced, report.summary.parked), (2, 0), "{:?}", report.summary);

    for id in orders {
        let order = shop_order(&emulators, id);
        let row = &order["rows"][0];
        let f = |k: &str| row[k].as_f64().unwrap();
        // The shop's row: its selling price times the count, in its basis.
        let shop_amount = round2(round2(f("price") - f("discount")) * f("count"));
        let rate = f("tax");
        let (gross, net) = if order["prices_include_tax"] == true {
            (shop_amount, shop_amount - round2(shop_amount * rate / (100.0 + rate)))
        } else {
            (shop_amount + round2(shop_amount * rate / 100.0), shop_amount)
        };
        let invoice = invoice_of(&emulators, id);
        let rows: Vec<&Value> =
            invoice["Rows"].as_array().unwrap().iter().filter(|r| r["ArticleNumber"] == sku.as_str()).collect();
        let booked: f64 = rows.iter().map(|r| r["Amount"].as_f64().unwrap()).sum();
        let quantity: f64 = rows.iter().map(|r| r["Quantity"].as_f64().unwrap()).sum();
        let expected = if invoice["IncludesVat"] == true { gross } else { net };
        assert!(
            (round2(booked) - expected).abs() < 0.001,
            "order {id} ({}): books {booked:.2} for the row, the shop {expected:.2}: {rows:#?}",
            if invoice["IncludesVat"] == true { "gross" } else { "net" }
        );
        assert_eq!(quantity, 300.0, "every unit booked once");
    }
    let kinds: BTreeSet<bool> = orders.iter().map(|id| invoice_of(&emulators, *id)["IncludesVat"] == true).collect();
    assert_eq!(kinds.len(), 2, "one invoice in gross prices, one in net prices");
}

fn article(emulators: &Emulators, number: &str) -> Value {
    let articles = emulators.eaccounting.state()["books"]["articles"].clone();
    articles.as_array().unwrap().iter().find(|a| a["Number"] == number).cloned().unwrap_or(Value::Null)
}

fn coding_of(emulators: &Emulators, article: &Value) -> Value {
    let codings = emulators.eaccounting.state()["books"]["articleaccountcodings"].clone();
    codings.as_array().unwrap().iter().find(|c| c["Id"] == article["CodingId"]).cloned().expect("the article's coding")
}

#[test]
fn an_article_created_from_a_shop_order_copies_the_shop_product_and_keeps_no_stock() {
    let emulators =
        Emulators::start(Options { orders: 0, products: 60, rate_limits: false, ..Options::default() }).unwrap();
    let simple = simple_products(&emulators);
    let (shop_only, gone) = (simple[0].0, simple[1].0);
    shop_only_product(&emulators, shop_only, "SHOP-ONLY-1");
    let dutch_person = buyer(&emulators, "fenna@visser.example", None, "NL");
    let host = host();
    let tenant = tenant(&host, &emulators, "missing_article = \"create\"");
    let order = order_by(&emulators, dutch_person, "SHOP-ONLY-1", 2.0);
    let first = run(&host, &tenant);
    assert_eq!((first.summary.synced, first.summary.parked), (1, 0), "{:?}", first.summary.notes);

    // The shop's name, EAN, active flag, price and rate; no stock of its own
    // (the shop keeps it), so an invoice leaves no negative balance.
    let created = article(&emulators, "SHOP-ONLY-1");
    assert_eq!(created["Name"], "Linen apron");
    assert_eq!(created["IsActive"], false, "inactive, as in the shop");
    assert_eq!(created["Barcodes"][0]["Barcode"], "8712345678906");
    assert_eq!(created["GrossPrice"], 24.95);
    assert_eq!(created["IsStock"], false, "the shop keeps the stock");
    assert_eq!(created["StockBalance"], 0.0);
    let coding = coding_of(&emulators, &created);
    assert_eq!((coding["VatRatePercent"].as_f64(), coding["Type"].as_str()), (Some(0.21), Some("Goods")));
    assert_eq!(invoice_of(&emulators, order)["Rows"][0]["ArticleNumber"], "SHOP-ONLY-1");

    // A product the shop no longer has: the article is made from the row,
    // and the activity log says so.
    emulators.ccvshop.update_product(gone, serde_json::json!({"productnumber": "GONE-1", "vatrate": 21})).unwrap();
    let late = order_by(&emulators, dutch_person, "GONE-1", 3.0);
    emulators.ccvshop.update_product(gone, serde_json::json!({"productnumber": "GONE-1-RENAMED"})).unwrap();
    let second = run(&host, &tenant);
    assert_eq!((second.summary.synced, second.summary.parked), (1, 0), "{:?}", second.summary.notes);
    let from_row = article(&emulators, "GONE-1");
    let row = &shop_order(&emulators, late)["rows"][0];
    assert_eq!(from_row["Name"], row["product_name"]);
    assert_eq!(from_row["IsStock"], false);
    assert_eq!(coding_of(&emulators, &from_row)["VatRatePercent"].as_f64(), Some(0.21));
    let warned = host
        .activity(&trestle_host::ActivityQuery { kind: Some("log".into()), ..Default::default() })
        .unwrap()
        .into_iter()
        .any(|e| e.message.contains("GONE-1") && e.message.contains("the shop no longer has"));
    assert!(warned, "the activity log says the article was made from the order row");
}

#[test]
fn an_article_first_sold_vat_free_abroad_books_full_vat_on_later_domestic_orders() {
    let emulators =
        Emulators::start(Options { orders: 0, products: 60, rate_limits: false, ..Options::default() }).unwrap();
    let (product, _) = simple_products(&emulators)[0].clone();
    shop_only_product(&emulators, product, "SHOP-ONLY-1");
    let belgian_business = buyer(&emulators, "inkoop@bakker.example", Some("Bakker BVBA"), "BE");
    let dutch_person = buyer(&emulators, "fenna@visser.example", None, "NL");
    let host = host();
    let tenant = tenant(&host, &emulators, "missing_article = \"create\"");

    // First sold to a business elsewhere in the EU: 0 % on the row.
    let intra = order_by(&emulators, belgian_business, "SHOP-ONLY-1", 2.0);
    assert_eq!(shop_order(&emulators, intra)["is_intra_community_order"], true);
    let first = run(&host, &tenant);
    assert_eq!((first.summary.synced, first.summary.parked), (1, 0), "{:?}", first.summary.notes);
    // Then at home.
    let domestic = order_by(&emulators, dutch_person, "SHOP-ONLY-1", 1.0);
    let second = run(&host, &tenant);
    assert_eq!((second.summary.synced, second.summary.parked), (1, 0), "{:?}", second.summary.notes);

    let domestic_invoice = invoice_of(&emulators, domestic);
    let (_, shop_vat) = shop_totals(&shop_order(&emulators, domestic));
    let books_vat = domestic_invoice["TotalVatAmount"].as_f64().unwrap();
    assert!((books_vat - shop_vat).abs() < 0.01, "books VAT {books_vat:.2}, the shop's {shop_vat:.2}");
    let intra_invoice = invoice_of(&emulators, intra);
    assert_eq!(intra_invoice["TotalVatAmount"], 0.0, "{intra_invoice:#}");
    assert!(intra_invoice["Rows"].as_array().unwrap().iter().all(|r| r["IsVatFree"] == true), "{intra_invoice:#}");
}

#[test]
fn cost_articles_are_services_with_neutral_names_and_a_zero_rate_fee_parks_instead_of_borrowing_a_coding() {
    let emulators =
        Emulators::start(Options { orders: 150, products: 60, rate_limits: false, ..Options::default() }).unwrap();
    let host = host();
    // 0 % fees (intra-community and export orders) get an article of their own.
    let articles = COST_ARTICLES.replace(
        "payment-fee = { 21 = \"PAYMENT-FEE\", default = \"PAYMENT-FEE\" }",
        "payment-fee = { 21 = \"PAYMENT-FEE\", default = \"FEE-0\" }",
    );
    let settings = "missing_article = \"create\"";
    let report = run(&host, &tenant_with_articles(&host, &emulators, settings, &articles));

    // Service articles, no stock (so no negative balances), named for their
    // kind and rate rather than after the first order that needed them.
    let expected = [
        ("SHIPPING", &["Shipping 21 %"][..]),
        ("PAYMENT-FEE", &["Payment fee 21 %"][..]),
        ("DISCOUNT", &["Coupon 21 %", "Discount 21 %"][..]),
        ("EXTRA-COST", &["Extra cost 21 %"][..]),
    ];
    for (number, names) in expected {
        let created = article(&emulators, number);
        assert!(!created.is_null(), "{number} was created: {:?}", report.summary.notes);
        assert!(names.contains(&created["Name"].as_str().unwrap()), "{number}: {}", created["Name"]);
        assert_eq!((created["IsStock"].as_bool(), created["StockBalance"].as_f64()), (Some(false), Some(0.0)));
        let coding = coding_of(&emulators, &created);
        assert_eq!((coding["Type"].as_str(), coding["VatRatePercent"].as_f64()), (Some("Service"), Some(0.21)));
    }

    // A 0 % fee: the books have no 0 % services coding, so the order parks
    // naming the rate and what to set, and nothing lands on the 0 % goods or
    // gift-card coding.
    let zero_rate_fees: BTreeSet<String> = emulators.ccvshop.state()["shop"]["orders"]
        .as_object()
        .unwrap()
        .values()
        .filter(|o| o["paid"] == true && o["is_completed"] == true)
        .filter(|o| o["shipping_tax_percentage"] == 0.0 && o["paymethod_costs"].as_f64().unwrap_or(0.0) > 0.0)
        .map(|o| format!("ORD-{}", o["ordernumber"]))
        .collect();
    assert!(!zero_rate_fees.is_empty(), "the seed has VAT-free orders with a payment fee");
    let parked: BTreeSet<String> = report
        .summary
        .notes
        .iter()
        .filter(|n| n.contains("parked"))
        .inspect(|n| assert!(n.contains("0 % VAT") && n.contains("article.payment-fee.0"), "{n}"))
        .filter_map(|n| n.split_whitespace().nth(1).map(|s| s.trim_end_matches(':').to_string()))
        .collect();
    assert_eq!(parked, zero_rate_fees, "exactly the orders with a 0 % fee park");
    assert!(article(&emulators, "FEE-0").is_null());
    let books = emulators.eaccounting.state()["books"].clone();
    let gift_cards =
        books["articleaccountcodings"].as_array().unwrap().iter().find(|c| c["NameEnglish"] == "Gift cards");
    let gift_cards = gift_cards.expect("the books have a gift-card coding")["Id"].clone();
    assert!(
        books["articles"].as_array().unwrap().iter().all(|a| a["CodingId"] != gift_cards),
        "no article on gift cards"
    );

    // Told to book them on the 21 % fee article (VAT-free rows), they land.
    let fixed = tenant_with_articles(&host, &emulators, settings, COST_ARTICLES);
    let second = run(&host, &fixed);
    assert_eq!(second.summary.parked, 0, "{:?}", second.summary.notes);
    assert_exactly_once(&emulators);
}

/// Both emulators seeded as `Emulators::start` seeds them, with a shop whose
/// order listing ignores `expand=orderrows`: each order's rows are a request
/// of their own.
fn shop_listing_orders_without_rows(orders: usize) -> Emulators {
    let ccvshop = ccvshop_emulator::start(ccvshop_emulator::Config {
        orders,
        rate_limits: None,
        expand_rows_in_lists: false,
        ..ccvshop_emulator::Config::default()
    })
    .unwrap();
    let eaccounting = eaccounting_emulator::start(eaccounting_emulator::Config {
        seed: ccvshop.config().seed,
        catalogue_size: ccvshop.config().products,
        rate_limit_per_minute: None,
        ..eaccounting_emulator::Config::default()
    })
    .unwrap();
    Emulators { ccvshop, eaccounting }
}

#[test]
fn a_rerun_costs_the_shop_listing_alone_when_the_listing_carries_no_rows() {
    let emulators = shop_listing_orders_without_rows(60);
    let host = host();
    let tenant = tenant(&host, &emulators, "missing_article = \"create\"");
    let first = run(&host, &tenant);
    assert!(first.summary.synced > 10, "{:?}", first.summary);
    // Each order's rows read once, for the orders the run handled.
    let rows_read: u64 =
        emulators.ccvshop.request_counts().iter().filter(|(k, _)| k.ends_with("/orderrows")).map(|(_, n)| n).sum();
    assert_eq!(rows_read, u64::from(first.summary.synced + first.summary.parked), "{:?}", first.summary);

    emulators.ccvshop.reset_request_counts();
    let second = run(&host, &tenant);
    assert_eq!((second.summary.synced, second.summary.parked), (0, 0), "{:?}", second.summary);
    let calls = emulators.ccvshop.request_counts();
    assert!(calls.keys().all(|k| k == "GET /api/rest/v1/orders"), "a rerun reads the listing only: {calls:?}");
}
