//! Turning a failed call into words: which module, which limit, what it did.

use wasmtime::Trap;

use crate::capabilities::log::LogLimitExceeded;
use crate::guest_state::GuestState;
use crate::limits::ComponentKind;

/// "mapping module `acme-map` hit its fuel limit of 500000000 units", or
/// the trap and the component's last stderr line when no limit explains it.
pub fn describe(error: &wasmtime::Error, state: &GuestState) -> String {
    let who = format!("{} `{}`", state.kind.as_str(), state.name);
    if let Some(limit) = error.downcast_ref::<LogLimitExceeded>() {
        return format!("{who} hit its log output limit of {} KiB in one run", limit.limit / 1024);
    }
    if let Some(what) = &state.limiter.refused {
        return format!("{who} hit {what}");
    }
    let limits = &state.limits;
    match error.downcast_ref::<Trap>() {
        Some(Trap::OutOfFuel) => format!(
            "{who} hit its fuel limit of {} units (an endless loop, or far too much work for one record)",
            limits.fuel.unwrap_or_default()
        ),
        Some(Trap::Interrupt) if state.kind == ComponentKind::Mapping => {
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
            let said = state.last_stderr_line().map(|l| format!("; it said: {l}")).unwrap_or_default();
            format!("{who} crashed ({trap}){said}")
        }
        None => format!("{who} failed: {error:#}"),
    }
}

/// The error with its description in front, as the caller reports it.
pub fn explain(error: wasmtime::Error, state: &GuestState) -> anyhow::Error {
    let message = describe(&error, state);
    anyhow::Error::from(error).context(message)
}
