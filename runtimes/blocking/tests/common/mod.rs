//! Shared end-to-end helpers: each vendor's simulator served on loopback and its machine on a
//! [`Driver`], both on clocks running [`SPEED`] times real time, so that the slow customer
//! (60 s), CodePay's result deadline (180 s) and InterPay's callback deadline (300 s) take
//! seconds.
#![allow(
    dead_code,
    unreachable_pub,
    missing_docs,
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used
)]

pub mod codepay;
pub mod connect;
pub mod interpay;
pub mod paynt;

use std::time::Duration;

use pos_blocking::server::{SimServer, SimServerConfig};
use pos_blocking::{Clock, Driver, DriverError};
use pos_core::{
    Answer, Currency, Event, Machine, Money, Operation, Outcome, OutcomeClass, Scenario, Simulator,
    Truth, TxnId,
};

/// How many times faster than real time the driver's and the servers' clocks run.
pub const SPEED: u32 = 20;

/// A clock for a driver, at the servers' speed.
pub fn clock() -> Clock {
    Clock::start_scaled(SPEED)
}

/// A server configuration at [`SPEED`].
pub fn serving(tls: bool) -> SimServerConfig {
    SimServerConfig {
        tls,
        time_scale: SPEED,
        ..SimServerConfig::default()
    }
}

/// Converts a real-time test deadline into the driver's machine time.
pub fn real(secs: u64) -> Duration {
    Duration::from_secs(secs) * SPEED
}

/// A sale of `minor` units.
pub fn sale(minor: i64, currency: Currency) -> Operation {
    Operation::Sale {
        amount: Money::from_minor(minor, currency).unwrap(),
        tip: None,
        cashback: None,
        reference: None,
    }
}

/// The amount of a shared scenario: 12 and the scenario's cents.
pub fn minor_of(scenario: Scenario) -> i64 {
    1200 + i64::from(scenario.cents())
}

/// Waits for `txn` for at most `real_secs` of real time, accepting every signature.
pub fn finish<M: Machine>(driver: &mut Driver<M>, txn: TxnId, real_secs: u64) -> Outcome {
    driver
        .finish_within(txn, real(real_secs), |event| match event {
            Event::Question { .. } => Some(Answer::Signature { accepted: true }),
            _ => None,
        })
        .unwrap_or_else(|e: DriverError| panic!("{txn}: {e}"))
}

/// Starts and finishes one sale.
pub fn run<M: Machine>(driver: &mut Driver<M>, op: Operation, real_secs: u64) -> Outcome {
    let txn = driver.start(op).unwrap();
    finish(driver, txn, real_secs)
}

/// Checks an outcome against the scenario table and against what the simulator knows.
pub fn check<S: Simulator + Send + 'static>(
    what: &str,
    scenario: Scenario,
    outcome: &Outcome,
    server: &SimServer<S>,
) {
    let expected = scenario.expected().unwrap();
    assert_eq!(outcome.class(), expected, "{what} {scenario}: {outcome:?}");
    agrees_with_truth(what, outcome, server);
}

/// Checks that an outcome never contradicts the simulator's store.
pub fn agrees_with_truth<S: Simulator + Send + 'static>(
    what: &str,
    outcome: &Outcome,
    server: &SimServer<S>,
) {
    let truth = server.truth(outcome.references());
    let consistent = match outcome.class() {
        OutcomeClass::Approved => truth == Some(Truth::Approved),
        OutcomeClass::Declined => truth == Some(Truth::Declined),
        OutcomeClass::Cancelled => truth == Some(Truth::Cancelled),
        OutcomeClass::Rejected => matches!(truth, None | Some(Truth::NotProcessed)),
        _ => truth != Some(Truth::Approved),
    };
    assert!(
        consistent,
        "{what}: {outcome:?} but the simulator says {truth:?}"
    );
}

/// Runs `f` for each scenario on its own thread and joins them all.
pub fn each(list: &[Scenario], f: fn(Scenario)) {
    let threads: Vec<_> = list
        .iter()
        .copied()
        .map(|s| std::thread::spawn(move || f(s)))
        .collect();
    let mut failed = Vec::new();
    for (s, t) in list.iter().zip(threads) {
        if t.join().is_err() {
            failed.push(*s);
        }
    }
    assert!(failed.is_empty(), "failed: {failed:?}");
}
