//! `trestle`: run syncs between systems (a web shop and its books) with
//! sandboxed WebAssembly connectors, flows and mapping modules.

mod commands;
mod print;

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use trestle_host::tenant::PathScope;

#[derive(Parser)]
#[command(
    name = "trestle",
    version,
    about = "Sync a web shop with its books through sandboxed WebAssembly connectors and flows"
)]
struct Cli {
    /// Let tenant configs name paths outside their own folder (the database,
    /// component files). Off: such a config is refused. For operators.
    #[arg(long, global = true, env = "TRESTLE_ALLOW_PATHS_OUTSIDE_TENANT")]
    allow_paths_outside_tenant: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start both API emulators with a realistic shop and run the sync end to end.
    Demo(commands::demo::Args),
    /// Run a tenant's flows once.
    Run {
        /// The tenant config (TOML).
        #[arg(long, short)]
        config: PathBuf,
        /// Only this flow (default: every flow in the config).
        #[arg(long)]
        flow: Option<String>,
        /// Sync just this record (its id in the source), as a webhook would.
        #[arg(long, requires = "flow")]
        record: Option<String>,
        /// With --record: sync it again although it is recorded as synced; the flow finds what it
        /// wrote by its reference (never a second record) and updates it or reports how it differs.
        #[arg(long, requires = "record")]
        force: bool,
        /// A one-off run over the records created on or after this day (YYYY-MM-DD, UTC), besides
        /// the schedule: the scheduled cursor stays where it is.
        #[arg(long, requires = "flow", conflicts_with = "record")]
        since: Option<String>,
        /// With --since: up to and including this day (YYYY-MM-DD, UTC); default: up to now.
        #[arg(long, requires = "since")]
        until: Option<String>,
        /// Go through the run and write nothing: print every write it would make.
        #[arg(long)]
        dry_run: bool,
        /// With --dry-run: the planned writes as JSON lines, one per record.
        #[arg(long, requires = "dry_run")]
        json: bool,
    },
    /// Compare both sides and print the drift (exit 1 when there is some, 2 when a flow could not
    /// compare); writes nothing.
    Reconcile(commands::reconcile::Args),
    /// Try a parked (or skipped) record again now.
    Unpark(commands::decide::Args),
    /// Leave a parked record out for good, for a reason kept in the activity log; it is not retried.
    Skip {
        #[command(flatten)]
        args: commands::decide::Args,
        /// Why it is left out (shown in `trestle logs`).
        #[arg(long)]
        reason: String,
    },
    /// Check each connection of a tenant: credentials, clock, reachability.
    Check {
        #[arg(long, short)]
        config: PathBuf,
    },
    /// Connect a connection whose connector declares OAuth2 once: consent in the browser, tokens stored.
    Connect {
        #[arg(long, short)]
        config: PathBuf,
        /// The connection's name in the config (default: the one whose connector declares OAuth2).
        #[arg(long)]
        connection: Option<String>,
        /// Local port for the redirect (must match the app's registered redirect URI).
        #[arg(long, default_value_t = 8765)]
        port: u16,
    },
    /// Keep running: every flow on a schedule, and one record when the shop sends a webhook.
    Serve(commands::serve::Args),
    /// Show the activity log.
    Logs(commands::logs::Args),
    /// Erase a tenant's data (right to erasure), or forget old record payloads now.
    Purge(commands::purge::Args),
    /// Seal the tenant's stored tokens with the current state key (after a rotation), or make a new key.
    Rekey(commands::rekey::Args),
    /// Show what a component is and may do: roles, settings, auth, rate limits, webhooks.
    Inspect(commands::inspect::Args),
}

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("TRESTLE_LOG").unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    commands::set_path_scope(if cli.allow_paths_outside_tenant {
        PathScope::Anywhere
    } else {
        PathScope::TenantFolder
    });
    let result = match cli.command {
        Command::Demo(args) => commands::demo::run(args),
        Command::Run { config, flow, record, force, since, until, dry_run, json } => {
            let mode = match (dry_run, json) {
                (false, _) => commands::run::Mode::Real,
                (true, false) => commands::run::Mode::DryRun,
                (true, true) => commands::run::Mode::DryRunJson,
            };
            commands::run::trigger(record, force, since.as_deref(), until.as_deref())
                .and_then(|trigger| commands::run::run(&config, flow.as_deref(), trigger, mode))
        }
        Command::Reconcile(args) => return commands::reconcile::run(args),
        Command::Unpark(args) => commands::decide::unpark(args),
        Command::Skip { args, reason } => commands::decide::skip(args, reason),
        Command::Check { config } => commands::check::run(&config),
        Command::Connect { config, connection, port } => commands::connect::run(&config, connection.as_deref(), port),
        Command::Serve(args) => commands::serve::run(args),
        Command::Logs(args) => commands::logs::run(args),
        Command::Inspect(args) => commands::inspect::run(args),
        Command::Purge(args) => commands::purge::run(args),
        Command::Rekey(args) => commands::rekey::run(args),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
