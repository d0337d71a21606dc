//! Builds the guest components (connectors, flows, the example mapping and
//! the hostile test modules) for wasm32-wasip2, the way wasmtime's
//! test-programs do: a nested `cargo build` into a target directory of its
//! own, so nobody ever builds a component by hand.

use std::path::{Path, PathBuf};
use std::process::Command;

const TARGET: &str = "wasm32-wasip2";

/// (package, features, artifact name, shipped in the CLI binary)
const GUESTS: &[(&str, &str, &str, bool)] = &[
    ("trestle-connector-ccvshop", "", "ccvshop_connector", true),
    ("trestle-connector-eaccounting", "", "eaccounting_connector", true),
    ("trestle-flow-orders", "", "orders_flow", true),
    ("trestle-flow-stock", "", "stock_flow", true),
    ("trestle-flow-customers", "", "customers_flow", true),
    ("trestle-flow-products", "", "products_flow", true),
    ("country-codes-mapping", "", "country_codes_mapping", true),
    ("safety-stock-mapping", "", "safety_stock_mapping", true),
    ("hostile-modules", "endless-loop", "hostile_endless_loop", false),
    ("hostile-modules", "memory-bomb", "hostile_memory_bomb", false),
    ("hostile-modules", "trap", "hostile_trap", false),
    ("hostile-modules", "deep-recursion", "hostile_deep_recursion", false),
    ("hostile-modules", "huge-output", "hostile_huge_output", false),
    ("hostile-modules", "http-from-mapping", "hostile_http_from_mapping", false),
    ("hostile-modules", "owned-custom-fields", "hostile_owned_custom_fields", false),
    ("hostile-modules", "changes-identity", "hostile_changes_identity", false),
    ("hostile-modules", "nonsense-numbers", "hostile_nonsense_numbers", false),
    ("hostile-modules", "many-custom-fields", "hostile_many_custom_fields", false),
    ("hostile-modules", "relabels-vat", "hostile_relabels_vat", false),
    ("hostile-modules", "huge-refusal", "hostile_huge_refusal", false),
    ("hostile-modules", "empty-logs", "hostile_empty_logs", false),
    ("hostile-modules", "forges-outcomes", "hostile_forges_outcomes", false),
    ("hostile-modules", "sleeps", "hostile_sleeps", false),
    ("hostile-modules", "filesystem-from-mapping", "hostile_filesystem_from_mapping", false),
    ("hostile-modules", "sockets-from-mapping", "hostile_sockets_from_mapping", false),
    ("hostile-modules", "forbidden-host", "hostile_forbidden_host", false),
    ("probe-modules", "connector", "probe_connector", false),
    ("probe-modules", "flow", "probe_flow", false),
];

/// Folders whose changes must rebuild the guests.
/// (The eAccounting connector reads the official schemas the emulator keeps.)
const SOURCES: &[&str] =
    &["wit", "guest", "connectors", "flows", "examples", "tests/guests", "emulators/eaccounting/schemas", "Cargo.lock"];

fn main() {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let root = manifest_dir.join("../..").canonicalize().expect("workspace root");
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    for s in SOURCES {
        println!("cargo:rerun-if-changed={}", root.join(s).display());
    }

    ensure_target();
    let target_dir = root.join("target/guests");
    let mut generated = String::new();
    for (package, features, name, shipped) in GUESTS {
        build(&root, &target_dir, package, features);
        let file = package.replace('-', "_");
        let built = target_dir.join(TARGET).join("release").join(format!("{file}.wasm"));
        let dest = out_dir.join(format!("{name}.wasm"));
        std::fs::copy(&built, &dest)
            .unwrap_or_else(|e| panic!("cannot copy {} to {}: {e}", built.display(), dest.display()));
        let constant = name.to_uppercase();
        generated += &format!(
            "/// Path of the built `{package}` component{}.\n",
            if features.is_empty() { String::new() } else { format!(" (feature `{features}`)") }
        );
        generated += &format!("pub const {constant}: &str = {:?};\n", dest.display().to_string());
        if *shipped {
            generated += &format!("/// The `{package}` component's bytes, built into the binary.\n");
            generated +=
                &format!("pub const {constant}_BYTES: &[u8] = include_bytes!({:?});\n", dest.display().to_string());
        }
    }
    std::fs::write(out_dir.join("artifacts.rs"), generated).expect("write artifacts.rs");
}

/// `rustup target add` is idempotent and cheap when the target is there;
/// without rustup (a distro toolchain) the build below says what is missing.
fn ensure_target() {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let sysroot = Command::new(&rustc).args(["--print", "sysroot"]).output().expect("run rustc");
    let sysroot = String::from_utf8_lossy(&sysroot.stdout).trim().to_string();
    if Path::new(&sysroot).join("lib/rustlib").join(TARGET).exists() {
        return;
    }
    let status = Command::new("rustup").args(["target", "add", TARGET]).status();
    if !matches!(status, Ok(s) if s.success()) {
        println!("cargo:warning=could not install the {TARGET} target with rustup; install it and build again");
    }
}

fn build(root: &Path, target_dir: &Path, package: &str, features: &str) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(root)
        .args(["build", "--release", "--target", TARGET, "-p", package])
        .arg("--target-dir")
        .arg(target_dir);
    if !features.is_empty() {
        cmd.args(["--features", features]);
    }
    // The outer build's flags and wrappers are for the host, not for wasm.
    for var in [
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTFLAGS",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
        "RUSTC_WORKSPACE_WRAPPER",
        "RUSTC_WRAPPER",
        "CARGO_MAKEFLAGS",
        "MAKEFLAGS",
        "MFLAGS",
        "CARGO_LLVM_COV",
        "LLVM_PROFILE_FILE",
    ] {
        cmd.env_remove(var);
    }
    let status = cmd.status().unwrap_or_else(|e| panic!("cannot run cargo to build {package}: {e}"));
    assert!(
        status.success(),
        "building the {package} component{} failed (see the errors above)",
        if features.is_empty() { String::new() } else { format!(" with feature {features}") }
    );
}
