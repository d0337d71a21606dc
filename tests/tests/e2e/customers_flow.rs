//! The customers flow end to end: the CCV Shop and eAccounting connectors,
//! the customers flow and the example mapping, run by the host against both
//! emulators over real sockets. The books start with half of the shop's
//! customers already in them (same e-mail addresses), so the first run both
//! creates and updates.

use std::collections::{BTreeMap, BTreeSet};

use eaccounting_emulator::StringComparison;
use emulator_kit::seed::Person;
use serde_json::{Value, json};
use trestle_artifacts::Builtins;
use trestle_emulators::{Emulators, Options};
use trestle_host::bindings::Trigger;
use trestle_host::run::RunReport;
use trestle_host::tenant::{PreparedTenant, TenantConfig};
use trestle_host::{ActivityEntry, ActivityQuery, Host};

fn start() -> Emulators {
    Emulators::start(Options { orders: 0, rate_limits: false, ..Options::default() }).unwrap()
}

/// A tenant syncing the emulated shop's customers into the emulated books;
/// `settings` are the lines of `[flows.customers.settings]`.
fn tenant(host: &Host, emulators: &Emulators, settings: &str) -> PreparedTenant {
    let config = format!(
        "tenant = \"e2e\"\n{}\n[mapping]\nmodule = \"country-codes\"\n\n[flows.customers]\n\
         roles = {{ customer-source = \"shop\", customer-sink = \"books\" }}\n\
         [flows.customers.settings]\n{settings}\n",
        emulators.connection_settings().tenant_connections(),
    );
    let config = TenantConfig::parse(&config).expect("the test's tenant config is valid");
    PreparedTenant::prepare(host, &Builtins, config).unwrap_or_else(|e| panic!("{e:#}"))
}

fn try_run(host: &Host, tenant: &PreparedTenant, trigger: Trigger) -> anyhow::Result<RunReport> {
    host.run_flow(tenant.flow_run(host, &Builtins, "customers", trigger).unwrap())
}

fn run(host: &Host, tenant: &PreparedTenant) -> RunReport {
    try_run(host, tenant, Trigger::Scheduled).unwrap_or_else(|e| panic!("the run failed: {e:#}"))
}

fn terms_id(emulators: &Emulators, english_name: &str) -> String {
    let terms = emulators.eaccounting.state()["books"]["termsofpayments"].as_array().cloned().unwrap();
    let found = terms.iter().find(|t| t["NameEnglish"] == english_name).expect("seeded terms of payment");
    found["Id"].as_str().unwrap().to_string()
}

/// Terms by region, VAT codes by the home country, one country and the
/// rest, revenue accounts by the home country and region.
fn country_settings(emulators: &Emulators) -> String {
    format!(
        "terms_of_payment = {{ default = {:?}, export = {:?} }}\n\
         vat_code = {{ domestic = \"NL21\", SE = \"MP1\", default = \"NL0\" }}\n\
         revenue_account = {{ NL = 3001, eu = 3002, export = 3003 }}\n",
        terms_id(emulators, "14 days"),
        terms_id(emulators, "Cash"),
    )
}

/// (terms of payment, VAT code, revenue account) `country_settings` gives
/// a customer in `country`.
fn expected_defaults(emulators: &Emulators, country: &str) -> (String, &'static str, u64) {
    let terms = terms_id(emulators, if country == "US" { "Cash" } else { "14 days" });
    let vat_code = match country {
        "NL" => "NL21",
        "SE" => "MP1",
        _ => "NL0",
    };
    let account = match country {
        "NL" => 3001,
        "US" => 3003,
        _ => 3002,
    };
    (terms, vat_code, account)
}

/// The shop's registered customers by user id.
fn shop_users(emulators: &Emulators) -> BTreeMap<String, Value> {
    let users = emulators.ccvshop.state()["shop"]["users"].as_object().cloned().expect("the shop dump lists users");
    users.into_iter().collect()
}

fn books_customers(emulators: &Emulators) -> Vec<Value> {
    emulators.eaccounting.state()["books"]["customers"].as_array().cloned().unwrap_or_default()
}

