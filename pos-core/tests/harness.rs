//! The pair harness, exercised with a toy protocol: every fault kind, crash and resume,
//! the invariants catching deliberately buggy machines, and a transcript snapshot.
#![allow(clippy::unwrap_used, clippy::panic)]

mod toy;

use std::time::Duration;

use pos_core::Operation;
use pos_core::testing::{Dir, Fault, FaultRule, Matcher, Pair, PairConfig, RandomFaults};
use pos_core::{CommandError, Event, Notice, Outcome, OutcomeClass};
use proptest::prelude::*;
use toy::http::{HttpToy, HttpToySim};
use toy::{Bug, ToyMachine, ToySim, sale};

fn pair() -> Pair<ToyMachine, ToySim> {
    pair_with_bug(Bug::None)
}

fn pair_with_bug(bug: Bug) -> Pair<ToyMachine, ToySim> {
    Pair::new(
        ToyMachine::new(7, bug),
        ToySim::new(),
        PairConfig::default(),
    )
    .with_factory(move |seed| ToyMachine::new(seed, bug))
}

fn finished_count(pair: &Pair<ToyMachine, ToySim>) -> usize {
    pair.events()
        .iter()
        .filter(|(_, e)| matches!(e, Event::Finished { .. }))
        .count()
}

#[test]
fn approve_transcript_snapshot() {
    let mut pair = pair();
    pair.run_for(Duration::from_millis(10));
    let txn = pair.start(sale(1250)).unwrap();
    let outcome = pair.run_until_finished(txn);
    assert_eq!(outcome.class(), OutcomeClass::Approved);
    assert_eq!(pair.money_requests(txn), 1);
    insta::assert_snapshot!(pair.transcript());
}

#[test]
fn decline_ends_declined() {
    let mut pair = pair();
    pair.run_for(Duration::from_millis(10));
    let txn = pair.start(sale(1251)).unwrap();
    assert_eq!(pair.run_until_finished(txn).class(), OutcomeClass::Declined);
}

#[test]
fn refused_command_changes_nothing() {
    let mut pair = pair();
    // Not connected yet: the connect result has not arrived.
    assert_eq!(pair.start(sale(100)), Err(CommandError::NotConnected));
    pair.run_for(Duration::from_millis(10));
    let txn = pair.start(sale(100)).unwrap();
    assert_eq!(pair.start(sale(100)), Err(CommandError::Busy));
    assert_eq!(pair.run_until_finished(txn).class(), OutcomeClass::Approved);
    assert_eq!(pair.records().len(), 1);
}

#[test]
fn dropped_result_is_recovered_by_query() {
    let mut pair = pair();
    pair.run_for(Duration::from_millis(10));
    pair.add_fault(FaultRule::new(
        Dir::ToPos,
        Matcher::contains("RESULT"),
        Fault::Drop,
    ));
    let txn = pair.start(sale(1000)).unwrap();
    assert_eq!(pair.run_until_finished(txn).class(), OutcomeClass::Approved);
    assert!(pair.transcript().contains("fault    Drop"));
    assert!(pair.transcript().contains("QUERY"));
    assert_eq!(pair.money_requests(txn), 1);
}

#[test]
fn delayed_result_arrives_late_and_counts_once() {
    let mut pair = pair();
    pair.run_for(Duration::from_millis(10));
    pair.add_fault(FaultRule::new(
        Dir::ToPos,
        Matcher::contains("RESULT"),
        Fault::Delay(Duration::from_secs(40)),
    ));
    let txn = pair.start(sale(1000)).unwrap();
    assert_eq!(pair.run_until_finished(txn).class(), OutcomeClass::Approved);
    pair.run_for(Duration::from_secs(60));
    assert_eq!(finished_count(&pair), 1);
    assert!(
        pair.events()
            .iter()
            .any(|(_, e)| matches!(e, Event::Notice(Notice::LateResult { .. })))
    );
}

#[test]
fn duplicated_result_finishes_once() {
    let mut pair = pair();
    pair.run_for(Duration::from_millis(10));
    pair.add_fault(FaultRule::new(
        Dir::ToPos,
        Matcher::contains("RESULT"),
        Fault::Duplicate,
    ));
    let txn = pair.start(sale(1000)).unwrap();
    assert_eq!(pair.run_until_finished(txn).class(), OutcomeClass::Approved);
    pair.run_for(Duration::from_secs(1));
    assert_eq!(finished_count(&pair), 1);
}

#[test]
fn reorder_on_a_websocket_keeps_the_streams_order() {
    let mut pair = pair();
    pair.run_for(Duration::from_millis(10));
    pair.add_fault(FaultRule::new(
        Dir::ToPos,
        Matcher::contains("PROGRESS"),
        Fault::Reorder,
    ));
    let txn = pair.start(sale(1000)).unwrap();
    assert_eq!(pair.run_until_finished(txn).class(), OutcomeClass::Approved);
    let kinds: Vec<&str> = pair
        .events()
        .iter()
        .filter_map(|(_, e)| match e {
            Event::Progress { .. } => Some("progress"),
            Event::Finished { .. } => Some("finished"),
            _ => None,
        })
        .collect();
    assert_eq!(kinds, ["progress", "finished"], "TCP order is kept");
    let progress_at = pair
        .events()
        .iter()
        .find(|(_, e)| matches!(e, Event::Progress { .. }))
        .unwrap()
        .0;
    assert!(progress_at.as_millis() >= 1000, "held back: {progress_at}");
}

