//! What every Store runs in, whatever the component: WASI with nothing in
//! it (no files, no environment, no sockets; stderr kept for error
//! messages), and the Store's limits with the memory limiter that enforces
//! the memory, table and instance ones. Fuel and time are armed on the
//! Store by whoever calls into it (`engine`, `forward`, `mapping`), from
//! the same limits.

use wasmtime::ResourceLimiter;
use wasmtime::component::Linker;
use wasmtime_wasi::WasiCtx;
use wasmtime_wasi::WasiView;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;

use crate::limits::{ComponentKind, Limits};

/// How much of a component's stderr is kept for error messages (a panic
/// message, typically); the rest is dropped.
const STDERR_KEPT: usize = 16 * 1024;

/// One Store's sandbox: who runs in it, under which limits.
pub struct Sandbox {
    /// The name the Store logs and reports errors under.
    pub name: String,
    pub kind: ComponentKind,
    pub limits: Limits,
    pub limiter: MemoryLimiter,
    pub(crate) wasi: WasiCtx,
    stderr: MemoryOutputPipe,
}

/// WASI for every kind; the WASI context itself grants nothing.
pub fn link<T: WasiView + 'static>(linker: &mut Linker<T>) -> anyhow::Result<()> {
    wasmtime_wasi::p2::add_to_linker_sync(linker).map_err(anyhow::Error::from)
}

impl Sandbox {
    pub fn prepare(name: &str, kind: ComponentKind, limits: Limits) -> Self {
        let stderr = MemoryOutputPipe::new(STDERR_KEPT);
        // No preopened directories, no environment, no arguments, no
        // sockets: a component reaches the world only through our imports.
        let wasi = WasiCtx::builder()
            .stderr(stderr.clone())
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        Self { name: name.to_string(), kind, limiter: MemoryLimiter::new(&limits), limits, wasi, stderr }
    }

    /// "connector `shop`": how messages name the component.
    pub fn who(&self) -> String {
        format!("{} `{}`", self.kind.as_str(), self.name)
    }

    /// What the component last said on stderr: a Rust panic's message if
    /// there is one, else its last meaningful line.
    pub fn last_stderr_line(&self) -> Option<String> {
        let bytes = self.stderr.contents();
        let text = String::from_utf8_lossy(&bytes);
        let lines: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
        if let Some(i) = lines.iter().rposition(|l| l.contains("panicked at"))
            && let Some(message) = lines.get(i + 1).filter(|l| !l.starts_with("note:"))
        {
            return Some(message.to_string());
        }
        lines.iter().rev().find(|l| !l.starts_with("note:")).map(|l| l.to_string())
    }
}

/// Refuses growth past the Store's limits and remembers that it did, so the
/// resulting trap can be reported as "hit its memory limit" in words.
pub struct MemoryLimiter {
    memory_bytes: usize,
    table_elements: usize,
    instances: usize,
    pub refused: Option<String>,
    /// The most linear memory granted so far: a result lifted out of the
    /// guest cannot be larger, so small modules skip the output-size check.
    pub peak_bytes: usize,
}

impl MemoryLimiter {
    fn new(limits: &Limits) -> Self {
        Self {
            memory_bytes: limits.memory_bytes,
            table_elements: limits.table_elements,
            instances: limits.instances,
            refused: None,
            peak_bytes: 0,
        }
    }
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(&mut self, current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        if desired > self.memory_bytes {
            let what = format!(
                "its memory limit of {} MiB (it asked to grow from {} MiB to {} MiB)",
                self.memory_bytes >> 20,
                current >> 20,
                desired >> 20
            );
            self.refused = Some(what.clone());
            wasmtime::bail!("hit {what}");
        }
        self.peak_bytes = self.peak_bytes.max(desired);
        Ok(true)
    }

    fn table_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        if desired > self.table_elements {
            let what = format!("its table limit of {} elements", self.table_elements);
            self.refused = Some(what.clone());
            wasmtime::bail!("hit {what}");
        }
        Ok(true)
    }

    fn instances(&self) -> usize {
        self.instances
    }

    fn memories(&self) -> usize {
        self.instances
    }

    fn tables(&self) -> usize {
        self.instances
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn growth_past_the_limits_is_refused_and_remembered_in_words() {
        let limits = Limits::defaults(ComponentKind::Mapping);
        let mut sandbox = Sandbox::prepare("acme-map", ComponentKind::Mapping, limits.clone());
        let limiter = &mut sandbox.limiter;
        assert!(limiter.memory_growing(0, 1 << 20, None).unwrap());
        assert_eq!(limiter.peak_bytes, 1 << 20);
        let err = limiter.memory_growing(1 << 20, limits.memory_bytes + 1, None).unwrap_err().to_string();
        assert!(err.contains("memory limit of 64 MiB"), "{err}");
        assert_eq!(limiter.refused.as_deref(), Some(&err["hit ".len()..]));
        assert!(limiter.table_growing(0, limits.table_elements + 1, None).is_err());
        assert_eq!(limiter.refused.as_deref(), Some("its table limit of 10000 elements"));
        assert_eq!(sandbox.who(), "mapping module `acme-map`");
    }
}
