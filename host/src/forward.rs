//! Host-forwarded linking: a flow's imported roles are served by connector
//! instances, each in its own Store. The flow never holds a connector; every
//! call passes through here, where it is timed, recorded in the activity log,
//! and retried when the connector says it was rate limited or (for reads and
//! other calls safe to repeat) hit a transient failure.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use wasmtime::Store;
use wasmtime::component::{Func, Instance, Val};

use crate::capabilities::roles::{ROLE_PACKAGE, ServeRoles};
use crate::guest_state::GuestState;
use crate::plan::{Plan, is_read, upsert_read};
use crate::traps;

/// How often the host retries one forwarded call before handing the error
/// to the flow.
const MAX_ATTEMPTS: u32 = 6;
/// Longest wait for one rate-limit answer; the API's retry-after is obeyed
/// up to this.
const MAX_RATE_WAIT: Duration = Duration::from_secs(65);

/// A running connector: its Store, its instance, and its functions looked up
/// once.
pub struct ConnectorInstance {
    pub store: Store<GuestState>,
    pub instance: Instance,
    funcs: HashMap<(Arc<str>, Arc<str>), Forwarded>,
}

/// A connector's function and its name in the activity log.
#[derive(Clone)]
struct Forwarded {
    func: Func,
    what: Arc<str>,
}

impl ConnectorInstance {
    pub fn new(store: Store<GuestState>, instance: Instance) -> Self {
        Self { store, instance, funcs: HashMap::new() }
    }

    fn func(&mut self, interface: &Arc<str>, name: &Arc<str>) -> wasmtime::Result<Forwarded> {
        if let Some(f) = self.funcs.get(&(interface.clone(), name.clone())) {
            return Ok(f.clone());
        }
        let connector = self.store.data().name().to_string();
        let iface = self
            .instance
            .get_export_index(&mut self.store, None, interface)
            .ok_or_else(|| wasmtime::format_err!("connector {connector} does not export {interface}"))?;
        let idx = self
            .instance
            .get_export_index(&mut self.store, Some(&iface), name)
            .ok_or_else(|| wasmtime::format_err!("connector {connector} has no function {name} in {interface}"))?;
        let func = self
            .instance
            .get_func(&mut self.store, idx)
            .ok_or_else(|| wasmtime::format_err!("{interface}#{name} of connector {connector} is not a function"))?;
        let what = Arc::from(format!("{connector}.{}#{name}", short_role(interface)));
        let forwarded = Forwarded { func, what };
        self.funcs.insert((interface.clone(), name.clone()), forwarded.clone());
        Ok(forwarded)
    }
}

/// Which connector serves which role interface, for one flow run.
#[derive(Default)]
pub struct RoleRouter {
    connectors: Vec<ConnectorInstance>,
    by_interface: HashMap<String, usize>,
    dry: bool,
    /// A dry run: reads are forwarded, writes are planned here (and the
    /// flow's reports, through its log).
    plan: Option<Arc<Mutex<Plan>>>,
}

/// Ends a dry run at the flow's first call to a role (the flow is trapped,
/// so nothing after it runs).
#[derive(Debug, thiserror::Error)]
#[error("dry run: stopped at the flow's first call to a connector")]
pub struct DryRunStop;

impl RoleRouter {
    /// A router that serves nothing and stops the flow at its first call.
    pub fn dry() -> Self {
        Self { dry: true, ..Self::default() }
    }

    /// A router for a dry run: the connectors answer reads; every write is
    /// kept in the plan and answered with what a write would return.
    pub fn planning() -> Self {
        Self { plan: Some(Arc::default()), ..Self::default() }
    }

    /// Adds a connector instance serving `interfaces` (full names, e.g.
    /// "trestle:sync/order-source@0.1.0").
    pub fn add(&mut self, connector: ConnectorInstance, interfaces: &[String]) {
        let idx = self.connectors.len();
        self.connectors.push(connector);
        for i in interfaces {
            self.by_interface.insert(i.clone(), idx);
        }
    }
}

impl ServeRoles for RoleRouter {
    fn plan(&self) -> Option<Arc<Mutex<Plan>>> {
        self.plan.clone()
    }

    fn call(
        &mut self,
        interface: &Arc<str>,
        name: &Arc<str>,
        params: &[Val],
        results: &mut [Val],
    ) -> wasmtime::Result<()> {
        if self.dry {
            return Err(wasmtime::Error::new(DryRunStop));
        }
        let idx = *self
            .by_interface
            .get(&**interface)
            .ok_or_else(|| wasmtime::format_err!("no connection serves {interface} in this run"))?;
        let connector = &mut self.connectors[idx];
        let Some(plan) = self.plan.as_ref() else { return forward(connector, interface, name, params, results) };
        if is_read(name) {
            forward(connector, interface, name, params, results)?;
            plan.lock().unwrap_or_else(|p| p.into_inner()).saw(&results[0]);
            return Ok(());
        }
        let existing = match upsert_read(name, params) {
            Some((read_interface, read, key)) => {
                let mut found = [Val::Bool(false)];
                forward(connector, &Arc::from(read_interface), &Arc::from(read), &[key], &mut found)?;
                match found.into_iter().next() {
                    Some(Val::Result(Ok(Some(option)))) => match *option {
                        Val::Option(record) => Some(record.map(|r| *r)),
                        _ => None,
                    },
                    // The read failed: the flow sees the same error a write would.
                    Some(error) => {
                        results[0] = error;
                        return Ok(());
                    }
                    None => None,
                }
            }
            None => None,
        };
        let func = connector.func(interface, name)?.func;
        let ty = func.ty(&connector.store);
        let names: Vec<String> = ty.params().map(|(n, _)| n.to_string()).collect();
        let result_types: Vec<_> = ty.results().collect();
        let target = connector.store.data().name().to_string();
        let mut plan = plan.lock().unwrap_or_else(|p| p.into_inner());
        plan.write(&target, short_role(interface), name, &names, params, &result_types, existing, results);
        Ok(())
    }
}

