//! The eAccounting connector through the real host, against the eAccounting
//! emulator over real sockets: OAuth (expiry, rotation, concurrent runs,
//! revocation), error mapping, customers, sales documents, articles, stock,
//! reference data, and the request bodies checked against the official
//! schemas.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Barrier, Mutex};

use eaccounting_emulator::{ArticleChange, Config, Handle, read_only_properties, schema_violations};
use emulator_kit::FaultConfig;
use serde_json::{Value, json};
use trestle_e2e::{connection, host, load};
use trestle_host::bindings::ContractError;
use trestle_host::bindings::exports::trestle::sync::customer_sink::CustomerDefaults;
use trestle_host::bindings::exports::trestle::sync::product_sink::{UpdateMask, UpsertOutcome};
use trestle_host::bindings::exports::trestle::sync::product_source::ProductFilter;
use trestle_host::bindings::exports::trestle::sync::sales_document_sink::{DocumentKind, LineBooking, SalesDocument};
use trestle_host::bindings::types::{Address, Contact, Customer, CustomerKind, LineKind, Order, OrderLine, Product};
use trestle_host::connection::{ConnectionSetup, Session};
use trestle_host::{ActivityQuery, ComponentKind, Host};

const TENANT: &str = "acme";
const CONNECTION: &str = "eaccounting";
/// What the connector logs once per token refresh.
const REFRESHED: &str = "eAccounting access token renewed";
const RECONNECT: &str = "trestle connect eaccounting";

// ---------------------------------------------------------------- set-up --

struct Fixture {
    emu: Handle,
    host: Host,
    setup: ConnectionSetup,
}

fn fixture() -> Fixture {
    fixture_with(Config::default())
}

fn fixture_with(config: Config) -> Fixture {
    let emu = eaccounting_emulator::start(config).expect("emulator starts");
    let host = host();
    let setup =
        eaccounting(&host, &emu.api_base_url(), &emu.identity_base_url(), Some(emu.initial_refresh_token()), &[]);
    Fixture { emu, host, setup }
}

/// The connection as a tenant config would set it up: both base URLs
/// allowed, client secret and refresh token secret.
fn eaccounting(
    host: &Host,
    api: &str,
    identity: &str,
    refresh_token: Option<String>,
    extra: &[(&str, &str)],
) -> ConnectionSetup {
    let component = load(host, "eaccounting", ComponentKind::Connector, trestle_artifacts::EACCOUNTING_CONNECTOR);
    let mut settings = vec![
        ("api_base_url", api.to_string()),
        ("identity_base_url", identity.to_string()),
        ("client_id", "trestle-demo".to_string()),
        ("client_secret", "trestle-demo-secret".to_string()),
        // Small pages, so listing crosses page boundaries.
        ("page_size", "20".to_string()),
    ];
    if let Some(token) = refresh_token {
        settings.push(("refresh_token", token));
    }
    settings.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
    connection(component, CONNECTION, &settings, &["client_secret", "refresh_token"], &[api, identity])
}

impl Fixture {
    fn session(&self) -> Session {
        self.setup.session(&self.host, TENANT).expect("session starts")
    }

    /// Times the connector renewed its access token (sessions must be
    /// dropped first: the activity log is written when a run ends).
    fn refreshes(&self) -> usize {
        let entries = self.host.activity(&ActivityQuery { tenant: Some(TENANT.into()), ..Default::default() }).unwrap();
        entries.iter().filter(|e| e.message.starts_with(REFRESHED)).count()
    }

    fn warnings(&self) -> Vec<String> {
        let entries = self.host.activity(&ActivityQuery { tenant: Some(TENANT.into()), ..Default::default() }).unwrap();
        entries.into_iter().filter(|e| e.level == "warn").map(|e| e.message).collect()
    }

    fn books(&self, collection: &str) -> Vec<Value> {
        self.emu.state()["books"][collection].as_array().cloned().unwrap_or_default()
    }

    fn count(&self, operation: &str) -> u64 {
        self.emu.request_counts().get(operation).copied().unwrap_or_default()
    }

    /// An active article sold at 21 %, with its net and gross price.
    fn article_at_21(&self) -> Value {
        let codings = self.books("articleaccountcodings");
        let coding_21 = codings
            .iter()
            .find(|c| c["VatRatePercent"].as_f64() == Some(0.21) && c["Type"] == "Goods")
            .expect("a 21 % goods coding");
        self.books("articles")
            .into_iter()
            .find(|a| a["CodingId"] == coding_21["Id"] && a["IsActive"] == true)
            .expect("an active 21 % article")
    }
}

/// The connector's answer; panics on a trap or a host failure.
fn answer<T>(result: wasmtime::Result<Result<T, ContractError>>) -> Result<T, ContractError> {
    result.unwrap_or_else(|e| panic!("the connector call failed in the host: {e:#}"))
}

fn ok<T>(result: wasmtime::Result<Result<T, ContractError>>) -> T {
    answer(result).unwrap_or_else(|e| panic!("the connector answered an error: {e:?}"))
}

fn find_by_email(session: &mut Session, email: &str) -> Result<Option<String>, ContractError> {
    let sink = session.customer_sink().unwrap();
    answer(sink.call_find_by_email(&mut session.store, email)).map(|c| c.map(|c| c.id))
}

fn no_defaults() -> CustomerDefaults {
    CustomerDefaults { terms_of_payment_id: None, vat_code: None, revenue_account: None }
}

fn address(name: &str, company: Option<&str>, city: &str) -> Address {
    Address {
        name: name.into(),
        company: company.map(str::to_string),
        street: "Prinsengracht".into(),
        house_number: Some("263".into()),
        house_number_suffix: Some("A".into()),
        extra_line: None,
        postal_code: "1016 GV".into(),
        city: city.into(),
        region: None,
        country_code: "nl".into(),
        phone: Some("+31 20 555 0101".into()),
        custom_fields: Vec::new(),
    }
}