fn http_pair() -> Pair<HttpToy, HttpToySim> {
    Pair::new(
        HttpToy::new(3),
        HttpToySim::default(),
        PairConfig::default(),
    )
}

fn lookup() -> Operation {
    Operation::Lookup {
        original: "x".into(),
    }
}

fn arrival_order(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Approved(a) => a.message.clone().unwrap(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn http_responses_arrive_in_order_without_faults() {
    let mut pair = http_pair();
    let txn = pair.start(lookup()).unwrap();
    assert_eq!(arrival_order(&pair.run_until_finished(txn)), "item1,item2");
}

#[test]
fn reorder_lets_a_later_http_response_overtake() {
    let mut pair = http_pair();
    pair.add_fault(FaultRule::new(
        Dir::ToPos,
        Matcher::contains("item1"),
        Fault::Reorder,
    ));
    let txn = pair.start(lookup()).unwrap();
    assert_eq!(arrival_order(&pair.run_until_finished(txn)), "item2,item1");
}

#[test]
fn a_dropped_http_request_times_out() {
    let mut pair = http_pair();
    pair.add_fault(FaultRule::new(
        Dir::ToSim,
        Matcher::contains("/item/1"),
        Fault::Drop,
    ));
    let txn = pair.start(lookup()).unwrap();
    assert_eq!(
        arrival_order(&pair.run_until_finished(txn)),
        "item2,failed:timed out"
    );
    assert_eq!(pair.now().as_millis(), 10_000);
}

#[test]
fn a_disconnect_after_the_request_is_an_io_error() {
    let mut pair = http_pair();
    pair.add_fault(FaultRule::new(
        Dir::ToSim,
        Matcher::contains("/item/2"),
        Fault::Disconnect,
    ));
    let txn = pair.start(lookup()).unwrap();
    assert_eq!(
        arrival_order(&pair.run_until_finished(txn)),
        "item1,failed:I/O error: connection reset"
    );
}

#[test]
fn a_refused_http_request_is_a_connect_error() {
    let mut pair = http_pair();
    pair.refuse_connections(true);
    let txn = pair.start(lookup()).unwrap();
    let order = arrival_order(&pair.run_until_finished(txn));
    assert!(order.starts_with("failed:could not connect"), "{order}");
}

#[test]
fn disconnect_mid_flow_recovers() {
    let mut pair = pair();
    pair.run_for(Duration::from_millis(10));
    pair.add_fault(FaultRule::new(
        Dir::ToPos,
        Matcher::contains("RESULT"),
        Fault::Disconnect,
    ));
    let txn = pair.start(sale(1000)).unwrap();
    assert_eq!(pair.run_until_finished(txn).class(), OutcomeClass::Approved);
    assert!(
        pair.events()
            .iter()
            .any(|(_, e)| matches!(e, Event::Notice(Notice::LinkLost { .. })))
    );
    assert_eq!(pair.money_requests(txn), 1);
}

#[test]
fn network_disconnect_then_reconnect() {
    let mut pair = pair();
    pair.run_for(Duration::from_millis(10));
    let txn = pair.start(sale(1000)).unwrap();
    pair.run_for(Duration::from_millis(500));
    pair.disconnect();
    assert_eq!(pair.run_until_finished(txn).class(), OutcomeClass::Approved);
    assert!(pair.transcript().contains("connection dropped"));
}

#[test]
fn crash_after_persist_before_send_resumes_without_charging() {
    let mut pair = pair();
    pair.run_for(Duration::from_millis(10));
    pair.crash_after_next_persist();
    let txn = pair.start(sale(1000)).unwrap();
    let outcome = pair.run_until_finished(txn);
    assert_eq!(pair.crashes(), 1);
    assert_eq!(pair.money_requests(txn), 0, "the request was never sent");
    assert!(matches!(outcome, Outcome::Rejected(_)), "{outcome:?}");
}

#[test]
fn crash_after_send_resumes_to_the_true_outcome() {
    let mut pair = pair();
    pair.run_for(Duration::from_millis(10));
    pair.add_fault(FaultRule::new(
        Dir::ToSim,
        Matcher::contains("PAY"),
        Fault::CrashPosAfterSend,
    ));
    let txn = pair.start(sale(1000)).unwrap();
    assert_eq!(pair.run_until_finished(txn).class(), OutcomeClass::Approved);
    assert_eq!(pair.crashes(), 1);
    assert_eq!(pair.money_requests(txn), 1);
}

#[test]
fn crash_while_the_customer_pays() {
    let mut pair = pair();
    pair.run_for(Duration::from_millis(10));
    let txn = pair.start(sale(1051)).unwrap();
    pair.run_for(Duration::from_millis(500));
    pair.crash_and_resume();
    assert_eq!(pair.run_until_finished(txn).class(), OutcomeClass::Declined);
}

#[test]
fn crash_when_the_result_arrives() {
    let mut pair = pair();
    pair.run_for(Duration::from_millis(10));
    pair.add_fault(FaultRule::new(
        Dir::ToPos,
        Matcher::contains("RESULT"),
        Fault::CrashPos,
    ));
    let txn = pair.start(sale(1000)).unwrap();
    assert_eq!(pair.run_until_finished(txn).class(), OutcomeClass::Approved);
    assert_eq!(pair.crashes(), 1);
    assert_eq!(pair.money_requests(txn), 1);
}

#[test]
fn refused_connections_are_retried() {
    let mut pair = pair_with_bug(Bug::None);
    pair.run_for(Duration::from_millis(10));
    pair.refuse_connections(true);
    pair.disconnect();
    pair.run_for(Duration::from_secs(3));
    assert!(pair.transcript().contains("connect failed"));
    pair.refuse_connections(false);
    pair.run_for(Duration::from_secs(2));
    let txn = pair.start(sale(1000)).unwrap();
    assert_eq!(pair.run_until_finished(txn).class(), OutcomeClass::Approved);
}

#[test]
fn gives_up_with_unknown_when_the_terminal_is_silent() {
    let mut pair = pair();
    pair.run_for(Duration::from_millis(10));
    pair.add_fault(FaultRule::new(Dir::ToPos, Matcher::any(), Fault::Drop).always());
    let txn = pair.start(sale(1000)).unwrap();
    let outcome = pair.run_until_finished(txn);
    assert_eq!(outcome.class(), OutcomeClass::Unknown);
    assert_eq!(
        outcome.references().primary.as_deref().map(str::len),
        Some(8)
    );
}

#[test]
#[should_panic(expected = "a second money request")]
fn harness_catches_a_replayed_money_request() {
    let mut pair = pair_with_bug(Bug::ReplayPay);
    pair.run_for(Duration::from_millis(10));
    pair.add_fault(FaultRule::new(
        Dir::ToPos,
        Matcher::contains("RESULT"),
        Fault::Drop,
    ));
    let txn = pair.start(sale(1000)).unwrap();
    pair.run_until_finished(txn);
}

#[test]
#[should_panic(expected = "money request sent before its persist record")]
fn harness_catches_money_before_persist() {
    let mut pair = pair_with_bug(Bug::NoPersist);
    pair.run_for(Duration::from_millis(10));
    let txn = pair.start(sale(1000)).unwrap();
    pair.run_until_finished(txn);
}

#[test]
#[should_panic(expected = "reported declined but the simulator says Some(Approved)")]
fn harness_catches_unknown_reported_as_declined() {
    let mut pair = pair_with_bug(Bug::DeclineOnGiveUp);
    pair.run_for(Duration::from_millis(10));
    pair.add_fault(FaultRule::new(Dir::ToPos, Matcher::any(), Fault::Drop).always());
    let txn = pair.start(sale(1000)).unwrap();
    pair.run_until_finished(txn);
}

#[test]
#[should_panic(expected = "hung")]
fn harness_catches_a_hang() {
    let mut pair = Pair::new(
        ToyMachine::new(1, Bug::None),
        ToySim::new(),
        PairConfig {
            max_wait: Duration::from_secs(10),
            ..PairConfig::default()
        },
    );
    pair.run_for(Duration::from_millis(10));
    pair.with_sim(|sim, _| sim.mute = true);
    let txn = pair.start(sale(1000)).unwrap();
    pair.run_until_finished(txn);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn random_faults_keep_the_invariants(seed in any::<u64>(), amounts in proptest::collection::vec(0i64..10_000, 1..6)) {
        let mut pair = pair();
        pair.set_random_faults(RandomFaults {
            seed,
            drop: 80,
            duplicate: 80,
            delay: 80,
            reorder: 80,
            disconnect: 40,
            max_delay: Duration::from_secs(40),
        });
        for amount in amounts {
            pair.run_for(Duration::from_secs(2));
            match pair.start(sale(amount)) {
                Ok(txn) => { pair.run_until_finished(txn); }
                Err(CommandError::NotConnected | CommandError::Busy) => {}
                Err(e) => prop_assert!(false, "unexpected refusal {e}"),
            }
        }
        pair.run_until_idle();
        pair.assert_all_finished();
    }
}

#[test]
fn an_unjournalled_lookup_is_lost_with_a_crash() {
    let mut pair = http_pair().with_factory(HttpToy::new);
    pair.add_fault(FaultRule::new(
        Dir::ToPos,
        Matcher::contains("item1"),
        Fault::CrashPos,
    ));
    let txn = pair.start(lookup()).unwrap();
    let outcome = pair.run_until_finished(txn);
    assert!(
        matches!(&outcome, Outcome::Rejected(r) if r.message.as_deref() == Some(pos_core::testing::LOST_IN_CRASH)),
        "{outcome:?}"
    );
    pair.assert_all_finished();
    assert!(pair.transcript().contains("is lost with the crash"));
}
