//! `trestle demo`: the whole job on one machine. Starts both API emulators
//! seeded with a realistic shop, writes a tenant config for them, checks
//! both connections, runs the sync, and then serves that tenant (`trestle
//! serve`) with the dashboard on the demo's data until Ctrl-C, the
//! emulators still running, so every command and page it suggests works.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use trestle_emulators::{Emulators, Options};

#[derive(clap::Args)]
pub struct Args {
    /// Orders in the emulated shop.
    #[arg(long, default_value_t = 60)]
    orders: usize,
    /// Products in the emulated catalogue.
    #[arg(long, default_value_t = 60)]
    products: usize,
    /// Where the demo's config, database and cache go (wiped first).
    #[arg(long, default_value = ".trestle/demo")]
    dir: PathBuf,
    /// Where the service and its dashboard listen after the sync.
    #[arg(long, default_value = "127.0.0.1:8787")]
    listen: SocketAddr,
    /// Stop after the sync, the emulators with it (only `trestle logs`
    /// works afterwards), instead of serving the dashboard until Ctrl-C.
    #[arg(long)]
    no_serve: bool,
    /// Set up only: start the emulators and write the config, then keep
    /// them running without syncing (to run `trestle run` yourself).
    #[arg(long)]
    no_sync: bool,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    println!("Starting the CCV Shop and eAccounting emulators ({} orders, {} products)...", args.orders, args.products);
    let emulators = Emulators::start(Options { orders: args.orders, products: args.products, ..Options::default() })?;
    let settings = emulators.connection_settings();
    if args.dir.exists() {
        std::fs::remove_dir_all(&args.dir)?;
    }
    std::fs::create_dir_all(&args.dir)?;
    let config_path = args.dir.join("tenant.toml");
    std::fs::write(&config_path, tenant_config(&settings, &bank_accounts(&emulators)?))?;
    println!("Wrote the tenant config {}\n", config_path.display());

    if args.no_sync {
        println!("Emulators are running (Ctrl-C stops them):\n{settings}");
        println!("Sync with: trestle run --config {}", config_path.display());
        wait_forever();
    }
    println!("Checking the connections:");
    super::check::run(&config_path)?;
    println!();
    super::run::run(&config_path, None, trestle_host::bindings::Trigger::Scheduled, super::run::Mode::Real)?;

    println!("\nLook at the result:");
    println!("  trestle logs --config {}            # what happened, newest last", config_path.display());
    println!("  trestle logs --config {} --json     # the same as JSON lines", config_path.display());
    if args.no_serve {
        return Ok(());
    }
    println!("  trestle run --config {}             # run again", config_path.display());
    let token_file = args.dir.join("operator-token");
    let token = write_token(&token_file)?;
    println!("\nThe dashboard, on the demo's data: http://{}/dashboard", args.listen);
    println!("  log in with the token {token} (also in {})", token_file.display());
    println!("\nThe service and the emulators keep running until Ctrl-C:\n{settings}");
    super::serve::run(super::serve::Args::for_config(&config_path, args.listen, &token_file))
}

/// A fresh operator token for this demo's service, in a file only its
/// owner can read; the token itself, to print once.
fn write_token(path: &Path) -> anyhow::Result<String> {
    use std::io::Write;
    let token = format!("trestle_demo_{}", hex::encode(rand::random::<[u8; 24]>()));
    let mut file = std::fs::OpenOptions::new();
    file.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut file, 0o600);
    file.open(path)?.write_all(token.as_bytes())?;
    Ok(token)
}

fn tenant_config(settings: &trestle_emulators::ConnectionSettings, bank_accounts: &str) -> String {
    format!(
        "# Written by `trestle demo`: a tenant syncing the emulated shop into the emulated books.\n\
         tenant = \"demo-shop\"\n\n{}\n{ORDERS_FLOW}\n{bank_accounts}\n{OTHER_FLOWS}\n[mapping]\n\
         module = \"country-codes\"\n",
        settings.tenant_connections()
    )
}

/// Where the shop's payments land in the emulated books, so the demo's
/// invoices end paid: PayPal's on the payment provider's account, the rest
/// on the bank (the books' own ids, new with every start).
fn bank_accounts(emulators: &Emulators) -> anyhow::Result<String> {
    let books = emulators.eaccounting.state();
    let id = |name: &str| {
        books["books"]["bankaccounts"]
            .as_array()
            .and_then(|accounts| accounts.iter().find(|a| a["Name"] == name))
            .and_then(|a| a["Id"].as_str().map(str::to_string))
            .ok_or_else(|| anyhow::anyhow!("the emulated books have no bank account named {name:?}"))
    };
    Ok(format!(
        "[flows.orders.settings.bank_account]\ndefault = {:?}\npaypal_paypal = {:?}\n",
        id("Bank")?,
        id("Payment provider")?
    ))
}

fn wait_forever() -> ! {
    loop {
        std::thread::park();
    }
}

/// The orders flow as the demo runs it: paid orders become invoices; cost
/// and discount rows are booked on articles (one per VAT rate, since a row
/// takes its VAT from its article) the flow creates when missing. The 0 %
/// rows of intra-community and export orders go on the 21 % ones, booked
/// VAT free.
const ORDERS_FLOW: &str = r#"[flows.orders]
roles = { order-source = "shop", customer-sink = "books", sales-document-sink = "books", product-source = "books", product-sink = "books" }

[flows.orders.settings]
document = "invoice"
paid_only = true
missing_article = "create"

[flows.orders.settings.article]
shipping = { 21 = "SHIPPING-21", 9 = "SHIPPING-9", default = "SHIPPING-21" }
payment-fee = { 21 = "PAYMENT-FEE-21", default = "PAYMENT-FEE-21" }
discount = { 21 = "DISCOUNT-21", 9 = "DISCOUNT-9", default = "DISCOUNT-21" }
coupon = { 21 = "DISCOUNT-21", 9 = "DISCOUNT-9", default = "DISCOUNT-21" }
extra-cost = { 21 = "EXTRA-COST-21", default = "EXTRA-COST-21" }
"#;

/// Stock from the books to the shop, customers from the shop to the books.
/// (The products flow is left out: the demo shop and books already hold the
/// same catalogue, and rewriting it under CCV Shop's rate limits takes
/// minutes; `examples/tenant.toml` shows it.)
const OTHER_FLOWS: &str = r#"[flows.customers]
roles = { customer-source = "shop", customer-sink = "books" }

[flows.stock]
roles = { stock-source = "books", stock-sink = "shop" }
"#;
