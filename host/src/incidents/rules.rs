//! When an incident opens and when it closes, from what a run showed: no
//! database, no clock, so every rule is tested on its own.

use crate::bindings::ContractError;

/// The three things that go wrong with a flow in a way the owner must hear of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum IncidentKind {
    /// Its runs fail.
    Failing,
    /// Records wait longer than the owner allows (parked, not synced).
    Stalled,
    /// Documents were booked with totals other than the shop's.
    Mismatched,
}

impl IncidentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            IncidentKind::Failing => "failing",
            IncidentKind::Stalled => "stalled",
            IncidentKind::Mismatched => "mismatched",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [IncidentKind::Failing, IncidentKind::Stalled, IncidentKind::Mismatched]
            .into_iter()
            .find(|k| k.as_str() == text)
    }
}

/// Why a run failed, as far as the owner's next step goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cause {
    /// Credentials wrong, expired or revoked: they do not heal by waiting.
    Credentials(String),
    /// Refused as invalid (a setting, a record the API will not take).
    Refused(String),
    /// Rate limited, a 5xx, the network: may heal by itself.
    Unavailable(String),
    /// Anything else (a component trapped, the database, a bug).
    Other(String),
}

impl Cause {
    pub fn of_contract_error(error: &ContractError) -> Self {
        match error {
            ContractError::Auth(m) => Cause::Credentials(m.clone()),
            ContractError::Invalid(m) | ContractError::NotFound(m) => Cause::Refused(m.clone()),
            ContractError::RateLimited(r) => Cause::Unavailable(format!("rate limited: {}", r.message)),
            ContractError::Transient(m) => Cause::Unavailable(m.clone()),
            ContractError::Fatal(m) => Cause::Other(m.clone()),
        }
    }
}

/// What one finished run showed about its flow.
#[derive(Debug, Clone, Default)]
pub struct RunFacts {
    pub run_id: String,
    /// `Some` when the run failed as a whole.
    pub failure: Option<Cause>,
    /// Failed runs in a row up to and including this one.
    pub failures_in_a_row: u32,
    /// Records booked in this run, and the ones of them booked with other totals.
    pub synced: u32,
    pub mismatched: Vec<WaitingRecord>,
}

/// A record the owner should look at: its id, since when, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitingRecord {
    pub record_kind: String,
    pub source_id: String,
    pub since: String,
    pub detail: String,
}

/// The owner's limits: how many failed runs before anyone is woken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    /// Failed runs in a row before a failing incident opens (credentials
    /// problems open one at the first).
    pub failures_in_a_row: u32,
}

/// Open or close one kind of incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Open { kind: IncidentKind, facts: Opening },
    Close { kind: IncidentKind, why: String },
}

/// What an opening incident says: the facts its explanation is made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Opening {
    Failing { cause: Cause, failures_in_a_row: u32 },
    Stalled { waiting: Vec<WaitingRecord> },
    Mismatched { records: Vec<WaitingRecord> },
}

/// The decisions after a run, given which kinds are open now.
pub fn after_run(facts: &RunFacts, thresholds: Thresholds, open: &[IncidentKind]) -> Vec<Decision> {
    let mut decisions = Vec::new();
    let is_open = |kind| open.contains(&kind);
    match &facts.failure {
        Some(cause) => {
            let at_once = matches!(cause, Cause::Credentials(_));
            if !is_open(IncidentKind::Failing) && (at_once || facts.failures_in_a_row >= thresholds.failures_in_a_row) {
                decisions.push(Decision::Open {
                    kind: IncidentKind::Failing,
                    facts: Opening::Failing { cause: cause.clone(), failures_in_a_row: facts.failures_in_a_row },
                });
            }
        }
        None => {
            if is_open(IncidentKind::Failing) {
                decisions.push(Decision::Close {
                    kind: IncidentKind::Failing,
                    why: format!("run {} finished without failing", facts.run_id),
                });
            }
            if !facts.mismatched.is_empty() && !is_open(IncidentKind::Mismatched) {
                decisions.push(Decision::Open {
                    kind: IncidentKind::Mismatched,
                    facts: Opening::Mismatched { records: facts.mismatched.clone() },
                });
            } else if facts.mismatched.is_empty() && facts.synced > 0 && is_open(IncidentKind::Mismatched) {
                // The cause (a VAT rate, a rounding setting) is fixed once
                // documents book with the shop's totals again; the records
                // booked before stay in the activity log.
                decisions.push(Decision::Close {
                    kind: IncidentKind::Mismatched,
                    why: format!("run {} booked {} documents, all with the shop's totals", facts.run_id, facts.synced),
                });
            }
        }
    }
    decisions
}

