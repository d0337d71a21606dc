//! The contract's roles, read from its WIT so nobody keeps a copy of the
//! list (written to `$OUT_DIR/roles.rs`): what a connector may play (the
//! `connector` world's exports beyond `connector-base`'s) and what a flow
//! may bind (the `flow` world's imports beyond `flow-base`'s).

use std::path::Path;

use wit_parser::{Resolve, WorldKey};

fn main() {
    let wit = Path::new(env!("CARGO_MANIFEST_DIR")).join("../wit");
    println!("cargo:rerun-if-changed={}", wit.display());
    let mut resolve = Resolve::default();
    let (package, _) = resolve.push_dir(&wit).expect("the contract's WIT (wit/) parses");
    let world_id = |name: &str| resolve.select_world(&[package], Some(name)).expect("wit/worlds.wit has the world");
    let names = |world: &str, imports: bool| -> Vec<String> {
        let world = &resolve.worlds[world_id(world)];
        let items = if imports { &world.imports } else { &world.exports };
        items
            .keys()
            .filter_map(|key| match key {
                WorldKey::Name(name) => Some(name.clone()),
                WorldKey::Interface(id) => resolve.interfaces[*id].name.clone(),
            })
            .collect()
    };
    let beyond = |world: &str, base: &str, imports: bool| -> String {
        let base = names(base, imports);
        let roles: Vec<String> =
            names(world, imports).into_iter().filter(|n| !base.contains(n)).map(|n| format!("{n:?}")).collect();
        assert!(!roles.is_empty(), "the `{world}` world names no role");
        roles.join(", ")
    };
    let code = format!(
        "/// Roles a connector may play: the `connector` world's exports beyond `connector-base`'s.\n\
         pub const CONNECTOR_ROLES: &[&str] = &[{}];\n\
         /// Roles a flow may bind: the `flow` world's imports beyond `flow-base`'s.\n\
         pub const ROLES: &[&str] = &[{}];\n",
        beyond("connector", "connector-base", false),
        beyond("flow", "flow-base", true),
    );
    let out = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("roles.rs");
    std::fs::write(out, code).expect("OUT_DIR is writable");
}
