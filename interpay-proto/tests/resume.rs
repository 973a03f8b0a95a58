//! Crash and resume at each point after the persist event: a fresh machine ends with the
//! right outcome and never sends a second money request.

mod common;

use core::time::Duration;

use common::*;
use pos_core::testing::{Dir, Fault, FaultRule, Matcher};
use pos_core::{Outcome, OutcomeClass, UnknownReason};

#[test]
fn crash_after_persist_before_send() {
    let mut pair = pair();
    pair.crash_after_next_persist();
    let txn = pair.start(sale(1000)).unwrap();
    let outcome = pair.run_until_finished(txn);
    // The request never left; without a SECUREID the machine can only wait, then report
    // Unknown with the references to reconcile (it never re-sends StartSession).
    let Outcome::Unknown(u) = &outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(u.reason, UnknownReason::RequestReplyLost);
    assert_eq!(pair.money_requests(txn), 0);
    assert_eq!(pair.crashes(), 1);
    insta::assert_snapshot!(transcript(&pair));
}

#[test]
fn crash_after_send() {
    let mut pair = pair();
    pair.add_fault(FaultRule::new(
        Dir::ToSim,
        Matcher::contains("\"ACTION\":\"StartSession\""),
        Fault::CrashPosAfterSend,
    ));
    let txn = pair.start(sale(1000)).unwrap();
    let outcome = pair.run_until_finished(txn);
    assert_eq!(
        outcome.class(),
        OutcomeClass::Approved,
        "the callback's token still matches"
    );
    assert_eq!(pair.money_requests(txn), 1);
    insta::assert_snapshot!(transcript(&pair));
}

#[test]
fn crash_while_customer_pays() {
    let mut pair = pair();
    let txn = pair.start(sale(1253)).unwrap(); // slow customer
    pair.run_for(Duration::from_secs(20));
    pair.crash_and_resume();
    let outcome = pair.run_until_finished(txn);
    assert_eq!(outcome.class(), OutcomeClass::Approved);
    assert_eq!(pair.money_requests(txn), 1);
    insta::assert_snapshot!(transcript(&pair));
}

#[test]
fn crash_when_result_produced_but_not_delivered() {
    let mut pair = pair();
    pair.add_fault(FaultRule::new(
        Dir::ToPos,
        Matcher::contains("callback POST"),
        Fault::CrashPos,
    ));
    let txn = pair.start(sale(1251)).unwrap();
    let outcome = pair.run_until_finished(txn);
    assert_eq!(
        outcome.class(),
        OutcomeClass::Declined,
        "found by GetResult"
    );
    assert_eq!(pair.money_requests(txn), 1);
    insta::assert_snapshot!(transcript(&pair));
}

#[test]
fn resume_refuses_foreign_and_malformed_records() {
    use pos_core::Machine;
    let mut pair = pair();
    let txn = pair.start(sale(1000)).unwrap();
    let mut record = pair.journal().get(&txn).unwrap().clone();
    let mut fresh = machine(&config(), 5);
    let mut other = record.clone();
    other.vendor = "codepay".into();
    assert!(fresh.resume(pair.now(), other).is_err());
    let mut no_token = record.clone();
    no_token.secrets.clear();
    assert!(fresh.resume(pair.now(), no_token).is_err());
    record.data = serde_json::json!({"phase": 7});
    assert!(fresh.resume(pair.now(), record).is_err());
}
