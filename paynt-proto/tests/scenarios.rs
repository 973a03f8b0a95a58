//! Spec §12.6: every scenario the pair harness must cover, each with a transcript snapshot.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // helpers outside #[test] fns

mod common;

use core::time::Duration;

use common::*;
use paynt_proto::sim::{AuthAccept, CardMode, InProgressStyle, PayntSim, SimConfig};
use paynt_proto::{AuthScheme, Config};
use pos_core::testing::{Dir, Fault, FaultRule, Matcher};
use pos_core::{
    CancelledBy, CommandError, Event, HttpRequest, Method, Notice, Operation, Outcome,
    OutcomeClass, RejectReason, RequestId, Scenario, SimInput, Simulator, UnknownReason,
};

fn unpaired() -> (Config, SimConfig) {
    (
        Config {
            token: None,
            ..Config::default()
        },
        SimConfig::default(),
    )
}

/// Another POS pairs with the terminal behind this one's back.
fn pair_elsewhere(sim: &mut PayntSim, now: pos_core::Timestamp) {
    let url = format!(
        "https://192.0.2.10:8080/payntpos/1.0.0/pair?tid=7300418825&pairingCode={}",
        sim.pairing_code()
    );
    sim.handle_input(
        now,
        SimInput::HttpRequest {
            id: RequestId(u64::MAX),
            request: HttpRequest::new(Method::Get, url),
        },
    );
}

#[test]
fn pairing_success() {
    let (config, sim) = unpaired();
    let mut p = pair_with(config, sim);
    let code = p.sim().pairing_code().to_string();
    assert_eq!(p.start(sale(1000)), Err(CommandError::NotPaired));
    let txn = p.start(Operation::Pair { code }).unwrap();
    assert_eq!(p.run_until_finished(txn).class(), OutcomeClass::Approved);
    let token = p.sim().token().unwrap().to_string();
    assert!(p.events().iter().any(|(_, e)| matches!(e,
        Event::Notice(Notice::Credential { name, value }) if name == "paynt_token" && value.expose() == &token)));
    let txn = p.start(sale(1000)).unwrap();
    assert_eq!(p.run_until_finished(txn).class(), OutcomeClass::Approved);
    let text = p.transcript().replace(&token, "[token]");
    assert!(!text.contains(&token));
    insta::assert_snapshot!(text);
}

#[test]
fn pairing_wrong_code() {
    let (config, sim) = unpaired();
    let mut p = pair_with(config, sim);
    let txn = p
        .start(Operation::Pair {
            code: "000000x".into(),
        })
        .unwrap();
    let Outcome::Rejected(r) = p.run_until_finished(txn) else {
        panic!("not rejected")
    };
    assert_eq!(r.reason, RejectReason::Invalid);
    assert!(p.sim().token().is_none());
    insta::assert_snapshot!(p.transcript());
}

#[test]
fn bare_bearer_mismatch() {
    let sim = SimConfig {
        auth_accept: AuthAccept::Bearer,
        ..sim_config()
    };
    let mut p = pair_with(config(), sim.clone());
    let txn = p.start(sale(1000)).unwrap();
    let Outcome::Rejected(r) = p.run_until_finished(txn) else {
        panic!("not rejected")
    };
    assert_eq!(r.reason, RejectReason::Unauthorized);
    assert!(
        p.events()
            .iter()
            .any(|(_, e)| matches!(e, Event::Notice(Notice::ReauthNeeded { .. })))
    );
    // The same terminal with the Bearer switch on approves.
    let bearer = Config {
        auth_scheme: AuthScheme::Bearer,
        ..config()
    };
    let mut p2 = pair_with(bearer, sim);
    let txn = p2.start(sale(1000)).unwrap();
    assert_eq!(p2.run_until_finished(txn).class(), OutcomeClass::Approved);
    insta::assert_snapshot!(p.transcript());
}

