//! End to end on tokio: every shared scenario, all four vendors, each real machine driven by
//! the tokio driver against its simulator served on loopback sockets, on a scaled clock.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::*;
use pos_core::*;
use pos_tokio::Clock;

fn minor(scenario: Scenario) -> i64 {
    1200 + i64::from(scenario.cents())
}

fn check(vendor: &str, scenario: Scenario, outcome: &Outcome) {
    assert_eq!(
        outcome.class(),
        scenario.expected().unwrap(),
        "{vendor} {scenario}: {outcome:?}"
    );
}

#[tokio::test]
async fn paynt_every_shared_scenario() {
    let mut tasks = tokio::task::JoinSet::new();
    for scenario in Scenario::SHARED {
        tasks.spawn(async move {
            let server = paynt_server(SCALE);
            let clock = Clock::start_scaled(SCALE);
            let mut d = paynt_driver(&server, server.fingerprint().unwrap(), clock);
            let txn = d.start(sale(minor(scenario), Currency::EUR)).await.unwrap();
            let outcome = d
                .finish_within(txn, LIMIT, accept_signatures)
                .await
                .unwrap();
            check("paynt", scenario, &outcome);
            if outcome.class() == OutcomeClass::Approved {
                assert_eq!(server.truth(outcome.references()), Some(Truth::Approved));
            }
            let sent = server.with_sim(|s, _| s.transactions().len());
            assert!(sent <= 1, "{scenario}: {sent} money requests");
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
}

#[tokio::test]
async fn codepay_every_shared_scenario() {
    let mut tasks = tokio::task::JoinSet::new();
    for scenario in Scenario::SHARED {
        tasks.spawn(async move {
            let server = codepay_server(SCALE);
            let mut d = codepay_driver(&server, Clock::start_scaled(SCALE));
            codepay_connected(&mut d).await;
            let txn = d.start(sale(minor(scenario), Currency::USD)).await.unwrap();
            let outcome = d
                .finish_within(txn, LIMIT, accept_signatures)
                .await
                .unwrap();
            check("codepay", scenario, &outcome);
            if outcome.class() == OutcomeClass::Approved {
                assert_eq!(server.truth(outcome.references()), Some(Truth::Approved));
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
}

#[tokio::test]
async fn connect_every_shared_scenario() {
    let server = std::sync::Arc::new(connect_server(Scenario::SHARED.len(), SCALE));
    let mut tasks = tokio::task::JoinSet::new();
    for (n, scenario) in Scenario::SHARED.into_iter().enumerate() {
        let server = server.clone();
        tasks.spawn(async move {
            let mut d = connect_driver(&server, n, Clock::start_scaled(SCALE));
            let txn = d.start(sale(minor(scenario), Currency::GBP)).await.unwrap();
            let outcome = d
                .finish_within(txn, LIMIT, accept_signatures)
                .await
                .unwrap();
            check("connect", scenario, &outcome);
            if outcome.class() == OutcomeClass::Approved {
                assert_eq!(server.truth(outcome.references()), Some(Truth::Approved));
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
}

#[tokio::test]
async fn interpay_every_shared_scenario_through_one_listener() {
    let server = std::sync::Arc::new(interpay_server(Scenario::SHARED.len(), SCALE));
    let listener = std::sync::Arc::new(listener().await);
    let mut tasks = tokio::task::JoinSet::new();
    for (n, scenario) in Scenario::SHARED.into_iter().enumerate() {
        let server = server.clone();
        let listener = listener.clone();
        tasks.spawn(async move {
            let mut d = interpay_driver(&server, &listener, n, Clock::start_scaled(SCALE));
            let txn = d.start(sale(minor(scenario), Currency::CAD)).await.unwrap();
            let outcome = d
                .finish_within(txn, LIMIT, accept_signatures)
                .await
                .unwrap();
            check("interpay", scenario, &outcome);
            if outcome.class() == OutcomeClass::Approved {
                assert_eq!(server.truth(outcome.references()), Some(Truth::Approved));
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
    // Every session that reached the card flow got its result as a callback on the listener.
    assert!(
        listener.delivered() >= 5,
        "{} callbacks",
        listener.delivered()
    );
}