fn by_email<'a>(customers: &'a [Value], email: &str) -> Vec<&'a Value> {
    customers.iter().filter(|c| c["EmailAddress"] == email).collect()
}

/// Customer writes the books have answered so far, by "METHOD path".
fn customer_writes(emulators: &Emulators) -> BTreeMap<String, u64> {
    let counts = emulators.eaccounting.request_counts();
    counts
        .into_iter()
        .filter(|(endpoint, _)| {
            (endpoint.starts_with("POST ") || endpoint.starts_with("PUT ")) && endpoint.contains("/customers")
        })
        .collect()
}

fn total(writes: &BTreeMap<String, u64>) -> u64 {
    writes.values().sum()
}

/// Writes between two snapshots of `customer_writes`.
fn writes_since(before: &BTreeMap<String, u64>, emulators: &Emulators) -> u64 {
    total(&customer_writes(emulators)) - total(before)
}

fn activity(host: &Host, report: &RunReport, outcome: &str) -> Vec<ActivityEntry> {
    host.activity(&ActivityQuery {
        run_id: Some(report.run_id.clone()),
        record_kind: Some("customer".into()),
        outcome: Some(outcome.into()),
        ..Default::default()
    })
    .unwrap()
}

fn host() -> Host {
    trestle_e2e::host()
}

#[test]
fn every_shop_customer_lands_once_with_its_kind_and_country_defaults_and_a_rerun_writes_nothing() {
    let emulators = start();
    let host = host();
    let tenant = tenant(&host, &emulators, &country_settings(&emulators));
    let seeded_in_books = books_customers(&emulators).len();
    let users = shop_users(&emulators);

    let first = run(&host, &tenant);
    assert_eq!(first.summary.parked, 0, "{:?}", first.summary.notes);
    assert_eq!(first.summary.synced as usize, users.len(), "{:?}", first.summary);

    // Each shop customer once, found by e-mail: the ones the books had are
    // updated in place, the others created.
    let customers = books_customers(&emulators);
    let new_in_books = users.len() - seeded_in_books;
    assert_eq!(customers.len(), seeded_in_books + new_in_books, "no duplicates, nothing else");
    let synced = activity(&host, &first, "synced");
    assert_eq!(synced.len(), users.len(), "one activity record per customer");
    let updated = synced.iter().filter(|r| r.message.contains("updated books customer")).count();
    assert_eq!(updated, seeded_in_books, "the customers the books had are updated, the rest created");
    for (id, user) in &users {
        let person = &user["customer"]["person"];
        let email = person["email"].as_str().unwrap();
        let matches = by_email(&customers, email);
        assert_eq!(matches.len(), 1, "{email} is in the books exactly once");
        let books = matches[0];
        let country = person["country_code"].as_str().unwrap();
        match person["company"].as_str() {
            Some(company) => {
                assert_eq!(books["IsPrivatePerson"], false, "{email} is a company");
                assert_eq!(books["Name"], company);
                let buyer =
                    format!("{} {}", person["first_name"].as_str().unwrap(), person["last_name"].as_str().unwrap());
                assert_eq!(books["ContactPersonName"], buyer.as_str(), "the buyer is the company's contact");
                assert_eq!(books["VatNumber"], person["vat_number"]);
            }
            None => assert_eq!(books["IsPrivatePerson"], true, "{email} is a private person"),
        }
        assert_eq!(books["InvoiceCountryCode"], country);
        let (terms, vat_code, account) = expected_defaults(&emulators, country);
        assert_eq!(books["TermsOfPaymentId"], terms.as_str(), "terms of payment of {email} ({country})");

        // eAccounting keeps no VAT code or revenue account on a customer
        // (its article codings decide them), so what the flow resolved and
        // sent is checked in the activity log.
        let record = synced.iter().find(|r| r.source_id.as_deref() == Some(id)).expect("an activity record");
        assert_eq!(record.target_id.as_deref(), books["Id"].as_str(), "the record names the books customer");
        let sent: Value = serde_json::from_str(record.payload.as_deref().expect("what was sent")).unwrap();
        assert_eq!(sent["vat_code"], vat_code, "VAT code of {email} ({country})");
        assert_eq!(sent["revenue_account"], account, "revenue account of {email} ({country})");
        assert_eq!(sent["terms_of_payment_id"], terms.as_str());
        assert_eq!(sent["email"], email);
    }

    // Nothing changed: nothing is written, and no record says otherwise.
    let before = customer_writes(&emulators);
    let second = run(&host, &tenant);
    assert_eq!((second.summary.synced, second.summary.parked), (0, 0), "{:?}", second.summary);
    assert_eq!(second.summary.skipped as usize, users.len());
    assert_eq!(writes_since(&before, &emulators), 0, "a rerun writes nothing");
    assert!(activity(&host, &second, "synced").is_empty());

    // One customer moves: only that one is written, in place.
    let (moved_id, moved) = users.iter().nth(5).unwrap();
    let email = moved["customer"]["person"]["email"].as_str().unwrap();
    emulators.ccvshop.edit_user(moved_id.parse().unwrap(), |p| p.city = "Haarlem".into()).unwrap();
    let before = customer_writes(&emulators);
    let third = run(&host, &tenant);
    assert_eq!((third.summary.synced, third.summary.parked), (1, 0), "{:?}", third.summary);
    assert_eq!(writes_since(&before, &emulators), 1, "only the changed customer is written");
    let customers = books_customers(&emulators);
    assert_eq!(by_email(&customers, email)[0]["InvoiceCity"], "Haarlem");
    assert_eq!(customers.len(), seeded_in_books + new_in_books, "an update, not a new customer");
    let synced = activity(&host, &third, "synced");
    assert_eq!(synced.len(), 1);
    assert_eq!(synced[0].source_id.as_deref(), Some(moved_id.as_str()));

    // A new sign-up: only it is written, as a new company with its contact.
    let new_id =
        emulators.ccvshop.add_user(trestle_e2e::person("fenna@visser.example", Some("Visser Bouw B.V."), "BE"));
    let before = customer_writes(&emulators);
    let fourth = run(&host, &tenant);
    assert_eq!((fourth.summary.synced, fourth.summary.parked), (1, 0), "{:?}", fourth.summary);
    assert_eq!(writes_since(&before, &emulators), 1);
    let customers = books_customers(&emulators);
    let added = by_email(&customers, "fenna@visser.example");
    assert_eq!(added.len(), 1);
    assert_eq!(added[0]["Name"], "Visser Bouw B.V.");
    assert_eq!(added[0]["IsPrivatePerson"], false);
    assert_eq!(added[0]["ContactPersonName"], "Fenna Visser");
    assert_eq!(activity(&host, &fourth, "synced")[0].source_id, Some(new_id.to_string()));
}

