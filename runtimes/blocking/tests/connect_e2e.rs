//! Connect end to end: the real machine against its cloud simulator over HTTP on loopback,
//! with Basic auth on every request, polling at [`common::SPEED`] times real time.
#![allow(missing_docs, clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::connect::{TID, driver, money_requests, sale, server};
use pos_core::{OutcomeClass, Scenario};

/// Real seconds each transaction may take.
const LIMIT: u64 = 30;

fn scenario(s: Scenario) {
    let sim = server(0);
    let mut d = driver(&sim, TID);
    let outcome = common::run(&mut d, sale(common::minor_of(s)), LIMIT);
    common::check("connect", s, &outcome, &sim);
    let sent = money_requests(&sim);
    assert!(sent <= 1, "{s}: {sent} money requests");
}

#[test]
fn every_shared_scenario_ends_as_the_table_says() {
    common::each(&Scenario::SHARED, scenario);
}

#[test]
fn a_poll_killed_by_the_cloud_mid_transaction_is_recovered() {
    let sim = server(0);
    let mut d = driver(&sim, TID);
    // The poll that carries PIN entry dies with its TCP connection; the machine polls again.
    sim.kill_on("PIN_ENTRY");
    let outcome = common::run(&mut d, sale(1000), LIMIT);
    assert_eq!(outcome.class(), OutcomeClass::Approved, "{outcome:?}");
    common::agrees_with_truth("connect", &outcome, &sim);
    assert_eq!(sim.pending_kills(), 0, "the connection was killed");
    assert_eq!(money_requests(&sim), 1);
}

#[test]
fn a_wrong_api_key_is_rejected_without_a_transaction() {
    let sim = server(0);
    let clock = common::clock();
    let config = connect_proto::Config {
        host: connect_proto::Host::Custom {
            scheme: "http".into(),
            authority: sim.local_addr().to_string(),
            allow_http: true,
        },
        api_key: "not-the-key".into(),
        ..connect_proto::Config::default()
    };
    let machine =
        connect_proto::ConnectMachine::new(config, pos_blocking::os_ids().unwrap(), clock.wall())
            .unwrap();
    let mut d = pos_blocking::Driver::new(machine, clock);
    let outcome = common::run(&mut d, sale(1000), LIMIT);
    assert_eq!(outcome.class(), OutcomeClass::Rejected, "{outcome:?}");
    assert_eq!(money_requests(&sim), 0);
}

#[test]
fn a_cancel_from_another_thread_reaches_the_terminal_while_the_driver_waits() {
    let sim = server(0);
    let mut d = driver(&sim, TID);
    // The slow customer leaves a minute before the card: room for the clerk's cancel.
    let txn = d
        .start(sale(common::minor_of(Scenario::SlowCustomer)))
        .unwrap();
    let handle = d.handle();
    let clerk = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(300));
        handle.cancel(txn, std::time::Duration::from_secs(5))
    });
    let outcome = common::finish(&mut d, txn, LIMIT);
    clerk.join().unwrap().unwrap();
    assert_eq!(outcome.class(), OutcomeClass::Cancelled, "{outcome:?}");
    common::agrees_with_truth("connect", &outcome, &sim);
}
