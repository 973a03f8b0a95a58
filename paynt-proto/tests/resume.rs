//! Crash and resume at each point after the persist event: a fresh machine resumed from the
//! record ends with the right outcome and never sends a second money request.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // helpers outside #[test] fns

mod common;

use core::time::Duration;

use common::*;
use pos_core::testing::{Dir, Fault, FaultRule, Matcher};
use pos_core::{Machine, Outcome, OutcomeClass, PersistRecord, References, UnknownReason};

#[test]
fn crash_after_persist_before_send() {
    let mut p = pair();
    p.crash_after_next_persist();
    let txn = p.start(sale(1000)).unwrap();
    let Outcome::Unknown(u) = p.run_until_finished(txn) else {
        panic!("not unknown")
    };
    // Without a UTI Paynt offers no lookup: reconcile by the reference (spec §8.2).
    assert_eq!(u.reason, UnknownReason::RequestReplyLost);
    assert!(u.references.get("reference").is_some());
    assert_eq!(p.money_requests(txn), 0);
    assert_eq!(p.crashes(), 1);
    insta::assert_snapshot!(p.transcript());
}

#[test]
fn crash_after_send() {
    let mut p = pair();
    p.add_fault(FaultRule::new(
        Dir::ToSim,
        Matcher::contains("POST "),
        Fault::CrashPosAfterSend,
    ));
    let txn = p.start(sale(1000)).unwrap();
    let Outcome::Unknown(u) = p.run_until_finished(txn) else {
        panic!("not unknown")
    };
    assert_eq!(u.reason, UnknownReason::RequestReplyLost);
    assert_eq!(p.money_requests(txn), 1);
    // The terminal did run it: the reference is what the operator reconciles with.
    p.run_for(Duration::from_secs(10));
    let reference = u.references.get("reference").unwrap();
    assert_eq!(
        p.sim().transactions()[0].reference.as_deref(),
        Some(reference)
    );
    insta::assert_snapshot!(p.transcript());
}

#[test]
fn crash_while_customer_pays() {
    let mut p = pair();
    let txn = p.start(sale(1253)).unwrap();
    p.run_for(Duration::from_secs(20));
    p.crash_and_resume();
    assert_eq!(p.run_until_finished(txn).class(), OutcomeClass::Approved);
    assert_eq!(p.money_requests(txn), 1);
    insta::assert_snapshot!(p.transcript());
}

#[test]
fn crash_after_result_produced_not_delivered() {
    let mut p = pair();
    p.add_fault(FaultRule::new(
        Dir::ToPos,
        Matcher::contains("\"transApproved\":false,\"transCancelled\":false"),
        Fault::CrashPos,
    ));
    let txn = p.start(sale(1251)).unwrap();
    assert_eq!(p.run_until_finished(txn).class(), OutcomeClass::Declined);
    assert_eq!(p.crashes(), 1);
    assert_eq!(p.money_requests(txn), 1);
    insta::assert_snapshot!(p.transcript());
}

#[test]
fn crash_after_approval_produced_not_delivered() {
    let mut p = pair();
    p.add_fault(FaultRule::new(
        Dir::ToPos,
        Matcher::contains("\"transApproved\":true"),
        Fault::CrashPos,
    ));
    let txn = p.start(sale(1000)).unwrap();
    assert_eq!(p.run_until_finished(txn).class(), OutcomeClass::Approved);
    assert_eq!(p.crashes(), 1);
    assert_eq!(p.money_requests(txn), 1);
}

#[test]
fn resume_refuses_foreign_or_malformed_records() {
    let mut m = machine_with(config(), 1);
    let op = sale(1000);
    let foreign = PersistRecord::new(
        pos_core::TxnId(1),
        "codepay",
        op.clone(),
        0,
        References::default(),
    );
    assert!(m.resume(pos_core::Timestamp::ZERO, foreign).is_err());
    let mut bad = PersistRecord::new(pos_core::TxnId(1), "paynt", op, 0, References::default());
    bad.data = serde_json::json!({"trans_type": 5});
    assert!(m.resume(pos_core::Timestamp::ZERO, bad.clone()).is_err());
    bad.data =
        serde_json::json!({"trans_type":"SALE","reference":"r","uti":"a b","post_unix_ms":0});
    assert!(m.resume(pos_core::Timestamp::ZERO, bad).is_err());
    assert!(m.poll_event().is_none(), "a refused resume changes nothing");
}
