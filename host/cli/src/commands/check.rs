//! `trestle check`: asks every connection whether it can work, and holds
//! every flow to what a run would refuse before touching a record (its
//! component, its role bindings, its settings); says so in words.

use std::path::Path;

use trestle_artifacts::Builtins;
use trestle_host::bindings::Trigger;
use trestle_host::run::describe_contract_error;

pub fn run(config: &Path) -> anyhow::Result<()> {
    let (host, tenant) = super::open_tenant(config)?;
    let mut failed = 0;
    for (name, connection) in &tenant.connections {
        match connection.check(&host, &tenant.config.tenant)? {
            Ok(message) => println!("ok    {name}: {message}"),
            Err(e) => {
                failed += 1;
                println!("FAIL  {name}: {}", describe_contract_error(&e));
            }
        }
    }
    for name in tenant.config.flows.keys() {
        let checked = tenant.flow_run(&host, &Builtins, name, Trigger::Scheduled).and_then(|run| host.check_flow(&run));
        match checked {
            Ok(()) => println!("ok    flow {name}: roles bound, settings accepted"),
            Err(e) => {
                failed += 1;
                println!("FAIL  flow {name}: {e:#}");
            }
        }
    }
    let total = tenant.connections.len() + tenant.config.flows.len();
    if failed > 0 {
        anyhow::bail!("{failed} of {total} connections and flows cannot work yet");
    }
    Ok(())
}
