//! Shared end-to-end helpers: the executor-neutral fixtures (`tests/fixtures/`: servers,
//! configurations, checks) and, here, the blocking [`Driver`] built and driven on them.
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

#[path = "../fixtures/mod.rs"]
mod fixtures;

#[allow(
    unused_imports,
    reason = "each test binary uses its own share of the fixtures"
)]
pub use fixtures::{
    SPEED, agrees_with_truth, check, clock, minor_of, real, sale, serving, set_speed, speed,
};

use pos_blocking::{Driver, DriverError};
use pos_core::{Answer, Event, Machine, Operation, Outcome, Scenario, TxnId};

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