#[test]
fn unmapped_countries_and_customers_without_a_usable_email_are_parked_and_the_rest_land() {
    let emulators = start();
    let host = host();
    // No mapping for export countries: US customers have no revenue account.
    let strict = tenant(&host, &emulators, "revenue_account = { NL = 3001, eu = 3002 }");
    let no_email = emulators.ccvshop.add_user(trestle_e2e::person("", None, "NL"));
    let users = shop_users(&emulators);
    let email_of = |id: &String| users[id]["customer"]["person"]["email"].as_str().unwrap().to_string();
    let first_user = users.keys().next().unwrap().clone();
    let same_email = emulators.ccvshop.add_user(trestle_e2e::person(&email_of(&first_user), None, "DE"));
    let us: BTreeSet<String> = users
        .iter()
        .filter(|(_, u)| u["customer"]["person"]["country_code"] == "US")
        .map(|(id, _)| id.clone())
        .collect();
    assert!(!us.is_empty(), "the seed has customers in the US");

    let first = run(&host, &strict);
    let parked = activity(&host, &first, "parked");
    let parked_ids: BTreeSet<String> = parked.iter().filter_map(|r| r.source_id.clone()).collect();
    let mut expected_parked = us.clone();
    expected_parked.extend([no_email.to_string(), same_email.to_string()]);
    assert_eq!(parked_ids, expected_parked, "{:?}", first.summary.notes);
    assert_eq!(first.summary.parked as usize, expected_parked.len());
    let reason = |id: &str| parked.iter().find(|r| r.source_id.as_deref() == Some(id)).unwrap().message.clone();
    for id in &us {
        let why = reason(id);
        assert!(why.contains("no revenue account for customers in US"), "{why}");
        assert!(why.contains("revenue_account.US (or revenue_account.export)"), "names the setting to add: {why}");
    }
    assert!(reason(&no_email.to_string()).contains("no e-mail address"), "{}", reason(&no_email.to_string()));
    let why = reason(&same_email.to_string());
    assert!(why.contains(&format!("shop customer {first_user} has the same e-mail address")), "{why}");

    // The rest landed; nothing was written for a parked customer.
    assert_eq!(first.summary.synced as usize, users.len() - expected_parked.len() + 1, "{:?}", first.summary);
    let customers = books_customers(&emulators);
    assert!(by_email(&customers, "").is_empty(), "no customer without an e-mail in the books");
    for (id, user) in &users {
        let email = email_of(id);
        let in_books = by_email(&customers, &email);
        assert!(in_books.len() <= 1, "{email} at most once in the books");
        if !expected_parked.contains(id) {
            assert_eq!(in_books.len(), 1, "{email} landed");
            assert_eq!(in_books[0]["InvoiceCountryCode"], user["customer"]["person"]["country_code"]);
        }
    }
    assert_eq!(
        by_email(&customers, &email_of(&first_user))[0]["InvoiceCountryCode"],
        users[&first_user]["customer"]["person"]["country_code"],
        "the first of two customers with one e-mail wins"
    );

    // The export mapping added: the parked US customers land on the next run.
    let fixed = tenant(&host, &emulators, "revenue_account = { NL = 3001, eu = 3002, export = 3003 }");
    let second = run(&host, &fixed);
    let synced: BTreeSet<String> =
        activity(&host, &second, "synced").iter().filter_map(|r| r.source_id.clone()).collect();
    assert!(us.is_subset(&synced), "the US customers land once their country is mapped: {:?}", second.summary);
    assert_eq!(second.summary.parked, 2, "still parked: no e-mail, shared e-mail: {:?}", second.summary.notes);
}

