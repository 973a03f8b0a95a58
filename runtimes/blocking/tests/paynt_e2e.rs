//! Paynt end to end: the real machine against its simulator served over HTTPS on loopback,
//! pinned to the certificate the server generated at start.
#![allow(clippy::unwrap_used, missing_docs)]

use std::time::Duration;

use paynt_proto::sim::{PayntSim, SimConfig};
use paynt_proto::{Config, PayntMachine};
use pos_blocking::server::{SimServer, SimServerConfig};
use pos_blocking::{Clock, Driver, MemorySink};
use pos_core::*;

const TOKEN: &str = "5820337719046612";
const LIMIT: Duration = Duration::from_secs(40);

fn server() -> SimServer<PayntSim> {
    let clock = Clock::start();
    let sim = PayntSim::new(
        SimConfig {
            token: Some(TOKEN.into()),
            card_timeout: Duration::from_secs(600),
            ..SimConfig::default()
        },
        pos_blocking::os_ids().unwrap(),
        clock.wall(),
    );
    let config = SimServerConfig {
        tls: true,
        time_scale: 20,
        ..SimServerConfig::default()
    };
    SimServer::start(sim, config).unwrap()
}

fn driver(server: &SimServer<PayntSim>, pin: Fingerprint) -> Driver<PayntMachine> {
    let clock = Clock::start();
    let config = Config {
        host: server.local_addr().ip().to_string(),
        port: server.local_addr().port(),
        token: Some(Secret::new(TOKEN.into())),
        pinned_fingerprint: Some(pin),
        ..Config::default()
    };
    let machine = PayntMachine::new(config, pos_blocking::os_ids().unwrap(), clock.wall()).unwrap();
    Driver::new(machine, clock)
}

fn sale(minor: i64) -> Operation {
    Operation::Sale {
        amount: Money::from_minor(minor, Currency::EUR).unwrap(),
        tip: None,
        cashback: None,
        reference: None,
    }
}

fn run(d: &mut Driver<PayntMachine>, minor: i64) -> Outcome {
    let txn = d.start(sale(minor)).unwrap();
    d.finish_within(txn, LIMIT, |e| match e {
        Event::Question { .. } => Some(Answer::Signature { accepted: true }),
        _ => None,
    })
    .unwrap()
}

#[test]
fn every_shared_scenario_ends_as_the_table_says() {
    let threads: Vec<_> = Scenario::SHARED
        .into_iter()
        .map(|scenario| {
            std::thread::spawn(move || {
                let sim = server();
                let mut d = driver(&sim, sim.fingerprint().unwrap());
                let minor = i64::from(scenario.cents()) + 1200;
                let outcome = run(&mut d, minor);
                let expected = scenario.expected().unwrap();
                assert_eq!(outcome.class(), expected, "{scenario}: {outcome:?}");
                if expected == OutcomeClass::Approved {
                    assert_eq!(sim.truth(outcome.references()), Some(Truth::Approved));
                }
                let sent = sim.with_sim(|s, _| s.transactions().len());
                assert!(sent <= 1, "{scenario}: {sent} money requests");
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

#[test]
fn a_connection_killed_by_the_terminal_mid_transaction_is_recovered() {
    let sim = server();
    let sink = MemorySink::new();
    let mut d = driver(&sim, sim.fingerprint().unwrap()).with_sink(sink.clone());
    let txn = d.start(sale(1000)).unwrap();
    // Let the POST through, then cut whatever is open (the polls) a few times.
    for _ in 0..3 {
        let _ = d.next_event_within(Duration::from_millis(300)).unwrap();
        sim.kill_connections();
    }
    let outcome = d.finish_within(txn, LIMIT, |_| None).unwrap();
    assert_eq!(outcome.class(), OutcomeClass::Approved, "{outcome:?}");
    assert_eq!(sim.with_sim(|s, _| s.transactions().len()), 1);
    assert!(!sink.records().is_empty(), "journalled before sending");
}

#[test]
fn a_pinned_fingerprint_mismatch_is_rejected_before_sending() {
    let sim = server();
    let mut d = driver(&sim, Fingerprint([9; 32]));
    let outcome = run(&mut d, 1000);
    let Outcome::Rejected(r) = &outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(r.reason, RejectReason::Unavailable);
    assert_eq!(sim.with_sim(|s, _| s.transactions().len()), 0);
}