fn private_customer(email: &str) -> Customer {
    Customer {
        source_id: "501".into(),
        kind: CustomerKind::Private,
        email: email.into(),
        first_name: "Anne".into(),
        last_name: "de Wit".into(),
        company_name: None,
        contact: None,
        vat_number: None,
        registration_number: None,
        phone: None,
        billing_address: address("Anne de Wit", None, "Amsterdam"),
        delivery_address: None,
        custom_fields: Vec::new(),
    }
}

fn company_customer(email: &str) -> Customer {
    Customer {
        source_id: "502".into(),
        kind: CustomerKind::Company,
        email: email.into(),
        first_name: "Bram".into(),
        last_name: "Jansen".into(),
        company_name: Some("Jansen Fietsen B.V.".into()),
        contact: Some(Contact {
            name: "Bram Jansen".into(),
            email: Some("bram@jansen.example".into()),
            phone: Some("+31 6 1234 5678".into()),
        }),
        vat_number: Some("NL001234567B01".into()),
        registration_number: Some("87654321".into()),
        phone: Some("+31 30 555 0199".into()),
        billing_address: address("Bram Jansen", Some("Jansen Fietsen B.V."), "Utrecht"),
        delivery_address: Some(address("Magazijn", Some("Jansen Fietsen B.V."), "Nieuwegein")),
        custom_fields: vec![("Note".into(), "\"Levering via achterdeur\"".into())],
    }
}

fn create_customer(session: &mut Session, customer: &Customer) -> String {
    let sink = session.customer_sink().unwrap();
    ok(sink.call_create_customer(&mut session.store, customer, &no_defaults()))
}

/// A shop order of `quantity` × `article` at its gross price, 21 % VAT,
/// with free shipping as a text row.
fn shop_order(number: &str, customer: Customer, article: &Value, quantity: f64) -> Order {
    let gross = article["GrossPrice"].as_f64().unwrap();
    let line = |kind, sku: &str, name: &str, quantity, unit_price| OrderLine {
        kind,
        sku: sku.into(),
        name: name.into(),
        quantity,
        unit_price,
        prices_include_vat: true,
        discount: 0.0,
        vat_rate: 21.0,
        custom_fields: Vec::new(),
    };
    let total = gross * quantity;
    Order {
        source_id: "9001".into(),
        order_number: number.into(),
        created_at: "2025-03-14T09:26:53Z".into(),
        status: "1".into(),
        paid: true,
        currency: "EUR".into(),
        billing_address: customer.billing_address.clone(),
        delivery_address: customer.delivery_address.clone().unwrap_or(customer.billing_address.clone()),
        customer,
        lines: vec![
            line(
                LineKind::Article,
                article["Number"].as_str().unwrap(),
                article["Name"].as_str().unwrap(),
                quantity,
                gross,
            ),
            line(LineKind::Shipping, "", "Verzending (gratis)", 1.0, 0.0),
        ],
        payment_method: Some("iDEAL".into()),
        shipping_method: Some("PostNL".into()),
        coupon_code: None,
        vat_exempt: false,
        total_excl_vat: (total / 1.21 * 100.0).round() / 100.0,
        total_vat: total - (total / 1.21 * 100.0).round() / 100.0,
        total_incl_vat: total,
        note: None,
        custom_fields: Vec::new(),
    }
}

fn document(kind: DocumentKind, customer_id: &str, order: Order, article: &Value) -> SalesDocument {
    let booking = |article_id: Option<String>| LineBooking {
        article_id,
        vat_code: Some("NL21".into()),
        revenue_account: Some(8000),
    };
    SalesDocument {
        kind,
        reference: order.order_number.clone(),
        customer_id: customer_id.into(),
        bookings: vec![booking(article["Number"].as_str().map(str::to_string)), booking(None)],
        order,
        terms_of_payment_id: None,
        delivery_method_id: None,
        rounding: None,
    }
}

fn create_document(session: &mut Session, document: &SalesDocument) -> Result<String, ContractError> {
    let sink = session.sales_document_sink().unwrap();
    answer(sink.call_create_document(&mut session.store, document)).map(|created| created.id)
}

fn message(error: &ContractError) -> String {
    match error {
        ContractError::Auth(m)
        | ContractError::NotFound(m)
        | ContractError::Invalid(m)
        | ContractError::Transient(m)
        | ContractError::Fatal(m) => m.clone(),
        ContractError::RateLimited(limit) => limit.message.clone(),
    }
}

// -------------------------------------------------- a tiny HTTP server --

/// One request as the local server received it.
#[derive(Debug, Clone)]
struct Received {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Received {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// (status, content type, body)
type Answer = (u16, String, Vec<u8>);

/// Serves HTTP/1.1 on a free local port, one request per connection,
/// answering with `handler`; returns `http://127.0.0.1:PORT`.
fn serve(handler: impl Fn(&Received) -> Answer + Send + Sync + 'static) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a local port");
    let url = format!("http://{}", listener.local_addr().unwrap());
    let handler = Arc::new(handler);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let handler = handler.clone();
            std::thread::spawn(move || answer_one(stream, &*handler));
        }
    });
    url
}

fn answer_one(stream: TcpStream, handler: &dyn Fn(&Received) -> Answer) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone the socket"));
    let Some(request) = read_request(&mut reader) else {
        return;
    };
    let (status, content_type, body) = handler(&request);
    let head = format!(
        "HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let mut stream = stream;
    let _ = stream.write_all(head.as_bytes()).and_then(|()| stream.write_all(&body));
}

fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Received> {
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next()?.to_string(), parts.next()?.to_string());
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).ok()?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':')?;
        headers.push((name.trim().to_string(), value.trim().to_string()));
    }
    let mut request = Received { method, target, headers, body: Vec::new() };
    if let Some(length) = request.header("content-length").and_then(|l| l.parse::<usize>().ok()) {
        let mut body = vec![0; length];
        reader.read_exact(&mut body).ok()?;
        request.body = body;
    } else if request.header("transfer-encoding").is_some_and(|t| t.contains("chunked")) {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size).ok()?;
            let size = usize::from_str_radix(size.trim(), 16).ok()?;
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk).ok()?;
            if size == 0 {
                break;
            }
            request.body.extend_from_slice(&chunk[..size]);
        }
    }
    Some(request)
}

