//! `trestle serve`: the long-running service. With `--config` it serves one
//! tenant; with `--tenants DIR` every tenant of a directory (one TOML file
//! each), watched for changes, and the admin API adds, changes, pauses and
//! removes tenants there (docs/2026-12-02-many-tenants.md). Every flow of a
//! tenant runs at start and then on its schedule; webhooks run the flows
//! that take the records they name, for just those records. Runs go
//! through a bounded pool of workers, fair across tenants
//! (`trestle_host::tenants`); the HTTP side only queues them. Ctrl-C or
//! SIGTERM stops taking work and gives the runs under way `--stop-grace`
//! to finish; a run still going then (a module stuck for hours, a slow
//! API) is abandoned with the process: runs are safe to interrupt, and the
//! next one picks up where it stopped.

mod after_run;
mod api;
mod http;
mod metrics;
mod web;

use std::ffi::OsStr;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::sync::oneshot;

use http::Service;
use trestle_artifacts::Builtins;
use trestle_host::storage::Database;
use trestle_host::tenant::interval::{describe_interval as describe, parse_interval};
use trestle_host::tenants::{TenantDirectory, Tenants, TenantsOptions};

#[derive(clap::Args)]
pub struct Args {
    /// One tenant config (TOML), served alone.
    #[arg(long, short, required_unless_present = "tenants", conflicts_with = "tenants")]
    config: Option<PathBuf>,
    /// A directory of tenant configs, one `ID.toml` each, served together
    /// and watched for changes.
    #[arg(long)]
    tenants: Option<PathBuf>,
    /// Address for webhooks, the API and `GET /health`.
    #[arg(long, default_value = "127.0.0.1:8787")]
    listen: SocketAddr,
    /// Time between scheduled runs of every flow (a tenant's `[serve] every`
    /// overrides it): e.g. 30s, 5m, 1h.
    #[arg(long, default_value = "5m", value_parser = parse_interval)]
    every: Duration,
    /// Runs under way at once, across all tenants.
    #[arg(long, default_value_t = 4)]
    workers: usize,
    /// The longest one run may take.
    #[arg(long, default_value = "1h", value_parser = parse_interval)]
    run_limit: Duration,
    /// Run webhooks whose signature is missing or wrong (off: they are
    /// refused). Only for a listener no one but the shop can reach.
    #[arg(long)]
    accept_unsigned_webhooks: bool,
    /// How long a stop (SIGTERM, Ctrl-C) waits for the runs under way.
    #[arg(long, default_value = "10s", value_parser = parse_interval)]
    stop_grace: Duration,
    /// A file holding the operator's API token (else TRESTLE_OPERATOR_TOKEN;
    /// with neither, the API answers no one).
    #[arg(long)]
    operator_token_file: Option<PathBuf>,
}

impl Args {
    /// `trestle serve --config CONFIG --listen LISTEN --operator-token-file
    /// TOKEN_FILE` with every other option at its default, as `trestle
    /// demo` serves its tenant.
    pub fn for_config(config: &Path, listen: SocketAddr, token_file: &Path) -> Self {
        #[derive(clap::Parser)]
        struct Serve {
            #[command(flatten)]
            args: Args,
        }
        let listen = listen.to_string();
        let word = OsStr::new;
        let given = [
            word("serve"),
            word("--config"),
            config.as_os_str(),
            word("--listen"),
            word(&listen),
            word("--operator-token-file"),
            token_file.as_os_str(),
        ];
        <Serve as clap::Parser>::parse_from(given).args
    }
}

use super::say;