#[test]
fn repair_kills_old_token() {
    let mut p = pair();
    p.with_sim(pair_elsewhere);
    assert_ne!(p.sim().token(), Some(TOKEN));
    let txn = p.start(sale(1000)).unwrap();
    let Outcome::Rejected(r) = p.run_until_finished(txn) else {
        panic!("not rejected")
    };
    assert_eq!(r.reason, RejectReason::Unauthorized);
    let token = p.sim().token().unwrap().to_string();
    insta::assert_snapshot!(p.transcript().replace(&token, "[token]"));
}

fn run_scenario(minor: i64) -> (Outcome, String) {
    let mut p = pair();
    let txn = p.start(sale(minor)).unwrap();
    let outcome = p.run_until_finished(txn);
    assert_eq!(p.money_requests(txn), 1);
    (outcome, p.transcript())
}

#[test]
fn approve() {
    let (outcome, text) = run_scenario(2450);
    let Outcome::Approved(a) = outcome else {
        panic!("not approved")
    };
    assert_eq!(a.amount, Some(eur(2450)));
    assert_eq!(a.card.unwrap().last4(), "4111");
    assert!(a.auth_code.is_some());
    assert!(!a.receipt.customer.is_empty());
    insta::assert_snapshot!(text);
}

#[test]
fn decline() {
    let (outcome, text) = run_scenario(1251);
    let Outcome::Declined(d) = outcome else {
        panic!("not declined")
    };
    assert_eq!(d.code.as_deref(), Some("05"));
    insta::assert_snapshot!(text);
}

#[test]
fn terminal_cancel() {
    let (outcome, text) = run_scenario(1252);
    let Outcome::Cancelled(c) = outcome else {
        panic!("not cancelled")
    };
    assert_eq!(c.by, CancelledBy::Terminal);
    insta::assert_snapshot!(text);
}

#[test]
fn slow_customer() {
    let (outcome, text) = run_scenario(1253);
    assert_eq!(outcome.class(), OutcomeClass::Approved);
    insta::assert_snapshot!(text);
}

#[test]
fn signature_check() {
    let (outcome, text) = run_scenario(1256);
    let Outcome::Approved(a) = outcome else {
        panic!("not approved")
    };
    assert!(a.receipt.merchant.iter().any(|l| l.contains("SIGNATURE")));
    insta::assert_snapshot!(text);
}

#[test]
fn pos_cancel_before_card() {
    let mut p = pair();
    let txn = p.start(sale(1000)).unwrap();
    p.cancel(txn).unwrap();
    let Outcome::Cancelled(c) = p.run_until_finished(txn) else {
        panic!("not cancelled")
    };
    assert_eq!(c.by, CancelledBy::Pos);
    insta::assert_snapshot!(p.transcript());
}

#[test]
fn pos_cancel_during_authorisation() {
    let mut p = pair();
    let txn = p.start(sale(1000)).unwrap();
    p.run_for(Duration::from_millis(2_300));
    p.cancel(txn).unwrap();
    assert!(p.cancel(txn).is_err(), "a second cancel is refused");
    assert_eq!(p.run_until_finished(txn).class(), OutcomeClass::Approved);
    assert!(
        p.events()
            .iter()
            .any(|(_, e)| matches!(e, Event::Notice(Notice::CancelRefused { .. })))
    );
    insta::assert_snapshot!(p.transcript());
}

#[test]
fn post_reply_lost() {
    let mut p = pair();
    p.add_fault(FaultRule::new(
        Dir::ToPos,
        Matcher::contains("\"transType\":\"SALE\""),
        Fault::Drop,
    ));
    let txn = p.start(sale(1000)).unwrap();
    let Outcome::Unknown(u) = p.run_until_finished(txn) else {
        panic!("not unknown")
    };
    assert_eq!(u.reason, UnknownReason::RequestReplyLost);
    assert!(u.references.get("reference").is_some());
    assert_eq!(u.amount, Some(eur(1000)));
    assert_eq!(p.money_requests(txn), 1);
    insta::assert_snapshot!(p.transcript());
}

#[test]
fn result_lost_once_after_approval() {
    let (outcome, text) = run_scenario(1254);
    assert_eq!(outcome.class(), OutcomeClass::Approved);
    assert!(text.contains("connection closed without a response"));
    insta::assert_snapshot!(text);
}