/// A server in front of the emulator that records every exchange.
struct RecordingProxy {
    url: String,
    exchanges: Arc<Mutex<Vec<(Received, u16)>>>,
}

fn recording_proxy(emulator: &str) -> RecordingProxy {
    let exchanges: Arc<Mutex<Vec<(Received, u16)>>> = Arc::default();
    let recorded = exchanges.clone();
    let upstream = emulator.to_string();
    let client = reqwest::blocking::Client::new();
    let url = serve(move |request| {
        let method = reqwest::Method::from_bytes(request.method.as_bytes()).unwrap();
        let mut forward = client.request(method, format!("{upstream}{}", request.target));
        for (name, value) in &request.headers {
            if ["authorization", "content-type", "accept"].contains(&name.to_ascii_lowercase().as_str()) {
                forward = forward.header(name, value);
            }
        }
        let response = forward.body(request.body.clone()).send().expect("emulator answers");
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("application/json")
            .to_string();
        let body = response.bytes().unwrap().to_vec();
        recorded.lock().unwrap().push((request.clone(), status));
        (status, content_type, body)
    });
    RecordingProxy { url, exchanges }
}

/// A token endpoint that always issues a token, for servers that answer
/// the API with garbage.
fn token_answer() -> Answer {
    let body = json!({"access_token": "local", "token_type": "Bearer", "expires_in": 3600, "refresh_token": "next"});
    (200, "application/json".into(), body.to_string().into_bytes())
}

// ------------------------------------------------------------ connection --

#[test]
fn spec_describes_the_settings_and_the_roles() {
    let f = fixture();
    let spec = f.setup.spec(&f.host, TENANT).unwrap();
    assert_eq!(spec.name, "eaccounting");
    let secret: Vec<&str> = spec.settings.iter().filter(|s| s.secret).map(|s| s.name.as_str()).collect();
    assert_eq!(secret, ["client_secret", "refresh_token"]);
    for role in ["customer-sink", "sales-document-sink", "product-sink", "stock-source", "reference-data"] {
        let roles = &f.setup.component.manifest.roles;
        assert!(roles.iter().any(|r| r == role), "{role} missing from {roles:?}");
    }
}

#[test]
fn check_names_the_company_it_reached() {
    let f = fixture();
    let said = f.setup.check(&f.host, TENANT).unwrap().expect("check passes");
    assert!(said.contains("Trestle Demo B.V."), "{said}");
    assert!(said.contains("EUR"), "{said}");
}

#[test]
fn check_says_which_scope_is_missing() {
    let f = fixture_with(Config {
        scopes: ["ea:api", "offline_access", "ea:sales"].map(String::from).to_vec(),
        ..Config::default()
    });
    let refused = f.setup.check(&f.host, TENANT).unwrap().expect_err("no VAT codes without an accounting scope");
    let ContractError::Auth(text) = &refused else { panic!("expected auth, got {refused:?}") };
    assert!(text.contains("ea:accounting_readonly"), "{text}");
    assert!(text.contains("4006"), "{text}");
    assert!(text.contains(RECONNECT), "{text}");
}

#[test]
fn check_refuses_a_token_for_another_company() {
    let f = fixture();
    let (api, identity) = (f.emu.api_base_url(), f.emu.identity_base_url());
    let setup =
        eaccounting(&f.host, &api, &identity, Some(f.emu.initial_refresh_token()), &[("company", "Other Company AB")]);
    let refused = setup.check(&f.host, TENANT).unwrap().expect_err("wrong company");
    let text = message(&refused);
    assert!(text.contains("Trestle Demo B.V.") && text.contains("Other Company AB"), "{text}");
}

// ------------------------------------------------------------------ OAuth --

#[test]
fn an_access_token_that_expires_mid_run_is_renewed_and_the_call_retried_once() {
    let f = fixture();
    let mut session = f.session();
    assert_eq!(find_by_email(&mut session, "nobody@example.com").unwrap(), None);
    f.emu.expire_access_tokens();
    assert_eq!(find_by_email(&mut session, "nobody@example.com").unwrap(), None, "the run carries on");
    drop(session);
    assert_eq!(f.refreshes(), 2, "one token at the start, one after the expiry");
    assert_eq!(f.count("GET /v2/customers"), 3, "first call, the refused call, its one retry");
}

#[test]
fn the_rotated_refresh_token_is_stored_and_the_old_one_is_dead() {
    let f = fixture();
    let mut first = f.session();
    find_by_email(&mut first, "nobody@example.com").unwrap();
    drop(first);

    let reuse = reqwest::blocking::Client::new()
        .post(format!("{}/connect/token", f.emu.identity_base_url()))
        .basic_auth("trestle-demo", Some("trestle-demo-secret"))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", f.emu.initial_refresh_token().as_str())])
        .send()
        .unwrap();
    assert_eq!(reuse.status().as_u16(), 400, "the initial refresh token was spent");
    assert_eq!(reuse.json::<Value>().unwrap()["error"], "invalid_grant");

    // A later run, after the access token died, refreshes with the stored
    // token although the config still holds the spent one.
    f.emu.expire_access_tokens();
    let mut later = f.session();
    find_by_email(&mut later, "nobody@example.com").expect("the stored refresh token works");
    drop(later);
    assert_eq!(f.refreshes(), 2);
}

#[test]
fn a_refresh_token_stored_in_state_by_connect_is_used() {
    let emu = eaccounting_emulator::start(Config::default()).unwrap();
    let host = host();
    let setup = eaccounting(&host, &emu.api_base_url(), &emu.identity_base_url(), None, &[]);
    let mut session = setup.session(&host, TENANT).unwrap();
    let refused = find_by_email(&mut session, "a@b.example").expect_err("no token anywhere");
    assert!(matches!(&refused, ContractError::Auth(m) if m.contains(RECONNECT)), "{refused:?}");
    drop(session);

    // What `trestle connect eaccounting` does once the user consented.
    let scope = trestle_host::capabilities::state::StateScope::new(host.storage().clone(), TENANT, CONNECTION);
    scope.set("oauth/refresh_token", &emu.new_refresh_token()).unwrap();
    let mut session = setup.session(&host, TENANT).unwrap();
    assert_eq!(find_by_email(&mut session, "a@b.example").unwrap(), None);
}

