//! The required scenarios, each a pair-harness run with a transcript snapshot.

mod common;

use common::*;
use interpay_proto::sim::{CallbackFault, SimConfig};
use pos_core::testing::{Dir, Fault, FaultRule, Matcher};
use pos_core::{Outcome, OutcomeClass, RejectReason, UnknownReason};

#[test]
fn approve() {
    let mut pair = pair();
    let txn = pair.start(sale(4275)).unwrap();
    let outcome = pair.run_until_finished(txn);
    let Outcome::Approved(a) = &outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(a.amount, Some(cad(4275)));
    assert_eq!(a.references.get("capture"), Some("captured"));
    assert!(!a.receipt.customer.is_empty());
    assert_eq!(pair.money_requests(txn), 1);
    insta::assert_snapshot!(transcript(&pair));
}

#[test]
fn decline() {
    let mut pair = pair();
    let txn = pair.start(sale(1251)).unwrap();
    let outcome = pair.run_until_finished(txn);
    let Outcome::Declined(d) = &outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(d.code.as_deref(), Some("8509"));
    insta::assert_snapshot!(transcript(&pair));
}

#[test]
fn refund() {
    let mut pair = pair();
    let txn = pair.start(common::refund(2000)).unwrap();
    assert_eq!(pair.run_until_finished(txn).class(), OutcomeClass::Approved);
    let t = transcript(&pair);
    assert!(t.contains(r#""REFUND":"Y""#));
    insta::assert_snapshot!(t);
}

#[test]
fn cancelled_on_terminal() {
    let mut pair = pair();
    let txn = pair.start(sale(1252)).unwrap();
    let outcome = pair.run_until_finished(txn);
    let Outcome::Cancelled(c) = &outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(c.by, pos_core::CancelledBy::Terminal);
    insta::assert_snapshot!(transcript(&pair));
}

#[test]
fn busy() {
    let mut pair = pair();
    let txn = pair.start(sale(1257)).unwrap();
    let outcome = pair.run_until_finished(txn);
    let Outcome::Rejected(r) = &outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(r.reason, RejectReason::Busy);
    // The machine itself refuses a second session while one is in flight.
    let mut pair2 = pair_with(config(), SimConfig::default());
    pair2.start(sale(1000)).unwrap();
    assert_eq!(pair2.start(sale(1000)), Err(pos_core::CommandError::Busy));
    insta::assert_snapshot!(transcript(&pair));
}

#[test]
fn duplicate_requestid() {
    let mut pair = pair();
    pair.with_sim(|sim, _| sim.mark_used("QK7R2M4P", "1234567890"));
    let op = pos_core::Operation::Sale {
        amount: cad(1000),
        tip: None,
        cashback: None,
        reference: Some("1234567890".into()),
    };
    let txn = pair.start(op).unwrap();
    let outcome = pair.run_until_finished(txn);
    let Outcome::Rejected(r) = &outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(r.reason, RejectReason::Duplicate);
    assert_eq!(pair.money_requests(txn), 1);
    insta::assert_snapshot!(transcript(&pair));
}

#[test]
fn callback_lost_after_approval() {
    let mut pair = pair();
    let txn = pair.start(sale(1254)).unwrap();
    let outcome = pair.run_until_finished(txn);
    assert_eq!(outcome.class(), OutcomeClass::Approved);
    let t = transcript(&pair);
    assert_eq!(
        t.matches("\"ACTION\":\"GetResult\"").count(),
        1,
        "one GetResult, no polling"
    );
    assert!(
        !t.contains("pos→sim  GET"),
        "an approval found by recovery is never voided"
    );
    insta::assert_snapshot!(t);
}

#[test]
fn callback_lost_after_decline() {
    let mut pair = pair();
    let txn = pair.start(sale(1255)).unwrap();
    assert_eq!(pair.run_until_finished(txn).class(), OutcomeClass::Declined);
    insta::assert_snapshot!(transcript(&pair));
}

#[test]
fn callback_duplicated() {
    let mut pair = pair();
    pair.with_sim(|sim, _| {
        sim.fault_next_session(CallbackFault::Duplicate {
            n: 2,
            spacing_ms: 500,
        });
    });
    let txn = pair.start(sale(1000)).unwrap();
    assert_eq!(pair.run_until_finished(txn).class(), OutcomeClass::Approved);
    pair.run_for(core::time::Duration::from_secs(5));
    let t = transcript(&pair);
    assert_eq!(t.matches("duplicate 0000 APPROVED").count(), 2);
    assert_eq!(t.matches("reply http 200").count(), 3);
    insta::assert_snapshot!(t);
}

#[test]
fn callback_with_wrong_token() {
    let mut pair = pair();
    pair.with_sim(|sim, _| sim.fault_next_session(CallbackFault::WrongToken));
    let txn = pair.start(sale(1000)).unwrap();
    pair.run_for(core::time::Duration::from_secs(10));
    assert!(pair.outcome(txn).is_none(), "the session is unchanged");
    assert!(transcript(&pair).contains("reply http 404"));
    // Recovery still finds the approval.
    assert_eq!(pair.run_until_finished(txn).class(), OutcomeClass::Approved);
    insta::assert_snapshot!(transcript(&pair));
}

#[test]
fn callback_with_wrong_amount() {
    let mut pair = pair();
    pair.with_sim(|sim, _| sim.fault_next_session(CallbackFault::AmountSkew));
    let txn = pair.start(sale(1000)).unwrap();
    pair.run_for(core::time::Duration::from_secs(10));
    assert!(pair.outcome(txn).is_none(), "the session is unchanged");
    assert!(transcript(&pair).contains("reply http 400"));
    assert_eq!(pair.run_until_finished(txn).class(), OutcomeClass::Approved);
    insta::assert_snapshot!(transcript(&pair));
}

#[test]
fn cancel_before_approval() {
    let mut pair = pair();
    let txn = pair.start(sale(1262)).unwrap(); // no card is ever presented
    pair.run_for(core::time::Duration::from_secs(1));
    pair.cancel(txn).unwrap();
    let outcome = pair.run_until_finished(txn);
    let Outcome::Cancelled(c) = &outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(c.by, pos_core::CancelledBy::Pos);
    insta::assert_snapshot!(transcript(&pair));
}

#[test]
fn cancel_after_approval() {
    let mut pair = pair();
    // The approval callback is late: the cancel reaches the gateway after the approval.
    pair.add_fault(FaultRule::new(
        Dir::ToPos,
        Matcher::contains("\"TEXT\":\"APPROVED\""),
        Fault::Delay(core::time::Duration::from_secs(5)),
    ));
    let txn = pair.start(sale(1000)).unwrap();
    pair.run_for(core::time::Duration::from_secs(4));
    pair.cancel(txn).unwrap();
    let outcome = pair.run_until_finished(txn);
    let Outcome::Cancelled(c) = &outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(c.references.get("result"), Some("voided"));
    insta::assert_snapshot!(transcript(&pair));
}

#[test]
fn start_session_reply_lost() {
    let mut cfg = config();
    cfg.endpoints.secondary = None;
    let mut pair = pair_with(cfg, SimConfig::default());
    pair.add_fault(FaultRule::new(
        Dir::ToPos,
        Matcher::contains("\"CODE\":\"0000\""),
        Fault::Drop,
    ));
    let txn = pair.start(sale(1254)).unwrap(); // and the callback is lost too
    let outcome = pair.run_until_finished(txn);
    let Outcome::Unknown(u) = &outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(u.reason, UnknownReason::RequestReplyLost);
    assert_eq!(u.amount, Some(cad(1254)));
    assert_eq!(pair.money_requests(txn), 1);
    assert_eq!(
        transcript(&pair)
            .matches("\"ACTION\":\"StartSession\"")
            .count(),
        1,
        "never re-sent"
    );
    insta::assert_snapshot!(transcript(&pair));
}
