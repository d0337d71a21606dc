//! Turning a failed call into words: which module, which limit, what it did.

use wasmtime::Trap;

use crate::capabilities::log::LogLimitExceeded;
use crate::guest_state::GuestState;
use crate::limits::ComponentKind;

/// "mapping module `acme-map` hit its fuel limit of 500000000 units", or
/// the trap and the component's last stderr line when no limit explains it.
pub fn describe(error: &wasmtime::Error, state: &GuestState) -> String {
    let sandbox = &state.sandbox;
    let who = sandbox.who();
    if let Some(limit) = error.downcast_ref::<LogLimitExceeded>() {
        return format!("{who} hit its log output limit of {} KiB in one run", limit.limit / 1024);
    }
    if let Some(what) = &sandbox.limiter.refused {
        return format!("{who} hit {what}");
    }
    let limits = &sandbox.limits;
    match error.downcast_ref::<Trap>() {
        Some(Trap::OutOfFuel) => format!(
            "{who} hit its fuel limit of {} units (an endless loop, or far too much work for one record)",
            limits.fuel.unwrap_or_default()
        ),
        Some(Trap::Interrupt) if sandbox.kind == ComponentKind::Mapping => {
            format!("{who} hit its time limit of {} ms", limits.deadline.as_millis())
        }
        // Connectors and flows mostly wait on APIs, paced to their rate
        // limits: a long first sync outlasts one run.
        Some(Trap::Interrupt) => format!(
            "{who} hit its time limit of {} s (a long sync under the APIs' rate limits can take several runs: what \
             was written is kept and the next run goes on from there; raise [limits] deadline_ms to do more per run)",
            limits.deadline.as_secs()
        ),
        Some(Trap::StackOverflow) => format!("{who} hit its call stack limit (runaway recursion)"),
        Some(trap) => {
            let said = sandbox.last_stderr_line().map(|l| format!("; it said: {l}")).unwrap_or_default();
            format!("{who} crashed ({trap}){said}")
        }
        None => format!("{who} failed: {}", messages(error)),
    }
}

/// The error as the caller reports it: its description, which already
/// holds every message of the error (once; not the error again after it).
pub fn explain(error: wasmtime::Error, state: &GuestState) -> anyhow::Error {
    anyhow::Error::msg(describe(&error, state))
}

/// The error's messages, outermost first, without the wasm backtraces
/// wasmtime attaches: frames inside our components tell a user nothing.
fn messages(error: &wasmtime::Error) -> String {
    let parts: Vec<String> = error
        .chain()
        .map(|cause| cause.to_string())
        .filter(|m| !m.starts_with("error while executing at wasm backtrace"))
        .collect();
    parts.join(": ")
}
