//! `trestle check`: asks every connection whether it can work, and says so
//! in words.

use std::path::Path;

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
    if failed > 0 {
        anyhow::bail!("{failed} of {} connections cannot work yet", tenant.connections.len());
    }
    Ok(())
}
