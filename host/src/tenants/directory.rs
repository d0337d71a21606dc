//! A tenants directory: one TOML file per tenant, the file's stem its id.
//! `sync` makes the served set what the directory says (added, changed and
//! removed files); `watch` syncs on every change the operating system
//! reports (`notify`: inotify on Linux). A file that does not prepare is
//! refused for that tenant alone, its old config keeps running, and the
//! refusal is kept (`refused`) until the file changes. The admin API writes
//! and deletes files here (`write`, `delete`), so the directory stays the
//! one source of the set.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use anyhow::{Context, bail};
use sha2::{Digest, Sha256};

use crate::storage::Database;
use crate::tenant::{PathScope, TenantConfig};
use crate::tenants::set::{Put, Tenants};

/// Where every tenant of a directory keeps its data: one database for the
/// host, beside the files (a tenant config's own default).
pub const DATABASE: &str = ".trestle/trestle.db";

pub struct TenantDirectory {
    dir: PathBuf,
    scope: PathScope,
    /// What each file held when last read, and why it was refused if it was.
    known: Mutex<BTreeMap<String, Known>>,
}

struct Known {
    sha256: String,
    refused: Option<String>,
}

/// What a sync did to one tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Put(String, Put),
    Removed(String),
    /// The file was refused; `kept_old` when an old config keeps running.
    Refused {
        tenant: String,
        error: String,
        kept_old: bool,
    },
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Change::Put(t, Put::Added) => write!(f, "tenant `{t}` added"),
            Change::Put(t, Put::Changed) => write!(f, "tenant `{t}` changed"),
            Change::Removed(t) => write!(f, "tenant `{t}` removed (its file is gone)"),
            Change::Refused { error, kept_old, .. } => {
                write!(f, "{error}")?;
                if *kept_old { f.write_str("; its old config keeps running") } else { Ok(()) }
            }
        }
    }
}

