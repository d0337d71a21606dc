//! A flow's roles: every function of every role interface it imports is
//! linked as a call into whatever serves the Store's roles (`forward`'s
//! router in a run, connectors in Stores of their own). The Store holds it
//! behind `ServeRoles`, so a Store's state never depends on the Stores it
//! calls into.

use std::sync::{Arc, Mutex};

use wasmtime::Engine;
use wasmtime::component::types::ComponentItem;
use wasmtime::component::{Component, Linker, Val};

use crate::plan::Plan;

/// Interfaces of our package a flow may import as roles.
pub const ROLE_PACKAGE: &str = "trestle:sync/";

/// Serves the role calls of one flow run.
pub trait ServeRoles: Send {
    /// One call of `function` in the role `interface` (its full name).
    fn call(
        &mut self,
        interface: &Arc<str>,
        function: &Arc<str>,
        params: &[Val],
        results: &mut [Val],
    ) -> wasmtime::Result<()>;

    /// A dry run's plan: what the writes would have been, and the outcomes
    /// the flow reports for them.
    fn plan(&self) -> Option<Arc<Mutex<Plan>>> {
        None
    }
}

/// One Store's roles: none for connectors and mapping modules.
#[derive(Default)]
pub struct RolesCapability {
    server: Option<Box<dyn ServeRoles>>,
}

impl RolesCapability {
    pub fn prepare(server: Option<Box<dyn ServeRoles>>) -> Self {
        Self { server }
    }

    pub fn plan(&self) -> Option<Arc<Mutex<Plan>>> {
        self.server.as_ref().and_then(|s| s.plan())
    }

    /// What serves the calls; none: the Store is not a flow's.
    fn server(&mut self) -> wasmtime::Result<&mut (dyn ServeRoles + 'static)> {
        let server = self.server.as_deref_mut();
        server.ok_or_else(|| wasmtime::format_err!("this component is not a flow: it has no roles to call"))
    }
}

/// Role interfaces are ours, minus the capabilities the host serves itself.
fn is_role(interface: &str) -> bool {
    let Some(rest) = interface.strip_prefix(ROLE_PACKAGE) else { return false };
    !["state@", "config@", "log@", "transforms@", "types@", "errors@"].iter().any(|c| rest.starts_with(c))
}

/// Defines every function of every role the flow imports as a call into
/// the Store's roles.
pub fn link<T: 'static>(
    engine: &Engine,
    linker: &mut Linker<T>,
    component: &Component,
    get: fn(&mut T) -> &mut RolesCapability,
) -> anyhow::Result<()> {
    for (name, item) in component.component_type().imports(engine) {
        let ComponentItem::ComponentInstance(instance_ty) = item.ty else { continue };
        if !is_role(name) {
            continue;
        }
        let interface: Arc<str> = Arc::from(name);
        let mut inst = linker.instance(name)?;
        for (fname, fitem) in instance_ty.exports(engine) {
            if !matches!(fitem.ty, ComponentItem::ComponentFunc(_)) {
                continue;
            }
            let (interface, function): (Arc<str>, Arc<str>) = (interface.clone(), Arc::from(fname));
            inst.func_new(fname, move |mut store, _ty, params, results| {
                get(store.data_mut()).server()?.call(&interface, &function, params, results)
            })?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_our_interfaces_except_capabilities() {
        assert!(is_role("trestle:sync/order-source@0.1.0"));
        assert!(!is_role("trestle:sync/state@0.1.0"));
        assert!(!is_role("wasi:http/outgoing-handler@0.2.12"));
    }

    struct Echo;

    impl ServeRoles for Echo {
        fn call(&mut self, i: &Arc<str>, f: &Arc<str>, _: &[Val], out: &mut [Val]) -> wasmtime::Result<()> {
            out[0] = Val::String(format!("{i}#{f}"));
            Ok(())
        }
    }

    #[test]
    fn calls_reach_the_server_and_a_store_without_one_says_it_is_no_flow() {
        let (interface, function) = (Arc::from("trestle:sync/order-source@0.1.0"), Arc::from("list-orders"));
        let mut results = [Val::Bool(false)];
        let mut served = RolesCapability::prepare(Some(Box::new(Echo)));
        served.server().unwrap().call(&interface, &function, &[], &mut results).unwrap();
        assert_eq!(results[0], Val::String("trestle:sync/order-source@0.1.0#list-orders".into()));
        assert!(served.plan().is_none());
        let err = RolesCapability::default().server().err().unwrap();
        assert!(err.to_string().contains("not a flow"), "{err}");
    }
}
