//! Fault tests through the pair harness: each ends with the right outcome, and the harness
//! proves that no transaction ever sent two order frames.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // test helpers outside #[test] fns

mod common;

use core::time::Duration;

use codepay_proto::sim::{Behaviour, SimConfig, SimFaults};
use common::*;
use pos_core::testing::{Dir, Fault, FaultRule, Matcher};
use pos_core::{CommandError, Event, Notice, Operation, Outcome, OutcomeClass, RejectReason};

const ORDER: &str = r#""topic":"ecrhub.pay.order""#;

fn late_results(pair: &CodepayPair) -> usize {
    pair.events()
        .iter()
        .filter(|(_, e)| matches!(e, Event::Notice(Notice::LateResult { .. })))
        .count()
}

#[test]
fn result_dropped_is_recovered_by_query() {
    let mut pair = pair();
    pair.add_fault(FaultRule::new(
        Dir::ToPos,
        Matcher::contains(ORDER),
        Fault::Drop,
    ));
    let txn = pair.start(sale(2000)).unwrap();
    assert_eq!(pair.run_until_finished(txn).class(), OutcomeClass::Approved);
    assert_eq!(pair.money_requests(txn), 1);
    assert_eq!(order_frames(&pair), 1);
    insta::assert_snapshot!(pair.transcript());
}

#[test]
fn connection_dropped_mid_flow_result_arrives_on_the_new_connection() {
    let mut pair = pair();
    let txn = pair.start(sale(2000)).unwrap();
    pair.run_for(Duration::from_millis(1_000));
    pair.disconnect();
    assert_eq!(pair.run_until_finished(txn).class(), OutcomeClass::Approved);
    assert_eq!(order_frames(&pair), 1);
    assert!(
        pair.events()
            .iter()
            .any(|(_, e)| matches!(e, Event::Notice(Notice::LinkLost { .. })))
    );
    insta::assert_snapshot!(pair.transcript());
}

#[test]
fn reconnect_with_redelivery() {
    let mut pair = pair();
    let txn = pair.start(sale(2000)).unwrap();
    pair.run_for(Duration::from_millis(2_500));
    pair.refuse_connections(true);
    pair.disconnect();
    // The terminal finishes at 3 s while the POS is away and holds the result.
    pair.run_for(Duration::from_millis(2_000));
    assert!(pair.outcome(txn).is_none());
    pair.refuse_connections(false);
    let outcome = pair.run_until_finished(txn);
    assert_eq!(outcome.class(), OutcomeClass::Approved);
    assert!(
        !pair.transcript().contains("ecrhub.pay.query"),
        "the re-delivered result sufficed"
    );
    insta::assert_snapshot!(pair.transcript());
}

#[test]
fn reconnect_without_redelivery_recovers() {
    let sim = SimConfig {
        redeliver_on_reconnect: false,
        ..SimConfig::default()
    };
    let mut pair = pair_with(config(), sim);
    let txn = pair.start(sale(2000)).unwrap();
    pair.run_for(Duration::from_millis(2_500));
    pair.refuse_connections(true);
    pair.disconnect();
    pair.run_for(Duration::from_millis(2_000));
    pair.refuse_connections(false);
    assert_eq!(pair.run_until_finished(txn).class(), OutcomeClass::Approved);
    assert!(pair.transcript().contains("ecrhub.pay.query"));
    assert_eq!(order_frames(&pair), 1);
}

#[test]
fn duplicate_result_frame_is_a_late_result() {
    let mut pair = pair();
    pair.add_fault(FaultRule::new(
        Dir::ToPos,
        Matcher::contains(ORDER),
        Fault::Duplicate,
    ));
    let txn = pair.start(sale(2000)).unwrap();
    assert_eq!(pair.run_until_finished(txn).class(), OutcomeClass::Approved);
    pair.run_for(Duration::from_millis(100));
    assert_eq!(late_results(&pair), 1);
    insta::assert_snapshot!(pair.transcript());
}

#[test]
fn duplicate_order_frame_never_ends_the_order_as_busy() {
    let mut pair = pair();
    pair.add_fault(FaultRule::new(
        Dir::ToSim,
        Matcher::contains(ORDER),
        Fault::Duplicate,
    ));
    let txn = pair.start(sale(2000)).unwrap();
    // The copy gets 101; a query shows our order running, so the POS waits for its result.
    assert_eq!(pair.run_until_finished(txn).class(), OutcomeClass::Approved);
    assert_eq!(pair.money_requests(txn), 1);
    insta::assert_snapshot!(pair.transcript());
}

