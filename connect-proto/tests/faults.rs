//! HTTP status handling (§9), lost replies, and the request spacing rule (§2).
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use connect_proto::Config;
use connect_proto::sim::SimConfig;
use core::time::Duration;
use pos_core::testing::{Dir, Fault, FaultRule, Matcher, RandomFaults};
use pos_core::{Answer, Event, Outcome, OutcomeClass, RejectReason, Scenario, Secret};

#[test]
fn status_401_rejects_the_start() {
    let cfg = Config {
        api_key: Secret::new("wrong-key".into()),
        ..Config::default()
    };
    let mut p = pair_with(cfg, SimConfig::default()).redact("wrong-key");
    let txn = p.start(sale(1000)).unwrap();
    let o = p.run_until_finished(txn);
    assert!(matches!(&o, Outcome::Rejected(r) if r.reason == RejectReason::Unauthorized));
    insta::assert_snapshot!(p.transcript());
}

#[test]
fn status_404_rejects_the_start() {
    let mut p = pair();
    p.with_sim(|s, _| s.set_online("40917263", false));
    let txn = p.start(sale(1000)).unwrap();
    let o = p.run_until_finished(txn);
    assert!(matches!(&o, Outcome::Rejected(r) if r.reason == RejectReason::Unavailable));
    insta::assert_snapshot!(p.transcript());
}

#[test]
fn status_422_busy_is_told_apart_by_a_terminal_lookup() {
    let mut p = pair();
    let txn = p.start(scenario_sale(Scenario::Busy)).unwrap();
    let o = p.run_until_finished(txn);
    assert!(matches!(&o, Outcome::Rejected(r) if r.reason == RejectReason::Busy));
    insta::assert_snapshot!(p.transcript());
}

#[test]
fn status_422_invalid_is_unprocessable() {
    let mut p = pair();
    let op = pos_core::Operation::Sale {
        amount: pos_core::Money::from_minor(1000, pos_core::Currency::EUR).unwrap(),
        tip: None,
        cashback: None,
        reference: None,
    };
    let txn = p.start(op).unwrap();
    let o = p.run_until_finished(txn);
    assert!(matches!(&o, Outcome::Rejected(r) if r.reason == RejectReason::Invalid));
}

#[test]
fn status_500_on_the_post_is_never_reposted() {
    let mut p = pair();
    p.with_sim(|s, _| s.inject_status(500, 1));
    let txn = p.start(sale(1000)).unwrap();
    let o = p.run_until_finished(txn);
    assert_eq!(o.class(), OutcomeClass::Unknown);
    assert_eq!(p.money_requests(txn), 1);
    insta::assert_snapshot!(p.transcript());
}

#[test]
fn status_500_while_polling_backs_off_and_recovers() {
    let mut p = pair();
    let txn = p.start(sale(1000)).unwrap();
    p.run_for(Duration::from_millis(1_500));
    p.with_sim(|s, _| s.inject_status(500, 3));
    let o = p.run_until_finished(txn);
    assert_eq!(o.class(), OutcomeClass::Approved);
}

#[test]
fn lost_post_reply_goes_to_recovery_not_a_second_post() {
    let mut p = pair();
    p.add_fault(FaultRule::new(
        Dir::ToPos,
        Matcher::contains("http 201"),
        Fault::Drop,
    ));
    let txn = p.start(sale(1000)).unwrap();
    let o = p.run_until_finished(txn);
    assert_eq!(o.class(), OutcomeClass::Unknown);
    assert_eq!(p.money_requests(txn), 1);
    insta::assert_snapshot!(p.transcript());
}

#[test]
fn connect_failure_on_the_post_is_not_delivered() {
    let mut p = pair();
    p.refuse_connections(true);
    let txn = p.start(sale(1000)).unwrap();
    let o = p.run_until_finished(txn);
    assert!(matches!(&o, Outcome::Rejected(r) if r.code.as_deref() == Some("NotDelivered")));
}

#[test]
fn timed_out_is_rechecked_then_unknown() {
    let mut p = pair();
    let txn = p.start(scenario_sale(Scenario::Vendor(60))).unwrap();
    let o = p.run_until_finished(txn);
    let Outcome::Unknown(u) = &o else {
        panic!("{o:?}")
    };
    assert_eq!(u.references.get("reason"), Some("ConnectTimedOut"));
    assert_eq!(u.hint.as_deref(), Some("CheckPdqLastTransaction"));
    assert!(u.references.primary.is_some());
}

/// Returns the times (ms) of every request the POS sent, from the transcript.
fn request_times(transcript: &str) -> Vec<u64> {
    transcript
        .lines()
        .filter(|l| l.contains("pos→sim"))
        .map(|l| {
            let t = l.split_whitespace().next().unwrap().trim_end_matches('s');
            let (s, ms) = t.split_once('.').unwrap();
            s.parse::<u64>().unwrap() * 1000 + ms.parse::<u64>().unwrap()
        })
        .collect()
}

#[test]
fn request_spacing_never_falls_under_100_ms() {
    let mut p = pair();
    // polls + signature answer
    let txn = p.start(scenario_sale(Scenario::SignatureCheck)).unwrap();
    p.run_until(|p| {
        p.events()
            .iter()
            .any(|(_, e)| matches!(e, Event::Question { .. }))
    });
    p.answer(txn, Answer::Signature { accepted: true }).unwrap();
    p.run_until_finished(txn);
    // polls + cancel, with a terminal list racing the cancel
    let txn = p.start(sale(1000)).unwrap();
    p.run_for(Duration::from_millis(1_003));
    p.cancel(txn).unwrap();
    let list = p.start(pos_core::Operation::ListTerminals).unwrap();
    p.run_until_finished(txn);
    p.run_until_finished(list);
    let times = request_times(&p.transcript());
    assert!(times.len() > 10, "{}", times.len());
    for w in times.windows(2) {
        assert!(w[1] - w[0] >= 100, "gap {} ms at {}", w[1] - w[0], w[0]);
    }
    assert!(!p.transcript().contains("http 429"));
}

#[test]
fn random_faults_keep_the_invariants() {
    for seed in 0..12u64 {
        let mut p = pair();
        p.set_random_faults(RandomFaults {
            seed,
            drop: 60,
            duplicate: 60,
            delay: 100,
            reorder: 40,
            disconnect: 60,
            max_delay: Duration::from_millis(3_000),
        });
        for cents in [0, 51, 52, 54, 55, 57] {
            let txn = p.start(sale(1000 + cents)).unwrap();
            p.run_until_finished(txn);
            assert!(p.money_requests(txn) <= 1);
        }
        p.assert_all_finished();
    }
}