#[test]
fn result_lost_once_after_decline() {
    let (outcome, text) = run_scenario(1255);
    assert_eq!(outcome.class(), OutcomeClass::Declined);
    insta::assert_snapshot!(text);
}

#[test]
fn transient_404() {
    let sim = SimConfig {
        not_found_window: Duration::from_secs(2),
        ..sim_config()
    };
    let mut p = pair_with(config(), sim);
    let txn = p.start(sale(1000)).unwrap();
    assert_eq!(p.run_until_finished(txn).class(), OutcomeClass::Approved);
    assert!(p.transcript().contains("http 404"));
    insta::assert_snapshot!(p.transcript());
}

#[test]
fn in_progress_206() {
    let (outcome, text) = run_scenario(1000);
    assert_eq!(outcome.class(), OutcomeClass::Approved);
    assert!(text.contains("http 206"));
    insta::assert_snapshot!(text);
}

#[test]
fn in_progress_200_without_flags() {
    let sim = SimConfig {
        in_progress_style: InProgressStyle::Ok200NoFlags,
        ..sim_config()
    };
    let mut p = pair_with(config(), sim);
    let txn = p.start(sale(1000)).unwrap();
    assert_eq!(p.run_until_finished(txn).class(), OutcomeClass::Approved);
    assert!(!p.transcript().contains("http 206"));
    insta::assert_snapshot!(p.transcript());
}

#[test]
fn server_error_while_polling() {
    let mut p = pair();
    let txn = p.start(sale(1000)).unwrap();
    p.run_for(Duration::from_millis(100));
    p.with_sim(|s, _| s.fail_next(503));
    assert_eq!(p.run_until_finished(txn).class(), OutcomeClass::Approved);
    assert!(p.transcript().contains("http 503"));
    insta::assert_snapshot!(p.transcript());
}

#[test]
fn deadline_then_query() {
    let sim = SimConfig {
        card_mode: CardMode::Manual,
        card_timeout: Duration::from_secs(600),
        ..sim_config()
    };
    let mut p = pair_with(config(), sim);
    let txn = p.start(sale(1000)).unwrap();
    let Outcome::Unknown(u) = p.run_until_finished(txn) else {
        panic!("not unknown")
    };
    assert_eq!(u.reason, UnknownReason::NoResult);
    assert!(u.hint.as_deref().unwrap().contains("DeadlineExceeded"));
    let uti = u.references.primary.unwrap();
    assert!(p.with_sim(|s, now| s.present_card(now, Scenario::Approve)));
    p.run_for(Duration::from_secs(5));
    let q = p.start(Operation::Lookup { original: uti }).unwrap();
    assert_eq!(p.run_until_finished(q).class(), OutcomeClass::Approved);
    assert!(p.events().iter().any(|(_, e)| matches!(e,
        Event::Notice(Notice::LateResult { txn: Some(t), detail }) if *t == txn && detail.contains("approved"))));
    insta::assert_snapshot!(p.transcript());
}

#[test]
fn unauthorized_mid_poll() {
    let mut p = pair();
    let txn = p.start(sale(1000)).unwrap();
    p.run_for(Duration::from_millis(700));
    p.with_sim(pair_elsewhere);
    let Outcome::Unknown(u) = p.run_until_finished(txn) else {
        panic!("not unknown")
    };
    assert_eq!(u.reason, UnknownReason::Unauthorized);
    assert!(u.references.primary.is_some());
    let token = p.sim().token().unwrap().to_string();
    insta::assert_snapshot!(p.transcript().replace(&token, "[token]"));
}

fn void(uti: &str) -> Operation {
    Operation::Void {
        original: uti.into(),
        reference: None,
    }
}

