//! One pair-harness test per operation and per scenario of the shared table, each with a
//! transcript snapshot.

mod common;

use common::*;
use pos_core::{Operation, OutcomeClass, Scenario};
#[allow(unused_imports)]
use pos_core::Outcome;

fn run_sale(minor: i64) -> (pos_core::Outcome, CodepayPair) {
    let mut pair = pair();
    let txn = pair.start(sale(minor)).unwrap();
    let outcome = pair.run_until_finished(txn);
    assert_eq!(pair.money_requests(txn), 1);
    (outcome, pair)
}

fn scenario(s: Scenario) -> (pos_core::Outcome, CodepayPair) {
    run_sale(s.amount(12, pos_core::Currency::USD).unwrap().minor_units())
}

#[test]
fn approve() {
    let (outcome, pair) = scenario(Scenario::Approve);
    assert_eq!(outcome.class(), OutcomeClass::Approved);
    insta::assert_snapshot!(pair.transcript());
}
