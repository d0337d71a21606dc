//! A synthetic order-source connector and a flow that drives it, one per
//! cargo feature: enough to test and measure host forwarding (retries,
//! call records, state, mapping) without any real API.

#[cfg(feature = "connector")]
mod connector;

#[cfg(feature = "flow")]
mod flow;