#[test]
fn concurrent_runs_of_one_connection_refresh_once_and_both_succeed() {
    let f = fixture();
    let start = Arc::new(Barrier::new(2));
    let runs: Vec<_> = (0..2)
        .map(|_| {
            let (host, setup, start) = (f.host.clone(), f.setup.clone(), start.clone());
            std::thread::spawn(move || {
                let mut session = setup.session(&host, TENANT).unwrap();
                start.wait();
                find_by_email(&mut session, "nobody@example.com")
            })
        })
        .collect();
    for run in runs {
        let found = run.join().unwrap();
        assert!(matches!(found, Ok(None)), "both runs succeed: {found:?}");
    }
    assert_eq!(f.refreshes(), 1, "exactly one refresh for two concurrent runs");
}

#[test]
fn a_revoked_grant_is_an_auth_error_that_says_to_reconnect() {
    let f = fixture();
    let mut session = f.session();
    find_by_email(&mut session, "nobody@example.com").unwrap();
    f.emu.revoke_grants();
    let refused = find_by_email(&mut session, "nobody@example.com").expect_err("revoked");
    let ContractError::Auth(text) = &refused else { panic!("expected auth, got {refused:?}") };
    assert!(text.contains("revoked"), "{text}");
    assert!(text.contains(RECONNECT), "{text}");
}

// ----------------------------------------------------------------- errors --

#[test]
fn an_invalid_filter_is_invalid_with_the_api_error_code() {
    let f = fixture();
    let mut session = f.session();
    let source = session.product_source().unwrap();
    let filter = ProductFilter { active_only: false, sku_prefix: None, expression: Some("Number eq".into()) };
    let refused = answer(source.call_list_products(&mut session.store, &filter, None)).expect_err("bad filter");
    let ContractError::Invalid(text) = &refused else { panic!("expected invalid, got {refused:?}") };
    assert!(text.contains("ErrorCode 6000"), "{text}");
    assert!(text.contains("GET /articles"), "{text}");
}

#[test]
fn validation_errors_name_each_field() {
    let f = fixture();
    let mut session = f.session();
    let mut customer = private_customer("long@example.com");
    customer.billing_address.postal_code = "1016 GV AMSTERDAM".into();
    customer.custom_fields = vec![("DiscountPercentage".into(), "3".into())];
    let sink = session.customer_sink().unwrap();
    let refused =
        answer(sink.call_create_customer(&mut session.store, &customer, &no_defaults())).expect_err("too long");
    let ContractError::Invalid(text) = &refused else { panic!("expected invalid, got {refused:?}") };
    assert!(text.contains("ErrorCode 2000"), "{text}");
    assert!(text.contains("InvoicePostalCode:"), "{text}");
    assert!(text.contains("DiscountPercentage:"), "{text}");
    assert!(text.contains("ErrorId"), "{text}");
}

#[test]
fn too_many_requests_is_rate_limited_with_the_wait_from_the_message() {
    let f = fixture();
    let mut session = f.session();
    // Once, so the company (whose identity keys what the connector
    // remembers of customers) is known before the burst.
    find_by_email(&mut session, "nobody@example.com").unwrap();
    f.emu
        .set_faults(FaultConfig {
            burst_every: 1,
            burst_length: 1000,
            burst_retry_after_secs: 60,
            ..Default::default()
        })
        .unwrap();
    find_by_email(&mut session, "nobody@example.com").expect("the first request passes");
    let refused = find_by_email(&mut session, "nobody@example.com").expect_err("429");
    let ContractError::RateLimited(limit) = &refused else { panic!("expected rate-limited, got {refused:?}") };
    assert_eq!(limit.retry_after_ms, 60_000, "'Try again in 60 seconds'");
    assert!(limit.message.contains("4010"), "{}", limit.message);
}

#[test]
fn server_errors_and_dropped_connections_are_transient() {
    let f = fixture();
    let mut session = f.session();
    f.emu.set_faults(FaultConfig { error_rate: 1.0, ..Default::default() }).unwrap();
    let refused = find_by_email(&mut session, "nobody@example.com").expect_err("500");
    assert!(matches!(&refused, ContractError::Transient(m) if m.contains("ErrorCode 5000")), "{refused:?}");
    f.emu.set_faults(FaultConfig { drop_rate: 1.0, ..Default::default() }).unwrap();
    let refused = find_by_email(&mut session, "nobody@example.com").expect_err("dropped");
    assert!(matches!(refused, ContractError::Transient(_)), "{refused:?}");
    f.emu.set_faults(FaultConfig::default()).unwrap();
    assert_eq!(find_by_email(&mut session, "nobody@example.com").unwrap(), None, "recovers");
}