#[test]
fn a_record_id_run_writes_just_that_customer() {
    let emulators = start();
    let host = host();
    let tenant = tenant(&host, &emulators, &country_settings(&emulators));
    run(&host, &tenant);
    let users: Vec<u64> = shop_users(&emulators).keys().map(|id| id.parse().unwrap()).collect();
    let (named, other) = (users[3], users[7]);
    emulators.ccvshop.edit_user(named, |p| p.phone = "+31 20 1234567".into()).unwrap();
    emulators.ccvshop.edit_user(other, |p| p.phone = "+31 20 7654321".into()).unwrap();

    let before = customer_writes(&emulators);
    let report = try_run(&host, &tenant, Trigger::RecordId(named.to_string())).unwrap();
    assert_eq!((report.summary.synced, report.summary.parked), (1, 0), "{:?}", report.summary);
    assert_eq!(writes_since(&before, &emulators), 1, "only the named customer is written");
    assert_eq!(activity(&host, &report, "synced")[0].source_id, Some(named.to_string()));
    let email = &shop_users(&emulators)[&named.to_string()]["customer"]["person"]["email"];
    let customers = books_customers(&emulators);
    let in_books = customers.iter().find(|c| &c["EmailAddress"] == email).unwrap();
    assert_eq!(in_books["Telephone"], "+31 20 1234567");

    // The other change is still there for the next scheduled run.
    let next = run(&host, &tenant);
    assert_eq!(
        activity(&host, &next, "synced").iter().map(|r| r.source_id.clone()).collect::<Vec<_>>(),
        [Some(other.to_string())]
    );

    let missing = try_run(&host, &tenant, Trigger::RecordId("999999".into())).unwrap_err();
    assert!(format!("{missing:#}").contains("the shop has no customer with id 999999"), "{missing:#}");
}

