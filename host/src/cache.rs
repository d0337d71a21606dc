//! Compiled components cached on disk, keyed by the component's content hash
//! and the engine's compatibility hash, so a second start compiles nothing
//! and an upgraded wasmtime never loads stale machine code.
//!
//! A cached file is native code the host will jump into, so it is never
//! trusted because of where it lies: each entry starts with an
//! HMAC-SHA256 tag over its name and its bytes, keyed by a random key kept
//! in the cache folder (`KEY`, owner-only). Anything whose tag does not
//! match (a flipped bit, a truncated write, a file copied in from another
//! entry or another machine) is recompiled and replaced, never
//! deserialised. See docs/2026-12-01-component-cache-verification.md.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

use crate::manifest::Manifest;

type Tag = Hmac<Sha256>;

/// Bytes of the tag in front of every entry.
const TAG_LEN: usize = 32;
/// The cache's key file, beside the entries.
const KEY_FILE: &str = "KEY";
/// Temporary files older than this are left-overs of a process that died
/// mid-write (a full disk, a kill): removed when a cache is opened. Younger
/// ones may be another process writing right now.
const STALE_TEMP_AGE: Duration = Duration::from_secs(600);

pub struct ComponentCache {
    dir: Option<CacheDir>,
}

struct CacheDir {
    path: PathBuf,
    key: [u8; 32],
}

/// Whether a load compiled the component or found it in the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheOutcome {
    Compiled,
    Cached,
}

impl ComponentCache {
    /// `dir = None` compiles every time (tests that want a clean slate).
    pub fn new(dir: Option<PathBuf>) -> anyhow::Result<Self> {
        let dir = match dir {
            Some(path) => {
                std::fs::create_dir_all(&path)
                    .with_context(|| format!("cannot create the component cache {}", path.display()))?;
                remove_stale_temp_files(&path);
                let key = cache_key(&path)?;
                Some(CacheDir { path, key })
            }
            None => None,
        };
        Ok(Self { dir })
    }

    pub fn content_hash(bytes: &[u8]) -> String {
        hex::encode(Sha256::digest(bytes))
    }

    /// Loads the compiled form of `bytes` (whose `content_hash` is `hash`)
    /// for `engine`, compiling and storing it on a miss or when the stored
    /// entry does not verify.
    pub fn load(
        &self,
        engine: &Engine,
        name: &str,
        hash: &str,
        bytes: &[u8],
    ) -> anyhow::Result<(Component, CacheOutcome)> {
        let Some(dir) = &self.dir else {
            return Ok((compile(engine, name, bytes)?, CacheOutcome::Compiled));
        };
        // The host's engines differ (fuel, reservation): each has its entries.
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        let entry = format!("{hash}-{:016x}.cwasm", hasher.finish());
        let path = dir.path.join(&entry);
        if let Some(code) = dir.verified(&entry, &path) {
            // SAFETY: `code` is exactly what `Component::serialize` produced
            // for this entry on an engine with the same compatibility hash:
            // its tag, keyed by this cache's secret key, says so.
            match unsafe { Component::deserialize(engine, code) } {
                Ok(component) => return Ok((component, CacheOutcome::Cached)),
                Err(e) => tracing::warn!("recompiling {name}: cache entry {} did not load: {e:#}", path.display()),
            }
        }
        let component = compile(engine, name, bytes)?;
        // A cache that cannot be written (a full disk) costs a compile on
        // the next start, not this load.
        match component.serialize() {
            Ok(code) => {
                if let Err(e) = store_atomically(&path, &dir.tagged(&entry, &code)) {
                    tracing::warn!("cannot cache {name}: {e:#}");
                }
            }
            Err(e) => tracing::warn!("cannot cache {name}: {e:#}"),
        }
        Ok((component, CacheOutcome::Compiled))
    }
}

impl ComponentCache {
    /// The manifest stored beside the component with this content hash, if
    /// there is one and it verifies (it decides what the host allows the
    /// component, so it is tagged like compiled code).
    pub fn manifest(&self, hash: &str) -> Option<Manifest> {
        let dir = self.dir.as_ref()?;
        let entry = manifest_entry(hash);
        let bytes = dir.verified(&entry, &dir.path.join(&entry))?;
        serde_json::from_slice(&bytes).ok()
    }

    /// Stores the manifest beside the component; a failed write costs a
    /// rebuild on the next start, nothing more.
    pub fn store_manifest(&self, hash: &str, manifest: &Manifest) {
        let Some(dir) = &self.dir else { return };
        let entry = manifest_entry(hash);
        let json = serde_json::to_vec(manifest).expect("a manifest serialises");
        if let Err(e) = store_atomically(&dir.path.join(&entry), &dir.tagged(&entry, &json)) {
            tracing::warn!("cannot cache the manifest {entry}: {e:#}");
        }
    }
}

/// A manifest's file name: the component's content hash and the format.
fn manifest_entry(hash: &str) -> String {
    format!("{hash}.manifest-v{}.json", crate::manifest::FORMAT)
}