#[test]
fn malformed_answers_are_invalid_and_name_the_field() {
    let url = serve(|request| {
        let json = |body: Value| (200, "application/json".to_string(), body.to_string().into_bytes());
        let meta = json!({"CurrentPage": 1, "PageSize": 20, "TotalNumberOfPages": 1, "TotalNumberOfResults": 1});
        match request.target.split('?').next().unwrap() {
            "/connect/token" => token_answer(),
            "/v2/customers" => json(json!({"Meta": meta, "Data": [{"Id": 42, "Name": "Numeric Id"}]})),
            "/v2/articles" => json(
                json!({"Meta": meta, "Data": [{"Number": "A-1", "Name": "x", "CodingId": "c", "NetPrice": "ten"}]}),
            ),
            "/v2/units" => json(json!({"Data": []})),
            _ => (200, "text/html".into(), b"<html>maintenance</html>".to_vec()),
        }
    });
    let host = host();
    let setup = eaccounting(&host, &format!("{url}/v2"), &url, Some("initial".into()), &[]);
    let mut session = setup.session(&host, TENANT).unwrap();

    let refused = find_by_email(&mut session, "x@example.com").expect_err("numeric id");
    assert!(matches!(&refused, ContractError::Invalid(m) if m.contains("`Id`")), "{refused:?}");

    let source = session.product_source().unwrap();
    let filter = ProductFilter { active_only: true, sku_prefix: None, expression: None };
    let refused = answer(source.call_list_products(&mut session.store, &filter, None)).expect_err("text price");
    assert!(matches!(&refused, ContractError::Invalid(m) if m.contains("`NetPrice`")), "{refused:?}");

    let reference = session.reference_data().unwrap();
    let refused = answer(reference.call_lookup(&mut session.store, "units")).expect_err("no Meta");
    assert!(matches!(&refused, ContractError::Invalid(m) if m.contains("`Meta`")), "{refused:?}");

    let refused = answer(reference.call_lookup(&mut session.store, "countries")).expect_err("html");
    assert!(matches!(&refused, ContractError::Invalid(m) if m.contains("not JSON")), "{refused:?}");
}

// -------------------------------------------------------------- customers --

#[test]
fn company_and_private_customers_are_created_found_and_updated() {
    let f = fixture();
    let mut session = f.session();
    let company_id = create_customer(&mut session, &company_customer("inkoop@jansen.example"));
    let private_id = create_customer(&mut session, &private_customer("anne@example.com"));

    let sink = session.customer_sink().unwrap();
    let found = ok(sink.call_find_by_email(&mut session.store, "inkoop@jansen.example")).expect("found");
    assert_eq!(found.id, company_id);
    assert_eq!(found.customer.kind, CustomerKind::Company);
    assert_eq!(found.customer.company_name.as_deref(), Some("Jansen Fietsen B.V."));
    assert_eq!(found.customer.contact.as_ref().map(|c| c.name.as_str()), Some("Bram Jansen"));
    assert_eq!(found.customer.vat_number.as_deref(), Some("NL001234567B01"));
    assert_eq!(found.customer.billing_address.street, "Prinsengracht 263 A");
    assert_eq!(found.customer.billing_address.country_code, "NL");
    assert_eq!(found.customer.delivery_address.as_ref().map(|a| a.city.as_str()), Some("Nieuwegein"));

    let private = ok(sink.call_find_by_email(&mut session.store, "anne@example.com")).expect("found");
    assert_eq!(private.id, private_id);
    assert_eq!(private.customer.kind, CustomerKind::Private);
    assert_eq!((private.customer.first_name.as_str(), private.customer.last_name.as_str()), ("Anne", "de Wit"));

    let books = f.books("customers");
    let stored = books.iter().find(|c| c["Id"] == company_id.as_str()).unwrap();
    assert_eq!(stored["IsPrivatePerson"], false);
    assert_eq!(stored["ContactPersonEmail"], "bram@jansen.example");
    assert_eq!(stored["CorporateIdentityNumber"], "87654321");
    assert_eq!(stored["Note"], "Levering via achterdeur", "custom field merged into the payload");
    assert!(stored["TermsOfPaymentId"].is_string(), "the company's default terms");
    let customer_number = stored["CustomerNumber"].clone();

    let terms = f.books("termsofpayments")[2]["Id"].as_str().unwrap().to_string();
    let mut moved = company_customer("inkoop@jansen.example");
    moved.billing_address.city = "Houten".into();
    moved.vat_number = None;
    let defaults = CustomerDefaults { terms_of_payment_id: Some(terms.clone()), ..no_defaults() };
    ok(sink.call_update_customer(&mut session.store, &company_id, &moved, &defaults));
    let books = f.books("customers");
    let stored = books.iter().find(|c| c["Id"] == company_id.as_str()).unwrap();
    assert_eq!(stored["InvoiceCity"], "Houten");
    assert_eq!(stored["VatNumber"], "NL001234567B01", "a value the shop does not have is not blanked");
    assert_eq!(stored["TermsOfPaymentId"], terms.as_str());
    assert_eq!(stored["CustomerNumber"], customer_number, "kept through the full replace");

    let listed = session.customer_source().unwrap();
    let mut emails = Vec::new();
    let mut cursor = None;
    loop {
        let page = ok(listed.call_list_customers(&mut session.store, cursor.as_deref()));
        emails.extend(page.customers.into_iter().map(|c| c.email));
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(emails.len(), books.len(), "every page read");
    assert!(emails.contains(&"anne@example.com".to_string()));
}

/// Custom fields as a mapping (or the shop connector) sets them: what the
/// target's schema has reaches the books, the rest is dropped with one
/// warning per field and run, and what the connector owns is refused.
#[test]
fn custom_fields_reach_the_books_only_where_the_schema_has_them_and_never_replace_owned_ones() {
    let f = fixture();
    let mut session = f.session();
    let article = f.article_at_21();
    let mut buyer = private_customer("custom@example.com");
    buyer.custom_fields =
        vec![("Note".into(), "\"Via de webshop\"".into()), ("loyalty_level".into(), "\"gold\"".into())];
    let customer_id = create_customer(&mut session, &buyer);
    let stored = f.books("customers").into_iter().find(|c| c["Id"] == customer_id.as_str()).unwrap();
    assert_eq!(stored["Note"], "Via de webshop", "a field of the customer schema is written");
    assert!(stored.get("loyalty_level").is_none());

    for number in ["WEB-7001", "WEB-7002"] {
        let mut order = shop_order(number, buyer.clone(), &article, 1.0);
        order.custom_fields = vec![
            ("YourReference".into(), format!("\"Webshop order {number}\"")),
            ("transaction_id".into(), "\"TR00040001\"".into()),
            ("track_and_trace_code".into(), "\"3SABCD0000001\"".into()),
        ];
        order.lines[0].custom_fields = vec![("memo".into(), "\"gift wrap\"".into())];
        create_document(&mut session, &document(DocumentKind::Invoice, &customer_id, order, &article))
            .unwrap_or_else(|e| panic!("{number}: {e:?}"));
    }
    let invoices = f.books("customerinvoices");
    assert_eq!(invoices.len(), 2);
    assert!(invoices.iter().all(|i| i["YourReference"].as_str().is_some_and(|r| r.starts_with("Webshop order"))));

    // Owned fields are refused naming the field; nothing is sent.
    let posts = f.count("POST /v2/customerinvoices");
    for (field, value) in [
        ("OurReference", "\"WEB-9999\""),
        ("Rows", "[]"),
        ("CustomerId", "\"00000000-0000-0000-0000-000000000001\""),
        ("TotalAmount", "1.0"),
    ] {
        let mut order = shop_order("WEB-7003", buyer.clone(), &article, 1.0);
        order.custom_fields = vec![(field.into(), value.into())];
        let error = create_document(&mut session, &document(DocumentKind::Invoice, &customer_id, order, &article))
            .expect_err(field);
        let text = message(&error);
        assert!(matches!(error, ContractError::Invalid(_)), "{field}: {error:?}");
        assert!(text.contains(&format!("custom field `{field}`")) && text.contains("owns"), "{field}: {text}");
    }
    let mut order = shop_order("WEB-7004", buyer.clone(), &article, 1.0);
    order.lines[0].custom_fields = vec![("UnitPrice".into(), "0.01".into())];
    let error =
        create_document(&mut session, &document(DocumentKind::Invoice, &customer_id, order, &article)).unwrap_err();
    assert!(message(&error).contains("custom field `UnitPrice`"), "{error:?}");
    assert_eq!(f.count("POST /v2/customerinvoices"), posts, "a refused document is not sent");
    let mut renumbered = private_customer("renumbered@example.com");
    renumbered.custom_fields = vec![("CustomerNumber".into(), "\"1\"".into())];
    let sink = session.customer_sink().unwrap();
    let error = answer(sink.call_create_customer(&mut session.store, &renumbered, &no_defaults())).unwrap_err();
    assert!(message(&error).contains("custom field `CustomerNumber`"), "{error:?}");
    drop(session);

    let dropped: Vec<String> = f.warnings().into_iter().filter(|w| w.contains("custom field")).collect();
    assert_eq!(dropped.len(), 4, "one warning per dropped field: {dropped:?}");
    for field in ["loyalty_level", "transaction_id", "track_and_trace_code", "memo"] {
        assert!(dropped.iter().any(|w| w.contains(&format!("`{field}`"))), "{field} named: {dropped:?}");
    }
}

// -------------------------------------------------------- sales documents --

#[test]
fn documents_of_every_kind_are_found_by_reference_and_never_written_twice() {
    let f = fixture();
    let mut session = f.session();
    let article = f.article_at_21();
    let buyer = private_customer("koper@example.com");
    let customer_id = create_customer(&mut session, &buyer);
    for (kind, collection, number) in [
        (DocumentKind::Quote, "quotes", "WEB-1001"),
        (DocumentKind::Order, "orders", "WEB-1002"),
        (DocumentKind::InvoiceDraft, "customerinvoicedrafts", "WEB-1003"),
        (DocumentKind::Invoice, "customerinvoices", "WEB-1004"),
    ] {
        let doc = document(kind, &customer_id, shop_order(number, buyer.clone(), &article, 2.0), &article);
        let sink = session.sales_document_sink().unwrap();
        let references = [number.to_string(), "WEB-ELSEWHERE".to_string()];
        assert_eq!(ok(sink.call_find_by_references(&mut session.store, kind, &references)), vec![]);
        let id = create_document(&mut session, &doc).unwrap();
        assert_eq!(create_document(&mut session, &doc).unwrap(), id, "{collection}: written once");
        assert_eq!(
            ok(sink.call_find_by_references(&mut session.store, kind, &references)),
            vec![(number.to_string(), id.clone())]
        );
        let books = f.books(collection);
        assert_eq!(books.len(), 1, "{collection}: one document");
        let rows = books[0]["Rows"].as_array().unwrap();
        assert_eq!(rows.len(), 2, "{collection}: article row and text row");
        assert_eq!(rows[0]["ArticleId"], article["Id"]);
        assert_eq!(rows[0]["UnitPrice"], article["GrossPrice"], "{collection}: private buyer sees gross prices");
    }
    // Many references: looked up in batches, and a hit in a later batch is found.
    let mut many: Vec<String> = (0..60).map(|n| format!("WEB-{}", 2000 + n)).collect();
    many[47] = "WEB-1004".into();
    let sink = session.sales_document_sink().unwrap();
    let found = ok(sink.call_find_by_references(&mut session.store, DocumentKind::Invoice, &many));
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "WEB-1004");
    drop(session);
    assert_eq!(f.warnings(), Vec::<String>::new(), "totals agree with the shop's");
}

