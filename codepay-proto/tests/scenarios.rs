//! One pair-harness test per operation and per scenario of the shared table (and the CodePay
//! cents 60–62), each with a transcript snapshot.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // test helpers outside #[test] fns

mod common;

use codepay_proto::Config;
use codepay_proto::sim::SimConfig;
use common::*;
use pos_core::{
    CancelledBy, CommandError, Currency, Operation, OperationKind, Outcome, OutcomeClass,
    RejectReason, Scenario, Stage,
};

fn run(op: Operation) -> (Outcome, CodepayPair) {
    let mut pair = pair();
    let txn = pair.start(op).unwrap();
    let outcome = pair.run_until_finished(txn);
    assert!(pair.money_requests(txn) <= 1);
    (outcome, pair)
}

fn scenario(s: Scenario) -> (Outcome, CodepayPair) {
    let amount = s.amount(12, Currency::USD).unwrap().minor_units();
    let (outcome, pair) = run(sale(amount));
    assert_eq!(order_frames(&pair), 1, "never a second order frame");
    (outcome, pair)
}

fn recovered(pair: &CodepayPair) -> bool {
    pair.events().iter().any(|(_, e)| {
        matches!(e, pos_core::Event::Progress { progress, .. } if progress.stage == Stage::Recovering)
    })
}

#[test]
fn approve() {
    let (outcome, pair) = scenario(Scenario::Approve);
    let Outcome::Approved(a) = &outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(a.amount, Some(usd(1200)));
    assert!(
        a.card
            .as_ref()
            .is_some_and(|c| c.as_str().contains("******"))
    );
    assert!(!recovered(&pair));
    insta::assert_snapshot!(pair.transcript());
}

#[test]
fn decline() {
    let (outcome, pair) = scenario(Scenario::Decline);
    let Outcome::Declined(d) = &outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(d.code.as_deref(), Some("106"));
    insta::assert_snapshot!(pair.transcript());
}

#[test]
fn cancelled_on_terminal() {
    let (outcome, pair) = scenario(Scenario::CancelledOnTerminal);
    let Outcome::Cancelled(c) = &outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(c.by, CancelledBy::Terminal);
    insta::assert_snapshot!(pair.transcript());
}

#[test]
fn slow_customer() {
    let (outcome, pair) = scenario(Scenario::SlowCustomer);
    assert_eq!(outcome.class(), OutcomeClass::Approved);
    assert!(!recovered(&pair), "no timeout fired early");
    insta::assert_snapshot!(pair.transcript());
}

#[test]
fn lost_after_approval() {
    let (outcome, pair) = scenario(Scenario::LostAfterApproval);
    assert_eq!(outcome.class(), OutcomeClass::Approved);
    assert!(recovered(&pair));
    insta::assert_snapshot!(pair.transcript());
}

#[test]
fn lost_after_decline() {
    let (outcome, pair) = scenario(Scenario::LostAfterDecline);
    assert_eq!(outcome.class(), OutcomeClass::Declined);
    assert!(recovered(&pair));
    insta::assert_snapshot!(pair.transcript());
}