/// Whether records have waited too long: `waiting` are the records still
/// waiting for longer than the owner allows.
pub fn stall(waiting: &[WaitingRecord], open: &[IncidentKind]) -> Option<Decision> {
    let is_open = open.contains(&IncidentKind::Stalled);
    match (waiting.is_empty(), is_open) {
        (false, false) => {
            Some(Decision::Open { kind: IncidentKind::Stalled, facts: Opening::Stalled { waiting: waiting.to_vec() } })
        }
        (true, true) => Some(Decision::Close {
            kind: IncidentKind::Stalled,
            why: "no record waits longer than allowed any more".into(),
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const THREE: Thresholds = Thresholds { failures_in_a_row: 3 };

    fn failed(cause: Cause, in_a_row: u32) -> RunFacts {
        RunFacts { run_id: "r".into(), failure: Some(cause), failures_in_a_row: in_a_row, ..RunFacts::default() }
    }

    fn record(id: &str) -> WaitingRecord {
        WaitingRecord { record_kind: "order".into(), source_id: id.into(), since: "t".into(), detail: "d".into() }
    }

    #[test]
    fn an_api_that_is_down_opens_an_incident_only_after_the_threshold() {
        let down = Cause::Unavailable("503".into());
        assert!(after_run(&failed(down.clone(), 1), THREE, &[]).is_empty());
        assert!(after_run(&failed(down.clone(), 2), THREE, &[]).is_empty());
        let third = after_run(&failed(down.clone(), 3), THREE, &[]);
        assert!(matches!(third.as_slice(), [Decision::Open { kind: IncidentKind::Failing, .. }]));
        assert!(
            after_run(&failed(down, 4), THREE, &[IncidentKind::Failing]).is_empty(),
            "one opening, not one per run"
        );
    }

    #[test]
    fn revoked_credentials_open_an_incident_at_the_first_failure() {
        let revoked = after_run(&failed(Cause::Credentials("invalid_grant".into()), 1), THREE, &[]);
        assert!(matches!(revoked.as_slice(), [Decision::Open { kind: IncidentKind::Failing, .. }]));
    }

    #[test]
    fn a_good_run_closes_a_failing_incident_once() {
        let ok = RunFacts { run_id: "r9".into(), ..RunFacts::default() };
        let closed = after_run(&ok, THREE, &[IncidentKind::Failing]);
        assert!(matches!(closed.as_slice(), [Decision::Close { kind: IncidentKind::Failing, .. }]));
        assert!(after_run(&ok, THREE, &[]).is_empty(), "nothing open, nothing to close");
    }

    #[test]
    fn mismatched_totals_open_and_close_when_documents_book_right_again() {
        let bad = RunFacts { run_id: "r1".into(), synced: 2, mismatched: vec![record("4021")], ..RunFacts::default() };
        assert!(matches!(
            after_run(&bad, THREE, &[]).as_slice(),
            [Decision::Open { kind: IncidentKind::Mismatched, .. }]
        ));
        let idle = RunFacts { run_id: "r2".into(), ..RunFacts::default() };
        assert!(
            after_run(&idle, THREE, &[IncidentKind::Mismatched]).is_empty(),
            "a run that booked nothing proves nothing"
        );
        let good = RunFacts { run_id: "r3".into(), synced: 1, ..RunFacts::default() };
        assert!(matches!(
            after_run(&good, THREE, &[IncidentKind::Mismatched]).as_slice(),
            [Decision::Close { kind: IncidentKind::Mismatched, .. }]
        ));
    }

    #[test]
    fn a_stall_opens_while_records_wait_and_closes_when_none_does() {
        assert!(matches!(stall(&[record("7")], &[]), Some(Decision::Open { kind: IncidentKind::Stalled, .. })));
        assert_eq!(stall(&[record("7")], &[IncidentKind::Stalled]), None);
        assert!(matches!(stall(&[], &[IncidentKind::Stalled]), Some(Decision::Close { .. })));
        assert_eq!(stall(&[], &[]), None);
    }
}
