//! `trestle serve`: the long-running service. Every flow of the tenant runs
//! at start and then on a schedule; webhooks run the flows that take the
//! records they name, for just those records. Runs go through one worker (see `worker`); the
//! HTTP side only queues them. Ctrl-C or SIGTERM stops taking work and gives
//! the run under way `--stop-grace` to finish; a run still going then (a
//! module stuck for hours, a slow API) is abandoned with the process: runs
//! are safe to interrupt, and the next one picks up where it stopped.

mod http;
mod metrics;
mod worker;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::sync::oneshot;

use http::Service;
use trestle_artifacts::Builtins;
use trestle_host::tenant::interval::{describe_interval as describe, parse_interval};
use worker::{Job, Queued, Work, Worker};

#[derive(clap::Args)]
pub struct Args {
    /// The tenant config (TOML).
    #[arg(long, short)]
    config: PathBuf,
    /// Address for webhooks and `GET /health`.
    #[arg(long, default_value = "127.0.0.1:8787")]
    listen: SocketAddr,
    /// Time between scheduled runs of every flow: e.g. 30s, 5m, 1h.
    #[arg(long, default_value = "5m", value_parser = parse_interval)]
    every: Duration,
    /// Run webhooks whose signature is missing or wrong (off: they are
    /// refused). Only for a listener no one but the shop can reach.
    #[arg(long)]
    accept_unsigned_webhooks: bool,
    /// How long a stop (SIGTERM, Ctrl-C) waits for the run under way.
    #[arg(long, default_value = "10s", value_parser = parse_interval)]
    stop_grace: Duration,
}

use super::say;

pub fn run(args: Args) -> anyhow::Result<()> {
    let (host, tenant) = super::open_tenant(&args.config)?;
    if tenant.config.flows.is_empty() {
        bail!("the tenant config has no [flows]: `trestle serve` has nothing to run");
    }
    let serve = tenant.config.serve.clone();
    let webhook_keys = serve
        .webhook_keys
        .iter()
        .enumerate()
        .map(|(i, key)| key.resolve(&format!("serve.webhook_keys[{i}]")))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let worker = Arc::new(Worker::new(tenant.config.flows.keys().cloned()));
    let routes = tenant.webhook_routes(&host, &Builtins)?;
    let alerts = super::alerts::Alerts::new(&host, &tenant)?;
    let metrics = Arc::new(metrics::Metrics::new());
    let tenant = Arc::new(tenant);
    let service = Arc::new(Service {
        host: host.clone(),
        tenant: tenant.clone(),
        worker: worker.clone(),
        webhook_keys,
        accept_unsigned: args.accept_unsigned_webhooks,
        routes,
        public_url: serve.public_url.as_ref().map(|u| u.trim_end_matches('/').to_string()),
        every_seconds: args.every.as_secs(),
        metrics: metrics.clone(),
        incidents: alerts.incidents().clone(),
    });

    let runtime = tokio::runtime::Runtime::new().context("cannot start the service's runtime")?;
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind(args.listen))
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    say(&format!(
        "serving tenant `{}` on http://{}: flows {} every {}; webhooks at POST /webhooks/{{connection}}, health at GET /health, \
         metrics at GET /metrics",
        service.tenant.config.tenant,
        args.listen,
        worker.flows().join(", "),
        describe(args.every)
    ));
    if service.accept_unsigned {
        say("webhooks are NOT verified (--accept-unsigned-webhooks): anyone who can reach this address can trigger \
             runs");
    } else if service.webhook_keys.is_empty() {
        say("webhooks are refused until [serve] webhook_keys holds the keys the shop returned when the webhooks \
             were registered");
    }

    let (finished, worker_done) = oneshot::channel();
    let running = worker.clone();
    std::thread::Builder::new().name("flow-runs".into()).spawn(move || {
        running.run(&host, &tenant, &alerts, &metrics);
        let _ = finished.send(());
    })?;

    let result = runtime.block_on(async {
        let scheduler = tokio::spawn(schedule(worker.clone(), args.every));
        let served = axum::serve(listener, http::router(service)).with_graceful_shutdown(stop_signal()).await;
        scheduler.abort();
        worker.stop();
        if worker.busy() {
            say(&format!(
                "stopping: letting the run under way finish, for at most {} (Ctrl-C again to stop at once)",
                describe(args.stop_grace)
            ));
        }
        tokio::select! {
            _ = worker_done => say("stopped"),
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

/// Queues a scheduled run of every flow now and then every `every`.
async fn schedule(worker: Arc<Worker>, every: Duration) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        for flow in worker.flows() {
            if worker.enqueue(Job { flow: flow.clone(), work: Work::Scheduled }) == Queued::FoldedIntoWaiting {
                say(&format!("{flow}: a scheduled run is still waiting its turn; not queueing another"));
            }
        }
    }
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
