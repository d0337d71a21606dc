//! `trestle rekey`: secrets at rest. `--new-key ID` prints a new state key
//! entry for the operator to keep (in `TRESTLE_STATE_KEYS` or the file
//! `TRESTLE_STATE_KEYS_FILE` names). `--config F` seals every state value
//! of the tenant with the first key given: after a rotation (new key first,
//! the old one after it) or when keys are set for the first time; once it
//! has run, the old key can go. See `docs/2026-12-02-secrets-at-rest.md`.

use std::path::PathBuf;

use trestle_host::capabilities::state::reseal_tenant;
use trestle_host::sealing::StateKeys;

#[derive(clap::Args)]
pub struct Args {
    /// The tenant config whose stored state to seal.
    #[arg(long, short, required_unless_present = "new_key", conflicts_with = "new_key")]
    config: Option<PathBuf>,
    /// Print a new key entry `ID:base64` and change nothing.
    #[arg(long, value_name = "ID")]
    new_key: Option<String>,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    if let Some(id) = args.new_key {
        // Parsed back, so an id the keys variable would refuse is refused here.
        let entry = StateKeys::new_entry(&id);
        StateKeys::parse(&entry)?;
        println!("{entry}");
        return Ok(());
    }
    let config = args.config.expect("clap requires --config without --new-key");
    let (host, tenant) = super::open_tenant(&config)?;
    let Some(keys) = host.storage().state_keys() else {
        anyhow::bail!(
            "no state keys are set: set {} (or {}) to the keys to seal with, the new one first",
            trestle_host::sealing::KEYS_VAR,
            trestle_host::sealing::KEYS_FILE_VAR
        );
    };
    let current = keys.current().to_string();
    let n = reseal_tenant(host.storage(), &tenant.config.tenant)?;
    println!("sealed {n} state values of `{}` with key `{current}`", tenant.config.tenant);
    Ok(())
}
