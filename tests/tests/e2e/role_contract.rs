//! Every connector against the role contract kit (`trestle_e2e::contract`):
//! a connector gets the same rules by one line here.

#[test]
fn ccvshop() {
    trestle_e2e::contract::holds_for(trestle_artifacts::CCVSHOP_CONNECTOR);
}

#[test]
fn eaccounting() {
    trestle_e2e::contract::holds_for(trestle_artifacts::EACCOUNTING_CONNECTOR);
}

#[test]
fn feedshop() {
    trestle_e2e::contract::holds_for(trestle_artifacts::FEEDSHOP_CONNECTOR);
}