#[test]
fn a_business_order_is_priced_net_and_a_priced_line_without_article_is_refused() {
    let f = fixture();
    let mut session = f.session();
    let article = f.article_at_21();
    let buyer = company_customer("zakelijk@example.com");
    let customer_id = create_customer(&mut session, &buyer);
    let delivery = f.books("deliverymethods")[0].clone();
    let mut doc =
        document(DocumentKind::Order, &customer_id, shop_order("WEB-2001", buyer.clone(), &article, 3.0), &article);
    doc.delivery_method_id = Some(delivery["Id"].as_str().unwrap().into());
    doc.order.custom_fields = vec![("YourReference".into(), "\"inkoop 77\"".into())];
    create_document(&mut session, &doc).unwrap();
    let order = f.books("orders").remove(0);
    assert_eq!(order["IncludesVat"], false);
    assert_eq!(order["Rows"][0]["UnitPrice"], article["NetPrice"]);
    assert_eq!(order["OurReference"], "WEB-2001");
    assert_eq!(order["DeliveryMethodName"], delivery["Name"]);
    assert_eq!(order["DeliveryCity"], "Nieuwegein");
    assert_eq!(order["YourReference"], "inkoop 77", "custom field merged into the payload");

    let mut paid_shipping =
        document(DocumentKind::Order, &customer_id, shop_order("WEB-2002", buyer, &article, 1.0), &article);
    paid_shipping.order.lines[1].unit_price = 6.95;
    let refused = create_document(&mut session, &paid_shipping).expect_err("shipping without article");
    assert!(
        matches!(&refused, ContractError::Invalid(m) if m.contains("line 2") && m.contains("shipping")),
        "{refused:?}"
    );
}

