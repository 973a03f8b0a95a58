//! Many terminals at once: 50 concurrent transactions, each on its own driver thread, across
//! the four vendor simulators — CodePay terminals over WebSocket and Paynt terminals over
//! HTTPS (one simulated device each, as on a shop's LAN), one InterPay gateway with a lane per
//! till delivering callbacks to one shared listener, and one Connect cloud with a terminal
//! per till. Every shared scenario is played by every vendor; each outcome is checked against
//! the scenario table and against the simulator's own record.
#![allow(missing_docs, clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::thread;

use common::{codepay, connect, interpay, paynt};
use pos_core::{Outcome, Scenario};

const TRANSACTIONS: usize = 50;
/// Real seconds each transaction may take (the lost-result recoveries need ~15 s).
const LIMIT: u64 = 60;

#[derive(Clone, Copy, Debug)]
enum Vendor {
    Codepay,
    Paynt,
    Interpay,
    Connect,
}

const VENDORS: [Vendor; 4] = [
    Vendor::Codepay,
    Vendor::Paynt,
    Vendor::Interpay,
    Vendor::Connect,
];

#[test]
fn fifty_concurrent_transactions_across_the_four_vendors_end_as_expected() {
    let lanes = TRANSACTIONS / VENDORS.len() + 1;
    let gateway = Arc::new(interpay::server(lanes));
    let listener = Arc::new(interpay::listener());
    let cloud = Arc::new(connect::server(lanes));
    let mut threads = Vec::new();
    for n in 0..TRANSACTIONS {
        let vendor = VENDORS[n % VENDORS.len()];
        let scenario = Scenario::SHARED[(n / VENDORS.len()) % Scenario::SHARED.len()];
        let minor = common::minor_of(scenario);
        let (gateway, listener, cloud) = (gateway.clone(), listener.clone(), cloud.clone());
        let lane = n / VENDORS.len();
        threads.push(thread::spawn(move || -> (Vendor, Scenario, Outcome) {
            let outcome = match vendor {
                Vendor::Codepay => {
                    let sim = codepay::server();
                    let mut d = codepay::driver(&sim);
                    codepay::connected(&mut d);
                    let outcome = common::run(&mut d, codepay::sale(minor), LIMIT);
                    common::check("codepay", scenario, &outcome, &sim);
                    outcome
                }
                Vendor::Paynt => {
                    let sim = paynt::server();
                    let mut d = paynt::driver(&sim, sim.fingerprint().unwrap());
                    let outcome = common::run(&mut d, paynt::sale(minor), LIMIT);
                    common::check("paynt", scenario, &outcome, &sim);
                    assert!(paynt::money_requests(&sim) <= 1);
                    outcome
                }
                Vendor::Interpay => {
                    let till = format!("till-{n}");
                    let device = format!("LANE-{lane}");
                    let mut d = interpay::driver(&gateway, &listener, &till, &device);
                    let outcome = common::run(&mut d, interpay::sale(minor), LIMIT);
                    common::check("interpay", scenario, &outcome, &gateway);
                    outcome
                }
                Vendor::Connect => {
                    let mut d = connect::driver(&cloud, &connect::tid(lane));
                    let outcome = common::run(&mut d, connect::sale(minor), LIMIT);
                    common::check("connect", scenario, &outcome, &cloud);
                    outcome
                }
            };
            (vendor, scenario, outcome)
        }));
    }
    let mut failed = Vec::new();
    let mut done = 0;
    for (n, t) in threads.into_iter().enumerate() {
        match t.join() {
            Ok((vendor, scenario, outcome)) => {
                assert_eq!(outcome.class(), scenario.expected().unwrap(), "{vendor:?}");
                done += 1;
            }
            Err(_) => failed.push(n),
        }
    }
    assert!(failed.is_empty(), "transactions that failed: {failed:?}");
    assert_eq!(done, TRANSACTIONS);
    // Every Connect sale reached the cloud exactly once, on its own terminal, except the busy
    // one (refused with 422 before a transaction exists).
    let connect_sales = (0..TRANSACTIONS)
        .filter(|n| matches!(VENDORS[n % VENDORS.len()], Vendor::Connect))
        .filter(|n| {
            Scenario::SHARED[(n / VENDORS.len()) % Scenario::SHARED.len()] != Scenario::Busy
        })
        .count();
    assert_eq!(connect::money_requests(&cloud), connect_sales);
}