impl TenantDirectory {
    pub fn new(dir: &Path, scope: PathScope) -> anyhow::Result<Self> {
        if !dir.is_dir() {
            bail!("the tenants directory {} is not a directory", dir.display());
        }
        Ok(Self { dir: dir.to_path_buf(), scope, known: Mutex::default() })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The database every tenant of this directory shares.
    pub fn database(&self) -> PathBuf {
        self.dir.join(DATABASE)
    }

    fn known(&self) -> MutexGuard<'_, BTreeMap<String, Known>> {
        self.known.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Tenants whose file was refused, with why.
    pub fn refused(&self) -> BTreeMap<String, String> {
        self.known().iter().filter_map(|(id, k)| Some((id.clone(), k.refused.clone()?))).collect()
    }

    /// Makes `tenants` serve what the directory holds now.
    pub fn sync(&self, tenants: &Tenants) -> anyhow::Result<Vec<Change>> {
        let mut known = self.known();
        let mut changes = Vec::new();
        let mut present = Vec::new();
        let listing = std::fs::read_dir(&self.dir)
            .with_context(|| format!("cannot read the tenants directory {}", self.dir.display()))?;
        for entry in listing.flatten() {
            let path = entry.path();
            let Some(id) = tenant_file(&path) else { continue };
            present.push(id.clone());
            let Ok(text) = std::fs::read(&path) else { continue };
            let sha256 = hex::encode(Sha256::digest(&text));
            if known.get(&id).is_some_and(|k| k.sha256 == sha256) {
                continue;
            }
            let refused = match self.apply(tenants, &id, &path) {
                Ok(put) => {
                    changes.push(Change::Put(id.clone(), put));
                    None
                }
                Err(e) => {
                    let error = format!("{e:#}");
                    changes.push(Change::Refused {
                        tenant: id.clone(),
                        error: error.clone(),
                        kept_old: tenants.get(&id).is_some(),
                    });
                    Some(error)
                }
            };
            known.insert(id, Known { sha256, refused });
        }
        let gone: Vec<String> = known.keys().filter(|id| !present.contains(id)).cloned().collect();
        for id in gone {
            known.remove(&id);
            if tenants.remove(&id) {
                changes.push(Change::Removed(id));
            }
        }
        Ok(changes)
    }

    /// Reads the file at `path` as tenant `id`'s config and serves it.
    fn apply(&self, tenants: &Tenants, id: &str, path: &Path) -> anyhow::Result<Put> {
        let config = TenantConfig::load_with(path, self.scope)?;
        if config.tenant != id {
            bail!(
                "{} says tenant = {:?}: a tenant's file is named after it, so rename the file to {}.toml or set \
                 tenant = {id:?}",
                path.display(),
                config.tenant,
                config.tenant
            );
        }
        if let Some(own) = config.database.as_ref().filter(|d| **d != Database::File(self.database())) {
            bail!(
                "tenant `{id}` names its own database ({own}): the tenants of {} share {}, so remove `database` from its \
                 file",
                self.dir.display(),
                self.database().display()
            );
        }
        tenants.put(config)
    }

    /// Serves `text` as tenant `id`'s config and writes it to its file, or
    /// refuses it and writes nothing (its old config keeps running).
    pub fn write(&self, tenants: &Tenants, id: &str, text: &str) -> anyhow::Result<Put> {
        check_id(id)?;
        let mut known = self.known();
        let draft = self.dir.join(format!(".{id}.toml.new"));
        std::fs::write(&draft, text).with_context(|| format!("cannot write {}", draft.display()))?;
        let applied = self.apply(tenants, id, &draft);
        let put = match applied {
            Ok(put) => put,
            Err(e) => {
                let _ = std::fs::remove_file(&draft);
                return Err(e);
            }
        };
        let file = self.dir.join(format!("{id}.toml"));
        std::fs::rename(&draft, &file).with_context(|| format!("cannot write {}", file.display()))?;
        known.insert(id.to_string(), Known { sha256: hex::encode(Sha256::digest(text.as_bytes())), refused: None });
        Ok(put)
    }

    /// Stops serving tenant `id` and deletes its file; `false` when it had none.
    pub fn delete(&self, tenants: &Tenants, id: &str) -> anyhow::Result<bool> {
        check_id(id)?;
        let mut known = self.known();
        let file = self.dir.join(format!("{id}.toml"));
        let existed = match std::fs::remove_file(&file) {
            Ok(()) => true,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
            Err(e) => return Err(e).with_context(|| format!("cannot delete {}", file.display())),
        };
        known.remove(id);
        Ok(tenants.remove(id) || existed)
    }

    /// Syncs now and on every change to the directory; `say` hears each
    /// change. Watching ends when the returned watcher is dropped.
    pub fn watch(
        self: &Arc<Self>,
        tenants: Tenants,
        say: Arc<dyn Fn(&str) + Send + Sync>,
    ) -> anyhow::Result<notify::RecommendedWatcher> {
        use notify::Watcher;
        let tell = |directory: &TenantDirectory, tenants: &Tenants, say: &dyn Fn(&str)| match directory.sync(tenants) {
            Ok(changes) => changes.iter().for_each(|c| say(&c.to_string())),
            Err(e) => say(&format!("{e:#}")),
        };
        tell(self, &tenants, &*say);
        let directory = self.clone();
        let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
            if event.is_ok_and(|e| !e.kind.is_access()) {
                tell(&directory, &tenants, &*say);
            }
        })
        .context("cannot watch the tenants directory")?;
        watcher
            .watch(&self.dir, notify::RecursiveMode::NonRecursive)
            .with_context(|| format!("cannot watch the tenants directory {}", self.dir.display()))?;
        Ok(watcher)
    }
}

/// The tenant id of a tenant file: `ID.toml`, hidden files and drafts aside.
fn tenant_file(path: &Path) -> Option<String> {
    if path.extension()? != "toml" || !path.is_file() {
        return None;
    }
    let stem = path.file_stem()?.to_str()?;
    (!stem.starts_with('.')).then(|| stem.to_string())
}

/// A tenant id as a file name can hold it, as the config's `tenant` requires.
pub fn check_id(id: &str) -> anyhow::Result<()> {
    if id.is_empty() || id.starts_with('.') || !id.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) {
        bail!("{id:?} is not a tenant id: ids are letters, digits, '-', '_' or '.', not starting with '.'");
    }
    Ok(())
}