#[test]
fn bad_settings_are_refused_naming_the_key_and_nothing_is_written() {
    let emulators = start();
    let host = host();
    let cases = [
        ("revenue_account = { SE = \"three thousand\" }", "`revenue_account.SE` must be an account number"),
        ("vat_code = { Sweden = \"MP1\" }", "`vat_code.Sweden` names no country"),
        ("revenue_acount = { SE = 3001 }", "`revenue_acount.SE` is not a setting of the customers flow"),
        ("home_country = \"Netherlands\"", "`home_country` must be a two-letter ISO code"),
        ("terms_of_payment = \"\"", "`terms_of_payment` must be the id of a terms of payment"),
    ];
    for (settings, expected) in cases {
        let tenant = tenant(&host, &emulators, settings);
        let error = try_run(&host, &tenant, Trigger::Scheduled).expect_err(settings);
        assert!(format!("{error:#}").contains(expected), "{settings}: {error:#}");
    }
    assert_eq!(total(&customer_writes(&emulators)), 0, "a refused run writes nothing");
}

#[test]
fn injected_faults_converge_to_every_customer_once() {
    let emulators = start();
    let faults = emulator_kit::FaultConfig {
        error_rate: 0.10,
        drop_rate: 0.05,
        burst_every: 40,
        burst_length: 2,
        seed: 11,
        ..Default::default()
    };
    emulators.ccvshop.set_faults(faults.clone()).unwrap();
    emulators.eaccounting.set_faults(faults).unwrap();
    let host = host();
    let tenant = tenant(&host, &emulators, &country_settings(&emulators));
    let mut runs = 0;
    loop {
        runs += 1;
        if let Ok(report) = try_run(&host, &tenant, Trigger::Scheduled)
            && report.summary.parked == 0
        {
            break;
        }
        assert!(runs < 8, "no convergence after {runs} runs");
    }
    emulators.ccvshop.set_faults(Default::default()).unwrap();
    emulators.eaccounting.set_faults(Default::default()).unwrap();
    let customers = books_customers(&emulators);
    for user in shop_users(&emulators).values() {
        let email = user["customer"]["person"]["email"].as_str().unwrap();
        assert_eq!(by_email(&customers, email).len(), 1, "{email} is in the books exactly once");
    }
    assert_eq!(customers.len(), shop_users(&emulators).len(), "nothing else in the books");
}

// ------------------------------------------- what an update may rewrite --

/// A shop and books holding only what a test puts there.
fn empty_shop_and_books(strings: StringComparison) -> Emulators {
    let ccvshop = ccvshop_emulator::start(ccvshop_emulator::Config {
        users: 0,
        orders: 0,
        products: 40,
        rate_limits: None,
        ..ccvshop_emulator::Config::default()
    })
    .unwrap();
    let eaccounting = eaccounting_emulator::start(eaccounting_emulator::Config {
        customers: 0,
        catalogue_size: 40,
        rate_limit_per_minute: None,
        filter_strings: strings,
        ..eaccounting_emulator::Config::default()
    })
    .unwrap();
    Emulators { ccvshop, eaccounting }
}

/// A tenant running `flows` (TOML tables) against both emulators, the books
/// connection with `books_settings` added.
fn tenant_with(host: &Host, emulators: &Emulators, books_settings: &[(&str, &str)], flows: &str) -> PreparedTenant {
    let mut connections = emulators.connection_settings();
    for (key, value) in books_settings {
        connections.eaccounting.insert(key.to_string(), value.to_string());
    }
    let config = format!(
        "tenant = \"e2e\"\n{}\n[mapping]\nmodule = \"country-codes\"\n\n{flows}",
        connections.tenant_connections()
    );
    let config = TenantConfig::parse(&config).expect("the test's tenant config is valid");
    PreparedTenant::prepare(host, &Builtins, config).unwrap_or_else(|e| panic!("{e:#}"))
}

const CUSTOMERS_FLOW: &str = "[flows.customers]\nroles = { customer-source = \"shop\", customer-sink = \"books\" }\n";

fn run_flow(host: &Host, tenant: &PreparedTenant, flow: &str) -> RunReport {
    let run = tenant.flow_run(host, &Builtins, flow, Trigger::Scheduled).unwrap();
    host.run_flow(run).unwrap_or_else(|e| panic!("the {flow} run failed: {e:#}"))
}

