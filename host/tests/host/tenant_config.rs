//! Tenant configs as the host prepares them with the real connectors: what
//! the connector documents as a default reaches the HTTP allowlist, keys it
//! does not know are refused, and nothing in a config reaches past its
//! bounds (paths, limits, addresses).

use std::path::Path;

use trestle_artifacts::Builtins;
use trestle_host::storage::Database;
use trestle_host::tenant::{PathScope, PreparedTenant, TenantConfig};
use trestle_host::{Host, HostOptions};

fn host() -> Host {
    let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("component-cache");
    Host::new(HostOptions { database: None, cache_dir: Some(cache) }).unwrap()
}

fn prepare(text: &str) -> anyhow::Result<PreparedTenant> {
    PreparedTenant::prepare(&host(), &Builtins, TenantConfig::parse(text)?)
}

const BOOKS_ON_DEFAULTS: &str = r#"
    tenant = "t1"
    [connections.books]
    connector = "eaccounting"
    client_id = "id"
    client_secret = "secret"
"#;

#[test]
fn a_connection_on_its_documented_default_urls_may_reach_them() {
    let tenant = prepare(BOOKS_ON_DEFAULTS).unwrap();
    let books = &tenant.connections["books"];
    for url in
        ["https://eaccountingapi.vismaonline.com/v2/customers?page=1", "https://identity.vismaonline.com/connect/token"]
    {
        assert_eq!(books.http.check(&url.parse().unwrap()), Ok(()), "{url} is a default the connector uses");
    }
    assert_eq!(books.config.get("identity_base_url").as_deref(), Some("https://identity.vismaonline.com"));
    assert!(books.http.check(&"https://evil.example.com/".parse().unwrap()).is_err());
}

#[test]
fn a_setting_the_connector_does_not_know_is_refused_naming_the_allowed_ones() {
    let typo = r#"
        tenant = "t1"
        [connections.shop]
        connector = "ccvshop"
        base_url = "https://shop.example.com"
        publick_key = "p"
        public_key = "p"
        secret_key = "s"
    "#;
    let err = format!("{:#}", prepare(typo).err().expect("a typo in a key is refused"));
    assert!(err.contains("`connections.shop.publick_key` is not a setting of the connector `ccvshop`"), "{err}");
    assert!(err.contains("base_url, public_key, secret_key"), "{err}");
}

#[test]
fn a_base_url_at_a_metadata_or_private_address_is_refused_with_how_to_allow_it() {
    let shop = |url: &str, extra: &str| {
        format!(
            "tenant = \"t1\"\n[connections.shop]\nconnector = \"ccvshop\"\n{extra}\nbase_url = \"{url}\"\n\
             public_key = \"p\"\nsecret_key = \"s\"\n"
        )
    };
    let metadata = shop("http://169.254.169.254/", "allow_private_network = true");
    let err = format!("{:#}", prepare(&metadata).err().expect("the metadata address is refused"));
    assert!(
        err.contains("169.254.169.254 is a link-local address") && err.contains("no connection may reach it"),
        "{err}"
    );

    let err = format!("{:#}", prepare(&shop("http://10.0.0.8:8080", "")).err().expect("a private address is refused"));
    assert!(
        err.contains("10.0.0.8 is a private-network address") && err.contains("allow_private_network = true"),
        "{err}"
    );
    prepare(&shop("http://10.0.0.8:8080", "allow_private_network = true")).expect("allowed when the config says so");

    let err = format!("{:#}", prepare(&shop("ftp://shop.example.com", "")).err().unwrap());
    assert!(err.contains("must be http or https"), "{err}");
}

#[test]
fn paths_stay_in_the_tenant_folder_unless_the_operator_allows_more() {
    let dir = tempfile::tempdir().unwrap();
    let tenant = dir.path().join("tenant-a");
    std::fs::create_dir(&tenant).unwrap();
    let config = tenant.join("tenant.toml");
    for database in ["/etc/x.db", "../x/trestle.db"] {
        std::fs::write(&config, format!("tenant = \"a\"\ndatabase = \"{database}\"\n")).unwrap();
        let err = format!("{:#}", TenantConfig::load(&config).unwrap_err());
        assert!(err.contains("`database`") && err.contains("outside the tenant's folder"), "{err}");
        assert!(err.contains("--allow-paths-outside-tenant"), "the message says how to allow it: {err}");
        let allowed = TenantConfig::load_with(&config, PathScope::Anywhere).unwrap();
        let Some(Database::File(path)) = allowed.database else { panic!("{database} is a file") };
        assert!(path.ends_with(database.trim_start_matches("../").trim_start_matches('/')));
    }
    std::fs::write(&config, "tenant = \"a\"\n[mapping]\nmodule = \"../other/mapping.wasm\"\n").unwrap();
    let err = format!("{:#}", TenantConfig::load(&config).unwrap_err());
    assert!(err.contains("`mapping.module`") && err.contains("outside the tenant's folder"), "{err}");

    std::fs::write(&config, "tenant = \"a\"\ndatabase = \"data/t.db\"\n").unwrap();
    assert_eq!(TenantConfig::load(&config).unwrap().database.unwrap(), Database::File(tenant.join("data/t.db")));
}

#[test]
fn a_postgres_url_is_no_path_and_its_password_is_never_shown() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("tenant.toml");
    let url = "postgres://trestle:s3cret@db.example:5432/trestle";
    std::fs::write(&config, format!("tenant = \"a\"\ndatabase = \"{url}\"\n")).unwrap();
    let loaded = TenantConfig::load(&config).unwrap();
    let Some(Database::Postgres(given)) = &loaded.database else { panic!("{:?}", loaded.database) };
    assert_eq!(given.redacted(), "postgres://trestle@db.example:5432/trestle", "not made relative to the folder");
    assert!(!format!("{loaded:?}").contains("s3cret"), "the config's Debug hides it");

    std::fs::write(&config, "tenant = \"a\"\ndatabase = { env = \"TRESTLE_TEST_NO_SUCH_VARIABLE\" }\n").unwrap();
    let err = format!("{:#}", TenantConfig::load(&config).unwrap_err());
    assert!(err.contains("`database` reads the environment variable TRESTLE_TEST_NO_SUCH_VARIABLE"), "{err}");
    std::fs::write(&config, "tenant = \"a\"\ndatabase = 5\n").unwrap();
    let err = format!("{:#}", TenantConfig::load(&config).unwrap_err());
    assert!(err.contains("`database` is a path, a postgres:// URL, or { env = \"NAME\" }"), "{err}");
}

#[test]
fn limits_outside_their_range_are_refused_naming_key_and_range() {
    for (limits, expected) in [
        ("[mapping.limits]\nfuel = 9223372036854775807", "`mapping.limits.fuel` = 9223372036854775807 is out of range"),
        (
            "[mapping.limits]\ndeadline_ms = 0",
            "`mapping.limits.deadline_ms` = 0 is out of range: it must be between 10 and 60000",
        ),
        ("[mapping.limits]\nmemory_mib = 0", "`mapping.limits.memory_mib` = 0"),
        ("[limits]\nlog_kib = 0", "`limits.log_kib` = 0 is out of range"),
    ] {
        let text = format!("tenant = \"t1\"\n[mapping]\nmodule = \"country-codes\"\n{limits}\n");
        let err = TenantConfig::parse(&text).unwrap_err().to_string();
        assert!(err.contains(expected), "{limits}: {err}");
    }
}
