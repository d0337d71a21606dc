//! Builds the guest components (connectors, flows, the example mapping and
//! the hostile test modules) for wasm32-wasip2, the way wasmtime's
//! test-programs do: a nested `cargo build` into a target directory of its
//! own, so nobody ever builds a component by hand. The guest crates are the
//! workspace packages with a `[package.metadata.trestle]` table: no list here.

use std::path::{Path, PathBuf};
use std::process::Command;

const TARGET: &str = "wasm32-wasip2";

/// One component to build: a package (with one feature, for test
/// components), the name its constant takes, and for a shipped one its kind
/// and the name a tenant config uses for it.
struct Guest {
    package: String,
    feature: Option<String>,
    artifact: String,
    builtin: Option<(String, String)>,
}

/// Folders whose changes must rebuild the guests.
/// (The eAccounting connector reads the official schemas the emulator keeps.)
const SOURCES: &[&str] = &[
    "wit",
    "guest",
    "connectors",
    "flows",
    "examples",
    "tests/guests",
    "emulators/eaccounting/schemas",
    "Cargo.toml",
    "Cargo.lock",
];

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
    let mut builtins = String::new();
    for guest in discover(&root) {
        build(&root, &target_dir, &guest.package, guest.feature.as_deref().unwrap_or(""));
        let file = guest.package.replace('-', "_");
        let built = target_dir.join(TARGET).join("release").join(format!("{file}.wasm"));
        let dest = out_dir.join(format!("{}.wasm", guest.artifact));
        std::fs::copy(&built, &dest)
            .unwrap_or_else(|e| panic!("cannot copy {} to {}: {e}", built.display(), dest.display()));
        let dest = dest.display().to_string();
        generated += &format!(
            "/// Path of the built `{}` component{}.\n",
            guest.package,
            guest.feature.as_ref().map(|f| format!(" (feature `{f}`)")).unwrap_or_default()
        );
        generated += &format!("pub const {}: &str = {dest:?};\n", guest.artifact.to_uppercase());
        if let Some((kind, name)) = &guest.builtin {
            builtins += &format!("    (ComponentKind::{kind}, {name:?}, include_bytes!({dest:?})),\n");
        }
    }
    generated += &format!(
        "/// The shipped components, built into the binary: kind, the name a tenant config uses, bytes.\n\
         pub const BUILTINS: &[(ComponentKind, &str, &[u8])] = &[\n{builtins}];\n"
    );
    std::fs::write(out_dir.join("artifacts.rs"), generated).expect("write artifacts.rs");
}

/// Every workspace package that says in `[package.metadata.trestle]` what
/// it builds: `component = "connector" | "flow" | "mapping"` and `name`
/// (shipped under that name, constant `NAME_KIND`), or `test-components =
/// "prefix"` (one component per feature, constant `PREFIX_FEATURE`).
fn discover(root: &Path) -> Vec<Guest> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .current_dir(root)
        .args(["metadata", "--format-version", "1", "--no-deps", "--offline"])
        .output()
        .unwrap_or_else(|e| panic!("cannot run cargo metadata to find the guest crates: {e}"));
    assert!(output.status.success(), "cargo metadata failed: {}", String::from_utf8_lossy(&output.stderr));
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).expect("cargo metadata's JSON");
    let mut guests = Vec::new();
    for package in metadata["packages"].as_array().expect("packages") {
        let name = package["name"].as_str().expect("package name");
        let trestle = &package["metadata"]["trestle"];
        if trestle.is_null() {
            continue;
        }
        let text = |key: &str| trestle[key].as_str().map(str::to_string);
        match (text("component"), text("name"), text("test-components")) {
            (Some(kind), Some(builtin), None) => {
                let variant = match kind.as_str() {
                    "connector" => "Connector",
                    "flow" => "Flow",
                    "mapping" => "Mapping",
                    other => panic!("{name}: component = {other:?}; it is one of connector, flow, mapping"),
                };
                guests.push(Guest {
                    package: name.to_string(),
                    feature: None,
                    artifact: format!("{builtin}_{kind}").replace('-', "_"),
                    builtin: Some((variant.to_string(), builtin)),
                });
            }
            (None, None, Some(prefix)) => {
                let features = package["features"].as_object().expect("features");
                for feature in features.keys().filter(|f| *f != "default") {
                    guests.push(Guest {
                        package: name.to_string(),
                        feature: Some(feature.clone()),
                        artifact: format!("{prefix}_{feature}").replace('-', "_"),
                        builtin: None,
                    });
                }
            }
            _ => panic!(
                "{name}: [package.metadata.trestle] takes either `component` and `name` (a shipped component) or \
                 `test-components` (one test component per feature)"
            ),
        }
    }
    guests
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
    // Guests ship without DWARF (the workspace's release line tables made
    // them 2.7-5.5 MB, hashed and read on every start); the name section
    // stays, so a trap still names the guest's functions.
    cmd.env("CARGO_PROFILE_RELEASE_DEBUG", "false").env("CARGO_PROFILE_RELEASE_STRIP", "debuginfo");
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
