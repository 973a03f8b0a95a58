//! Shared end-to-end helpers: each vendor's simulator served on loopback by
//! `pos-blocking`'s servers and its machine on a smol [`Driver`], both on clocks running
//! [`SPEED`] times real time. Every test runs the POS side on ONE executor thread: the
//! drivers and all their transport tasks.
#![allow(
    dead_code,
    unreachable_pub,
    missing_docs,
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

pub mod codepay;
pub mod connect;
pub mod interpay;
pub mod paynt;

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use pos_blocking::server::{SimServer, SimServerConfig};
use pos_core::{
    Answer, Currency, Event, Machine, Money, Operation, Outcome, OutcomeClass, Scenario, Simulator,
    Truth, TxnId,
};
use pos_smol::{Clock, Driver, DriverError, Spawner};
use smol::Executor;
use smol::future::FutureExt as _;

/// How many times faster than real time the driver's and the servers' clocks run, unless a
/// test binary sets another speed with [`set_speed`].
pub const SPEED: u32 = 20;

static SPEED_NOW: AtomicU32 = AtomicU32::new(SPEED);

/// Sets the speed of every clock and server this test binary makes from now on.
pub fn set_speed(speed: u32) {
    SPEED_NOW.store(speed, Ordering::SeqCst);
}

/// The current speed.
pub fn speed() -> u32 {
    SPEED_NOW.load(Ordering::SeqCst)
}

/// A clock for a driver, at the servers' speed.
pub fn clock() -> Clock {
    Clock::start_scaled(speed())
}

/// A server configuration at [`SPEED`].
pub fn serving(tls: bool) -> SimServerConfig {
    SimServerConfig {
        tls,
        time_scale: speed(),
        ..SimServerConfig::default()
    }
}

/// Converts a real-time test deadline into the driver's machine time.
pub fn real(secs: u64) -> Duration {
    Duration::from_secs(secs) * speed()
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

/// Runs `body` on a fresh single-threaded executor, handing it a spawner for that executor.
pub fn on_one_thread<T, F>(body: impl FnOnce(Spawner) -> F) -> T
where
    F: Future<Output = T>,
{
    let ex = Arc::new(Executor::new());
    let spawner = Spawner::on(ex.clone());
    smol::block_on(ex.run(body(spawner)))
}

/// Waits for `txn` for at most `real_secs` of real time, accepting every signature.
pub async fn finish<M: Machine>(driver: &mut Driver<M>, txn: TxnId, real_secs: u64) -> Outcome {
    driver
        .finish_within(txn, real(real_secs), |event| match event {
            Event::Question { .. } => Some(Answer::Signature { accepted: true }),
            _ => None,
        })
        .await
        .unwrap_or_else(|e: DriverError| panic!("{txn}: {e}"))
}

/// Starts and finishes one sale.
pub async fn run<M: Machine>(driver: &mut Driver<M>, op: Operation, real_secs: u64) -> Outcome {
    let txn = driver.start(op).await.unwrap();
    finish(driver, txn, real_secs).await
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

/// Runs `f` for each scenario concurrently as tasks of one executor thread and reports every
/// scenario that failed.
pub fn each<F, Fut>(list: &[Scenario], f: F)
where
    F: Fn(Spawner, Scenario) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let failed = on_one_thread(|spawner| async move {
        let tasks: Vec<_> = list
            .iter()
            .map(|s| {
                let task = AssertUnwindSafe(f(spawner.clone(), *s)).catch_unwind();
                (*s, spawner.spawn(task))
            })
            .collect();
        let mut failed = Vec::new();
        for (s, task) in tasks {
            if task.await.is_err() {
                failed.push(s);
            }
        }
        failed
    });
    assert!(failed.is_empty(), "failed: {failed:?}");
}
