//! Paynt end to end: the real machine against its simulator served over HTTPS on loopback,
//! pinned to the public key of the certificate the server generated at start.
#![allow(missing_docs, clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::paynt::{driver, money_requests, sale, server};
use pos_blocking::{DriverError, FailingSink, MemorySink};
use pos_core::{Fingerprint, Outcome, OutcomeClass, RejectReason, Scenario};

/// Real seconds each transaction may take.
const LIMIT: u64 = 30;

fn scenario(s: Scenario) {
    let sim = server();
    let mut d = driver(&sim, sim.fingerprint().unwrap());
    let outcome = common::run(&mut d, sale(common::minor_of(s)), LIMIT);
    common::check("paynt", s, &outcome, &sim);
    let sent = money_requests(&sim);
    assert!(sent <= 1, "{s}: {sent} money requests");
}

#[test]
fn every_shared_scenario_ends_as_the_table_says() {
    common::each(&Scenario::SHARED, scenario);
}

#[test]
fn a_connection_killed_by_the_terminal_mid_transaction_is_recovered() {
    let sim = server();
    let sink = MemorySink::new();
    let mut d = driver(&sim, sim.fingerprint().unwrap()).with_sink(sink.clone());
    let txn = d.start(sale(1000)).unwrap();
    // Let the POST through, then cut whatever is open (the polls) a few times.
    for _ in 0..3 {
        let _ = d.next_event_within(Duration::from_secs(6)).unwrap();
        sim.kill_connections();
    }
    let outcome = common::finish(&mut d, txn, LIMIT);
    assert_eq!(outcome.class(), OutcomeClass::Approved, "{outcome:?}");
    common::agrees_with_truth("paynt", &outcome, &sim);
    assert_eq!(money_requests(&sim), 1);
    assert!(!sink.records().is_empty(), "journalled before sending");
}

#[test]
fn a_pinned_fingerprint_mismatch_is_rejected_before_sending() {
    let sim = server();
    let mut d = driver(&sim, Fingerprint([9; 32]));
    let outcome = common::run(&mut d, sale(1000), LIMIT);
    let Outcome::Rejected(r) = &outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(r.reason, RejectReason::Unavailable);
    assert_eq!(money_requests(&sim), 0);
}

#[test]
fn a_failing_journal_sends_no_sale() {
    let sim = server();
    let mut d = driver(&sim, sim.fingerprint().unwrap()).with_sink(FailingSink);
    let err = d.start(sale(1000)).unwrap_err();
    assert!(matches!(err, DriverError::Persist { .. }), "{err}");
    // The driver keeps refusing to go on while the journal fails.
    assert!(matches!(
        d.next_event_within(common::real(1)),
        Err(DriverError::Persist { .. })
    ));
    assert!(matches!(
        d.retry_persist(),
        Err(DriverError::Persist { .. })
    ));
    // Give a wrongly sent request every chance to arrive.
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(money_requests(&sim), 0);
}
