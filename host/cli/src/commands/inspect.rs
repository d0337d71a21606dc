//! `trestle inspect COMPONENT`: what a component is and may do, as the host
//! reads it at load (its manifest) and the limits it runs under: roles,
//! settings (secret, URL, default), auth, rate budgets, webhooks.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use serde_json::{Value, json};
use trestle_artifacts::Builtins;
use trestle_host::manifest::{AuthManifest, Manifest};
use trestle_host::tenant::ComponentSource;
use trestle_host::{ComponentKind, Host, HostOptions, Limits, LoadedComponent};

#[derive(clap::Args)]
pub struct Args {
    /// A built-in component's name (a connector's, a flow's, ...) or a .wasm file.
    component: String,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

/// Tried in this order for a file: a connector fails to load as a flow (it
/// imports HTTP), a mapping module as a flow or a connector (it exports
/// neither `flow-run` nor `connection`).
const KINDS: [ComponentKind; 3] = [ComponentKind::Flow, ComponentKind::Connector, ComponentKind::Mapping];

pub fn run(args: Args) -> anyhow::Result<()> {
    let host = Host::new(HostOptions::default())?;
    let loaded = load(&host, &args.component)?;
    let limits = Limits::defaults(loaded.kind);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&as_json(&loaded, &limits))?);
    } else {
        print!("{}", as_text(&loaded, &limits));
    }
    Ok(())
}

fn load(host: &Host, component: &str) -> anyhow::Result<Arc<LoadedComponent>> {
    if let Some((kind, bytes)) = KINDS.iter().find_map(|k| Builtins.builtin(*k, component).map(|b| (*k, b))) {
        return host.load(component, kind, bytes);
    }
    let path = Path::new(component);
    let bytes = std::fs::read(path)
        .with_context(|| format!("`{component}` is neither a built-in component nor a file that can be read"))?;
    let label = path.file_stem().and_then(|s| s.to_str()).unwrap_or(component);
    let mut refusals = Vec::new();
    for kind in KINDS {
        match host.load(label, kind, &bytes) {
            Ok(loaded) => return Ok(loaded),
            Err(e) => refusals.push(format!("as a {}: {e:#}", kind.as_str())),
        }
    }
    anyhow::bail!("{component} is not a component Trestle can load:\n  {}", refusals.join("\n  "))
}

fn as_json(loaded: &LoadedComponent, limits: &Limits) -> Value {
    json!({
        "name": loaded.name,
        "kind": loaded.kind.as_str(),
        "sha256": loaded.hash,
        "manifest": loaded.manifest,
        "limits": {
            "deadline_ms": limits.deadline.as_millis() as u64,
            "fuel": limits.fuel,
            "memory_bytes": limits.memory_bytes,
            "log_bytes": limits.log_bytes,
            "log_lines": limits.log_lines,
        },
    })
}

fn as_text(loaded: &LoadedComponent, limits: &Limits) -> String {
    let Manifest { roles, connector, record_kinds } = &loaded.manifest;
    let mut out = format!("{} {}\n  sha256      {}\n", loaded.kind.as_str(), loaded.name, loaded.hash);
    let list = |items: &[String]| if items.is_empty() { "none".to_string() } else { items.join(", ") };
    if let Some(c) = connector {
        out += &format!("  title       {} {}\n", c.title, c.version);
    }
    if loaded.kind != ComponentKind::Mapping {
        let what = if loaded.kind == ComponentKind::Flow { "uses" } else { "plays" };
        out += &format!("  roles       {what} {}\n", list(roles));
    }
    if loaded.kind == ComponentKind::Flow {
        out += &format!("  webhooks    record runs for {}\n", list(record_kinds));
    }
    if let Some(c) = connector {
        out += &format!("  webhooks    {}\n", if c.webhooks { "takes them (webhook-source)" } else { "none" });
        out += &match &c.auth {
            AuthManifest::Settings => "  auth        settings (the credentials are settings)\n".to_string(),
            AuthManifest::Oauth2Code(o) => format!(
                "  auth        oauth2-code at `{}` {} and {}, scopes {}; refresh token kept in state `{}`\n",
                o.server_setting,
                o.authorize_path,
                o.token_path,
                o.scopes.join(" "),
                o.refresh_token_key
            ),
        };
        out += "  settings\n";
        for s in &c.settings {
            let mut marks = vec![if s.required { "required" } else { "optional" }];
            if s.secret {
                marks.push("secret");
            }
            if s.url {
                marks.push("url");
            }
            let default = s.default.as_ref().map(|d| format!(", default {d}")).unwrap_or_default();
            out += &format!("    {:<20} {}{default}: {}\n", s.name, marks.join(", "), s.description);
        }
        out += "  rate limits\n";
        for l in &c.rate_limits {
            let methods = if l.methods.is_empty() { "every method".to_string() } else { l.methods.join(", ") };
            let paths = if l.path_suffixes.is_empty() {
                String::new()
            } else {
                format!(" on paths ending {}", l.path_suffixes.join(", "))
            };
            let shared = if l.per_method { "each method on its own" } else { "shared" };
            out += &format!("    {methods}{paths}: {} a minute per URL, {shared}\n", l.per_minute);
        }
    }
    let fuel = limits.fuel.map_or("unmetered".to_string(), |f| f.to_string());
    out += &format!(
        "  limits      {} ms a call, fuel {fuel}, memory {} MiB, log {} KiB / {} lines a run\n",
        limits.deadline.as_millis(),
        limits.memory_bytes >> 20,
        limits.log_bytes >> 10,
        limits.log_lines
    );
    out
}
