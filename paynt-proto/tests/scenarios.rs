//! Spec §12.6: every scenario the pair harness must cover, with a transcript snapshot.

mod common;

use common::*;
use pos_core::OutcomeClass;

#[test]
fn approve() {
    let mut p = pair();
    let txn = p.start(sale(2450)).unwrap();
    let outcome = p.run_until_finished(txn);
    assert_eq!(outcome.class(), OutcomeClass::Approved);
    insta::assert_snapshot!(p.transcript());
}