#[test]
fn signature_check() {
    let config = Config {
        on_screen_signature: Some(true),
        ..config()
    };
    let mut pair = pair_with(config, SimConfig::default());
    let amount = Scenario::SignatureCheck.amount(12, Currency::USD).unwrap();
    let txn = pair.start(sale(amount.minor_units())).unwrap();
    let outcome = pair.run_until_finished(txn);
    assert_eq!(outcome.class(), OutcomeClass::Approved);
    assert!(pair.transcript().contains(r#""on_screen_signature":true"#));
    insta::assert_snapshot!(pair.transcript());
}

#[test]
fn busy() {
    let (outcome, pair) = scenario(Scenario::Busy);
    let Outcome::Rejected(r) = &outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(r.reason, RejectReason::Busy);
    insta::assert_snapshot!(pair.transcript());
}

#[test]
fn vendor_60_result_unknown_is_recovered() {
    let (outcome, pair) = scenario(Scenario::Vendor(60));
    assert_eq!(outcome.class(), OutcomeClass::Approved);
    assert!(recovered(&pair));
    insta::assert_snapshot!(pair.transcript());
}

#[test]
fn vendor_61_disconnect_instead_of_answer_is_recovered() {
    let (outcome, pair) = scenario(Scenario::Vendor(61));
    assert_eq!(outcome.class(), OutcomeClass::Approved);
    assert!(recovered(&pair));
    insta::assert_snapshot!(pair.transcript());
}

#[test]
fn vendor_62_read_card_timeout_declines() {
    let (outcome, pair) = scenario(Scenario::Vendor(62));
    let Outcome::Declined(d) = &outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(d.code.as_deref(), Some("111"));
    insta::assert_snapshot!(pair.transcript());
}

#[test]
fn sale_with_tip() {
    let (outcome, pair) = run(Operation::Sale {
        amount: usd(2340),
        tip: Some(usd(300)),
        cashback: None,
        reference: Some("LANE1ORDER42".into()),
    });
    let Outcome::Approved(a) = &outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(a.amount, Some(usd(2640)));
    assert_eq!(a.tip, Some(usd(300)));
    assert_eq!(a.references.primary.as_deref(), Some("LANE1ORDER42"));
    insta::assert_snapshot!(pair.transcript());
}

#[test]
fn sale_with_cashback() {
    let (outcome, pair) = run(Operation::Sale {
        amount: usd(1000),
        tip: None,
        cashback: Some(usd(2000)),
        reference: None,
    });
    let Outcome::Approved(a) = &outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(a.amount, Some(usd(3000)));
    assert_eq!(a.cashback, Some(usd(2000)));
    assert!(pair.transcript().contains(r#""trans_type":"11""#));
    insta::assert_snapshot!(pair.transcript());
}

#[test]
fn void() {
    let mut pair = pair();
    let (_, original) = approved_sale(&mut pair, 1500);
    let txn = pair
        .start(Operation::Void {
            original: original.clone(),
            reference: None,
        })
        .unwrap();
    assert_eq!(pair.run_until_finished(txn).class(), OutcomeClass::Approved);
    assert_eq!(pair.sim().record(&original).unwrap().status, "3");
    // A second void of the same sale is refused by the terminal: 119.
    let again = pair
        .start(Operation::Void {
            original,
            reference: None,
        })
        .unwrap();
    assert_eq!(
        pair.run_until_finished(again).class(),
        OutcomeClass::Declined
    );
    insta::assert_snapshot!(pair.transcript());
}

#[test]
fn referenced_refund() {
    let mut pair = pair();
    let (_, original) = approved_sale(&mut pair, 5000);
    let refund = |amount| Operation::Refund {
        amount: usd(amount),
        original: Some(original.clone()),
        reference: None,
    };
    let txn = pair.start(refund(2000)).unwrap();
    assert_eq!(pair.run_until_finished(txn).class(), OutcomeClass::Approved);
    // More than what is left to refund: 120, refused before processing.
    let txn = pair.start(refund(3100)).unwrap();
    let outcome = pair.run_until_finished(txn);
    assert!(
        matches!(&outcome, Outcome::Rejected(r) if r.reason == RejectReason::Invalid),
        "{outcome:?}"
    );
    insta::assert_snapshot!(pair.transcript());
}

#[test]
fn unreferenced_refund() {
    let (outcome, pair) = run(Operation::Refund {
        amount: usd(700),
        original: None,
        reference: None,
    });
    assert_eq!(outcome.class(), OutcomeClass::Approved);
    assert!(!pair.transcript().contains("orig_merchant_order_no"));
    insta::assert_snapshot!(pair.transcript());
}

#[test]
fn unreferenced_refund_can_be_switched_off() {
    let config = Config {
        allow_unreferenced_refund: false,
        ..config()
    };
    let mut pair = pair_with(config, SimConfig::default());
    let refused = pair.start(Operation::Refund {
        amount: usd(700),
        original: None,
        reference: None,
    });
    assert_eq!(
        refused,
        Err(CommandError::Unsupported {
            kind: OperationKind::UnreferencedRefund
        })
    );
}

#[test]
fn pre_auth_and_completion() {
    let mut pair = pair();
    let txn = pair
        .start(Operation::PreAuth {
            amount: usd(10000),
            reference: None,
        })
        .unwrap();
    let outcome = pair.run_until_finished(txn);
    assert_eq!(outcome.class(), OutcomeClass::Approved);
    let original = outcome.references().primary.clone().unwrap();
    let txn = pair
        .start(Operation::Completion {
            amount: usd(8000),
            original: original.clone(),
            reference: None,
        })
        .unwrap();
    assert_eq!(pair.run_until_finished(txn).class(), OutcomeClass::Approved);
    assert_eq!(pair.sim().record(&original).unwrap().status, "4");
    insta::assert_snapshot!(pair.transcript());
}

#[test]
fn tip_adjust() {
    let mut pair = pair();
    let (_, original) = approved_sale(&mut pair, 2000);
    let txn = pair
        .start(Operation::TipAdjust {
            original: original.clone(),
            tip: usd(450),
        })
        .unwrap();
    let outcome = pair.run_until_finished(txn);
    let Outcome::Approved(a) = &outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(a.tip, Some(usd(450)));
    assert_eq!(pair.sim().record(&original).unwrap().tip_minor, 450);
    insta::assert_snapshot!(pair.transcript());
}

#[test]
fn batch_close() {
    let mut pair = pair();
    let (_, original) = approved_sale(&mut pair, 2000);
    let txn = pair.start(Operation::BatchClose).unwrap();
    assert_eq!(pair.run_until_finished(txn).class(), OutcomeClass::Approved);
    assert!(pair.sim().record(&original).unwrap().settled);
    assert!(pair.events().iter().any(
        |(_, e)| matches!(e, pos_core::Event::Report { report, .. } if report.kind == "batch_close")
    ));
    // A settled sale cannot be voided any more: 119.
    let txn = pair
        .start(Operation::Void {
            original,
            reference: None,
        })
        .unwrap();
    assert_eq!(pair.run_until_finished(txn).class(), OutcomeClass::Declined);
    insta::assert_snapshot!(pair.transcript());
}

#[test]
fn lookup() {
    let mut pair = pair();
    let (_, original) = approved_sale(&mut pair, 2000);
    let txn = pair.start(Operation::Lookup { original }).unwrap();
    assert_eq!(pair.run_until_finished(txn).class(), OutcomeClass::Approved);
    let txn = pair
        .start(Operation::Lookup {
            original: "NOSUCHORDER1".into(),
        })
        .unwrap();
    let outcome = pair.run_until_finished(txn);
    assert!(matches!(&outcome, Outcome::Rejected(r) if r.reason == RejectReason::NotFound));
    insta::assert_snapshot!(pair.transcript());
}

#[test]
fn cancel_in_progress() {
    let mut pair = pair();
    let txn = pair.start(sale(2000)).unwrap();
    pair.run_for(core::time::Duration::from_millis(500));
    pair.cancel(txn).unwrap();
    let outcome = pair.run_until_finished(txn);
    let Outcome::Cancelled(c) = &outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(c.by, CancelledBy::Pos);
    insta::assert_snapshot!(pair.transcript());
}

#[test]
fn cancel_too_late_completes_anyway() {
    let mut pair = pair();
    let txn = pair.start(sale(2000)).unwrap();
    pair.run_for(core::time::Duration::from_millis(2_000));
    pair.cancel(txn).unwrap();
    let outcome = pair.run_until_finished(txn);
    assert_eq!(outcome.class(), OutcomeClass::Approved);
    assert!(pair.events().iter().any(|(_, e)| matches!(
        e,
        pos_core::Event::Notice(pos_core::Notice::CancelRefused { .. })
    )));
    insta::assert_snapshot!(pair.transcript());
}

#[test]
fn unsupported_operations_are_refused() {
    let mut pair = pair();
    for op in [
        Operation::AccountVerification {
            currency: Currency::USD,
            reference: None,
        },
        Operation::ReprintLast,
        Operation::ListTerminals,
    ] {
        let kind = op.kind();
        assert_eq!(pair.start(op), Err(CommandError::Unsupported { kind }));
    }
}
