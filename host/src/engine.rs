//! The host: the engines (trusted and metered, `engines.rs`), the component
//! cache, the database, and the linkers for each kind of component. Cheap
//! to clone; embedders keep one per process.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use wasmtime::component::{Component, Instance, InstancePre, Linker};
use wasmtime::{Engine, Store};

use crate::bindings;
use crate::cache::{CacheOutcome, ComponentCache};
use crate::capabilities::log::{ActivityEntry, ActivityQuery};
use crate::capabilities::pacing::Pacer;
use crate::capabilities::roles::ServeRoles;
use crate::capabilities::{config, http, log, roles, sandbox, state, transforms};
use crate::engines::Engines;
pub use crate::guest_state::StoreSetup;
use crate::guest_state::{GuestState, StoreOwner};
use crate::limits::ComponentKind;
use crate::manifest::{Manifest, roles_of};
use crate::storage::{Database, Storage};
use crate::traps;

/// Where the host keeps its files.
#[derive(Debug, Clone, Default)]
pub struct HostOptions {
    /// The SQLite file or PostgreSQL database; `None` keeps everything in
    /// memory.
    pub database: Option<Database>,
    /// Compiled-component cache; `None` compiles on every load.
    pub cache_dir: Option<PathBuf>,
}

#[derive(Clone)]
pub struct Host {
    inner: Arc<HostInner>,
}

struct HostInner {
    engines: Engines,
    storage: Storage,
    cache: ComponentCache,
    /// WASI and `log`, which every kind gets: one per engine.
    trusted_linker: Linker<GuestState>,
    metered_linker: Linker<GuestState>,
    pacer: Arc<Pacer>,
    loaded: std::sync::Mutex<LoadedComponents>,
}

/// Loaded components by kind, name and content hash, while anyone holds them.
type LoadedComponents = std::collections::HashMap<(ComponentKind, String, String), std::sync::Weak<LoadedComponent>>;

/// A component compiled and pre-linked, ready for a fresh Store per run.
pub struct LoadedComponent {
    pub name: String,
    pub kind: ComponentKind,
    /// SHA-256 of the component's bytes.
    pub hash: String,
    pub cache: CacheOutcome,
    pub component: Component,
    pub pre: InstancePre<GuestState>,
    /// What it is and may do, as it said when first loaded.
    pub manifest: Manifest,
}

impl Host {
    pub fn new(options: HostOptions) -> anyhow::Result<Self> {
        let engines = Engines::start()?;
        let storage = match &options.database {
            Some(database) => Storage::open(database)?,
            None => Storage::in_memory()?,
        };
        let cache = ComponentCache::new(options.cache_dir.clone())?;
        let trusted_linker = base_linker(engines.of(ComponentKind::Connector))?;
        let metered_linker = base_linker(engines.of(ComponentKind::Mapping))?;
        Ok(Host {
            inner: Arc::new(HostInner {
                engines,
                storage,
                cache,
                trusted_linker,
                metered_linker,
                pacer: Arc::default(),
                loaded: Default::default(),
            }),
        })
    }

    /// The engine components of this kind run on.
    pub fn engine(&self, kind: ComponentKind) -> &Engine {
        self.inner.engines.of(kind)
    }

    /// The rate budgets of every connection this host runs.
    pub fn pacer(&self) -> Arc<Pacer> {
        self.inner.pacer.clone()
    }

    pub fn storage(&self) -> &Storage {
        &self.inner.storage
    }

    /// Compiles (or finds in the cache) and pre-links a component. Imports
    /// the kind may not have are refused here, naming the import. One
    /// loaded already (same kind, name and bytes) and still held is shared:
    /// a thousand tenants on the same connectors hold one copy of each.
    pub fn load(&self, name: &str, kind: ComponentKind, bytes: &[u8]) -> anyhow::Result<Arc<LoadedComponent>> {
        let hash = ComponentCache::content_hash(bytes);
        let key = (kind, name.to_string(), hash.clone());
        let held = |loaded: &mut LoadedComponents| loaded.get(&key).and_then(std::sync::Weak::upgrade);
        if let Some(loaded) = held(&mut self.loaded()) {
            return Ok(loaded);
        }
        let loaded = self.load_new(name, kind, bytes, hash)?;
        let mut all = self.loaded();
        all.retain(|_, held| held.strong_count() > 0);
        all.insert(key, Arc::downgrade(&loaded));
        Ok(loaded)
    }