#[test]
fn late_result_after_recovery_began() {
    // Result deadline 30 s; the result frame is stuck on the stream until 32 s.
    let config = codepay_proto::Config {
        expires_secs: 30,
        result_grace_ms: 0,
        ..config()
    };
    let mut pair = pair_with(config, SimConfig::default());
    pair.add_fault(FaultRule::new(
        Dir::ToPos,
        Matcher::contains(ORDER),
        Fault::Delay(Duration::from_secs(29)),
    ));
    let txn = pair.start(sale(2000)).unwrap();
    assert_eq!(pair.run_until_finished(txn).class(), OutcomeClass::Approved);
    assert_eq!(
        late_results(&pair),
        1,
        "the delayed result is reported late"
    );
    assert_eq!(order_frames(&pair), 1);
    insta::assert_snapshot!(pair.transcript());
}

#[test]
fn late_approval_contradicted_by_the_query_is_unknown() {
    use pos_core::{Input, Machine, Timestamp, UnknownReason};
    let mut m = machine(5, config());
    let _ = m.poll_transmit();
    m.handle_input(Timestamp::from_millis(1), Input::Connected);
    let txn = m.start(Timestamp::from_millis(2), sale(2000)).unwrap();
    let sent = drain_texts(&mut m);
    let order: serde_json::Value = serde_json::from_str(&sent[0]).unwrap();
    let number = order["biz_data"]["merchant_order_no"]
        .as_str()
        .unwrap()
        .to_owned();
    m.handle_timeout(Timestamp::from_millis(181_000));
    let close: serde_json::Value = serde_json::from_str(&drain_texts(&mut m)[0]).unwrap();
    assert_eq!(close["topic"], "ecrhub.pay.close");
    let late = serde_json::json!({"topic": "ecrhub.pay.order", "request_id": order["request_id"],
        "response_code": "000", "biz_data": {"merchant_order_no": number, "trans_status": "2"}});
    m.handle_input(
        Timestamp::from_millis(181_100),
        Input::Text(late.to_string()),
    );
    let reply = |req: &serde_json::Value, code: &str| {
        serde_json::json!({"topic": req["topic"], "request_id": req["request_id"],
            "response_code": code, "biz_data": {"merchant_order_no": number}})
        .to_string()
    };
    m.handle_input(
        Timestamp::from_millis(181_200),
        Input::Text(reply(&close, "104")),
    );
    let query: serde_json::Value = serde_json::from_str(&drain_texts(&mut m)[0]).unwrap();
    assert_eq!(query["topic"], "ecrhub.pay.query");
    m.handle_input(
        Timestamp::from_millis(181_300),
        Input::Text(reply(&query, "104")),
    );
    let outcome = std::iter::from_fn(|| m.poll_event())
        .find_map(|e| match e {
            Event::Finished { txn: t, outcome } if t == txn => Some(outcome),
            _ => None,
        })
        .unwrap();
    let Outcome::Unknown(u) = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(u.reason, UnknownReason::ConflictingEvidence);
    assert_eq!(u.references.primary.as_deref(), Some(number.as_str()));
}

#[test]
fn busy_terminal_rejects_and_a_second_command_is_refused_locally() {
    let mut pair = pair();
    let txn = pair.start(sale(2000)).unwrap();
    assert_eq!(pair.start(sale(3000)), Err(CommandError::Busy));
    assert_eq!(pair.run_until_finished(txn).class(), OutcomeClass::Approved);
    pair.with_sim(|sim, _| sim.script(Behaviour::Busy));
    let txn = pair.start(sale(3000)).unwrap();
    let outcome = pair.run_until_finished(txn);
    assert!(
        matches!(&outcome, Outcome::Rejected(r) if r.reason == RejectReason::Busy),
        "{outcome:?}"
    );
    insta::assert_snapshot!(pair.transcript());
}

#[test]
fn pong_timeout_is_link_loss() {
    let mut pair = pair();
    pair.add_fault(FaultRule::new(Dir::ToPos, Matcher::contains("pong"), Fault::Drop).always());
    pair.run_for(Duration::from_secs(40));
    let lost = pair.events().iter().any(
        |(_, e)| matches!(e, Event::Notice(Notice::LinkLost { reason }) if reason.contains("pong")),
    );
    assert!(lost);
    assert!(pair.pos().is_connected(), "reconnected by itself");
}

#[test]
fn connection_refused_backs_off_and_reconnects() {
    let mut pair = pair();
    pair.refuse_connections(true);
    pair.disconnect();
    pair.run_for(Duration::from_secs(70));
    let connects = pair
        .transcript()
        .lines()
        .filter(|l| l.contains("pos→sim  connect"))
        .count();
    // 1 + reconnects at 1, 2, 4, 8, 16, 30 s after the loss (61 s): 7 in total.
    assert_eq!(connects, 7);
    pair.refuse_connections(false);
    pair.run_for(Duration::from_secs(31));
    assert!(pair.pos().is_connected());
}