impl CacheDir {
    fn tag(&self, entry: &str, code: &[u8]) -> Tag {
        let mut mac = Tag::new_from_slice(&self.key).expect("HMAC takes keys of any length");
        // The entry's name is signed too: a valid entry copied over another
        // one's name does not verify.
        mac.update(entry.as_bytes());
        mac.update(&[0]);
        mac.update(code);
        mac
    }

    fn tagged(&self, entry: &str, code: &[u8]) -> Vec<u8> {
        let mut out = self.tag(entry, code).finalize().into_bytes().to_vec();
        out.extend_from_slice(code);
        out
    }

    /// The entry's compiled code if the file exists and its tag verifies.
    /// Read once into memory, so what is verified is what is loaded.
    fn verified(&self, entry: &str, path: &Path) -> Option<Vec<u8>> {
        let mut file = std::fs::read(path).ok()?;
        if file.len() > TAG_LEN {
            let code = &file[TAG_LEN..];
            if self.tag(entry, code).verify_slice(&file[..TAG_LEN]).is_ok() {
                file.drain(..TAG_LEN);
                return Some(file);
            }
        }
        tracing::warn!("recompiling: cache entry {} failed verification (damaged or not written here)", path.display());
        None
    }
}

/// The cache's secret key: read from `KEY`, or made (random) and written
/// there, readable by the owner only. A key that is not 32 bytes is
/// replaced; every entry then simply fails verification once.
fn cache_key(dir: &Path) -> anyhow::Result<[u8; 32]> {
    let path = dir.join(KEY_FILE);
    for _ in 0..2 {
        if let Ok(bytes) = std::fs::read(&path) {
            if let Ok(key) = <[u8; 32]>::try_from(bytes.as_slice()) {
                return Ok(key);
            }
            tracing::warn!("replacing the unusable component cache key {}", path.display());
            let _ = std::fs::remove_file(&path);
        }
        let key: [u8; 32] = rand::random();
        // Written beside and linked into place: two processes starting at
        // once agree on whichever key landed first.
        let tmp = temp_path(&path);
        write_private(&tmp, &key).with_context(|| format!("cannot write the component cache key {}", tmp.display()))?;
        let linked = std::fs::hard_link(&tmp, &path);
        let _ = std::fs::remove_file(&tmp);
        match linked {
            Ok(()) => return Ok(key),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                return Err(e).with_context(|| format!("cannot write the component cache key {}", path.display()));
            }
        }
    }
    anyhow::bail!("cannot settle on a component cache key in {}", dir.display())
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(bytes)
}

fn compile(engine: &Engine, name: &str, bytes: &[u8]) -> anyhow::Result<Component> {
    Component::new(engine, bytes)
        .map_err(anyhow::Error::from)
        .with_context(|| format!("{name} is not a valid WebAssembly component"))
}

/// A unique name beside `path`, as two threads may compile the same
/// component at once.
fn temp_path(path: &Path) -> PathBuf {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("entry");
    path.with_file_name(format!("{name}.tmp-{}", uuid::Uuid::new_v4()))
}

fn is_temp_file(name: &str) -> bool {
    name.contains(".tmp-")
}

/// Write-then-rename, so a concurrent reader never sees half a file; a
/// write that fails half-way (a full disk) leaves nothing behind.
fn store_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let tmp = temp_path(path);
    let written = std::fs::write(&tmp, bytes)
        .with_context(|| format!("cannot write {}", tmp.display()))
        .and_then(|()| std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display())));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// Removes temporary files a process left when it died mid-write.
fn remove_stale_temp_files(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let stale = entry.file_name().to_str().is_some_and(is_temp_file)
            && entry
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| t.elapsed().unwrap_or_default() > STALE_TEMP_AGE);
        if stale {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_write_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        // Renaming onto a folder that is not empty fails after the write.
        let target = dir.path().join("entry.cwasm");
        std::fs::create_dir(&target).unwrap();
        std::fs::write(target.join("occupied"), b"x").unwrap();
        assert!(store_atomically(&target, b"compiled code").is_err());
        let left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(left, vec!["entry.cwasm".to_string()], "no temporary file is left behind");
    }

    #[test]
    fn old_temporary_files_are_removed_when_the_cache_opens_and_fresh_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let old = dir.path().join("a.cwasm.tmp-1");
        let fresh = dir.path().join("b.cwasm.tmp-2");
        for path in [&old, &fresh] {
            std::fs::write(path, b"half a file").unwrap();
        }
        let an_hour_ago = std::time::SystemTime::now() - Duration::from_secs(3600);
        std::fs::File::options().write(true).open(&old).unwrap().set_modified(an_hour_ago).unwrap();
        remove_stale_temp_files(dir.path());
        assert!(!old.exists(), "a left-over of a dead process is removed");
        assert!(fresh.exists(), "a file another process may be writing is kept");
    }

    #[test]
    fn the_key_is_made_once_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let first = cache_key(dir.path()).unwrap();
        assert_eq!(cache_key(dir.path()).unwrap(), first);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE)).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "only the owner can read the key");
        }
        std::fs::write(dir.path().join(KEY_FILE), b"short").unwrap();
        assert_ne!(cache_key(dir.path()).unwrap(), first, "an unusable key is replaced");
    }
}
