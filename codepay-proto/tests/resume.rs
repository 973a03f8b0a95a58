//! Crash and resume at each point after the persist event: a fresh machine resumed from the
//! persisted record ends with the outcome the terminal knows, and never sends a second order.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // test helpers outside #[test] fns

mod common;

use core::time::Duration;

use codepay_proto::CodepayMachine;
use common::*;
use pos_core::Simulator;
use pos_core::testing::{Dir, Fault, FaultRule, Matcher};
use pos_core::{
    CommandError, IdGen, Machine, Outcome, OutcomeClass, PersistRecord, References, RejectReason,
    Timestamp, Truth, TxnId, WallClock,
};

const ORDER: &str = r#""topic":"ecrhub.pay.order""#;

fn truth(pair: &CodepayPair, outcome: &Outcome) -> Option<Truth> {
    pair.sim().truth(outcome.references())
}

#[test]
fn crash_after_persist_before_send() {
    let mut pair = pair();
    pair.crash_after_next_persist();
    let txn = pair.start(sale(2000)).unwrap();
    let outcome = pair.run_until_finished(txn);
    assert_eq!(pair.crashes(), 1);
    assert_eq!(pair.money_requests(txn), 0, "the order never left");
    assert!(
        matches!(&outcome, Outcome::Rejected(r) if r.reason == RejectReason::NotFound),
        "{outcome:?}"
    );
    assert!(pair.sim().records().is_empty());
    insta::assert_snapshot!(pair.transcript());
}

#[test]
fn crash_after_send() {
    let mut pair = pair();
    pair.add_fault(FaultRule::new(
        Dir::ToSim,
        Matcher::contains(ORDER),
        Fault::CrashPosAfterSend,
    ));
    let txn = pair.start(sale(2000)).unwrap();
    let outcome = pair.run_until_finished(txn);
    assert_eq!(pair.crashes(), 1);
    assert_eq!(pair.money_requests(txn), 1);
    assert_eq!(order_frames(&pair), 1);
    // The recovery close reaches the terminal within its close window: nothing charged.
    assert_eq!(outcome.class(), OutcomeClass::Cancelled, "{outcome:?}");
    assert_eq!(truth(&pair, &outcome), Some(Truth::Cancelled));
    insta::assert_snapshot!(pair.transcript());
}

#[test]
fn crash_while_the_customer_pays() {
    let mut pair = pair();
    let txn = pair.start(sale(2000)).unwrap();
    pair.run_for(Duration::from_millis(2_000));
    pair.crash_and_resume();
    let outcome = pair.run_until_finished(txn);
    assert_eq!(outcome.class(), OutcomeClass::Approved, "{outcome:?}");
    assert_eq!(truth(&pair, &outcome), Some(Truth::Approved));
    assert_eq!(order_frames(&pair), 1);
    insta::assert_snapshot!(pair.transcript());
}

#[test]
fn crash_after_the_result_was_produced_but_not_delivered() {
    let mut pair = pair();
    pair.add_fault(FaultRule::new(
        Dir::ToPos,
        Matcher::contains(ORDER),
        Fault::CrashPos,
    ));
    let txn = pair.start(sale(2000)).unwrap();
    let outcome = pair.run_until_finished(txn);
    assert_eq!(pair.crashes(), 1);
    assert_eq!(outcome.class(), OutcomeClass::Approved, "{outcome:?}");
    assert_eq!(order_frames(&pair), 1);
    insta::assert_snapshot!(pair.transcript());
}

#[test]
fn crash_after_a_decline_was_produced_but_not_delivered() {
    let mut pair = pair();
    pair.add_fault(FaultRule::new(
        Dir::ToPos,
        Matcher::contains(ORDER),
        Fault::CrashPos,
    ));
    let txn = pair.start(sale(2051)).unwrap();
    let outcome = pair.run_until_finished(txn);
    assert_eq!(outcome.class(), OutcomeClass::Declined, "{outcome:?}");
    assert_eq!(order_frames(&pair), 1);
}

#[test]
fn crash_during_a_tip_adjustment_is_checked_by_one_query() {
    let mut pair = pair();
    let (_, original) = approved_sale(&mut pair, 2000);
    pair.add_fault(FaultRule::new(
        Dir::ToSim,
        Matcher::contains("ecrhub.pay.tip.adjustment"),
        Fault::CrashPosAfterSend,
    ));
    let txn = pair
        .start(pos_core::Operation::TipAdjust {
            original,
            tip: usd(300),
        })
        .unwrap();
    let outcome = pair.run_until_finished(txn);
    // The query runs before the terminal applied the tip: one query, then Unknown with the
    // evidence; the tip adjustment is never re-sent.
    let Outcome::Unknown(u) = &outcome else {
        panic!("{outcome:?}")
    };
    assert!(
        u.evidence.iter().any(|e| e.contains("query answered")),
        "{u:?}"
    );
    assert_eq!(pair.money_requests(txn), 1);
    let tips = pair
        .transcript()
        .matches("pos→sim  text {\"topic\":\"ecrhub.pay.tip.adjustment")
        .count();
    assert_eq!(tips, 1);
}

fn fresh() -> CodepayMachine {
    CodepayMachine::new(config(), IdGen::from_seed(3), WallClock::new(WALL)).unwrap()
}

fn record(vendor: &str, data: serde_json::Value) -> PersistRecord {
    let mut r = PersistRecord::new(TxnId(7), vendor, sale(100), WALL, References::default());
    r.data = data;
    r
}

#[test]
fn resume_refuses_foreign_and_malformed_records() {
    let mut m = fresh();
    let now = Timestamp::ZERO;
    let ok = serde_json::json!({"kind": "1", "merchant_order_no": "A1", "request_id": "r"});
    assert!(matches!(
        m.resume(now, record("paynt", ok.clone())),
        Err(CommandError::InvalidRecord { .. })
    ));
    let bad = serde_json::json!({"kind": "1", "merchant_order_no": "A-1"});
    assert!(matches!(
        m.resume(now, record("codepay", bad)),
        Err(CommandError::InvalidRecord { .. })
    ));
    let bad = serde_json::json!({"kind": "99", "merchant_order_no": "A1"});
    assert!(matches!(
        m.resume(now, record("codepay", bad)),
        Err(CommandError::InvalidRecord { .. })
    ));
    assert!(matches!(
        m.resume(now, record("codepay", serde_json::Value::Null)),
        Err(CommandError::InvalidRecord { .. })
    ));
    assert_eq!(m.resume(now, record("codepay", ok.clone())), Ok(TxnId(7)));
    assert_eq!(
        m.resume(now, record("codepay", ok)),
        Err(CommandError::Busy)
    );
}