fn resident(email: &str, name: (&str, &str), street: (&str, u32, Option<&str>), city: (&str, &str, &str)) -> Person {
    Person {
        first_name: name.0.into(),
        last_name: name.1.into(),
        email: email.into(),
        company: None,
        vat_number: None,
        street: street.0.into(),
        house_number: street.1,
        house_number_suffix: street.2.map(str::to_string),
        postal_code: city.1.into(),
        city: city.0.into(),
        country_code: city.2.into(),
        country_name: city.2.into(),
        phone: "+31 6 55501234".into(),
    }
}

/// The books customer with this id, as the emulator holds it.
fn books_customer(emulators: &Emulators, id: &Value) -> Value {
    books_customers(emulators).into_iter().find(|c| &c["Id"] == id).expect("the customer is in the books")
}

/// `customer` without `fields`, to compare the rest.
fn without(customer: &Value, fields: &[&str]) -> Value {
    let mut rest = customer.clone();
    for field in fields {
        rest.as_object_mut().unwrap().remove(*field);
    }
    rest
}

/// The books already hold these customers the way the shop wrote them (a
/// house number suffix without a space), a company with its own contact
/// person, and a bookkeeper's note: a customers run must not rewrite them,
/// and a change in the shop rewrites only the field that changed.
#[test]
fn an_update_sends_only_what_changed_and_keeps_address_lines_and_contact_as_the_books_hold_them() {
    let emulators = empty_shop_and_books(StringComparison::CaseSensitive);
    let joost = resident(
        "joost@spoorlaan.example",
        ("Joost", "Verbeek"),
        ("Spoorlaan", 210, Some("-2")),
        ("Tilburg", "5038 CB", "NL"),
    );
    let kai = resident(
        "kai@elbe.example",
        ("Kai", "Brandt"),
        ("Große Elbstraße", 145, Some("c")),
        ("Hamburg", "22767", "DE"),
    );
    let mut visser =
        resident("inkoop@visser.example", ("Fenna", "Visser"), ("Damrak", 7, None), ("Amsterdam", "1012 LG", "NL"));
    visser.company = Some("Visser Bouw B.V.".into());
    visser.vat_number = Some("NL123456789B01".into());
    let company_user = emulators.ccvshop.add_user(visser.clone());
    for person in [&joost, &kai] {
        emulators.ccvshop.add_user(person.clone());
    }
    let in_books = |p: &Person, line: &str| {
        json!({"Name": format!("{} {}", p.first_name, p.last_name), "IsPrivatePerson": true, "IsActive": true,
               "EmailAddress": p.email, "Telephone": p.phone, "InvoiceAddress1": line,
               "InvoicePostalCode": p.postal_code, "InvoiceCity": p.city, "InvoiceCountryCode": p.country_code,
               "Note": "Vaste klant"})
    };
    emulators.eaccounting.add_customer(in_books(&joost, "Spoorlaan 210-2"));
    emulators.eaccounting.add_customer(in_books(&kai, "Große Elbstraße 145c"));
    let mut company = in_books(&visser, "Damrak 7");
    company["Name"] = json!("Visser Bouw B.V.");
    company["IsPrivatePerson"] = json!(false);
    company["VatNumber"] = json!("NL123456789B01");
    company["ContactPersonName"] = json!("Administratie");
    company["ContactPersonEmail"] = json!("administratie@visser.example");
    let company_id = emulators.eaccounting.add_customer(company)["Id"].clone();
    let before = books_customers(&emulators);

    let host = host();
    let tenant = tenant_with(&host, &emulators, &[], CUSTOMERS_FLOW);
    let first = run_flow(&host, &tenant, "customers");
    assert_eq!(first.summary.parked, 0, "{:?}", first.summary.notes);
    let writes = customer_writes(&emulators);
    assert_eq!(writes.get("PUT /v2/customers/{id}"), None, "the books hold every customer as the shop has it");
    assert_eq!(writes.get("POST /v2/customers"), Some(&1), "only the shop's one seeded user is new");
    let after = books_customers(&emulators);
    assert_eq!(after[..before.len()], before[..], "nothing in the books changed");

    // The company moves: only its city is written.
    emulators.ccvshop.edit_user(company_user, |p| p.city = "Haarlem".into()).unwrap();
    let writes = customer_writes(&emulators);
    run_flow(&host, &tenant, "customers");
    assert_eq!(writes_since(&writes, &emulators), 1, "one customer changed, one write");
    let moved = books_customer(&emulators, &company_id);
    assert_eq!(moved["InvoiceCity"], "Haarlem");
    let old = before.iter().find(|c| c["Id"] == company_id).unwrap();
    let untouched = ["InvoiceCity", "ChangedUtc"];
    assert_eq!(without(&moved, &untouched), without(old, &untouched), "the rest as the books had it");
    assert_eq!(moved["ContactPersonName"], "Administratie", "the company's own contact person stays");

    // A tenant that wants the buyer as contact says so.
    let follows = tenant_with(&host, &emulators, &[("update_contact", "true")], CUSTOMERS_FLOW);
    emulators.ccvshop.edit_user(company_user, |p| p.phone = "+31 20 5550000".into()).unwrap();
    run_flow(&host, &follows, "customers");
    let updated = books_customer(&emulators, &company_id);
    assert_eq!(updated["ContactPersonName"], "Fenna Visser", "update_contact = true: the buyer is the contact");
    assert_eq!(updated["Telephone"], "+31 20 5550000");
    assert_eq!(updated["Note"], "Vaste klant", "a field we do not manage is kept");
}

