//! Fault injection through the pair harness: lost replies, refused connections, 5xx, 401.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // helpers outside #[test] fns

mod common;

use core::time::Duration;

use common::*;
use pos_core::testing::{Dir, Fault, FaultRule, Matcher};
use pos_core::{Event, Notice, Outcome, OutcomeClass, RejectReason, UnknownReason};

#[test]
fn post_reply_lost_by_disconnect_is_unknown_and_never_reposted() {
    let mut p = pair();
    p.add_fault(FaultRule::new(
        Dir::ToPos,
        Matcher::contains("\"transType\":\"SALE\""),
        Fault::Disconnect,
    ));
    let txn = p.start(sale(1000)).unwrap();
    let Outcome::Unknown(u) = p.run_until_finished(txn) else {
        panic!("not unknown")
    };
    assert_eq!(u.reason, UnknownReason::RequestReplyLost);
    assert_eq!(p.money_requests(txn), 1);
    p.run_for(Duration::from_secs(30));
    assert_eq!(p.transcript().matches("pos→sim  POST").count(), 1);
    insta::assert_snapshot!(p.transcript());
}

#[test]
fn get_replies_lost_are_retried_until_the_result() {
    let mut p = pair();
    p.add_fault(FaultRule::new(Dir::ToPos, Matcher::contains("http 206"), Fault::Drop).times(3));
    let txn = p.start(sale(1000)).unwrap();
    assert_eq!(p.run_until_finished(txn).class(), OutcomeClass::Approved);
    assert_eq!(p.money_requests(txn), 1);
    insta::assert_snapshot!(p.transcript());
}

#[test]
fn get_requests_lost_back_off() {
    let mut p = pair();
    p.add_fault(FaultRule::new(Dir::ToSim, Matcher::contains("GET "), Fault::Drop).times(2));
    let txn = p.start(sale(1000)).unwrap();
    assert_eq!(p.run_until_finished(txn).class(), OutcomeClass::Approved);
    insta::assert_snapshot!(p.transcript());
}

#[test]
fn connection_refused_is_rejected_unreachable() {
    let mut p = pair();
    p.refuse_connections(true);
    let txn = p.start(sale(1000)).unwrap();
    let Outcome::Rejected(r) = p.run_until_finished(txn) else {
        panic!("not rejected")
    };
    assert_eq!(r.reason, RejectReason::Unavailable);
    assert!(r.message.unwrap().contains("Unreachable"));
    insta::assert_snapshot!(p.transcript());
}

#[test]
fn connection_refused_while_polling_is_transient() {
    let mut p = pair();
    let txn = p.start(sale(1000)).unwrap();
    p.run_for(Duration::from_millis(100));
    p.refuse_connections(true);
    p.run_for(Duration::from_secs(8));
    p.refuse_connections(false);
    assert_eq!(p.run_until_finished(txn).class(), OutcomeClass::Approved);
    insta::assert_snapshot!(p.transcript());
}

#[test]
fn repeated_5xx_while_polling_back_off_and_recover() {
    let mut p = pair();
    let txn = p.start(sale(1000)).unwrap();
    p.run_for(Duration::from_millis(100));
    for _ in 0..4 {
        p.with_sim(|s, _| s.fail_next(500));
        p.run_for(Duration::from_millis(1_100));
    }
    let o = p.run_until_finished(txn);
    assert_eq!(o.class(), OutcomeClass::Approved);
    assert!(p.transcript().matches("http 500").count() >= 3);
    insta::assert_snapshot!(p.transcript());
}

#[test]
fn post_5xx_is_unknown_with_a_terminal_error_notice() {
    let mut p = pair();
    p.with_sim(|s, _| s.fail_next(500));
    let txn = p.start(sale(1000)).unwrap();
    let Outcome::Unknown(u) = p.run_until_finished(txn) else {
        panic!("not unknown")
    };
    assert_eq!(u.reason, UnknownReason::TerminalReportedUnknown);
    assert!(p.events().iter().any(|(_, e)| matches!(e,
        Event::Notice(Notice::ProtocolError { detail }) if detail.contains("TerminalError 500"))));
    insta::assert_snapshot!(p.transcript());
}

#[test]
fn unauthorized_mid_poll_stops_with_pairing_required() {
    let mut p = pair();
    let txn = p.start(sale(1000)).unwrap();
    p.run_for(Duration::from_millis(100));
    p.with_sim(|s, _| s.fail_next(401));
    let Outcome::Unknown(u) = p.run_until_finished(txn) else {
        panic!("not unknown")
    };
    assert_eq!(u.reason, UnknownReason::Unauthorized);
    assert!(
        p.events().iter().any(
            |(_, e)| matches!(e, Event::Notice(Notice::ReauthNeeded { code }) if code == "401")
        )
    );
    assert_eq!(p.money_requests(txn), 1);
    insta::assert_snapshot!(p.transcript());
}
