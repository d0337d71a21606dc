//! The contract's roles, as its WIT names them (read by build.rs): the host
//! keeps no list of its own.

include!(concat!(env!("OUT_DIR"), "/roles.rs"));
