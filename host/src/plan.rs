//! Dry runs (`Host::plan_flow`): the flow runs as it always does, its reads
//! reach the connectors, and every write the contract names is answered
//! here instead of by the connector. What would have been written is kept,
//! per record, as a plan. See docs/2026-12-01-dry-run.md.
//!
//! Which calls write is the contract's word, not a system's: a role
//! function whose name does not start with a read verb (`list`, `get`,
//! `find`, `lookup`, ...) writes.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::{Map, Value};
use wasmtime::component::{Type, Val};

/// One write the run would have made.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedWrite {
    /// The connector that would have been written to.
    pub target: String,
    /// create, update, stock, payment, or the function's own name.
    pub operation: String,
    /// The role function, e.g. "sales-document-sink.create-document".
    pub call: String,
    /// The id the write's answer carries in this dry run: a placeholder
    /// (`planned:N`) for something created, which later writes may name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The arguments, by parameter name.
    pub args: Value,
    /// Updates only: what would change, field by field.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<Change>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Change {
    /// Dotted path into the record ("billing-address.city").
    pub field: String,
    pub old: Value,
    pub new: Value,
}

/// The writes made for one record, closed by the flow's report of it.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedRecord {
    pub record_kind: String,
    pub source_id: String,
    /// What the flow says would happen (synced, skipped, parked, failed).
    pub outcome: String,
    pub detail: String,
    pub writes: Vec<PlannedWrite>,
}

/// Everything one dry run would have written.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Plan {
    pub records: Vec<PlannedRecord>,
    /// Writes not followed by a record report (a flow's own set-up writes).
    pub unattributed: Vec<PlannedWrite>,
    #[serde(skip)]
    next_id: u32,
    /// Records reads returned under an id (`stored-customer`, say), so an
    /// update of that id can say what changes.
    #[serde(skip)]
    seen: HashMap<String, Val>,
}

/// An upsert is a create or an update depending on whether the target has
/// the record: the same connector's read for its key says which, and what
/// differs. (function, interface to read from, function, key field, mask
/// parameter and which record fields each mask flag covers).
struct UpsertRead {
    function: &'static str,
    interface: &'static str,
    read: &'static str,
    key: &'static str,
    mask: &'static [(&'static str, &'static [&'static str])],
}

const UPSERT_READS: &[UpsertRead] = &[UpsertRead {
    function: "upsert-product",
    interface: "trestle:sync/product-source@0.1.0",
    read: "get-product",
    key: "sku",
    mask: &[
        ("name", &["name"]),
        ("descriptions", &["short-description", "long-description"]),
        ("price", &["price-excl-vat", "price-incl-vat"]),
        ("vat", &["vat-rate"]),
        ("ean", &["ean"]),
        ("unit", &["unit"]),
        ("active", &["active"]),
    ],
}];

/// Whether a role function only reads: reads reach the connector in a dry
/// run, everything else is answered by the plan.
pub fn is_read(function: &str) -> bool {
    ["list", "get", "find", "lookup", "kinds", "spec", "check"].iter().any(|p| function.starts_with(p))
}

/// The read an upsert needs to be planned: (interface, function, key value).
pub fn upsert_read(function: &str, params: &[Val]) -> Option<(&'static str, &'static str, Val)> {
    let upsert = UPSERT_READS.iter().find(|u| u.function == function)?;
    let key = params.iter().find_map(|p| field(p, upsert.key))?;
    Some((upsert.interface, upsert.read, key.clone()))
}

impl Plan {
    /// Remembers records a read returned under an id.
    pub fn saw(&mut self, result: &Val) {
        walk_ids(result, &mut self.seen);
    }

    /// Plans one write and builds the answer the flow gets. `existing` is
    /// what the upsert's read returned (`Some(None)`: the target lacks it).
    #[allow(clippy::too_many_arguments)]
    pub fn write(
        &mut self,
        target: &str,
        role: &str,
        function: &str,
        names: &[String],
        params: &[Val],
        result_types: &[Type],
        existing: Option<Option<Val>>,
        results: &mut [Val],
    ) {
        let args = Value::Object(names.iter().cloned().zip(params.iter().map(to_json)).collect::<Map<_, _>>());
        let (operation, changes, id) = match existing {
            Some(found) => self.upsert(function, params, found),
            None => {
                let changes = match params.first() {
                    Some(Val::String(id)) if function.starts_with("update") => self
                        .seen
                        .get(id)
                        .zip(params.get(1))
                        .map(|(old, new)| differences(old, new, None))
                        .unwrap_or_default(),
                    _ => Vec::new(),
                };
                (operation_of(function).to_string(), changes, None)
            }
        };
        let mut answer_id = id;
        for (slot, ty) in results.iter_mut().zip(result_types) {
            *slot = self.answer(ty, &operation, &mut answer_id);
        }
        self.unattributed.push(PlannedWrite {
            target: target.to_string(),
            operation,
            call: format!("{role}.{function}"),
            id: answer_id,
            args,
            changes,
        });
    }