pub fn run(args: Args) -> anyhow::Result<()> {
    let options = TenantsOptions { workers: args.workers, every: args.every, run_limit: args.run_limit };
    let operator = api::OperatorToken::read(args.operator_token_file.as_deref())?;
    let (tenants, directory, single) = match (&args.config, &args.tenants) {
        (Some(path), _) => {
            let config = super::load_config(path)?;
            let database = config.database.clone().expect("load() always sets the database");
            let tenants =
                Tenants::new(super::open_host(&database, super::folder_of(path))?, Arc::new(Builtins), options)?;
            let id = config.tenant.clone();
            tenants.put(config)?;
            (tenants, None, Some(id))
        }
        (None, Some(dir)) => {
            let directory = Arc::new(TenantDirectory::new(dir, super::path_scope())?);
            let database = Database::File(directory.database());
            let tenants = Tenants::new(super::open_host(&database, dir)?, Arc::new(Builtins), options)?;
            (tenants, Some(directory), None)
        }
        (None, None) => {
            anyhow::bail!("name the tenant with --config FILE, or a directory of tenants with --tenants DIR")
        }
    };
    let host = tenants.host().clone();
    let metrics = Arc::new(metrics::Metrics::new());
    let incidents = trestle_host::incidents::Incidents::new(host.storage().clone())?;
    let observer = Arc::new(after_run::AfterRun::new(host.clone(), metrics.clone(), single.is_none()));
    // Watching starts before the workers, so the first runs see every tenant.
    let _watcher = match &directory {
        Some(directory) => Some(directory.watch(tenants.clone(), Arc::new(|line: &str| say(line)))?),
        None => None,
    };
    let service = Arc::new(Service {
        tenants: tenants.clone(),
        single: single.clone(),
        directory: directory.clone(),
        accept_unsigned: args.accept_unsigned_webhooks,
        every_seconds: args.every.as_secs(),
        metrics,
        incidents,
        api: api::Auth::new(&host, operator)?,
    });

    let runtime = tokio::runtime::Runtime::new().context("cannot start the service's runtime")?;
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind(args.listen))
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    match (&single, &directory) {
        (Some(id), _) => say(&format!(
            "serving tenant `{id}` on http://{}: flows {} every {}; webhooks at POST /webhooks/{{connection}}, \
             health at GET /health, metrics at GET /metrics, the API under /api/",
            args.listen,
            tenants.get(id).map(|t| t.flows().join(", ")).unwrap_or_default(),
            describe(args.every)
        )),
        (None, Some(directory)) => say(&format!(
            "serving the {} tenants of {} on http://{} with {} workers: webhooks at POST \
             /t/{{tenant}}/webhooks/{{connection}}, health at GET /health, metrics at GET /metrics, the API under /api/",
            tenants.ids().len(),
            directory.dir().display(),
            args.listen,
            args.workers
        )),
        (None, None) => {}
    }
    if !service.api.enabled() {
        say("the API under /api/ answers no one: set TRESTLE_OPERATOR_TOKEN or --operator-token-file");
    }
    if service.accept_unsigned {
        say("webhooks are NOT verified (--accept-unsigned-webhooks): anyone who can reach this address can trigger \
             runs");
    } else if single.as_ref().and_then(|id| tenants.get(id)).is_some_and(|t| t.webhook_keys.is_empty()) {
        say("webhooks are refused until [serve] webhook_keys holds the keys the shop returned when the webhooks \
             were registered");
    }

    let workers = tenants.start(observer)?;
    let (finished, workers_done) = oneshot::channel();
    std::thread::Builder::new().name("workers-joined".into()).spawn(move || {
        workers.join();
        let _ = finished.send(());
    })?;

    let result = runtime.block_on(async {
        let served = axum::serve(listener, http::router(service)).with_graceful_shutdown(stop_signal()).await;
        let dropped = tenants.stop();
        if dropped > 0 {
            say(&format!("{dropped} waiting runs dropped; the next scheduled run catches up"));
        }
        if tenants.busy() {
            say(&format!(
                "stopping: letting the run under way finish, for at most {} (Ctrl-C again to stop at once)",
                describe(args.stop_grace)
            ));
        }
        tokio::select! {
            _ = workers_done => say("stopped"),
            () = stop_signal() => say("stopped without waiting for the run under way; the next run picks it up"),
            () = tokio::time::sleep(args.stop_grace) => say(&format!(
                "stopped: the run under way did not finish within {}; the next run picks it up",
                describe(args.stop_grace)
            )),
        }
        served.context("the HTTP listener failed")
    });
    // A run still under way after a second signal is abandoned with the process.
    runtime.shutdown_background();
    result
}

/// Ctrl-C, or SIGTERM as a platform stops a service.
async fn stop_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}
