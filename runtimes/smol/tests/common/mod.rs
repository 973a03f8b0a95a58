//! Shared end-to-end helpers: the executor-neutral fixtures of the blocking runtime's tests
//! (`runtimes/blocking/tests/fixtures/`: servers, configurations, checks) and, here, the smol
//! [`Driver`] built and driven on them. Every test runs the POS side on ONE executor thread:
//! the drivers and all their transport tasks.
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

#[path = "../../../blocking/tests/fixtures/mod.rs"]
mod fixtures;

#[allow(
    unused_imports,
    reason = "each test binary uses its own share of the fixtures"
)]
pub use fixtures::{
    SPEED, agrees_with_truth, check, clock, minor_of, real, sale, serving, set_speed, speed,
};

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use pos_core::{Answer, Event, Machine, Operation, Outcome, Scenario, TxnId};
use pos_smol::{Driver, DriverError, Spawner};
use smol::Executor;
use smol::future::FutureExt as _;

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