// --------------------------------------------------------------- articles --

fn new_product(sku: &str) -> Product {
    Product {
        long_description: Some("Mok met logo".into()),
        price_excl_vat: 10.0,
        price_incl_vat: 12.1,
        ean: Some("8712345678906".into()),
        ..trestle_e2e::stock_article(sku, "Trestle mok")
    }
}

#[test]
fn articles_are_created_by_sku_and_updated_only_where_the_mask_allows() {
    let f = fixture();
    let mut session = f.session();
    let sink = session.product_sink().unwrap();
    let product = new_product("TR-MUG-1");
    let created = ok(sink.call_upsert_product(&mut session.store, &product, UpdateMask::empty()));
    assert_eq!(created.outcome, UpsertOutcome::Created);
    let stored = || f.books("articles").into_iter().find(|a| a["Number"] == "TR-MUG-1").unwrap();
    let article = stored();
    assert_eq!(article["Id"], created.id.as_str());
    assert_eq!((article["NetPrice"].as_f64(), article["GrossPrice"].as_f64()), (Some(10.0), Some(12.1)));
    assert_eq!(article["Barcodes"][0]["Barcode"], "8712345678906");
    assert_eq!(article["Note"], "Mok met logo");

    let again = ok(sink.call_upsert_product(&mut session.store, &product, UpdateMask::all()));
    assert_eq!(again.outcome, UpsertOutcome::Unchanged);

    let mut changed = product.clone();
    changed.name = "Trestle mok XL".into();
    changed.price_incl_vat = 14.95;
    changed.ean = Some("8712345678913".into());
    let named = ok(sink.call_upsert_product(&mut session.store, &changed, UpdateMask::NAME));
    assert_eq!((named.id.as_str(), named.outcome), (created.id.as_str(), UpsertOutcome::Updated));
    let article = stored();
    assert_eq!(article["Name"], "Trestle mok XL");
    assert_eq!(article["GrossPrice"].as_f64(), Some(12.1), "price not in the mask");
    assert_eq!(article["Barcodes"][0]["Barcode"], "8712345678906", "EAN not in the mask");

    let priced = ok(sink.call_upsert_product(&mut session.store, &changed, UpdateMask::PRICE | UpdateMask::EAN));
    assert_eq!(priced.outcome, UpsertOutcome::Updated);
    let article = stored();
    assert_eq!(article["GrossPrice"].as_f64(), Some(14.95));
    assert_eq!(article["NetPrice"].as_f64(), Some(12.36), "net follows at 21 %");
    assert_eq!(article["Barcodes"][0]["Barcode"], "8712345678913");

    let mut nine = changed.clone();
    nine.vat_rate = 9.0;
    ok(sink.call_upsert_product(&mut session.store, &nine, UpdateMask::VAT | UpdateMask::PRICE));
    let coding = f.books("articleaccountcodings").into_iter().find(|c| c["Id"] == stored()["CodingId"]).unwrap();
    assert_eq!(coding["VatRatePercent"].as_f64(), Some(0.09));
    assert_eq!(stored()["NetPrice"].as_f64(), Some(13.72));

    let mut odd = new_product("TR-MUG-2");
    odd.vat_rate = 17.0;
    let refused = answer(sink.call_upsert_product(&mut session.store, &odd, UpdateMask::all())).expect_err("no 17 %");
    assert!(matches!(&refused, ContractError::Invalid(m) if m.contains("17%")), "{refused:?}");

    let source = session.product_source().unwrap();
    let read = ok(source.call_get_product(&mut session.store, "TR-MUG-1")).expect("found by sku");
    assert_eq!((read.vat_rate, read.price_incl_vat, read.ean.as_deref()), (9.0, 14.95, Some("8712345678913")));
    assert!(ok(source.call_get_product(&mut session.store, "NO-SUCH-SKU")).is_none());
}

