//! Many terminals at once: 200 concurrent transactions — 50 per vendor, every shared
//! scenario in turn — driven by 200 drivers on ONE smol executor thread, their transports
//! included, across the four simulators (50 Paynt terminals over HTTPS, 50 CodePay terminals
//! over WebSocket, one InterPay gateway with 50 lanes calling back one shared listener, one
//! Connect cloud with 50 terminals).
#![allow(
    missing_docs,
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

mod common;

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::thread::{self, ThreadId};

use pos_core::Scenario;
use pos_smol::Spawner;
use smol::Task;
use smol::future::FutureExt as _;

/// Transactions per vendor.
const EACH: usize = 50;
/// Real seconds each transaction may take, under the load of all the others.
const LIMIT: u64 = 90;
/// Half the other suites' speed: 200 TLS handshakes and polls on one thread of a debug build
/// are slow, and every real second of queueing is `SPEED` seconds of protocol time.
const SPEED: u32 = 10;

fn scenario(n: usize) -> Scenario {
    Scenario::SHARED[n % Scenario::SHARED.len()]
}

/// One labelled transaction: where it ran and whether its checks passed.
type Run = Task<(String, ThreadId, bool)>;

fn launch(
    spawner: &Spawner,
    label: String,
    body: impl Future<Output = ()> + Send + 'static,
) -> Run {
    spawner.spawn(async move {
        let ok = AssertUnwindSafe(body).catch_unwind().await.is_ok();
        (label, thread::current().id(), ok)
    })
}

#[test]
fn two_hundred_concurrent_transactions_on_one_executor_thread_end_as_expected() {
    common::set_speed(SPEED);
    let test_thread = thread::current().id();
    let results = common::on_one_thread(|spawner| async move {
        let mut runs: Vec<Run> = Vec::new();

        for n in 0..EACH {
            let s = scenario(n);
            let spawner2 = spawner.clone();
            runs.push(launch(&spawner, format!("paynt {n} {s}"), async move {
                use common::paynt::{driver, money_requests, sale, server};
                let sim = server();
                let mut d = driver(&sim, sim.fingerprint().unwrap(), spawner2);
                let outcome = common::run(&mut d, sale(common::minor_of(s)), LIMIT).await;
                common::check("paynt", s, &outcome, &sim);
                assert!(money_requests(&sim) <= 1);
            }));
        }

        for n in 0..EACH {
            let s = scenario(n);
            let spawner2 = spawner.clone();
            runs.push(launch(&spawner, format!("codepay {n} {s}"), async move {
                use common::codepay::{connected, driver, sale, server};
                let sim = server();
                let mut d = driver(&sim, spawner2);
                connected(&mut d).await;
                let outcome = common::run(&mut d, sale(common::minor_of(s)), LIMIT).await;
                common::check("codepay", s, &outcome, &sim);
            }));
        }

        let gateway = Arc::new(common::interpay::server(EACH));
        let listener = Arc::new(common::interpay::listener(&spawner).await);
        for n in 0..EACH {
            let s = scenario(n);
            let (gateway, listener) = (gateway.clone(), listener.clone());
            let mut d = common::interpay::driver(
                &gateway,
                &listener,
                &format!("till-{n}"),
                &format!("LANE-{n}"),
                spawner.clone(),
            );
            runs.push(launch(&spawner, format!("interpay {n} {s}"), async move {
                let op = common::interpay::sale(common::minor_of(s));
                let outcome = common::run(&mut d, op, LIMIT).await;
                common::check("interpay", s, &outcome, &gateway);
                drop(listener);
            }));
        }

        let cloud = Arc::new(common::connect::server(EACH));
        for n in 0..EACH {
            let s = scenario(n);
            let cloud = cloud.clone();
            let mut d = common::connect::driver(&cloud, &common::connect::tid(n), spawner.clone());
            runs.push(launch(&spawner, format!("connect {n} {s}"), async move {
                let op = common::connect::sale(common::minor_of(s));
                let outcome = common::run(&mut d, op, LIMIT).await;
                common::check("connect", s, &outcome, &cloud);
            }));
        }

        let mut results = Vec::new();
        for run in runs {
            results.push(run.await);
        }
        results
    });
    assert_eq!(results.len(), 4 * EACH);
    let failed: Vec<&str> = results
        .iter()
        .filter(|(_, _, ok)| !ok)
        .map(|(label, _, _)| label.as_str())
        .collect();
    assert!(failed.is_empty(), "failed: {failed:?}");
    assert!(
        results.iter().all(|(_, thread, _)| *thread == test_thread),
        "every driver ran on the test's one executor thread"
    );
}
