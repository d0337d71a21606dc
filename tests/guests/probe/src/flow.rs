//! Pages through every order, maps each through the tenant's mapping and
//! reports it synced; then makes `extra_calls` get-order calls (for the
//! forwarding benchmark). Keeps the last page cursor in state.

trestle_guest::flow_world!(
    "../../../wit",
    "package trestle:probe; world probe-flow {
        include trestle:sync/flow-base@0.1.0;
        import trestle:sync/order-source@0.1.0;
    }"
);

use exports::trestle::sync::flow_run::{DateRange, Guest, Reconciliation, Summary, Trigger};
use trestle::sync::order_source::{OrderDetail, OrderFilter, get_order, list_orders};
use trestle_guest::bindings::trestle::sync::log::{Outcome, RecordEvent, report};
use trestle_guest::bindings::trestle::sync::transforms::map_order;
use trestle_guest::{Error, config, state};

struct ProbeFlow;

impl Guest for ProbeFlow {
    fn record_kinds() -> Vec<String> {
        Vec::new()
    }

    fn run(_trigger: Trigger) -> Result<Summary, Error> {
        let filter = OrderFilter {
            statuses: Vec::new(),
            paid_only: false,
            created_since: None,
            created_before: None,
            order_number: None,
            detail: OrderDetail::Full,
        };
        let mut summary = Summary { synced: 0, skipped: 0, parked: 0, failed: 0, notes: Vec::new() };
        let mut cursor = state::get("cursor");
        loop {
            let page = list_orders(&filter, cursor.as_deref())?;
            for order in page.orders {
                let (outcome, detail) = match map_order(&order) {
                    Ok(mapped) => {
                        summary.synced += 1;
                        (Outcome::Synced, format!("country {}", mapped.billing_address.country_code))
                    }
                    Err(reason) => {
                        summary.parked += 1;
                        summary.notes.push(reason.clone());
                        (Outcome::Parked, reason)
                    }
                };
                report(&RecordEvent {
                    record_kind: "order".into(),
                    source_system: "probe".into(),
                    source_id: order.source_id.clone(),
                    target_system: "nowhere".into(),
                    target_id: None,
                    outcome,
                    detail,
                    payload: None,
                });
            }
            match page.next {
                Some(next) => {
                    state::set("cursor", &next);
                    cursor = Some(next);
                }
                None => break,
            }
        }
        let extra: u32 = config::get("extra_calls").and_then(|v| v.parse().ok()).unwrap_or(0);
        for n in 0..extra {
            get_order(&(n % 7).to_string())?;
        }
        Ok(summary)
    }

    /// Compares nothing (yet): the run itself looks each customer up.
    fn reconcile(_range: Option<DateRange>) -> Result<Reconciliation, Error> {
        Ok(Reconciliation { compared: Vec::new(), drift: Vec::new() })
    }
}

export!(ProbeFlow);