    fn loaded(&self) -> std::sync::MutexGuard<'_, LoadedComponents> {
        self.inner.loaded.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn load_new(
        &self,
        name: &str,
        kind: ComponentKind,
        bytes: &[u8],
        hash: String,
    ) -> anyhow::Result<Arc<LoadedComponent>> {
        let engine = self.engine(kind);
        let (component, cache) = self.inner.cache.load(engine, name, &hash, bytes)?;
        let linker = self.linker_for(kind, &component)?;
        check_imports(engine, name, kind, &component)?;
        let pre = linker
            .instantiate_pre(&component)
            .map_err(anyhow::Error::from)
            .with_context(|| format!("{} `{name}` cannot be linked", kind.as_str()))?;
        let mut loaded =
            LoadedComponent { name: name.into(), kind, hash, cache, component, pre, manifest: Manifest::mapping() };
        loaded.manifest = match self.inner.cache.manifest(&loaded.hash) {
            Some(manifest) => manifest,
            None => {
                let manifest = self
                    .read_manifest(&loaded)
                    .with_context(|| format!("{} `{name}` cannot describe itself", kind.as_str()))?;
                self.inner.cache.store_manifest(&loaded.hash, &manifest);
                manifest
            }
        };
        Ok(Arc::new(loaded))
    }

    /// Asks the component what it is, once: its roles from its exports or
    /// imports, a connector's spec, a flow's record kinds. In a Store of its
    /// own with no network and a throwaway database.
    fn read_manifest(&self, loaded: &LoadedComponent) -> anyhow::Result<Manifest> {
        let engine = self.engine(loaded.kind);
        if loaded.kind == ComponentKind::Mapping {
            return Ok(Manifest::mapping());
        }
        let setup = StoreSetup { isolated: true, ..StoreSetup::default() };
        let (mut store, instance) = self.instantiate(loaded, "manifest", "load", setup, None)?;
        if loaded.kind == ComponentKind::Flow {
            let guest = bindings::exports::trestle::sync::flow_run::GuestIndices::new(&loaded.pre)?
                .load(&mut store, &instance)?;
            let kinds = guest.call_record_kinds(&mut store).map_err(|e| traps::explain(e, store.data()))?;
            return Ok(Manifest::flow(roles_of(engine, &loaded.component, true), kinds));
        }
        let guest = bindings::exports::trestle::sync::connection::GuestIndices::new(&loaded.pre)?
            .load(&mut store, &instance)?;
        let spec = guest.call_spec(&mut store).map_err(|e| traps::explain(e, store.data()))?;
        Manifest::connector(roles_of(engine, &loaded.component, false), spec)
    }

    pub fn load_file(
        &self,
        name: &str,
        kind: ComponentKind,
        path: &std::path::Path,
    ) -> anyhow::Result<Arc<LoadedComponent>> {
        let bytes = std::fs::read(path)
            .with_context(|| format!("cannot read {} `{name}` from {}", kind.as_str(), path.display()))?;
        self.load(name, kind, &bytes)
    }

    /// The base linker (WASI and `log`, which every kind gets) and what the
    /// kind adds.
    fn linker_for(&self, kind: ComponentKind, component: &Component) -> anyhow::Result<Linker<GuestState>> {
        let mut linker =
            if kind.metered() { self.inner.metered_linker.clone() } else { self.inner.trusted_linker.clone() };
        match kind {
            ComponentKind::Mapping => {}
            ComponentKind::Connector => {
                http::link(&mut linker)?;
                state::link(&mut linker, |s| &mut s.state)?;
                config::link(&mut linker, |s| &mut s.config)?;
            }
            ComponentKind::Flow => {
                state::link(&mut linker, |s| &mut s.state)?;
                config::link(&mut linker, |s| &mut s.config)?;
                transforms::link(&mut linker, |s| &mut s.transforms)?;
                roles::link(self.engine(kind), &mut linker, component, |s| &mut s.roles)?;
            }
        }
        Ok(linker)
    }