#[test]
fn products_and_stock_levels_show_balance_reserved_and_available() {
    let f = fixture();
    let mut session = f.session();
    let article = f.article_at_21();
    let number = article["Number"].as_str().unwrap().to_string();
    f.emu.change_article(&number, &ArticleChange { stock_balance: Some(7.0), ..Default::default() }).unwrap();
    let buyer = private_customer("voorraad@example.com");
    let customer_id = create_customer(&mut session, &buyer);
    let order = document(DocumentKind::Order, &customer_id, shop_order("WEB-3001", buyer, &article, 2.0), &article);
    create_document(&mut session, &order).unwrap();

    let stock = session.stock_source().unwrap();
    let mut levels = Vec::new();
    let mut cursor = None;
    loop {
        let page = ok(stock.call_list_stock(&mut session.store, cursor.as_deref()));
        levels.extend(page.levels);
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    let stock_articles = f.books("articles").iter().filter(|a| a["IsStock"] == true).count();
    assert_eq!(levels.len(), stock_articles, "every page read");
    let level = levels.iter().find(|l| l.sku == number).unwrap();
    assert_eq!((level.on_hand, level.reserved, level.available), (7.0, 2.0, 5.0));

    let source = session.product_source().unwrap();
    let prefix = &number[..3];
    let filter = ProductFilter { active_only: true, sku_prefix: Some(prefix.into()), expression: None };
    let page = ok(source.call_list_products(&mut session.store, &filter, None));
    assert!(!page.products.is_empty());
    assert!(page.products.iter().all(|p| p.active && p.sku.starts_with(prefix)));
    let product = ok(source.call_get_product(&mut session.store, &number)).unwrap();
    let field = |name: &str| product.custom_fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    assert_eq!(field("StockBalanceAvailable").as_deref(), Some("5"));
    assert_eq!(field("StockBalanceReserved").as_deref(), Some("2"));
}

// --------------------------------------------------------- reference data --

#[test]
fn reference_data_is_read_once_per_run() {
    let f = fixture();
    let mut session = f.session();
    let reference = session.reference_data().unwrap();
    let kinds = reference.call_kinds(&mut session.store).unwrap();
    assert_eq!(
        kinds,
        ["terms-of-payment", "vat-codes", "article-account-codings", "countries", "units", "delivery-methods"]
    );
    for kind in &kinds {
        let items = ok(reference.call_lookup(&mut session.store, kind));
        assert!(!items.is_empty(), "{kind}");
    }
    let vat = ok(reference.call_lookup(&mut session.store, "vat-codes"));
    let nl21 = vat.iter().find(|v| v.code == "NL21").unwrap();
    assert!(nl21.attributes.contains(&("rate".to_string(), "21".to_string())), "{nl21:?}");
    let countries = ok(reference.call_lookup(&mut session.store, "countries"));
    assert!(countries.iter().any(|c| c.id == "SE" && c.attributes.contains(&("eu-member".into(), "true".into()))));
    let refused = answer(reference.call_lookup(&mut session.store, "currencies")).expect_err("unknown kind");
    assert!(matches!(&refused, ContractError::Invalid(m) if m.contains("units")), "{refused:?}");
    assert_eq!(f.count("GET /v2/units"), 1, "cached for the run");
    drop(session);
    let mut next_run = f.session();
    let reference = next_run.reference_data().unwrap();
    ok(reference.call_lookup(&mut next_run.store, "units"));
    assert_eq!(f.count("GET /v2/units"), 2, "a new run reads afresh");
}

// ------------------------------------------------ official request schemas --

/// The component schema of what we POST or PUT to `path`.
fn schema_of(path: &str) -> &'static str {
    let collection = path.trim_start_matches("/v2/").split(['/', '?']).next().unwrap();
    match collection {
        "customers" => "CustomerApi",
        "articles" => "ArticleApi",
        "orders" => "OrderApi",
        "quotes" => "QuoteApi",
        "customerinvoicedrafts" => "CustomerInvoiceDraftApi",
        "customerinvoices" => "CustomerInvoiceApi",
        other => panic!("the connector wrote to /{other}, which this test does not know"),
    }
}

#[test]
fn every_body_the_connector_sends_matches_the_official_schema() {
    let emu = eaccounting_emulator::start(Config::default()).unwrap();
    let proxy = recording_proxy(&emu.base_url());
    let host = host();
    let setup = eaccounting(&host, &format!("{}/v2", proxy.url), &proxy.url, Some(emu.initial_refresh_token()), &[]);
    let f = Fixture { emu, host, setup };
    let mut session = f.session();

    let article = f.article_at_21();
    let business = company_customer("schema-b@example.com");
    let private = private_customer("schema-p@example.com");
    let business_id = create_customer(&mut session, &business);
    let private_id = create_customer(&mut session, &private);
    // An older record: nulls where the schema allows only an object.
    f.emu
        .edit_customer(&business_id, |c| {
            c["TermsOfPayment"] = Value::Null;
            c["DirectDebitCustomerSettings"] = Value::Null;
        })
        .unwrap();
    let mut moved = business.clone();
    moved.billing_address.city = "Zeist".into();
    let sink = session.customer_sink().unwrap();
    ok(sink.call_update_customer(&mut session.store, &business_id, &moved, &no_defaults()));
    // Nothing changed: nothing is sent.
    ok(sink.call_update_customer(&mut session.store, &business_id, &moved, &no_defaults()));
    for (i, kind) in [DocumentKind::Quote, DocumentKind::Order, DocumentKind::InvoiceDraft, DocumentKind::Invoice]
        .into_iter()
        .enumerate()
    {
        for (customer_id, buyer) in [(&business_id, &business), (&private_id, &private)] {
            let number = format!("WEB-5{i}{}", buyer.source_id);
            let mut order = shop_order(&number, buyer.clone(), &article, 1.5);
            order.lines[0].discount = 1.0;
            order.total_incl_vat = (order.lines[0].unit_price - 1.0) * 1.5;
            create_document(&mut session, &document(kind, customer_id, order, &article)).unwrap();
        }
    }
    let products = session.product_sink().unwrap();
    let mut product = new_product("TR-SCHEMA-1");
    ok(products.call_upsert_product(&mut session.store, &product, UpdateMask::all()));
    product.price_incl_vat = 19.99;
    product.ean = None;
    ok(products.call_upsert_product(&mut session.store, &product, UpdateMask::all()));
    drop(session);

    let exchanges = proxy.exchanges.lock().unwrap().clone();
    let writes: Vec<&(Received, u16)> = exchanges
        .iter()
        .filter(|(r, _)| matches!(r.method.as_str(), "POST" | "PUT") && r.target.starts_with("/v2/"))
        .collect();
    assert_eq!(writes.len(), 2 + 1 + 8 + 2, "customers, update, documents, articles");
    for (request, status) in &exchanges {
        assert_ne!(*status, 400, "{} {} was refused", request.method, request.target);
    }
    for (request, _) in writes {
        assert_eq!(request.header("content-type"), Some("application/json"));
        let body: Value = serde_json::from_slice(&request.body).expect("JSON body");
        let violations = schema_violations(schema_of(&request.target), &body);
        assert!(violations.is_empty(), "{} {}: {violations:?}\n{body:#}", request.method, request.target);
        if schema_of(&request.target) == "CustomerApi" {
            let read_only = read_only_properties("CustomerApi", &body);
            assert!(read_only.is_empty(), "{} {} sends read-only {read_only:?}", request.method, request.target);
        }
        if let Some(date) = body.get("InvoiceDate") {
            assert!(date.as_str().is_some_and(|d| d.contains('T')), "a date-time, as the schema types it: {date}");
        }
    }
    assert_eq!(f.warnings(), Vec::<String>::new(), "totals agree with the shop's");
}
