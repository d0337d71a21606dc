//! Every sandbox limit in one place: the defaults per kind of component and
//! the per-tenant overrides a config may set (within the ranges of
//! `tenant::bounds`).

use std::time::Duration;

use serde::Deserialize;

/// What a component is, which decides its imports and its default limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ComponentKind {
    /// Talks to one external API over HTTP; ours, trusted code.
    Connector,
    /// Orchestrates a sync through the roles the host forwards; ours.
    Flow,
    /// A tenant's own transform: untrusted, so metered by fuel.
    Mapping,
}

impl ComponentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ComponentKind::Connector => "connector",
            ComponentKind::Flow => "flow",
            ComponentKind::Mapping => "mapping module",
        }
    }

    /// Tenants' code, metered by fuel; ours runs unmetered (its time limit
    /// still holds).
    pub fn metered(self) -> bool {
        self == ComponentKind::Mapping
    }
}

/// The limits one Store runs under.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// Wall-clock time one call into the component may take.
    pub deadline: Duration,
    /// Fuel (roughly: wasm instructions) per call; `None` = unmetered.
    pub fuel: Option<u64>,
    /// Linear memory the component may grow to, in bytes.
    pub memory_bytes: usize,
    /// Table elements (function references) it may allocate.
    pub table_elements: usize,
    /// Instances, memories and tables per Store.
    pub instances: usize,
    /// Bytes of log lines and record outcomes per run.
    pub log_bytes: usize,
    /// Log lines per run. Lines past this or `log_bytes` are dropped and
    /// counted, so a chatty module costs rows, not the database.
    pub log_lines: usize,
    /// Bytes a mapping module may return for one record.
    pub output_bytes: usize,
    /// What one record a mapping module returns may hold.
    pub record: RecordLimits,
}

/// Counts, not only bytes: 200,000 custom fields fit in a few MiB and then
/// cost seconds of host and connector time on every run.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordLimits {
    /// Lines of one order.
    pub lines: usize,
    /// Custom fields of one record, its lines', addresses' and customer's
    /// included.
    pub custom_fields: usize,
    /// Bytes of one text: a field, a custom field's name or its JSON value.
    pub text_bytes: usize,
}

/// How often the host's clock ticks the engine's epoch; deadlines are counted
/// in these ticks, so this is their resolution.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Upper bound of linear memory any component can get, whatever a tenant
/// config says: the pooling allocator reserves address space for it.
pub const MAX_MEMORY_BYTES: usize = 1 << 30;

/// Upper bound of concurrently live instances in the pooling allocator.
pub const POOL_INSTANCES: u32 = 256;

/// Bytes of a mapping module's refusal reason that are kept: it becomes the
/// parked record's reason, stored and shown on every run until fixed.
pub const REASON_BYTES: usize = 2048;

impl Limits {
    pub fn defaults(kind: ComponentKind) -> Self {
        let record = RecordLimits { lines: 1000, custom_fields: 200, text_bytes: 64 << 10 };
        match kind {
            ComponentKind::Connector | ComponentKind::Flow => Limits {
                // A whole run of a flow is one call: allow long catalogues.
                deadline: Duration::from_secs(if kind == ComponentKind::Flow { 3600 } else { 300 }),
                fuel: None,
                memory_bytes: 256 << 20,
                table_elements: 20_000,
                instances: 10,
                log_bytes: 16 << 20,
                log_lines: 200_000,
                output_bytes: 16 << 20,
                record,
            },
            ComponentKind::Mapping => Limits {
                deadline: Duration::from_secs(2),
                fuel: Some(500_000_000),
                memory_bytes: 64 << 20,
                table_elements: 10_000,
                instances: 10,
                log_bytes: 1 << 20,
                log_lines: 10_000,
                output_bytes: 4 << 20,
                record,
            },
        }
    }

    /// Applies a tenant's overrides, refusing values past the host's caps.
    pub fn with_overrides(mut self, o: &LimitOverrides) -> anyhow::Result<Self> {
        if let Some(ms) = o.deadline_ms {
            self.deadline = Duration::from_millis(ms);
        }
        if let Some(fuel) = o.fuel {
            self.fuel = Some(fuel);
        }
        if let Some(mib) = o.memory_mib {
            let bytes = mib.saturating_mul(1 << 20);
            if bytes > MAX_MEMORY_BYTES {
                anyhow::bail!(
                    "limits.memory_mib = {mib} is more than this host allows ({} MiB)",
                    MAX_MEMORY_BYTES >> 20
                );
            }
            self.memory_bytes = bytes;
        }
        if let Some(kib) = o.log_kib {
            self.log_bytes = kib.saturating_mul(1024);
        }
        if let Some(lines) = o.log_lines {
            self.log_lines = lines;
        }
        if let Some(kib) = o.output_kib {
            self.output_bytes = kib.saturating_mul(1024);
        }
        if let Some(lines) = o.lines {
            self.record.lines = lines;
        }
        if let Some(fields) = o.custom_fields {
            self.record.custom_fields = fields;
        }
        if let Some(kib) = o.text_kib {
            self.record.text_bytes = kib.saturating_mul(1024);
        }
        Ok(self)
    }

    /// The deadline in epoch ticks, at least one.
    pub fn deadline_ticks(&self) -> u64 {
        (self.deadline.as_millis() / EPOCH_TICK.as_millis()).max(1) as u64
    }
}

/// Per-tenant overrides, as written in the tenant config (`[limits]` or a
/// mapping's own `limits`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitOverrides {
    pub deadline_ms: Option<u64>,
    pub fuel: Option<u64>,
    pub memory_mib: Option<usize>,
    pub log_kib: Option<usize>,
    pub log_lines: Option<usize>,
    pub output_kib: Option<usize>,
    /// Mapping modules only: lines per order.
    pub lines: Option<usize>,
    /// Mapping modules only: custom fields per record.
    pub custom_fields: Option<usize>,
    /// Mapping modules only: KiB per text field or custom-field value.
    pub text_kib: Option<usize>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_modules_are_metered_and_ours_are_not() {
        assert!(Limits::defaults(ComponentKind::Mapping).fuel.is_some());
        assert!(Limits::defaults(ComponentKind::Connector).fuel.is_none());
    }

    #[test]
    fn overrides_apply_and_caps_hold() {
        let base = Limits::defaults(ComponentKind::Mapping);
        let o = LimitOverrides { memory_mib: Some(16), deadline_ms: Some(50), ..Default::default() };
        let l = base.clone().with_overrides(&o).unwrap();
        assert_eq!(l.memory_bytes, 16 << 20);
        assert_eq!(l.deadline_ticks(), 5);
        let too_big = LimitOverrides { memory_mib: Some(4096), ..Default::default() };
        let err = base.with_overrides(&too_big).unwrap_err().to_string();
        assert!(err.contains("memory_mib = 4096"), "{err}");
    }
}
