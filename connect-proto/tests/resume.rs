//! Crash and resume at each point after the persist event (DESIGN rule 1, spec §8.5).
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use core::time::Duration;
use pos_core::testing::{Dir, Fault, FaultRule, Matcher};
use pos_core::{Outcome, OutcomeClass};

#[test]
fn crash_after_persist_before_send_ends_unknown_without_a_post() {
    let mut p = pair();
    p.crash_after_next_persist();
    let txn = p.start(sale(1000)).unwrap();
    let o = p.run_until_finished(txn);
    assert_eq!(o.class(), OutcomeClass::Unknown);
    assert_eq!(p.money_requests(txn), 0);
    assert_eq!(p.crashes(), 1);
    insta::assert_snapshot!(p.transcript());
}

#[test]
fn crash_after_send_recovers_by_terminal_status_never_reposts() {
    let mut p = pair();
    p.add_fault(FaultRule::new(
        Dir::ToSim,
        Matcher::contains("POST"),
        Fault::CrashPosAfterSend,
    ));
    let txn = p.start(sale(1000)).unwrap();
    let o = p.run_until_finished(txn);
    let Outcome::Unknown(u) = &o else {
        panic!("{o:?}")
    };
    assert_eq!(u.references.get("reason"), Some("StartUnconfirmed"));
    assert_eq!(p.money_requests(txn), 1);
    insta::assert_snapshot!(p.transcript());
}

#[test]
fn crash_while_the_customer_pays_resumes_polling() {
    let mut p = pair();
    let txn = p.start(sale(1000)).unwrap();
    p.run_for(Duration::from_secs(3));
    p.crash_and_resume();
    let o = p.run_until_finished(txn);
    assert_eq!(o.class(), OutcomeClass::Approved);
    assert_eq!(p.money_requests(txn), 1);
    insta::assert_snapshot!(p.transcript());
}

#[test]
fn crash_when_the_result_was_produced_but_not_delivered() {
    let mut p = pair();
    p.add_fault(FaultRule::new(
        Dir::ToPos,
        Matcher::contains("TRANSACTION_FINISHED"),
        Fault::CrashPos,
    ));
    let txn = p.start(sale(1051)).unwrap();
    let o = p.run_until_finished(txn);
    assert_eq!(o.class(), OutcomeClass::Declined);
    assert_eq!(p.money_requests(txn), 1);
    assert_eq!(p.crashes(), 1);
    insta::assert_snapshot!(p.transcript());
}

#[test]
fn crash_during_the_signature_prompt_reopens_it_on_replay() {
    let mut p = pair();
    let txn = p
        .start(scenario_sale(pos_core::Scenario::SignatureCheck))
        .unwrap();
    p.run_for(Duration::from_secs(7));
    p.crash_and_resume();
    p.run_for(Duration::from_secs(2));
    p.answer(txn, pos_core::Answer::Signature { accepted: true })
        .unwrap();
    let o = p.run_until_finished(txn);
    assert_eq!(o.class(), OutcomeClass::Approved);
}

#[test]
fn lookup_of_an_unknown_request_id_is_not_found_or_expired() {
    let mut p = pair();
    let txn = p
        .start(pos_core::Operation::Lookup {
            original: "no-such-id".into(),
        })
        .unwrap();
    let Outcome::Unknown(u) = p.run_until_finished(txn) else {
        panic!()
    };
    assert_eq!(u.references.get("reason"), Some("NotFoundOrExpired"));
}
