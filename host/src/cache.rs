//! Compiled components cached on disk, keyed by the component's content hash
//! and the engine's compatibility hash, so a second start compiles nothing
//! and an upgraded wasmtime never loads stale machine code.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use anyhow::Context;
use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

pub struct ComponentCache {
    dir: Option<PathBuf>,
    engine_key: String,
}

/// Whether a load compiled the component or found it in the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheOutcome {
    Compiled,
    Cached,
}

impl ComponentCache {
    /// `dir = None` compiles every time (tests that want a clean slate).
    pub fn new(engine: &Engine, dir: Option<PathBuf>) -> anyhow::Result<Self> {
        if let Some(dir) = &dir {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create the component cache {}", dir.display()))?;
        }
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        Ok(Self { dir, engine_key: format!("{:016x}", hasher.finish()) })
    }

    pub fn content_hash(bytes: &[u8]) -> String {
        hex::encode(Sha256::digest(bytes))
    }

    /// Loads the compiled form of `bytes`, compiling and storing it on a miss.
    pub fn load(&self, engine: &Engine, name: &str, bytes: &[u8]) -> anyhow::Result<(Component, CacheOutcome)> {
        let Some(dir) = &self.dir else {
            return Ok((compile(engine, name, bytes)?, CacheOutcome::Compiled));
        };
        let path = dir.join(format!("{}-{}.cwasm", Self::content_hash(bytes), self.engine_key));
        if path.exists() {
            // SAFETY: the file was written by `Component::serialize` of an
            // engine with the same compatibility hash (it is in the name),
            // into a directory only this host writes.
            match unsafe { Component::deserialize_file(engine, &path) } {
                Ok(component) => return Ok((component, CacheOutcome::Cached)),
                Err(e) => tracing::warn!("ignoring unreadable cache entry {}: {e:#}", path.display()),
            }
        }
        let component = compile(engine, name, bytes)?;
        store_atomically(&path, &component.serialize().map_err(anyhow::Error::from)?)?;
        Ok((component, CacheOutcome::Compiled))
    }
}

fn compile(engine: &Engine, name: &str, bytes: &[u8]) -> anyhow::Result<Component> {
    Component::new(engine, bytes)
        .map_err(anyhow::Error::from)
        .with_context(|| format!("{name} is not a valid WebAssembly component"))
}

/// Write-then-rename, so a concurrent reader never sees half a file; the
/// temporary name is unique, as two threads may compile the same component.
fn store_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let tmp = path.with_extension(format!("tmp-{}", uuid::Uuid::new_v4()));
    std::fs::write(&tmp, bytes).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
