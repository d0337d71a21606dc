//! The customers flow (shop -> books). Every shop customer is created or
//! updated in the books, matched by e-mail, with terms of payment, VAT code
//! and revenue account by country; only customers that changed since they
//! were last written are sent. A customer that cannot be written is parked
//! with a reason and never blocks the ones behind it.

mod defaults;
mod ledger;
mod process;
mod settings;

trestle_guest::flow_world!(
    "../../wit",
    "package trestle:customers-flow; world customers-flow {
        include trestle:sync/flow-base@0.1.0;
        import trestle:sync/customer-source@0.1.0;
        import trestle:sync/customer-sink@0.1.0;
    }"
);

trestle_guest::pages!(CustomerPage);

use exports::trestle::sync::flow_run::{DateRange, Guest, Reconciliation, Summary, Trigger};
use trestle::sync::customer_source::{self, CustomerPage};
use trestle_guest::Error;
use trestle_guest::flow::pages::{Step, read_all};

use crate::process::Run;
use crate::settings::Settings;

struct CustomersFlow;

impl Guest for CustomersFlow {
    /// A record run syncs a customer by its id in the source.
    fn record_kinds() -> Vec<String> {
        vec!["customer".into()]
    }

    fn run(trigger: Trigger) -> Result<Summary, Error> {
        let settings = Settings::from_config().map_err(Error::Invalid)?;
        let mut run = Run::new(settings);
        match trigger {
            Trigger::Scheduled => sync_all(&mut run)?,
            Trigger::RecordId(id) => sync_one(&mut run, &id)?,
            _ => return Err(trestle_guest::flow::operations::not_offered("customers")),
        }
        Ok(run.summary())
    }

    /// Compares nothing (yet): the run itself looks each customer up.
    fn reconcile(_range: Option<DateRange>) -> Result<Reconciliation, Error> {
        Ok(Reconciliation { compared: Vec::new(), drift: Vec::new() })
    }
}

/// The shop cannot list customers changed since a date, so no cursor is
/// kept: every run pages through all customers from the start, and the
/// fingerprints in the ledger make the unchanged ones cost no call to the
/// books. A run that stops half-way loses nothing; the next starts over.
fn sync_all(run: &mut Run) -> Result<(), Error> {
    read_all(None, customer_source::list_customers, |page| {
        for customer in page.customers {
            run.handle(customer)?;
        }
        Ok(Step::Continue)
    })?;
    Ok(())
}

/// The customer-source role has no look-up by id, so the list is paged
/// until the customer turns up (the whole list, at worst). The customers
/// before it claim their e-mail addresses as in a full run, so it is
/// refused here exactly when a full run would refuse it.
fn sync_one(run: &mut Run, id: &str) -> Result<(), Error> {
    let mut found = false;
    read_all(None, customer_source::list_customers, |page| {
        for customer in page.customers {
            if customer.source_id == id {
                found = true;
                run.handle(customer)?;
                return Ok(Step::Stop);
            }
            run.claim_email(&customer);
        }
        Ok(Step::Continue)
    })?;
    if found { Ok(()) } else { Err(Error::NotFound(format!("the shop has no customer with id {id}"))) }
}

export!(CustomersFlow);
