//! What a tenant config may set its limits to: a range per key, for the
//! mapping module (`[mapping.limits]`, per record) and for connectors and
//! flows (`[limits]`, per call and per run). Zero is never a limit, and a
//! tenant cannot lift a limit out of the host's reach (`fuel = u64::MAX`).
//! Embedders that build `Limits` in code are not bound by these.

use crate::limits::{ComponentKind, LimitOverrides, MAX_MEMORY_BYTES};

/// One key's range, inclusive, in the unit the key names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bound {
    pub key: &'static str,
    pub min: u64,
    pub max: u64,
}

const MAX_MEMORY_MIB: u64 = (MAX_MEMORY_BYTES >> 20) as u64;

/// The ranges for a mapping module's limits (one record at a time).
pub const MAPPING: [Bound; 9] = [
    Bound { key: "deadline_ms", min: 10, max: 60_000 },
    Bound { key: "fuel", min: 1_000_000, max: 50_000_000_000 },
    Bound { key: "memory_mib", min: 1, max: MAX_MEMORY_MIB },
    Bound { key: "log_kib", min: 1, max: 65_536 },
    Bound { key: "log_lines", min: 100, max: 1_000_000 },
    Bound { key: "output_kib", min: 1, max: 65_536 },
    Bound { key: "lines", min: 1, max: 10_000 },
    Bound { key: "custom_fields", min: 1, max: 10_000 },
    Bound { key: "text_kib", min: 1, max: 1024 },
];

/// The ranges for connectors and flows (a flow's whole run is one call).
/// What a record may hold (`lines`, `custom_fields`, `text_kib`) limits
/// what a mapping returns: those keys have no range here. Nor has `fuel`:
/// our components run on the unmetered engine (engines.rs).
pub const CONNECTORS_AND_FLOWS: [Bound; 5] = [
    Bound { key: "deadline_ms", min: 1_000, max: 86_400_000 },
    Bound { key: "memory_mib", min: 16, max: MAX_MEMORY_MIB },
    Bound { key: "log_kib", min: 64, max: 1_048_576 },
    Bound { key: "log_lines", min: 100, max: 10_000_000 },
    Bound { key: "output_kib", min: 64, max: 1_048_576 },
];

/// Refuses an override outside its range, naming the key and the range.
pub fn check(table: &str, kind: ComponentKind, o: &LimitOverrides) -> anyhow::Result<()> {
    let bounds: &[Bound] = if kind == ComponentKind::Mapping { &MAPPING } else { &CONNECTORS_AND_FLOWS };
    // Listed field by field, so a new limit cannot be added without a range.
    let LimitOverrides {
        deadline_ms,
        fuel,
        memory_mib,
        log_kib,
        log_lines,
        output_kib,
        lines,
        custom_fields,
        text_kib,
    } = o;
    let given = [
        ("deadline_ms", *deadline_ms),
        ("fuel", *fuel),
        ("memory_mib", memory_mib.map(|v| v as u64)),
        ("log_kib", log_kib.map(|v| v as u64)),
        ("log_lines", log_lines.map(|v| v as u64)),
        ("output_kib", output_kib.map(|v| v as u64)),
        ("lines", lines.map(|v| v as u64)),
        ("custom_fields", custom_fields.map(|v| v as u64)),
        ("text_kib", text_kib.map(|v| v as u64)),
    ];
    for (key, value) in given {
        let Some(value) = value else { continue };
        let Some(bound) = bounds.iter().find(|b| b.key == key) else {
            if key == "fuel" {
                anyhow::bail!(
                    "`{table}.fuel`: only mapping modules are metered by fuel (set it under [mapping.limits]); \
                     connectors and flows are limited by time: deadline_ms"
                );
            }
            anyhow::bail!("`{table}.{key}` limits what a mapping module returns: set it under [mapping.limits]");
        };
        if !(bound.min..=bound.max).contains(&value) {
            anyhow::bail!(
                "`{table}.{key}` = {value} is out of range: it must be between {} and {}",
                bound.min,
                bound.max
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zeros_and_huge_values_are_refused_naming_the_key_and_range() {
        let zero = LimitOverrides { deadline_ms: Some(0), ..Default::default() };
        let err = check("mapping.limits", ComponentKind::Mapping, &zero).unwrap_err().to_string();
        assert_eq!(err, "`mapping.limits.deadline_ms` = 0 is out of range: it must be between 10 and 60000");
        let max = LimitOverrides { fuel: Some(u64::MAX), ..Default::default() };
        let err = check("mapping.limits", ComponentKind::Mapping, &max).unwrap_err().to_string();
        assert!(err.contains("`mapping.limits.fuel` = 18446744073709551615") && err.contains("50000000000"), "{err}");
        let big_log = LimitOverrides { log_kib: Some(usize::MAX), ..Default::default() };
        assert!(check("limits", ComponentKind::Flow, &big_log).unwrap_err().to_string().contains("`limits.log_kib`"));
        let fields = LimitOverrides { custom_fields: Some(1 << 20), ..Default::default() };
        let err = check("mapping.limits", ComponentKind::Mapping, &fields).unwrap_err().to_string();
        assert!(
            err.contains("`mapping.limits.custom_fields` = 1048576") && err.contains("between 1 and 10000"),
            "{err}"
        );
        let misplaced = LimitOverrides { lines: Some(5), ..Default::default() };
        let err = check("limits", ComponentKind::Flow, &misplaced).unwrap_err().to_string();
        assert!(err.contains("`limits.lines` limits what a mapping module returns"), "{err}");
        let fuel = LimitOverrides { fuel: Some(5_000_000), ..Default::default() };
        let err = check("limits", ComponentKind::Connector, &fuel).unwrap_err().to_string();
        assert!(err.contains("only mapping modules are metered by fuel") && err.contains("deadline_ms"), "{err}");
    }

    #[test]
    fn the_defaults_are_inside_their_ranges() {
        use crate::limits::Limits;
        let kinds: [(ComponentKind, &[Bound]); 2] =
            [(ComponentKind::Mapping, &MAPPING), (ComponentKind::Flow, &CONNECTORS_AND_FLOWS)];
        for (kind, bounds) in kinds {
            let d = Limits::defaults(kind);
            let values = [
                ("deadline_ms", d.deadline.as_millis() as u64),
                ("memory_mib", (d.memory_bytes >> 20) as u64),
                ("log_kib", (d.log_bytes / 1024) as u64),
                ("log_lines", d.log_lines as u64),
                ("output_kib", (d.output_bytes / 1024) as u64),
                ("lines", d.record.lines as u64),
                ("custom_fields", d.record.custom_fields as u64),
                ("text_kib", (d.record.text_bytes / 1024) as u64),
            ];
            for (key, value) in values {
                let Some(b) = bounds.iter().find(|b| b.key == key) else { continue };
                assert!((b.min..=b.max).contains(&value), "{kind:?} default {key} = {value} outside {b:?}");
            }
        }
    }
}
