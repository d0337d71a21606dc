//! An incident in the owner's words: what is wrong and what to do next.
//! The connectors' messages already name their system and the remedy
//! ("... revoked or has expired; reconnect with `trestle connect`"), so the
//! host adds only what it knows: which flow, since when, how often.

use super::rules::{Cause, Opening, WaitingRecord};

/// Records named in a text at most; the rest are counted.
const NAMED: usize = 5;

pub struct Explained {
    pub explanation: String,
    pub next_step: String,
}

pub fn explain(flow: &str, opening: &Opening) -> Explained {
    match opening {
        Opening::Failing { cause, failures_in_a_row } => failing(flow, cause, *failures_in_a_row),
        Opening::Stalled { waiting } => Explained {
            explanation: format!(
                "flow `{flow}`: {} waiting to be synced longer than allowed: {}",
                plural(waiting.len(), "record is", "records are"),
                listed(waiting)
            ),
            next_step: "Fix what each reason says (a missing article, a setting), then the next run syncs them; or \
                        skip a record with `trestle skip` and a reason."
                .into(),
        },
        Opening::Mismatched { records } => Explained {
            explanation: format!(
                "flow `{flow}`: {} booked with a total other than the shop's: {}",
                plural(records.len(), "document was", "documents were"),
                listed(records)
            ),
            next_step: "Compare each document with its order (the reason names both totals); usually a VAT rate or \
                        the rounding setting differs. The incident closes once documents book with the shop's totals."
                .into(),
        },
    }
}

fn failing(flow: &str, cause: &Cause, in_a_row: u32) -> Explained {
    let runs = plural(in_a_row as usize, "run", "runs in a row");
    let (explanation, next_step) = match cause {
        Cause::Credentials(m) => (
            format!("flow `{flow}` cannot sign in: {m}"),
            "Nothing is synced until the connection is given working credentials again (the message says how); \
             the next run then catches up on everything."
                .to_string(),
        ),
        Cause::Refused(m) => (
            format!("flow `{flow}` was refused ({runs}): {m}"),
            "Correct what the message names (usually a setting in the tenant config); waiting does not help.".into(),
        ),
        Cause::Unavailable(m) => (
            format!("flow `{flow}` could not reach an API ({runs}): {m}"),
            "Usually the service is down or overloaded and Trestle catches up by itself once it answers; if it \
             lasts, check the service's status page and the connection's address."
                .into(),
        ),
        Cause::Other(m) => (
            format!("flow `{flow}` failed ({runs}): {m}"),
            "Look at the run's activity (`trestle logs`); if it names no setting to fix, report it as a bug.".into(),
        ),
    };
    Explained { explanation, next_step }
}

fn listed(records: &[WaitingRecord]) -> String {
    let mut parts: Vec<String> = records
        .iter()
        .take(NAMED)
        .map(|r| format!("{} {} (since {}: {})", r.record_kind, r.source_id, r.since, r.detail))
        .collect();
    if records.len() > NAMED {
        parts.push(format!("and {} more", records.len() - NAMED));
    }
    parts.join("; ")
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 { format!("1 {one}") } else { format!("{n} {many}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_revoked_grant_is_explained_with_the_connectors_own_remedy() {
        let cause = Cause::Credentials("invalid_grant. The authorization was revoked; reconnect".into());
        let said = explain("orders", &Opening::Failing { cause, failures_in_a_row: 1 });
        assert_eq!(
            said.explanation,
            "flow `orders` cannot sign in: invalid_grant. The authorization was revoked; reconnect"
        );
        assert!(said.next_step.contains("working credentials"));
    }

    #[test]
    fn long_lists_name_five_records_and_count_the_rest() {
        let waiting: Vec<WaitingRecord> = (1..=7)
            .map(|i| WaitingRecord {
                record_kind: "order".into(),
                source_id: i.to_string(),
                since: "2026-12-02T05:00:00Z".into(),
                detail: "article X missing".into(),
            })
            .collect();
        let said = explain("orders", &Opening::Stalled { waiting });
        assert!(said.explanation.starts_with("flow `orders`: 7 records are waiting"));
        assert!(said.explanation.contains("order 5 (since 2026-12-02T05:00:00Z: article X missing)"));
        assert!(!said.explanation.contains("order 6 "));
        assert!(said.explanation.ends_with("and 2 more"));
    }
}