/// The orders flow wrote the buyers; the customers flow, seeing the same
/// people, has nothing to change and must not send a PUT for each of them.
#[test]
fn a_customers_run_right_after_the_orders_run_writes_only_what_changed() {
    let emulators =
        Emulators::start(Options { orders: 60, products: 40, rate_limits: false, ..Options::default() }).unwrap();
    let host = host();
    let tenant =
        tenant_with(&host, &emulators, &[], &format!("{}\n{CUSTOMERS_FLOW}", trestle_emulators::orders_flow()));
    let orders = run_flow(&host, &tenant, "orders");
    assert_eq!(orders.summary.parked, 0, "{:?}", orders.summary.notes);
    let before = books_customers(&emulators);
    let counts = emulators.eaccounting.request_counts();
    let count = |counts: &BTreeMap<String, u64>, key: &str| counts.get(key).copied().unwrap_or(0);

    let customers = run_flow(&host, &tenant, "customers");
    assert_eq!(customers.summary.parked, 0, "{:?}", customers.summary.notes);
    let after = books_customers(&emulators);
    let changed = before
        .iter()
        .filter(|old| {
            let new = after.iter().find(|c| c["Id"] == old["Id"]).unwrap();
            without(new, &["ChangedUtc"]) != without(old, &["ChangedUtc"])
        })
        .count();
    let now = emulators.eaccounting.request_counts();
    let puts = count(&now, "PUT /v2/customers/{id}") - count(&counts, "PUT /v2/customers/{id}");
    assert_eq!(puts as usize, changed, "a PUT only for a customer whose data changed");
    let posts = count(&now, "POST /v2/customers") - count(&counts, "POST /v2/customers");
    assert_eq!(posts as usize, after.len() - before.len(), "the users who never ordered are created");
}

// --------------------------------------------------- matching customers --

fn normalised(email: &Value) -> String {
    email.as_str().unwrap_or_default().trim().to_lowercase()
}

