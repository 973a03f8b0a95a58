//! Faults between the machine and the gateway: failover, delays, reordering, vendor cents.

mod common;

use core::time::Duration;

use common::*;
use interpay_proto::sim::{CallbackEncoding, CallbackFault, CancelRace, SimConfig};
use pos_core::testing::{Dir, Fault, FaultRule, Matcher};
use pos_core::{Outcome, OutcomeClass};

#[test]
fn start_reply_lost_fails_over_with_the_identical_body() {
    let mut pair = pair();
    pair.add_fault(FaultRule::new(
        Dir::ToPos,
        Matcher::contains("\"CODE\":\"0000\""),
        Fault::Drop,
    ));
    let txn = pair.start(sale(1253)).unwrap(); // the card comes after the reply timeout
    let outcome = pair.run_until_finished(txn);
    // The peer answers DUPLICATE: Indeterminate, then the callback settles it.
    assert_eq!(outcome.class(), OutcomeClass::Approved);
    let t = transcript(&pair);
    assert!(t.contains("DUPLICATE REQUESTID"));
    let bodies: Vec<&str> = t
        .lines()
        .filter(|l| l.contains("\"ACTION\":\"StartSession\""))
        .map(|l| l.split_once(" {").unwrap().1)
        .collect();
    assert_eq!(bodies.len(), 2);
    assert_eq!(bodies[0], bodies[1], "byte-identical resend");
    insta::assert_snapshot!(t);
}

#[test]
fn callback_reordered_after_a_void_keeps_the_higher_rank() {
    let mut pair = pair();
    pair.with_sim(|sim, _| sim.fault_next_session(CallbackFault::Delay(4000)));
    let txn = pair.start(sale(1000)).unwrap();
    pair.run_for(Duration::from_secs(4));
    pair.cancel(txn).unwrap();
    let outcome = pair.run_until_finished(txn);
    assert_eq!(outcome.class(), OutcomeClass::Cancelled);
}

#[test]
fn every_callback_encoding_is_accepted() {
    for enc in [
        CallbackEncoding::JsonPost,
        CallbackEncoding::FormPost,
        CallbackEncoding::QueryGet,
        CallbackEncoding::TagValuePost,
    ] {
        let sim = SimConfig {
            callback_encoding: enc,
            ..SimConfig::default()
        };
        let mut pair = pair_with(config(), sim);
        let txn = pair.start(sale(1000)).unwrap();
        let outcome = pair.run_until_finished(txn);
        let Outcome::Approved(a) = &outcome else {
            panic!("{enc:?}: {outcome:?}")
        };
        assert!(!a.receipt.customer.is_empty(), "{enc:?}");
        assert!(
            pair.now().as_millis() < 10_000,
            "{enc:?} settled by the callback"
        );
    }
}

#[test]
fn approval_without_ack_is_acknowledged_once() {
    let mut pair = pair();
    let txn = pair.start(sale(1261)).unwrap();
    let outcome = pair.run_until_finished(txn);
    let Outcome::Approved(a) = &outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(a.references.get("capture"), Some("captured"));
    assert_eq!(transcript(&pair).matches("\"ACTION\":\"Ack\"").count(), 1);
}

#[test]
fn no_card_ever_presented_is_cancelled_by_recovery() {
    let mut pair = pair();
    let txn = pair.start(sale(1262)).unwrap();
    let outcome = pair.run_until_finished(txn);
    assert_eq!(outcome.class(), OutcomeClass::Cancelled);
    let t = transcript(&pair);
    assert!(
        t.matches("\"ACTION\":\"GetResult\"").count() <= 2,
        "never polls"
    );
}

#[test]
fn vendor_cents_end_as_the_spec_says() {
    for (minor, class) in [
        (1260, OutcomeClass::Declined),
        (1263, OutcomeClass::Declined),
        (1264, OutcomeClass::Approved),
        (1253, OutcomeClass::Approved),
        (1256, OutcomeClass::Approved),
    ] {
        let mut pair = pair();
        let txn = pair.start(sale(minor)).unwrap();
        assert_eq!(pair.run_until_finished(txn).class(), class, "{minor}");
    }
}

#[test]
fn slow_customer_gets_no_early_timeout() {
    let mut pair = pair();
    let txn = pair.start(sale(1253)).unwrap();
    assert_eq!(pair.run_until_finished(txn).class(), OutcomeClass::Approved);
    assert!(!transcript(&pair).contains("GetResult"));
}

#[test]
fn gateway_unavailable_is_rejected_without_doubt() {
    let mut pair = pair();
    pair.refuse_connections(true);
    let txn = pair.start(sale(1000)).unwrap();
    let outcome = pair.run_until_finished(txn);
    let Outcome::Rejected(r) = &outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(r.reason, pos_core::RejectReason::Unavailable);
}