/// One call to a connector, timed, counted (`ActivityWriter::call`), and retried when the connector
/// says it was rate limited or (calls safe to repeat) failed for now.
fn forward(
    connector: &mut ConnectorInstance,
    interface: &Arc<str>,
    name: &Arc<str>,
    params: &[Val],
    results: &mut [Val],
) -> wasmtime::Result<()> {
    let Forwarded { func, what } = connector.func(interface, name)?;
    let repeatable = is_safe_to_repeat(name);
    let mut attempt = 0;
    loop {
        attempt += 1;
        let deadline = connector.store.data().limits().deadline_ticks();
        connector.store.set_epoch_deadline(deadline);
        let started = Instant::now();
        let outcome = func.call(&mut connector.store, params, results);
        let took = started.elapsed();
        if let Err(e) = outcome {
            let message = traps::describe(&e, connector.store.data());
            connector.store.data().activity().call(&what, took, Some(&message));
            // Described in the connector's own terms; the flow's trap must not
            // read the connector's limits or traps as its own.
            return Err(wasmtime::format_err!("{message}"));
        }
        let error = contract_error(&results[0]);
        connector.store.data().activity().call(&what, took, error.as_ref().map(|e| e.message.as_str()));
        let Some(error) = error else { return Ok(()) };
        let wait = match error.retry {
            Retry::After(ms) => Duration::from_millis(ms).min(MAX_RATE_WAIT),
            Retry::Backoff if repeatable => Duration::from_millis(100 * 2u64.pow(attempt.min(6))),
            _ => return Ok(()),
        };
        if attempt >= MAX_ATTEMPTS {
            return Ok(());
        }
        connector
            .store
            .data()
            .activity()
            .host("info", &format!("{what}: {}; retrying in {} ms", error.message, wait.as_millis()));
        std::thread::sleep(wait);
    }
}

/// Reads never change anything and `set-stock` sets an absolute level, so
/// repeating them after a transient failure is safe; other writes go back to
/// the flow, which looks the record up before writing again.
fn is_safe_to_repeat(function: &str) -> bool {
    function == "set-stock" || is_read(function)
}

fn short_role(interface: &str) -> &str {
    let s = interface.strip_prefix(ROLE_PACKAGE).unwrap_or(interface);
    s.split('@').next().unwrap_or(s)
}

enum Retry {
    After(u64),
    Backoff,
    Never,
}

struct ForwardedError {
    retry: Retry,
    message: String,
}

/// Looks into a `result<_, error>` value for the contract's error variant.
fn contract_error(result: &Val) -> Option<ForwardedError> {
    let Val::Result(Err(Some(err))) = result else { return None };
    let Val::Variant(case, payload) = &**err else {
        return Some(ForwardedError { retry: Retry::Never, message: format!("{err:?}") });
    };
    let retry = match (case.as_str(), payload.as_deref()) {
        ("rate-limited", Some(Val::Record(fields))) => {
            let ms = fields.iter().find_map(|(k, v)| match (k.as_str(), v) {
                ("retry-after-ms", Val::U64(ms)) => Some(*ms),
                _ => None,
            });
            Retry::After(ms.unwrap_or(1000))
        }
        ("transient", _) => Retry::Backoff,
        _ => Retry::Never,
    };
    let detail = match payload.as_deref() {
        Some(Val::String(s)) => s.clone(),
        Some(Val::Record(fields)) => fields
            .iter()
            .find_map(|(k, v)| match (k.as_str(), v) {
                ("message", Val::String(s)) => Some(s.clone()),
                _ => None,
            })
            .unwrap_or_default(),
        _ => String::new(),
    };
    Some(ForwardedError { retry, message: format!("{case}: {detail}") })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_that_say_wait_or_retry_are_recognised() {
        let limited = Val::Result(Err(Some(Box::new(Val::Variant(
            "rate-limited".into(),
            Some(Box::new(Val::Record(vec![
                ("retry-after-ms".into(), Val::U64(1500)),
                ("message".into(), Val::String("slow down".into())),
            ]))),
        )))));
        let e = contract_error(&limited).unwrap();
        assert!(matches!(e.retry, Retry::After(1500)));
        assert_eq!(e.message, "rate-limited: slow down");
        let invalid = Val::Result(Err(Some(Box::new(Val::Variant(
            "invalid".into(),
            Some(Box::new(Val::String("bad VAT".into()))),
        )))));
        assert!(matches!(contract_error(&invalid).unwrap().retry, Retry::Never));
        assert!(contract_error(&Val::Result(Ok(None))).is_none());
    }

    #[test]
    fn only_calls_safe_to_repeat_are_retried_after_transient_failures() {
        assert!(is_safe_to_repeat("list-orders"));
        assert!(is_safe_to_repeat("find-by-references"));
        assert!(is_safe_to_repeat("set-stock"));
        assert!(!is_safe_to_repeat("create-document"));
        assert!(!is_safe_to_repeat("create-customer"));
    }
}
