//! `trestle run --force/--since`, `trestle unpark` and `trestle skip` as a
//! user meets them where they do not apply: each refusal says what is wrong
//! and what the command takes. (What they do is tested against the orders
//! flow in tests/tests/e2e/operations.rs.)

use crate::common;

use common::{text, trestle};

#[test]
fn owner_operations_a_flow_does_not_offer_or_with_bad_input_are_refused_saying_why() {
    let dir = tempfile::tempdir().unwrap();
    let _emulators = common::stock_tenant(dir.path());

    // The config's only flow is taken when none is named; stock has no parking to decide on.
    let skip = trestle(&["skip", "--config", "tenant.toml", "SKU-00001", "--reason", "sold out for good"], dir.path());
    let said = text(&skip);
    assert!(!skip.status.success(), "{said}");
    assert!(said.contains("the stock flow offers no --force, --since, unpark or skip"), "{said}");
    assert!(said.contains("trestle run --flow stock --record ID"), "{said}");

    let blank = trestle(&["skip", "--config", "tenant.toml", "SKU-00001", "--reason", " "], dir.path());
    assert!(!blank.status.success());
    assert!(text(&blank).contains("--reason is empty"), "{}", text(&blank));

    let bad_day = trestle(&["run", "--config", "tenant.toml", "--flow", "stock", "--since", "2026-13-01"], dir.path());
    assert!(!bad_day.status.success());
    assert!(text(&bad_day).contains("--since `2026-13-01` is not a day like 2026-10-01"), "{}", text(&bad_day));

    let unforced = trestle(&["run", "--config", "tenant.toml", "--force"], dir.path());
    assert!(!unforced.status.success());
    assert!(text(&unforced).contains("--record"), "{}", text(&unforced));
}
