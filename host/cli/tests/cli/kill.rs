//! Crash safety with a real kill: `trestle run` is killed (SIGKILL) at
//! several points of a run; after a final run the books hold every paid
//! order exactly once, and what a killed run created is still known for
//! what it is.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use trestle_host::{ActivityQuery, Host, HostOptions};

struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn trestle(args: &[&str], dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_trestle"));
    c.args(args).current_dir(dir);
    c
}

/// Synced records the activity log holds so far.
fn synced_so_far(db: &Path) -> usize {
    let Ok(host) = Host::new(HostOptions { database: Some(db.into()), cache_dir: None }) else { return 0 };
    host.activity(&ActivityQuery { outcome: Some("synced".into()), ..Default::default() }).map(|v| v.len()).unwrap_or(0)
}

fn get_json(url: &str) -> serde_json::Value {
    reqwest::blocking::get(url).unwrap().json().unwrap()
}

#[test]
fn killed_runs_leave_no_duplicates_and_nothing_missing() {
    let dir = tempfile::tempdir().unwrap();
    let mut emulators = KillOnDrop(
        trestle(&["demo", "--no-sync", "--orders", "150"], dir.path()).stdout(Stdio::piped()).spawn().unwrap(),
    );
    // Wait until the demo says it is ready; it prints the URLs first.
    let mut shop = String::new();
    let mut books = String::new();
    for line in BufReader::new(emulators.0.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        let value = line.split_whitespace().last().unwrap_or_default().to_string();
        if line.trim_start().starts_with("base_url") {
            shop = value;
        } else if line.trim_start().starts_with("identity_base_url") {
            books = value;
        } else if line.starts_with("Sync with:") {
            break;
        }
    }
    assert!(!shop.is_empty() && !books.is_empty(), "the demo printed its URLs");
    let config = dir.path().join(".trestle/demo/tenant.toml");
    let db = dir.path().join(".trestle/demo/.trestle/trestle.db");

    // Kill the run once it has synced 5, 25 and 45 orders.
    for kill_after in [5, 25, 45] {
        let mut run = KillOnDrop(
            trestle(&["run", "--config", config.to_str().unwrap()], dir.path()).stdout(Stdio::null()).spawn().unwrap(),
        );
        let deadline = Instant::now() + Duration::from_secs(300);
        while synced_so_far(&db) < kill_after {
            assert!(Instant::now() < deadline, "the run never reached {kill_after} synced orders");
            if let Some(status) = run.0.try_wait().unwrap() {
                panic!("the run ended ({status}) before it could be killed at {kill_after}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        run.0.kill().unwrap();
        run.0.wait().unwrap();
    }
    let last = trestle(&["run", "--config", config.to_str().unwrap()], dir.path()).output().unwrap();
    assert!(last.status.success(), "{}", String::from_utf8_lossy(&last.stderr));

    let books_state = get_json(&format!("{books}/_emulator/state"));
    let references: Vec<String> = books_state["books"]["customerinvoices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["OurReference"].as_str().unwrap_or_default().to_string())
        .collect();
    let unique: BTreeSet<String> = references.iter().cloned().collect();
    assert_eq!(unique.len(), references.len(), "duplicates after kills: {references:?}");
    let shop_state = get_json(&format!("{shop}/_emulator/state"));
    let paid: BTreeSet<String> = shop_state["shop"]["orders"]
        .as_object()
        .unwrap()
        .values()
        .filter(|o| o["paid"] == true && o["is_completed"] == true)
        .filter_map(|o| o["ordernumber"].as_u64().map(|n| format!("ORD-{n}")))
        .collect();
    assert_eq!(unique, paid, "every paid order exactly once after the kills");
    let emails: Vec<String> = books_state["books"]["customers"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["EmailAddress"].as_str().map(str::to_lowercase))
        .collect();
    let distinct: BTreeSet<&String> = emails.iter().collect();
    assert_eq!(distinct.len(), emails.len(), "a buyer became two books customers after the kills: {emails:?}");
}

/// Runs `flow` again and again while an emulator holds the answer of each
/// write it carried out, killing each run the moment `stored()` grows, until
/// a run ends by itself (nothing left to write); returns the runs killed.
fn kill_after_each_write(dir: &Path, config: &str, flow: &str, stored: impl Fn() -> usize, most: usize) -> usize {
    let mut kills = 0;
    loop {
        assert!(kills <= most, "more than {most} writes: the killed runs wrote something twice");
        let before = stored();
        let mut run = KillOnDrop(
            trestle(&["run", "--config", config, "--flow", flow], dir)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        );
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Some(status) = run.0.try_wait().unwrap() {
                assert!(status.success(), "a {flow} run with nothing left to write ended with {status}");
                return kills;
            }
            if stored() > before {
                break;
            }
            assert!(Instant::now() < deadline, "the {flow} run neither ended nor wrote");
            std::thread::sleep(Duration::from_millis(10));
        }
        run.0.kill().unwrap();
        run.0.wait().unwrap();
        kills += 1;
    }
}

fn articles(e: &trestle_emulators::Emulators) -> Vec<serde_json::Value> {
    e.eaccounting.state()["books"]["articles"].as_array().cloned().unwrap_or_default()
}

/// SKU -> the shop's product, without its modify date.
fn shop_products(e: &trestle_emulators::Emulators) -> BTreeMap<String, serde_json::Value> {
    let shop = e.ccvshop.state()["shop"]["products"].as_object().cloned().unwrap_or_default();
    shop.into_values()
        .map(|mut p| {
            p.as_object_mut().unwrap().remove("modifydate");
            (p["productnumber"].as_str().unwrap().to_string(), p)
        })
        .collect()
}

/// The orders flow creates the articles of products only the shop knows
/// (and of its cost lines). Each run is killed the moment the books have
/// stored such an article and before the run has its answer; the products
/// flow (books -> shop) afterwards must still know those articles as
/// copies of the shop's records or the flow's own, and leave the shop's
/// products as they were, and no article exists twice.
#[test]
fn a_run_killed_right_after_an_article_create_leaves_the_shop_product_alone() {
    use trestle_emulators::{Emulators, Options};
    let e = Emulators::start(Options { orders: 30, products: 100, rate_limits: false, ..Options::default() }).unwrap();
    let before = shop_products(&e);
    let shop_only: Vec<String> = before
        .values()
        .filter(|p| p["in_books"] == false)
        .map(|p| p["productnumber"].as_str().unwrap().into())
        .collect();
    assert!(!shop_only.is_empty(), "the seed has products only the shop knows");
    for sku in &shop_only {
        let rows = vec![ccvshop_emulator::NewOrderRow { sku: sku.clone(), count: 1.0 }];
        e.ccvshop.place_order(&ccvshop_emulator::NewOrder { rows, paid: true, ..Default::default() }).unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("tenant.toml");
    std::fs::write(
        &config,
        format!(
            "tenant = \"kill\"\n{}\n\
             [flows.orders]\nroles = {{ order-source = \"shop\", customer-sink = \"books\", sales-document-sink = \"books\", \
             product-source = \"books\", product-sink = \"books\" }}\n\
             [flows.orders.settings]\ndocument = \"invoice\"\nmissing_article = \"create\"\n\
             [flows.orders.settings.article]\nshipping = {{ default = \"SHIPPING\" }}\npayment-fee = {{ default = \"PAYMENT-FEE\" }}\n\
             discount = {{ default = \"DISCOUNT\" }}\ncoupon = {{ default = \"DISCOUNT\" }}\nextra-cost = {{ default = \"EXTRA-COST\" }}\n\
             [flows.products]\nroles = {{ product-source = \"books\", product-sink = \"shop\", category-sink = \"shop\", \
             stock-sink = \"shop\" }}\n[flows.products.settings]\ndirection = \"books-to-shop\"\n",
            e.connection_settings().tenant_connections()
        ),
    )
    .unwrap();
    let config = config.to_str().unwrap();
    let articles_before = articles(&e).len();

    // Hold every article create once the books have stored it, and kill the
    // run then: each killed run leaves one more article behind.
    let hold =
        ccvshop_emulator::FaultConfig { hold_after_write: Some("POST /v2/articles".into()), ..Default::default() };
    e.eaccounting.set_faults(hold).unwrap();
    let kills = kill_after_each_write(dir.path(), config, "orders", || articles(&e).len(), shop_only.len() + 5);
    assert!(kills >= shop_only.len(), "a run was killed after each shop-only product's article ({kills} kills)");
    eprintln!("{kills} runs killed, each right after the books stored an article");
    e.eaccounting.set_faults(Default::default()).unwrap();

    for flow in ["orders", "products"] {
        let out = trestle(&["run", "--config", config, "--flow", flow], dir.path()).output().unwrap();
        assert!(out.status.success(), "{flow}: {}", String::from_utf8_lossy(&out.stderr));
    }
    let after = shop_products(&e);
    for sku in &shop_only {
        assert_eq!(after[sku], before[sku], "the shop's own product {sku} was changed from its copy in the books");
    }
    let added: Vec<&String> = after.keys().filter(|sku| !before.contains_key(*sku)).collect();
    assert!(added.is_empty(), "articles the orders flow created were pushed to the shop as products: {added:?}");
    let numbers: Vec<String> = articles(&e).iter().map(|a| a["Number"].as_str().unwrap().to_string()).collect();
    let unique: BTreeSet<&String> = numbers.iter().collect();
    assert_eq!(unique.len(), numbers.len(), "an article was created twice: {numbers:?}");
    assert_eq!(numbers.len(), articles_before + kills, "one article per killed run, none after");
}

/// The shop's records of `kind` (its dump lists them by id).
fn shop_records(e: &trestle_emulators::Emulators, kind: &str) -> Vec<serde_json::Value> {
    e.ccvshop.state()["shop"][kind].as_object().map(|o| o.values().cloned().collect()).unwrap_or_default()
}

/// The products flow (books -> shop) creates products, categories and
/// category links in an empty shop. Each run is killed the moment the shop
/// has stored one of them, before the run has its answer; afterwards each
/// exists once, and a further run writes nothing.
#[test]
fn runs_killed_right_after_each_shop_create_leave_every_product_and_category_once() {
    let e = trestle_e2e::books_and_empty_shop(6);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("tenant.toml");
    std::fs::write(
        &config,
        format!(
            "tenant = \"kill\"\n{}\n[flows.products]\nroles = {{ product-source = \"books\", product-sink = \"shop\", \
             category-sink = \"shop\", stock-sink = \"shop\" }}\n[flows.products.settings]\ncategory = \"Imported/New\"\n",
            e.connection_settings().tenant_connections()
        ),
    )
    .unwrap();
    let config = config.to_str().unwrap();
    let hold = ccvshop_emulator::FaultConfig {
        hold_after_write: Some(format!("POST {}/", ccvshop_emulator::API_PREFIX)),
        ..Default::default()
    };
    e.ccvshop.set_faults(hold).unwrap();
    let stored = || ["products", "categories", "product_to_categories"].map(|k| shop_records(&e, k).len()).iter().sum();
    let articles = articles(&e).len();
    let kills = kill_after_each_write(dir.path(), config, "products", stored, 3 * articles + 2);
    eprintln!("{kills} products runs killed, each right after the shop stored a create");
    e.ccvshop.set_faults(Default::default()).unwrap();
    let out = trestle(&["run", "--config", config, "--flow", "products"], dir.path()).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let skus: Vec<String> =
        shop_records(&e, "products").iter().map(|p| p["productnumber"].as_str().unwrap().to_string()).collect();
    let unique: BTreeSet<&String> = skus.iter().collect();
    assert_eq!(unique.len(), skus.len(), "a product was created twice: {skus:?}");
    assert!(
        kills >= skus.len(),
        "a run was killed after each product's create ({kills} kills, {} products)",
        skus.len()
    );
    let names: Vec<String> =
        shop_records(&e, "categories").iter().map(|c| c["name"].as_str().unwrap().to_string()).collect();
    assert_eq!(names.iter().collect::<BTreeSet<_>>().len(), names.len(), "a category was created twice: {names:?}");
    let links: Vec<(u64, u64)> = shop_records(&e, "product_to_categories")
        .iter()
        .map(|l| (l["product_id"].as_u64().unwrap(), l["category_id"].as_u64().unwrap()))
        .collect();
    assert_eq!(links.iter().collect::<BTreeSet<_>>().len(), links.len(), "a link was created twice: {links:?}");
    assert_eq!(links.len(), skus.len(), "each created product is linked once to the default category");

    let writes_before: u64 =
        e.ccvshop.request_counts().iter().filter(|(k, _)| !k.starts_with("GET ")).map(|(_, n)| n).sum();
    let again = trestle(&["run", "--config", config, "--flow", "products"], dir.path()).output().unwrap();
    assert!(again.status.success(), "{}", String::from_utf8_lossy(&again.stderr));
    let writes_after: u64 =
        e.ccvshop.request_counts().iter().filter(|(k, _)| !k.starts_with("GET ")).map(|(_, n)| n).sum();
    assert_eq!(writes_after, writes_before, "a run after the kills wrote again: {:?}", e.ccvshop.request_counts());
}