    /// A fresh Store with the component's limits and capabilities, and the
    /// component instantiated in it.
    pub fn instantiate(
        &self,
        loaded: &LoadedComponent,
        tenant: &str,
        run_id: &str,
        setup: StoreSetup,
        roles: Option<Box<dyn ServeRoles>>,
    ) -> anyhow::Result<(Store<GuestState>, Instance)> {
        let owner = StoreOwner { component: &loaded.name, kind: loaded.kind, tenant, run_id };
        let data = GuestState::prepare(owner, &self.inner.storage, setup, roles)?;
        let (fuel, deadline) = (data.limits().fuel, data.limits().deadline_ticks());
        let mut store = Store::new(self.engine(loaded.kind), data);
        store.limiter(|s| &mut s.sandbox.limiter);
        if loaded.kind.metered() {
            store.set_fuel(fuel.unwrap_or(u64::MAX))?;
        } else if let Some(fuel) = fuel {
            anyhow::bail!(
                "{} `{}` was given a fuel limit of {fuel}, but only mapping modules are metered by fuel: \
                 limit connectors and flows by time (deadline_ms)",
                loaded.kind.as_str(),
                loaded.name
            );
        }
        store.set_epoch_deadline(deadline);
        let instance = match loaded.pre.instantiate(&mut store) {
            Ok(i) => i,
            Err(e) => return Err(traps::explain(e, store.data())),
        };
        Ok((store, instance))
    }

    /// Reads the activity log.
    pub fn activity(&self, query: &ActivityQuery) -> anyhow::Result<Vec<ActivityEntry>> {
        crate::capabilities::log::query(&self.inner.storage, query)
    }
}

/// Refuses a component that imports something its kind may not use, naming
/// each such import: clearer than a link error, and it happens at load.
fn check_imports(engine: &Engine, name: &str, kind: ComponentKind, component: &Component) -> anyhow::Result<()> {
    let ty = component.component_type();
    let imports = ty.imports(engine);
    let (refused, why): (Vec<String>, &str) = match kind {
        ComponentKind::Mapping => (
            imports.filter_map(|(i, _)| mapping_may_not_import(i).map(|because| format!("{i}{because}"))).collect(),
            "mapping modules may import only trestle:sync/log and the WASI basics a runtime needs to start",
        ),
        ComponentKind::Flow => (
            imports.filter(|(i, _)| i.starts_with("wasi:http/")).map(|(i, _)| i.to_string()).collect(),
            "flows reach the outside only through connectors",
        ),
        ComponentKind::Connector => return Ok(()),
    };
    if refused.is_empty() {
        return Ok(());
    }
    let verb = if refused.len() == 1 { "is" } else { "are" };
    anyhow::bail!("{} `{name}` imports {}, which {verb} not allowed: {why}", kind.as_str(), refused.join(", "))
}

/// What a mapping may import: its world (`log`, and `types`, which only
/// carries types) and the WASI a Rust std build imports to start (stdio,
/// environment, exit, their streams and polling), plus random numbers and
/// the date, which std's `HashMap` and `SystemTime` ask for. None of these
/// can wait (there is nothing to poll but stdio), so the per-record time
/// limit holds; everything else is refused.
const MAPPING_IMPORTS: &[&str] = &[
    "trestle:sync/log",
    "trestle:sync/types",
    "wasi:cli/environment",
    "wasi:cli/exit",
    "wasi:cli/stdin",
    "wasi:cli/stdout",
    "wasi:cli/stderr",
    "wasi:cli/terminal-input",
    "wasi:cli/terminal-output",
    "wasi:cli/terminal-stdin",
    "wasi:cli/terminal-stdout",
    "wasi:cli/terminal-stderr",
    "wasi:io/error",
    "wasi:io/streams",
    "wasi:io/poll",
    "wasi:random/random",
    "wasi:random/insecure",
    "wasi:random/insecure-seed",
    "wasi:clocks/wall-clock",
];

/// `None` when a mapping may import `import`, else why not in brackets
/// where there is more to say than "not in its world".
fn mapping_may_not_import(import: &str) -> Option<&'static str> {
    let unversioned = import.split('@').next().unwrap_or(import);
    if MAPPING_IMPORTS.contains(&unversioned) {
        return None;
    }
    Some(match unversioned {
        "wasi:clocks/monotonic-clock" => " (its timers let a module sleep, which no time limit interrupts)",
        i if i.starts_with("wasi:filesystem/") => " (a mapping has no files)",
        i if i.starts_with("wasi:sockets/") || i.starts_with("wasi:http/") => " (a mapping reaches no network)",
        _ => "",
    })
}

/// The linker every kind starts from on `engine`: WASI and `log`.
fn base_linker(engine: &Engine) -> anyhow::Result<Linker<GuestState>> {
    let mut linker = Linker::new(engine);
    sandbox::link(&mut linker).context("linking WASI")?;
    log::link(&mut linker, |s: &mut GuestState| &mut s.log).context("linking trestle:sync/log")?;
    Ok(linker)
}
