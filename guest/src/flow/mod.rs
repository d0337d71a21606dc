//! Helpers the flows share: what does not depend on a flow's own roles.

pub mod countries;
pub mod fingerprint;
pub mod notes;
pub mod operations;
pub mod pages;
pub mod parked;
pub mod parking;
pub mod settings;