/// One person spelling her address two ways, another whose address the
/// books hold in lower case, and a company the books know by its VAT number
/// under another address: each stays one books customer, whether the books
/// compare e-mail addresses case-sensitively or not.
#[test]
fn one_buyer_is_one_books_customer_however_the_address_is_spelled() {
    for strings in [StringComparison::CaseSensitive, StringComparison::CaseInsensitive] {
        let emulators = empty_shop_and_books(strings);
        let anna =
            resident("Anna.Berg@Example.com", ("Anna", "Berg"), ("Vismarkt", 3, None), ("Utrecht", "3511 KV", "NL"));
        let piet =
            resident("Piet@Example.com", ("Piet", "Hein"), ("Oudegracht", 12, None), ("Utrecht", "3511 AR", "NL"));
        let mut visser =
            resident("inkoop@visser.example", ("Fenna", "Visser"), ("Damrak", 7, None), ("Amsterdam", "1012 LG", "NL"));
        visser.company = Some("Visser Bouw B.V.".into());
        visser.vat_number = Some("NL123456789B01".into());
        let anna_user = emulators.ccvshop.add_user(anna);
        emulators.ccvshop.add_user(piet);
        let company_user = emulators.ccvshop.add_user(visser);
        let piet_id = emulators.eaccounting.add_customer(json!({
            "Name": "Piet Hein", "IsPrivatePerson": true, "IsActive": true, "EmailAddress": "piet@example.com",
            "InvoiceAddress1": "Oudegracht 12", "InvoicePostalCode": "3511 AR", "InvoiceCity": "Utrecht",
            "InvoiceCountryCode": "NL"}))["Id"]
            .clone();
        let company_id = emulators.eaccounting.add_customer(json!({
            "Name": "Visser Bouw B.V.", "IsPrivatePerson": false, "IsActive": true,
            "EmailAddress": "administratie@visser.example", "VatNumber": "NL123456789B01",
            "InvoiceAddress1": "Damrak 7", "InvoicePostalCode": "1012 LG", "InvoiceCity": "Amsterdam",
            "InvoiceCountryCode": "NL", "ContactPersonName": "Administratie"}))["Id"]
            .clone();

        let host = host();
        let tenant =
            tenant_with(&host, &emulators, &[], &format!("{}\n{CUSTOMERS_FLOW}", trestle_emulators::orders_flow()));
        let first = run_flow(&host, &tenant, "customers");
        assert_eq!(first.summary.parked, 0, "{strings:?}: {:?}", first.summary.notes);
        let customers = books_customers(&emulators);
        let with_email = |customers: &[Value], email: &str| -> Vec<Value> {
            customers.iter().filter(|c| normalised(&c["EmailAddress"]) == email).cloned().collect()
        };
        let companies = |customers: &[Value]| customers.iter().filter(|c| c["VatNumber"] == "NL123456789B01").count();
        let piet_books = with_email(&customers, "piet@example.com");
        assert_eq!(piet_books.len(), 1, "{strings:?}: {customers:#?}");
        assert_eq!(piet_books[0]["Id"], piet_id, "{strings:?}: found in lower case, not created again");
        assert_eq!(with_email(&customers, "anna.berg@example.com").len(), 1, "{strings:?}: Anna created once");
        assert_eq!(companies(&customers), 1, "{strings:?}: the company found by its VAT number");
        let company = books_customer(&emulators, &company_id);
        assert_eq!(
            company["EmailAddress"], "administratie@visser.example",
            "{strings:?}: the company's own address stays"
        );

        // Anna now writes her address in lower case; she and the company order.
        let before = customers.len();
        emulators.ccvshop.edit_user(anna_user, |p| p.email = "anna.berg@example.com".into()).unwrap();
        for user in [anna_user, company_user] {
            let rows = vec![ccvshop_emulator::NewOrderRow { sku: "SKU-00001".into(), count: 1.0 }];
            let order = ccvshop_emulator::NewOrder { rows, user_id: Some(user), paid: true };
            emulators.ccvshop.place_order(&order).unwrap();
        }
        let orders = run_flow(&host, &tenant, "orders");
        assert_eq!((orders.summary.synced, orders.summary.parked), (2, 0), "{strings:?}: {:?}", orders.summary.notes);
        let customers = books_customers(&emulators);
        assert_eq!(customers.len(), before, "{strings:?}: no customer created for either order");
        let anna_books = with_email(&customers, "anna.berg@example.com");
        assert_eq!(anna_books.len(), 1, "{strings:?}");
        assert_eq!(companies(&customers), 1, "{strings:?}");
        let invoiced: BTreeSet<String> = emulators.eaccounting.state()["books"]["customerinvoices"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["CustomerId"].as_str().unwrap().to_string())
            .collect();
        let expected = [&anna_books[0]["Id"], &company_id].map(|id| id.as_str().unwrap().to_string());
        assert_eq!(invoiced, BTreeSet::from(expected), "{strings:?}: booked on the customers the books had");
    }
}
