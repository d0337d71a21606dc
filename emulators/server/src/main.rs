//! `trestle-emulators`: both emulators on two ports, seeded alike, until Ctrl-C.

use anyhow::Context;
use clap::Parser;
use trestle_emulators::{Emulators, Options};

/// Serves the CCV Shop and eAccounting emulators for demos and manual tests.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    /// Port of the CCV Shop API (0 picks a free one; the bound URL is printed).
    #[arg(long, default_value_t = 8081)]
    ccv_port: u16,
    /// Port of the eAccounting API and identity server (0 picks a free one).
    #[arg(long, default_value_t = 8082)]
    eaccounting_port: u16,
    /// Seed of the shared catalogue, buyers and orders.
    #[arg(long, default_value_t = Options::default().seed)]
    seed: u64,
    /// Orders in the shop.
    #[arg(long, default_value_t = Options::default().orders)]
    orders: usize,
    /// Catalogue items (50 or more leave one out of the books on purpose).
    #[arg(long, default_value_t = Options::default().products)]
    products: usize,
    /// Never answer 429 for exceeded rate limits.
    #[arg(long)]
    no_rate_limits: bool,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let emulators = Emulators::start(Options {
        seed: cli.seed,
        orders: cli.orders,
        products: cli.products,
        rate_limits: !cli.no_rate_limits,
        ccv_port: cli.ccv_port,
        eaccounting_port: cli.eaccounting_port,
        ..Options::default()
    })?;
    println!(
        "Trestle emulators: seed {}, {} orders, {} products, rate limits {}\n",
        cli.seed,
        cli.orders,
        cli.products,
        if cli.no_rate_limits { "off" } else { "on" }
    );
    print!("{}", emulators.connection_settings());
    println!("\nControls under {{base}}/_emulator (stats, state, reset, faults). Ctrl-C stops.");
    // `emulators` stays alive, and serving, until main returns.
    wait_for_ctrl_c()
}

/// The servers run on threads of their own; this thread only waits.
fn wait_for_ctrl_c() -> anyhow::Result<()> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("building the signal runtime")?
        .block_on(tokio::signal::ctrl_c())
        .context("waiting for Ctrl-C")
}