#[test]
fn reversal_of_known_uti() {
    let mut p = pair();
    let txn = p.start(sale(1000)).unwrap();
    let uti = uti_of(&p.run_until_finished(txn));
    let v = p.start(void(&uti)).unwrap();
    let outcome = p.run_until_finished(v);
    assert_eq!(outcome.class(), OutcomeClass::Approved);
    assert_ne!(uti_of(&outcome), uti, "a reversal gets its own UTI");
    assert!(p.sim().transactions()[0].voided);
    insta::assert_snapshot!(p.transcript());
}

#[test]
fn reversal_of_unknown_uti() {
    let mut p = pair();
    let v = p
        .start(void("00000000-0000-3000-8000-000000000000"))
        .unwrap();
    let Outcome::Rejected(r) = p.run_until_finished(v) else {
        panic!("not rejected")
    };
    assert_eq!(r.reason, RejectReason::Invalid);
    insta::assert_snapshot!(p.transcript());
}

#[test]
fn reversal_of_voided_uti() {
    let mut p = pair();
    let txn = p.start(sale(1000)).unwrap();
    let uti = uti_of(&p.run_until_finished(txn));
    let v = p.start(void(&uti)).unwrap();
    assert_eq!(p.run_until_finished(v).class(), OutcomeClass::Approved);
    let again = p.start(void(&uti)).unwrap();
    assert_eq!(p.run_until_finished(again).class(), OutcomeClass::Rejected);
    // A query of the original now reports it voided.
    let q = p.start(Operation::Lookup { original: uti }).unwrap();
    let Outcome::Cancelled(c) = p.run_until_finished(q) else {
        panic!("not reported voided")
    };
    assert_eq!(c.references.get("voided"), Some("true"));
    insta::assert_snapshot!(p.transcript());
}

fn preauth_then(p: &mut pos_core::testing::Pair<paynt_proto::PayntMachine, PayntSim>) -> String {
    let txn = p
        .start(Operation::PreAuth {
            amount: eur(10_000),
            reference: None,
        })
        .unwrap();
    uti_of(&p.run_until_finished(txn))
}

#[test]
fn completion_within_preauth() {
    let mut p = pair();
    let uti = preauth_then(&mut p);
    let c = p
        .start(Operation::Completion {
            amount: eur(8_000),
            original: uti,
            reference: Some("order42".into()),
        })
        .unwrap();
    let Outcome::Approved(a) = p.run_until_finished(c) else {
        panic!("not approved")
    };
    assert_eq!(a.amount, Some(eur(8_000)));
    insta::assert_snapshot!(p.transcript());
}

#[test]
fn completion_above_preauth() {
    let mut p = pair();
    let uti = preauth_then(&mut p);
    let over = Operation::Completion {
        amount: eur(12_000),
        original: uti,
        reference: None,
    };
    // The machine knows the preauth amount and refuses locally.
    assert!(matches!(
        p.start(over.clone()),
        Err(CommandError::AmountNotAccepted { .. })
    ));
    // A machine that does not know it sends; the terminal refuses.
    p.crash_and_resume();
    let c = p.start(over).unwrap();
    assert_eq!(p.run_until_finished(c).class(), OutcomeClass::Rejected);
    insta::assert_snapshot!(p.transcript());
}

#[test]
fn busy() {
    let (outcome, text) = run_scenario(1257);
    let Outcome::Rejected(r) = outcome else {
        panic!("not rejected")
    };
    assert_eq!(r.reason, RejectReason::Busy);
    let mut p = pair();
    let _txn = p.start(sale(1000)).unwrap();
    assert_eq!(p.start(sale(1000)), Err(CommandError::Busy));
    insta::assert_snapshot!(text);
}

#[test]
fn hyphenated_uti_echoed_unchanged() {
    let mut p = pair();
    let txn = p.start(sale(1000)).unwrap();
    let uti = uti_of(&p.run_until_finished(txn));
    assert_eq!(uti.len(), 36);
    assert_eq!(uti.matches('-').count(), 4);
    assert!(p.transcript().contains(&format!("&uti={uti} ")));
    let v = p.start(void(&uti)).unwrap();
    p.run_until_finished(v);
    assert!(p.transcript().contains(&format!("\"uti\":\"{uti}\"")));
    insta::assert_snapshot!(p.transcript());
}
