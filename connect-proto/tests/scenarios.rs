//! Every shared scenario, the signature cases, cancels, reports and status handling, each
//! with a transcript snapshot.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use core::time::Duration;
use pos_core::{Answer, Event, Operation, OutcomeClass, ReportKind, Scenario};

fn run_scenario(s: Scenario) -> (OutcomeClass, String) {
    let mut p = pair();
    let txn = p.start(scenario_sale(s)).unwrap();
    let outcome = p.run_until_finished(txn);
    assert!(p.money_requests(txn) <= 1);
    (outcome.class(), p.transcript())
}

macro_rules! shared {
    ($name:ident, $s:expr, $class:expr) => {
        #[test]
        fn $name() {
            let (class, transcript) = run_scenario($s);
            assert_eq!(class, $class);
            insta::assert_snapshot!(transcript);
        }
    };
}

shared!(approve, Scenario::Approve, OutcomeClass::Approved);
shared!(decline, Scenario::Decline, OutcomeClass::Declined);
shared!(
    cancelled_on_terminal,
    Scenario::CancelledOnTerminal,
    OutcomeClass::Cancelled
);
shared!(
    slow_customer,
    Scenario::SlowCustomer,
    OutcomeClass::Approved
);
shared!(
    lost_after_approval,
    Scenario::LostAfterApproval,
    OutcomeClass::Approved
);
shared!(
    lost_after_decline,
    Scenario::LostAfterDecline,
    OutcomeClass::Declined
);
shared!(busy, Scenario::Busy, OutcomeClass::Rejected);
shared!(
    pdq_silent_after_approval,
    Scenario::Vendor(60),
    OutcomeClass::Unknown
);
shared!(
    pdq_silent_after_decline,
    Scenario::Vendor(61),
    OutcomeClass::Unknown
);
shared!(
    offline_mid_transaction,
    Scenario::Vendor(62),
    OutcomeClass::Unknown
);
shared!(cnp_keyed, Scenario::Vendor(63), OutcomeClass::Approved);
shared!(tip_on_pdq, Scenario::Vendor(65), OutcomeClass::Approved);
shared!(paper_out, Scenario::Vendor(66), OutcomeClass::Approved);
shared!(noisy, Scenario::Vendor(67), OutcomeClass::Approved);

fn signature(answer: Option<bool>) -> (OutcomeClass, String) {
    let mut p = pair();
    let txn = p.start(scenario_sale(Scenario::SignatureCheck)).unwrap();
    assert!(p.run_until(|p| {
        p.events()
            .iter()
            .any(|(_, e)| matches!(e, Event::Question { .. }))
    }));
    if let Some(accepted) = answer {
        p.answer(txn, Answer::Signature { accepted }).unwrap();
        assert!(p.answer(txn, Answer::Signature { accepted }).is_err());
    }
    let outcome = p.run_until_finished(txn);
    (outcome.class(), p.transcript())
}

#[test]
fn signature_check_accepted() {
    let (class, t) = signature(Some(true));
    assert_eq!(class, OutcomeClass::Approved);
    insta::assert_snapshot!(t);
}

#[test]
fn signature_check_rejected() {
    let (class, t) = signature(Some(false));
    assert_eq!(class, OutcomeClass::Declined);
    insta::assert_snapshot!(t);
}

#[test]
fn signature_check_no_answer() {
    let (class, t) = signature(None);
    assert_eq!(class, OutcomeClass::Declined);
    assert!(t.contains("SignatureWindowClosed"));
    insta::assert_snapshot!(t);
}

#[test]
fn cancel_inside_the_window() {
    let mut p = pair();
    let txn = p.start(sale(1000)).unwrap();
    p.run_for(Duration::from_millis(1_500));
    p.cancel(txn).unwrap();
    let outcome = p.run_until_finished(txn);
    assert_eq!(outcome.class(), OutcomeClass::Cancelled);
    insta::assert_snapshot!(p.transcript());
}

#[test]
fn cancel_outside_the_window() {
    let mut p = pair();
    let txn = p.start(sale(1000)).unwrap();
    p.run_for(Duration::from_millis(5_200));
    p.cancel(txn).unwrap();
    let outcome = p.run_until_finished(txn);
    assert_eq!(outcome.class(), OutcomeClass::Approved);
    assert_eq!(outcome.references().get("cancel_refused"), Some("true"));
    insta::assert_snapshot!(p.transcript());
}

#[test]
fn cancel_before_the_201_is_sent_after_it() {
    let mut p = pair();
    let txn = p.start(sale(1000)).unwrap();
    p.cancel(txn).unwrap();
    let outcome = p.run_until_finished(txn);
    assert_eq!(outcome.class(), OutcomeClass::Cancelled);
}

fn report(kind: ReportKind) -> String {
    let mut p = pair();
    let t1 = p.start(sale(1000)).unwrap();
    p.run_until_finished(t1);
    let txn = p.start(Operation::Report { kind }).unwrap();
    let outcome = p.run_until_finished(txn);
    assert_eq!(outcome.class(), OutcomeClass::Approved);
    assert!(
        p.events()
            .iter()
            .any(|(_, e)| matches!(e, Event::Report { txn: t, .. } if *t == txn))
    );
    p.transcript()
}

#[test]
fn report_end_of_day() {
    insta::assert_snapshot!(report(ReportKind::EndOfDay));
}

#[test]
fn report_x_balance() {
    insta::assert_snapshot!(report(ReportKind::XBalance));
}

#[test]
fn report_z_balance() {
    insta::assert_snapshot!(report(ReportKind::ZBalance));
}

#[test]
fn report_banking() {
    insta::assert_snapshot!(report(ReportKind::Banking));
}

#[test]
fn list_terminals() {
    let mut p = pair();
    let txn = p.start(Operation::ListTerminals).unwrap();
    assert_eq!(p.run_until_finished(txn).class(), OutcomeClass::Approved);
    insta::assert_snapshot!(p.transcript());
}

#[test]
fn duplicate_reprints_the_last_transaction() {
    let mut p = pair();
    let t1 = p.start(sale(1000)).unwrap();
    p.run_until_finished(t1);
    let txn = p.start(Operation::ReprintLast).unwrap();
    let o = p.run_until_finished(txn);
    assert_eq!(o.class(), OutcomeClass::Approved);
    assert!(o.references().get("duplicate").is_some());
    insta::assert_snapshot!(p.transcript());
}
