//! Two wasmtime engines, because fuel and the memory reservation are
//! engine-wide: the metered one runs tenants' mapping modules (fuel, a
//! 1 GiB reservation per memory), the trusted one our connectors and flows
//! (no fuel counting; wasmtime's default 4 GiB reservation, so loads and
//! stores need no explicit bounds checks). Both have epoch deadlines and
//! memory limits per Store. See docs/2026-12-02-host-performance.md.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context;
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

use crate::limits::{ComponentKind, EPOCH_TICK, MAX_MEMORY_BYTES, POOL_INSTANCES};

pub struct Engines {
    trusted: Engine,
    metered: Engine,
    stop_clock: Arc<AtomicBool>,
}

impl Engines {
    /// Both engines, and the clock that ticks their epochs.
    pub fn start() -> anyhow::Result<Self> {
        let new = |metered| {
            Engine::new(&config(metered)).map_err(anyhow::Error::from).context("cannot start the WebAssembly engine")
        };
        let engines = Self { trusted: new(false)?, metered: new(true)?, stop_clock: Arc::default() };
        start_epoch_clock(&[&engines.trusted, &engines.metered], engines.stop_clock.clone())?;
        Ok(engines)
    }

    /// The engine components of this kind are compiled for and run on.
    pub fn of(&self, kind: ComponentKind) -> &Engine {
        if kind.metered() { &self.metered } else { &self.trusted }
    }
}

impl Drop for Engines {
    fn drop(&mut self) {
        self.stop_clock.store(true, Ordering::Relaxed);
    }
}

fn config(metered: bool) -> Config {
    let mut config = Config::new();
    config.wasm_component_model(true);
    config.epoch_interruption(true);
    config.consume_fuel(metered);
    config.max_wasm_stack(512 * 1024);
    let mut pool = PoolingAllocationConfig::default();
    pool.total_component_instances(POOL_INSTANCES)
        .total_core_instances(POOL_INSTANCES * 8)
        .total_memories(POOL_INSTANCES * 2)
        .total_tables(POOL_INSTANCES * 8)
        // The host calls wasm synchronously: no fiber stacks (the default
        // 1000 cost an mprotect each at start and a munmap at drop).
        .total_stacks(0)
        .max_core_instances_per_component(32)
        .max_memories_per_component(4)
        .max_tables_per_component(16)
        .table_elements(50_000)
        .max_memory_size(MAX_MEMORY_BYTES);
    config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    if metered {
        // Address space per memory: enough for the largest limit plus guard.
        config.memory_reservation(MAX_MEMORY_BYTES as u64);
    }
    config
}

/// Ticks the engines' epochs so Store deadlines (counted in ticks) expire.
fn start_epoch_clock(engines: &[&Engine], stop: Arc<AtomicBool>) -> anyhow::Result<()> {
    let weak: Vec<_> = engines.iter().map(|e| e.weak()).collect();
    std::thread::Builder::new().name("trestle-epoch".into()).spawn(move || {
        while !stop.load(Ordering::Relaxed) {
            std::thread::sleep(EPOCH_TICK);
            for engine in &weak {
                match engine.upgrade() {
                    Some(engine) => engine.increment_epoch(),
                    None => return,
                }
            }
        }
    })?;
    Ok(())
}