#[test]
fn terminal_heartbeats_binary_replies_and_quirks_are_tolerated() {
    let faults = SimFaults {
        numbers_as_json: true,
        unknown_keys: true,
        heartbeat_every_ms: Some(2_000),
        binary_replies: true,
        ..SimFaults::default()
    };
    let sim = SimConfig {
        success_code: "0".into(),
        faults,
        ..SimConfig::default()
    };
    let mut pair = pair_with(config(), sim);
    let txn = pair.start(sale(2050)).unwrap();
    let outcome = pair.run_until_finished(txn);
    let Outcome::Approved(a) = &outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(a.amount, Some(usd(2050)));
    assert!(
        !pair
            .events()
            .iter()
            .any(|(_, e)| matches!(e, Event::Notice(Notice::Unsolicited { .. })))
    );
}

#[test]
fn responses_without_request_id_correlate_by_number() {
    let sim = SimConfig {
        faults: SimFaults {
            omit_request_id: true,
            empty_biz_on_cancel: true,
            ..SimFaults::default()
        },
        ..SimConfig::default()
    };
    let mut pair = pair_with(config(), sim);
    let txn = pair.start(sale(2000)).unwrap();
    assert_eq!(pair.run_until_finished(txn).class(), OutcomeClass::Approved);
    let txn = pair.start(sale(2052)).unwrap();
    // A cancellation with biz_data "" and no request_id cannot be matched: recovery finds it.
    assert_eq!(
        pair.run_until_finished(txn).class(),
        OutcomeClass::Cancelled
    );
}

#[test]
fn random_sim_faults_never_break_the_invariants() {
    for seed in 0..8 {
        let sim = SimConfig {
            faults: SimFaults {
                seed,
                drop_response: 200,
                duplicate_response: 200,
                disconnect_instead: 100,
                ..SimFaults::default()
            },
            ..SimConfig::default()
        };
        let mut pair = pair_with(config(), sim);
        for minor in [2000, 2051, 2052, 2054, 2060] {
            let txn = loop {
                match pair.start(sale(minor)) {
                    Ok(txn) => break txn,
                    Err(_) => pair.run_for(Duration::from_secs(1)),
                }
            };
            pair.run_until_finished(txn);
            assert!(pair.money_requests(txn) <= 1);
        }
    }
}

/// Found by fuzzing: a tip adjustment's frame is duplicated and the second reply is held back;
/// it arrives while the next tip adjustment of the same order is outstanding. Topic and order
/// number match that one, but its request_id names the completed first request, so it is that
/// request's late result — never the answer to the second (which the terminal had not
/// processed yet).
#[test]
fn a_stale_reply_with_an_old_request_id_is_not_taken_for_the_current_request() {
    let mut pair = pair();
    let (_, order) = approved_sale(&mut pair, 1000);
    let tip = |minor| Operation::TipAdjust {
        original: order.clone(),
        tip: usd(minor),
    };
    let adjust = Matcher::contains("ecrhub.pay.tip.adjustment");
    pair.add_fault(FaultRule::new(
        Dir::ToSim,
        Matcher::contains("ecrhub.pay.tip.adjustment"),
        Fault::Duplicate,
    ));
    pair.add_fault(FaultRule::new(
        Dir::ToPos,
        adjust,
        Fault::Delay(Duration::ZERO),
    ));
    pair.add_fault(FaultRule::new(
        Dir::ToPos,
        Matcher::contains("ecrhub.pay.tip.adjustment"),
        Fault::Delay(Duration::from_secs(3)),
    ));
    pair.add_fault(FaultRule::new(
        Dir::ToSim,
        Matcher::contains("ecrhub.pay.tip.adjustment"),
        Fault::Delay(Duration::from_secs(6)),
    ));
    let first = pair.start(tip(100)).unwrap();
    assert_eq!(
        pair.run_until_finished(first).class(),
        OutcomeClass::Approved
    );
    let second = pair.start(tip(200)).unwrap();
    let outcome = pair.run_until_finished(second);
    assert_eq!(outcome.class(), OutcomeClass::Approved, "{outcome:?}");
    let late = pair.events().iter().any(
        |(_, e)| matches!(e, Event::Notice(Notice::LateResult { txn: Some(t), .. }) if *t == first),
    );
    assert!(
        late,
        "the stale reply is reported as the first request's late result"
    );
}