    /// The flow reported a record: the writes since the last report were
    /// made for it.
    pub fn reported(&mut self, record_kind: &str, source_id: &str, outcome: &str, detail: &str) {
        let writes = std::mem::take(&mut self.unattributed);
        self.records.push(PlannedRecord {
            record_kind: record_kind.to_string(),
            source_id: source_id.to_string(),
            outcome: outcome.to_string(),
            detail: detail.to_string(),
            writes,
        });
    }

    fn upsert(&mut self, function: &str, params: &[Val], found: Option<Val>) -> (String, Vec<Change>, Option<String>) {
        let Some(upsert) = UPSERT_READS.iter().find(|u| u.function == function) else {
            return (operation_of(function).to_string(), Vec::new(), None);
        };
        let Some(old) = found else { return ("create".into(), Vec::new(), None) };
        let allowed: Vec<&str> = params
            .iter()
            .find_map(|p| match p {
                Val::Flags(flags) => Some(flags),
                _ => None,
            })
            .map(|flags| {
                upsert.mask.iter().filter(|(flag, _)| flags.iter().any(|f| f == flag)).flat_map(|(_, f)| *f).copied()
            })
            .into_iter()
            .flatten()
            .collect();
        let new = params.first().cloned().unwrap_or(Val::Bool(false));
        let changes = differences(&old, &new, Some(&allowed));
        let key = field(&new, upsert.key).and_then(|k| match k {
            Val::String(s) => Some(s.clone()),
            _ => None,
        });
        let operation = if changes.is_empty() { "unchanged" } else { "update" };
        (operation.into(), changes, key)
    }

    /// A value of type `ty` for the flow: a placeholder id for strings (one
    /// per write), `ok` for results, the operation for an outcome enum.
    fn answer(&mut self, ty: &Type, operation: &str, id: &mut Option<String>) -> Val {
        match ty {
            Type::String => Val::String(id.get_or_insert_with(|| self.placeholder()).clone()),
            Type::Result(r) => Val::Result(Ok(r.ok().map(|t| Box::new(self.answer(&t, operation, id))))),
            Type::Option(_) => Val::Option(None),
            Type::Record(r) => {
                Val::Record(r.fields().map(|f| (f.name.to_string(), self.answer(&f.ty, operation, id))).collect())
            }
            Type::Enum(e) => {
                let wanted = match operation {
                    "create" => "created",
                    "update" => "updated",
                    other => other,
                };
                let name = e.names().find(|n| *n == wanted).or_else(|| e.names().next()).unwrap_or_default();
                Val::Enum(name.to_string())
            }
            Type::List(_) => Val::List(Vec::new()),
            Type::Tuple(t) => Val::Tuple(t.types().map(|t| self.answer(&t, operation, id)).collect()),
            Type::Bool => Val::Bool(false),
            Type::U32 => Val::U32(0),
            Type::U64 => Val::U64(0),
            Type::S32 => Val::S32(0),
            Type::S64 => Val::S64(0),
            Type::Float32 => Val::Float32(0.0),
            Type::Float64 => Val::Float64(0.0),
            Type::Flags(_) => Val::Flags(Vec::new()),
            // The contract's write results use none of the others.
            _ => Val::Option(None),
        }
    }

    fn placeholder(&mut self) -> String {
        self.next_id += 1;
        format!("planned:{}", self.next_id)
    }
}

/// create-*, update-*, set-stock and payment calls (settle-*, refunds) by
/// their kind; anything else by its own name.
fn operation_of(function: &str) -> &str {
    if function.starts_with("create") {
        "create"
    } else if function.starts_with("update") {
        "update"
    } else if function.contains("stock") {
        "stock"
    } else if function.starts_with("settle") || function.contains("payment") || function.contains("refund") {
        "payment"
    } else {
        function
    }
}

fn field<'a>(value: &'a Val, name: &str) -> Option<&'a Val> {
    match value {
        Val::Record(fields) => fields.iter().find(|(n, _)| n == name).map(|(_, v)| v),
        _ => None,
    }
}

/// A record with a string `id` and one record beside it (`stored-customer`)
/// is that record under that id.
fn walk_ids(value: &Val, seen: &mut HashMap<String, Val>) {
    match value {
        Val::Record(fields) => {
            let id = fields.iter().find_map(|(n, v)| match (n.as_str(), v) {
                ("id", Val::String(s)) => Some(s.clone()),
                _ => None,
            });
            let records: Vec<&Val> = fields.iter().map(|(_, v)| v).filter(|v| matches!(v, Val::Record(_))).collect();
            if let (Some(id), [record]) = (id, records.as_slice()) {
                seen.insert(id, (*record).clone());
            }
            fields.iter().for_each(|(_, v)| walk_ids(v, seen));
        }
        Val::List(items) | Val::Tuple(items) => items.iter().for_each(|v| walk_ids(v, seen)),
        Val::Option(Some(v)) | Val::Result(Ok(Some(v))) => walk_ids(v, seen),
        _ => {}
    }
}

