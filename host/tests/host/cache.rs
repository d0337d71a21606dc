//! The compiled-component cache holds native code, so what lies in it is
//! only run when its tag verifies: a damaged entry is recompiled, and an
//! entry planted under another component's name is never executed.

use std::path::{Path, PathBuf};

use trestle_host::cache::CacheOutcome;
use trestle_host::mapping::{MappingSlot, Record};
use trestle_host::sample::sample_order;
use trestle_host::{ComponentKind, Host, HostOptions, LoadedComponent};

fn host(cache: &Path) -> Host {
    Host::new(HostOptions { database: None, cache_dir: Some(cache.to_path_buf()) }).unwrap()
}

fn load(host: &Host, name: &str, path: &str) -> std::sync::Arc<LoadedComponent> {
    host.load_file(name, ComponentKind::Mapping, path.as_ref()).unwrap()
}

/// The billing country country-codes maps "Netherlands" to: "NL" when its
/// own code runs.
fn billing_country(host: &Host, component: std::sync::Arc<LoadedComponent>) -> String {
    let mut slot = MappingSlot::new(host.clone(), component, "t1", "run-1");
    match slot.apply(Record::Order(sample_order())).unwrap() {
        Record::Order(o) => o.billing_address.country_code,
        _ => panic!("a mapping returns the kind it was given"),
    }
}

/// The cache entries (not the key, not temporary files), newest last.
fn entries(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "cwasm"))
        .collect();
    files.sort_by_key(|p| std::fs::metadata(p).unwrap().modified().unwrap());
    files
}

#[test]
fn a_damaged_entry_is_recompiled_and_runs() {
    let dir = tempfile::tempdir().unwrap();
    let first = load(&host(dir.path()), "country-codes", trestle_artifacts::COUNTRY_CODES_MAPPING);
    assert_eq!(first.cache, CacheOutcome::Compiled);
    let [entry] = entries(dir.path()).try_into().unwrap();

    // One bit flipped in the middle of the machine code.
    let mut bytes = std::fs::read(&entry).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x10;
    std::fs::write(&entry, &bytes).unwrap();

    let host = host(dir.path());
    let again = load(&host, "country-codes", trestle_artifacts::COUNTRY_CODES_MAPPING);
    assert_eq!(again.cache, CacheOutcome::Compiled, "a damaged entry is not loaded");
    assert_eq!(billing_country(&host, again), "NL", "the recompiled module runs");
    assert_ne!(std::fs::read(&entry).unwrap(), bytes, "the damaged entry was replaced");
    let third = load(&self::host(dir.path()), "country-codes", trestle_artifacts::COUNTRY_CODES_MAPPING);
    assert_eq!(third.cache, CacheOutcome::Cached, "the replacement verifies");
}

#[test]
fn code_planted_under_another_components_name_is_never_executed() {
    let dir = tempfile::tempdir().unwrap();
    let first = host(dir.path());
    load(&first, "country-codes", trestle_artifacts::COUNTRY_CODES_MAPPING);
    let country_codes = entries(dir.path()).pop().unwrap();
    // Valid machine code, written by this very cache, but of another module
    // (safety-stock passes orders through unchanged).
    load(&first, "safety-stock", trestle_artifacts::SAFETY_STOCK_MAPPING);
    let safety_stock = entries(dir.path()).into_iter().find(|p| *p != country_codes).unwrap();
    std::fs::copy(&safety_stock, &country_codes).unwrap();

    let host = host(dir.path());
    let loaded = load(&host, "country-codes", trestle_artifacts::COUNTRY_CODES_MAPPING);
    assert_eq!(loaded.cache, CacheOutcome::Compiled, "the planted entry is not loaded");
    assert_eq!(billing_country(&host, loaded), "NL", "country-codes' own code runs, not the planted one");

    // Garbage and a file cut short are recompiled too.
    for planted in [b"\x7fELF garbage".repeat(1000), std::fs::read(&country_codes).unwrap()[..4096].to_vec()] {
        std::fs::write(&country_codes, planted).unwrap();
        let host = self::host(dir.path());
        let loaded = load(&host, "country-codes", trestle_artifacts::COUNTRY_CODES_MAPPING);
        assert_eq!(loaded.cache, CacheOutcome::Compiled);
        assert_eq!(billing_country(&host, loaded), "NL");
    }
}

/// A connector's manifest is read once and kept beside its compiled code,
/// so a later start does not instantiate it to ask; a manifest that does
/// not verify is read again from the component, never trusted.
#[test]
fn the_manifest_is_cached_beside_the_component_and_verified() {
    let dir = tempfile::tempdir().unwrap();
    let load = |dir: &Path| {
        host(dir).load_file("probe", ComponentKind::Connector, trestle_artifacts::PROBE_CONNECTOR.as_ref()).unwrap()
    };
    let first = load(dir.path());
    assert_eq!(first.manifest.roles, ["order-source"]);
    let manifests: Vec<PathBuf> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".json"))
        .collect();
    let [stored] = manifests.try_into().expect("one manifest file beside the entry");
    assert_eq!(load(dir.path()).manifest, first.manifest, "read back from the cache");

    // An edited manifest (a role added) does not verify: the component's own answer wins.
    let text = std::fs::read(&stored).unwrap();
    let edited = String::from_utf8_lossy(&text).replace("\"order-source\"", "\"order-source\",\"stock-sink\"");
    std::fs::write(&stored, edited.as_bytes()).unwrap();
    assert_eq!(load(dir.path()).manifest.roles, ["order-source"]);
}
