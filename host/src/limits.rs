//! Every sandbox limit in one place: the defaults per kind of component, the
//! per-tenant overrides a config may set, and the most an override may ask
//! for (a config is the tenant's, so it cannot switch a limit off).

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
}

/// The limits one Store runs under.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// The kind these limits are for: it decides the maxima of overrides.
    pub kind: ComponentKind,
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
                kind,
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
                kind,
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

    /// Applies a tenant's overrides, refusing zeros and values past the
    /// maxima for this kind of component.
    pub fn with_overrides(mut self, o: &LimitOverrides) -> anyhow::Result<Self> {
        let max = Maxima::of(self.kind);
        if let Some(ms) = o.deadline_ms {
            self.deadline = Duration::from_millis(bounded("deadline_ms", ms, max.deadline_ms)?);
        }
        if let Some(fuel) = o.fuel {
            self.fuel = Some(bounded("fuel", fuel, max.fuel)?);
        }
        if let Some(mib) = o.memory_mib {
            self.memory_bytes = bounded("memory_mib", mib, MAX_MEMORY_BYTES >> 20)? << 20;
        }
        if let Some(kib) = o.log_kib {
            self.log_bytes = bounded("log_kib", kib, max.log_kib)? << 10;
        }
        if let Some(lines) = o.log_lines {
            self.log_lines = bounded("log_lines", lines, max.log_lines)?;
        }
        if let Some(kib) = o.output_kib {
            self.output_bytes = bounded("output_kib", kib, max.output_kib)? << 10;
        }
        let record = [("lines", o.lines), ("custom_fields", o.custom_fields), ("text_kib", o.text_kib)];
        if self.kind != ComponentKind::Mapping
            && let Some((name, _)) = record.iter().find(|(_, v)| v.is_some())
        {
            anyhow::bail!("limits.{name} limits what a mapping module returns: set it under [mapping.limits]");
        }
        if let Some(lines) = o.lines {
            self.record.lines = bounded("lines", lines, max.lines)?;
        }
        if let Some(fields) = o.custom_fields {
            self.record.custom_fields = bounded("custom_fields", fields, max.custom_fields)?;
        }
        if let Some(kib) = o.text_kib {
            self.record.text_bytes = bounded("text_kib", kib, max.text_kib)? << 10;
        }
        Ok(self)
    }

    /// The deadline in epoch ticks, at least one.
    pub fn deadline_ticks(&self) -> u64 {
        (self.deadline.as_millis() / EPOCH_TICK.as_millis()).max(1) as u64
    }
}

/// The most an override may set, per kind: a tenant's mapping module may
/// take a minute per record at most, our components a day per run.
pub struct Maxima {
    pub deadline_ms: u64,
    pub fuel: u64,
    pub log_kib: usize,
    pub log_lines: usize,
    pub output_kib: usize,
    pub lines: usize,
    pub custom_fields: usize,
    pub text_kib: usize,
}

impl Maxima {
    pub fn of(kind: ComponentKind) -> Self {
        let mapping = kind == ComponentKind::Mapping;
        Maxima {
            deadline_ms: if mapping { 60_000 } else { 86_400_000 },
            fuel: 100_000_000_000,
            log_kib: if mapping { 64 << 10 } else { 1 << 20 },
            log_lines: if mapping { 1_000_000 } else { 10_000_000 },
            output_kib: 64 << 10,
            lines: 10_000,
            custom_fields: 10_000,
            text_kib: 1024,
        }
    }
}

fn bounded<T: PartialOrd + From<u8> + std::fmt::Display>(name: &str, value: T, max: T) -> anyhow::Result<T> {
    if value < T::from(1) || value > max {
        anyhow::bail!("limits.{name} = {value} is outside what this host allows: 1 to {max}");
    }
    Ok(value)
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
        assert!(err.contains("1 to 1024"), "{err}");
    }

    #[test]
    fn no_override_switches_a_limit_off() {
        let mapping = Limits::defaults(ComponentKind::Mapping);
        for (o, says) in [
            (LimitOverrides { fuel: Some(u64::MAX), ..Default::default() }, "limits.fuel = 18446744073709551615"),
            (LimitOverrides { deadline_ms: Some(0), ..Default::default() }, "limits.deadline_ms = 0"),
            (LimitOverrides { deadline_ms: Some(3_600_000), ..Default::default() }, "1 to 60000"),
            (LimitOverrides { log_lines: Some(0), ..Default::default() }, "limits.log_lines = 0"),
            (LimitOverrides { custom_fields: Some(1 << 20), ..Default::default() }, "1 to 10000"),
        ] {
            let err = mapping.clone().with_overrides(&o).unwrap_err().to_string();
            assert!(err.contains(says), "{err}");
        }
        let flow = Limits::defaults(ComponentKind::Flow);
        let long = LimitOverrides { deadline_ms: Some(3_600_000 * 4), ..Default::default() };
        assert_eq!(flow.clone().with_overrides(&long).unwrap().deadline, Duration::from_secs(4 * 3600));
        let misplaced = LimitOverrides { lines: Some(5), ..Default::default() };
        let err = flow.with_overrides(&misplaced).unwrap_err().to_string();
        assert!(err.contains("set it under [mapping.limits]"), "{err}");
    }
}