/// Found by fuzzing: StartSession delivered twice, the reply to the first copy lost, the
/// second answered 9012 DUPLICATE. The session is live at the gateway, so the machine must not
/// report `Rejected` (nothing charged); it waits for the callback, which says Approved.
#[test]
fn duplicated_start_whose_first_reply_is_lost_is_not_rejected() {
    let mut pair = pair();
    pair.add_fault(FaultRule::new(
        Dir::ToSim,
        Matcher::contains("\"ACTION\":\"StartSession\""),
        Fault::Duplicate,
    ));
    pair.add_fault(FaultRule::new(
        Dir::ToPos,
        Matcher::contains("\"CODE\":\"0000\""),
        Fault::Drop,
    ));
    let txn = pair.start(sale(1000)).unwrap();
    let outcome = pair.run_until_finished(txn);
    assert_eq!(outcome.class(), OutcomeClass::Approved, "{outcome:?}");
    assert!(transcript(&pair).contains("DUPLICATE REQUESTID"));
    assert_eq!(pair.money_requests(txn), 1);
}

/// Found by fuzzing: the approval callback is lost, both copies of the first GetResult are
/// lost, so recovery GETs the CANCELURL; that request is held back past its timeout ("cancel
/// reply lost") and reaches the gateway right after the second GetResult, which says APPROVED.
/// The late cancel voids the sale, so the approval must not be reported: Unknown, with the
/// approval as evidence.
#[test]
fn an_approval_while_a_lost_cancel_may_still_void_it_is_unknown() {
    let mut pair = pair();
    pair.with_sim(|sim, _| sim.fault_next_session(CallbackFault::Drop));
    pair.add_fault(
        FaultRule::new(
            Dir::ToSim,
            Matcher::contains("\"ACTION\":\"GetResult\""),
            Fault::Drop,
        )
        .times(2),
    );
    pair.add_fault(FaultRule::new(
        Dir::ToSim,
        Matcher::contains("TERMPAY/cancel"),
        Fault::Reorder,
    ));
    let txn = pair.start(sale(1000)).unwrap();
    let outcome = pair.run_until_finished(txn);
    let Outcome::Unknown(u) = &outcome else {
        panic!("{outcome:?}")
    };
    assert!(
        u.evidence.iter().any(|e| e.contains("may still void it")),
        "{u:?}"
    );
    assert!(
        transcript(&pair).contains("VOIDED"),
        "the late cancel did void the sale"
    );
    assert_eq!(pair.money_requests(txn), 1);
}

/// Found by fuzzing: the POS cancels before the session starts, and the StartSession reply is
/// overtaken by the approval callback. The late reply must not move the session back or
/// release the queued cancel: that cancel would void the approval the machine reports.
#[test]
fn a_start_reply_overtaken_by_the_approval_sends_no_cancel() {
    let mut pair = pair();
    pair.add_fault(FaultRule::new(
        Dir::ToPos,
        Matcher::contains("\"TEXT\":\"SUCCESS\""),
        Fault::Reorder,
    ));
    // Cents .61: approved with ACK=N, so the session is still capturing when the reply lands.
    let txn = pair.start(sale(1061)).unwrap();
    pair.cancel(txn).unwrap();
    let outcome = pair.run_until_finished(txn);
    assert_eq!(outcome.class(), OutcomeClass::Approved, "{outcome:?}");
    pair.run_for(Duration::from_secs(60));
    let t = transcript(&pair);
    assert!(
        !t.contains("pos→sim  GET https://gw-a.interpay.test/api/TERMPAY/cancel"),
        "{t}"
    );
    assert!(!t.contains("VOIDED"));
}

/// A cancel sent a moment before the approval reaches the gateway after it and voids it;
/// the cancel's reply and the VOIDED callback are lost, and so is the GetResult that would
/// have confirmed the race. Nothing says whether the approval stands: Unknown, never Approved.
#[test]
fn a_racing_approval_left_unconfirmed_by_a_lost_cancel_reply_is_unknown() {
    let sim = SimConfig {
        cancel_race: CancelRace::ApproveThenVoid,
        ..SimConfig::default()
    };
    let mut pair = pair_with(config(), sim);
    pair.add_fault(FaultRule::new(Dir::ToPos, Matcher::contains("VOIDED"), Fault::Drop).times(10));
    pair.add_fault(
        FaultRule::new(
            Dir::ToSim,
            Matcher::contains("\"ACTION\":\"GetResult\""),
            Fault::Drop,
        )
        .times(10),
    );
    let txn = pair.start(sale(1000)).unwrap();
    pair.run_for(Duration::from_millis(2500));
    pair.cancel(txn).unwrap();
    let outcome = pair.run_until_finished(txn);
    let Outcome::Unknown(u) = &outcome else {
        panic!("{outcome:?}\n{}", transcript(&pair))
    };
    assert!(
        u.evidence.iter().any(|e| e.contains("APPROVED")),
        "the approval is kept as evidence: {u:?}"
    );
    assert_eq!(pair.money_requests(txn), 1);
}
