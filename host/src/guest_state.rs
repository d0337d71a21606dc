//! What one Store holds: the component's WASI context, its capabilities
//! (HTTP policy, state scope, config, activity log) and its memory limiter.
//! One type for every kind of component; the linker decides which of these
//! a component can actually reach.

use std::sync::{Arc, Mutex};

use wasmtime::ResourceLimiter;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::capabilities::config::ComponentConfig;
use crate::capabilities::http::{FilteredHttp, HttpPolicy};
use crate::capabilities::log::ActivityWriter;
use crate::capabilities::state::StateScope;
use crate::forward::RoleRouter;
use crate::limits::{ComponentKind, Limits};
use crate::mapping::MappingSlot;

/// How much of a component's stderr is kept for error messages (a panic
/// message, typically); the rest is dropped.
const STDERR_KEPT: usize = 16 * 1024;

pub struct GuestState {
    pub name: String,
    pub kind: ComponentKind,
    pub limits: Limits,
    wasi: WasiCtx,
    table: ResourceTable,
    http_ctx: WasiHttpCtx,
    http: FilteredHttp,
    pub limiter: MemoryLimiter,
    pub state: Option<StateScope>,
    pub config: ComponentConfig,
    pub activity: Arc<Mutex<ActivityWriter>>,
    pub stderr: MemoryOutputPipe,
    /// Flows only: the connectors serving the roles the flow imports.
    pub roles: Option<RoleRouter>,
    /// Flows only: the tenant's mapping module, if one is configured.
    pub mapping: Option<MappingSlot>,
}

impl GuestState {
    pub fn new(
        name: &str,
        kind: ComponentKind,
        limits: Limits,
        http: HttpPolicy,
        state: Option<StateScope>,
        config: ComponentConfig,
        activity: Arc<Mutex<ActivityWriter>>,
    ) -> Self {
        let stderr = MemoryOutputPipe::new(STDERR_KEPT);
        // No preopened directories, no environment, no arguments, no
        // sockets: a component reaches the world only through our imports.
        let wasi = WasiCtx::builder()
            .stderr(stderr.clone())
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        GuestState {
            name: name.to_string(),
            kind,
            limiter: MemoryLimiter::new(&limits),
            limits,
            wasi,
            table: ResourceTable::new(),
            http_ctx: WasiHttpCtx::new(),
            http: FilteredHttp::new(http, activity.clone()),
            state,
            config,
            activity,
            stderr,
            roles: None,
            mapping: None,
        }
    }

    pub fn activity(&self) -> std::sync::MutexGuard<'_, ActivityWriter> {
        self.activity.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Why the host last refused one of this component's HTTP requests.
    pub fn http_refusal(&self) -> Option<String> {
        self.http.last_refusal.lock().unwrap_or_else(|p| p.into_inner()).clone()
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

impl WasiView for GuestState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

impl WasiHttpView for GuestState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView { ctx: &mut self.http_ctx, table: &mut self.table, hooks: &mut self.http }
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
