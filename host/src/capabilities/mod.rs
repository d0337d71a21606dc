//! What the host supplies to components, one capability per module, each a
//! unit in the manner of Spin's factors: it owns its per-Store state (a
//! `...Capability` type, or `ComponentConfig`), its `prepare` step (from
//! the tenant config and the connector's manifest, no wasm involved) and
//! its `link` into a Linker (given a getter of its state from the Store's).
//! `guest_state` composes them into one Store's data. See
//! docs/2026-12-02-capability-units.md.

/// `link` for a unit that implements a contract interface: bindgen's
/// `add_to_linker` with the unit's state as the interface's host.
macro_rules! link_interface {
    ($interface:ident, $unit:ty) => {
        pub fn link<T: 'static>(
            linker: &mut wasmtime::component::Linker<T>,
            get: fn(&mut T) -> &mut $unit,
        ) -> anyhow::Result<()> {
            $interface::add_to_linker::<T, wasmtime::component::HasSelf<$unit>>(linker, get)
                .map_err(anyhow::Error::from)
        }
    };
}

pub mod config;
pub mod http;
pub mod log;
pub mod network;
mod outbound;
pub mod pacing;
pub mod roles;
pub mod sandbox;
pub mod state;
pub mod transforms;