/// Leaf fields that differ between `old` and `new`, as dotted paths. A
/// field the new record has no value for (none) is no change: sinks never
/// blank what the source does not know. `only`: top-level fields to compare.
fn differences(old: &Val, new: &Val, only: Option<&[&str]>) -> Vec<Change> {
    let mut out = Vec::new();
    diff_into("", old, new, only, &mut out);
    out
}

fn diff_into(path: &str, old: &Val, new: &Val, only: Option<&[&str]>, out: &mut Vec<Change>) {
    match (old, new) {
        (Val::Record(old_fields), Val::Record(new_fields)) => {
            for (name, value) in new_fields {
                if only.is_some_and(|allowed| !allowed.contains(&name.as_str())) {
                    continue;
                }
                let path = if path.is_empty() { name.clone() } else { format!("{path}.{name}") };
                match old_fields.iter().find(|(n, _)| n == name) {
                    Some((_, before)) => diff_into(&path, before, value, None, out),
                    None => out.push(Change { field: path, old: Value::Null, new: to_json(value) }),
                }
            }
        }
        (_, Val::Option(None)) => {}
        (Val::Option(Some(a)), Val::Option(Some(b))) => diff_into(path, a, b, None, out),
        _ => {
            let (a, b) = (to_json(old), to_json(new));
            if !same(&a, &b) {
                out.push(Change { field: path.to_string(), old: a, new: b });
            }
        }
    }
}

/// Equal, numbers to the cent's hundredth (floats round-trip through APIs).
fn same(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => (x - y).abs() < 1e-6,
        _ => a == b,
    }
}

/// A component value as JSON: records as objects, options as the value or
/// null, enums as their name, variants as `{case: payload}`.
pub fn to_json(value: &Val) -> Value {
    match value {
        Val::Bool(b) => Value::Bool(*b),
        Val::S8(n) => (*n).into(),
        Val::U8(n) => (*n).into(),
        Val::S16(n) => (*n).into(),
        Val::U16(n) => (*n).into(),
        Val::S32(n) => (*n).into(),
        Val::U32(n) => (*n).into(),
        Val::S64(n) => (*n).into(),
        Val::U64(n) => (*n).into(),
        Val::Float32(n) => serde_json::Number::from_f64(f64::from(*n)).map_or(Value::Null, Value::Number),
        Val::Float64(n) => serde_json::Number::from_f64(*n).map_or(Value::Null, Value::Number),
        Val::Char(c) => Value::String(c.to_string()),
        Val::String(s) => Value::String(s.clone()),
        Val::List(items) | Val::Tuple(items) | Val::FixedLengthList(items) => {
            Value::Array(items.iter().map(to_json).collect())
        }
        Val::Map(pairs) => {
            Value::Array(pairs.iter().map(|(k, v)| Value::Array(vec![to_json(k), to_json(v)])).collect())
        }
        Val::Record(fields) => Value::Object(fields.iter().map(|(n, v)| (n.clone(), to_json(v))).collect()),
        Val::Variant(case, payload) => {
            Value::Object([(case.clone(), payload.as_deref().map_or(Value::Null, to_json))].into_iter().collect())
        }
        Val::Enum(name) => Value::String(name.clone()),
        Val::Option(v) => v.as_deref().map_or(Value::Null, to_json),
        Val::Result(Ok(v)) => v.as_deref().map_or(Value::Null, to_json),
        Val::Result(Err(v)) => {
            Value::Object([("error".to_string(), v.as_deref().map_or(Value::Null, to_json))].into_iter().collect())
        }
        Val::Flags(flags) => Value::Array(flags.iter().cloned().map(Value::String).collect()),
        _ => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(fields: &[(&str, Val)]) -> Val {
        Val::Record(fields.iter().map(|(n, v)| (n.to_string(), v.clone())).collect())
    }

    #[test]
    fn reads_are_told_from_writes_by_the_contracts_verbs() {
        for read in
            ["list-orders", "get-sold-product", "find-by-references", "lookup", "kinds", "list-documents", "get-stock"]
        {
            assert!(is_read(read), "{read}");
        }
        for write in ["create-document", "update-customer", "upsert-product", "set-stock", "settle-document"] {
            assert!(!is_read(write), "{write}");
        }
        assert_eq!(operation_of("settle-document"), "payment");
        assert_eq!(operation_of("set-stock"), "stock");
    }

    #[test]
    fn an_update_lists_what_changes_and_never_blanks_what_the_source_lacks() {
        let old = record(&[
            ("email", Val::String("a@x.nl".into())),
            ("phone", Val::Option(Some(Box::new(Val::String("010".into()))))),
            ("city", Val::String("Delft".into())),
        ]);
        let new = record(&[
            ("email", Val::String("a@x.nl".into())),
            ("phone", Val::Option(None)),
            ("city", Val::String("Gouda".into())),
        ]);
        let changes = differences(&old, &new, None);
        assert_eq!(changes.len(), 1, "{changes:?}");
        assert_eq!(changes[0].field, "city");
        assert_eq!((changes[0].old.as_str(), changes[0].new.as_str()), (Some("Delft"), Some("Gouda")));
    }
}
