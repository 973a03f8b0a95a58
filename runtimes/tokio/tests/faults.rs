//! Faults end to end on tokio: a failing journal sends no money request, a pinned-certificate
//! mismatch is rejected before sending, connections killed by the terminal mid-transaction
//! are recovered, and a cancel from another task reaches the terminal.
#![allow(clippy::unwrap_used, clippy::panic, missing_docs)]

mod common;

use std::time::Duration;

use common::*;
use pos_core::*;
use pos_tokio::{Clock, DriverError, FailingSink, MemorySink};

#[tokio::test]
async fn a_failing_sink_sends_no_money_request() {
    let server = paynt_server(SCALE);
    let clock = Clock::start_scaled(SCALE);
    let mut d = paynt_driver(&server, server.fingerprint().unwrap(), clock).with_sink(FailingSink);
    let err = d.start(sale(1000, Currency::EUR)).await.unwrap_err();
    let DriverError::Persist { txn, .. } = err else {
        panic!("{err:?}")
    };
    // Nothing goes out while the journal fails, however long the driver runs.
    for _ in 0..5 {
        let next = d.next_event_within(Duration::from_secs(2)).await;
        assert!(matches!(next, Err(DriverError::Persist { txn: t, .. }) if t == txn));
    }
    assert_eq!(server.with_sim(|s, _| s.transactions().len()), 0);

    // Once the journal works again the sale goes ahead, exactly once.
    let sink = MemorySink::new();
    d.replace_sink(sink.clone()).await.unwrap();
    let outcome = d
        .finish_within(txn, LIMIT, accept_signatures)
        .await
        .unwrap();
    assert_eq!(outcome.class(), OutcomeClass::Approved, "{outcome:?}");
    assert_eq!(server.with_sim(|s, _| s.transactions().len()), 1);
    assert!(sink.records().iter().any(|r| r.txn == txn));
    assert!(sink.unfinished().is_empty());
}

#[tokio::test]
async fn a_failing_sink_sends_no_websocket_order() {
    let server = codepay_server(SCALE);
    let mut d = codepay_driver(&server, Clock::start_scaled(SCALE)).with_sink(FailingSink);
    codepay_connected(&mut d).await;
    assert!(matches!(
        d.start(sale(1000, Currency::USD)).await,
        Err(DriverError::Persist { .. })
    ));
    let _ = d.next_event_within(Duration::from_secs(5)).await;
    assert!(server.with_sim(|s, _| s.records().is_empty()));
}

#[tokio::test]
async fn a_pinned_fingerprint_mismatch_is_rejected_before_sending() {
    let server = paynt_server(SCALE);
    let mut d = paynt_driver(&server, Fingerprint([9; 32]), Clock::start_scaled(SCALE));
    let txn = d.start(sale(1000, Currency::EUR)).await.unwrap();
    let outcome = d.finish_within(txn, LIMIT, |_| None).await.unwrap();
    let Outcome::Rejected(r) = &outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(r.reason, RejectReason::Unavailable);
    assert_eq!(server.with_sim(|s, _| s.transactions().len()), 0);
}

#[tokio::test]
async fn paynt_connections_killed_mid_transaction_are_recovered() {
    let server = paynt_server(SCALE);
    let sink = MemorySink::new();
    let mut d = paynt_driver(
        &server,
        server.fingerprint().unwrap(),
        Clock::start_scaled(SCALE),
    )
    .with_sink(sink.clone());
    let txn = d.start(sale(1000, Currency::EUR)).await.unwrap();
    for _ in 0..3 {
        let _ = d.next_event_within(Duration::from_secs(4)).await.unwrap();
        server.kill_connections();
    }
    let outcome = d.finish_within(txn, LIMIT, |_| None).await.unwrap();
    assert_eq!(outcome.class(), OutcomeClass::Approved, "{outcome:?}");
    assert_eq!(server.with_sim(|s, _| s.transactions().len()), 1);
    assert!(!sink.records().is_empty(), "journalled before sending");
}

#[tokio::test]
async fn a_codepay_result_lost_to_a_killed_connection_is_recovered() {
    let server = codepay_server(SCALE);
    let mut d = codepay_driver(&server, Clock::start_scaled(SCALE));
    codepay_connected(&mut d).await;
    // The terminal approves, and the TCP connection dies instead of carrying the result.
    server.kill_on("ecrhub.pay.order");
    let txn = d.start(sale(1000, Currency::USD)).await.unwrap();
    let outcome = d.finish_within(txn, LIMIT, |_| None).await.unwrap();
    assert_eq!(outcome.class(), OutcomeClass::Approved, "{outcome:?}");
    assert_eq!(server.truth(outcome.references()), Some(Truth::Approved));
}

#[tokio::test]
async fn a_cancel_from_another_task_cancels_a_slow_customer() {
    let server = paynt_server(SCALE);
    let mut d = paynt_driver(
        &server,
        server.fingerprint().unwrap(),
        Clock::start_scaled(SCALE),
    );
    let minor = 1000 + i64::from(Scenario::SlowCustomer.cents());
    let txn = d.start(sale(minor, Currency::EUR)).await.unwrap();
    let handle = d.handle();
    let canceller = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        handle.cancel(txn, Duration::from_secs(10)).await
    });
    let outcome = d.finish_within(txn, LIMIT, |_| None).await.unwrap();
    canceller.await.unwrap().unwrap();
    assert_eq!(outcome.class(), OutcomeClass::Cancelled, "{outcome:?}");
    assert_ne!(server.truth(outcome.references()), Some(Truth::Approved));
}

#[tokio::test]
async fn an_unreachable_terminal_ends_rejected_not_hung() {
    let addr = free_addr();
    let clock = Clock::start_scaled(SCALE);
    let config = paynt_proto::Config {
        host: addr.ip().to_string(),
        port: addr.port(),
        token: Some(Secret::new(PAYNT_TOKEN.into())),
        pinned_fingerprint: Some(Fingerprint([1; 32])),
        ..paynt_proto::Config::default()
    };
    let machine =
        paynt_proto::PayntMachine::new(config, pos_tokio::os_ids().unwrap(), clock.wall()).unwrap();
    let mut d = pos_tokio::Driver::new(machine, clock);
    let txn = d.start(sale(1000, Currency::EUR)).await.unwrap();
    let outcome = d.finish_within(txn, LIMIT, |_| None).await.unwrap();
    assert_eq!(outcome.class(), OutcomeClass::Rejected, "{outcome:?}");
}

#[tokio::test]
async fn a_crashed_driver_is_resumed_from_the_journal_without_a_second_charge() {
    let dir = std::env::temp_dir().join(format!("pos-tokio-resume-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("journal.jsonl");
    let _ = std::fs::remove_file(&path);
    let server = paynt_server(SCALE);
    let pin = server.fingerprint().unwrap();

    let journal = pos_tokio::JsonLinesSink::open(&path).unwrap();
    let mut d = paynt_driver(&server, pin, Clock::start_scaled(SCALE)).with_sink(journal);
    let minor = 1000 + i64::from(Scenario::SlowCustomer.cents());
    let txn = d.start(sale(minor, Currency::EUR)).await.unwrap();
    // Run until the terminal has the sale, then crash: the driver and its tasks vanish.
    while server.with_sim(|s, _| s.transactions().len()) == 0 {
        let _ = d.next_event_within(Duration::from_secs(1)).await.unwrap();
    }
    drop(d);

    let open = pos_tokio::JsonLinesSink::unfinished(&path).unwrap();
    assert_eq!(open.len(), 1, "{open:?}");
    let record = open.into_iter().next().unwrap();
    assert_eq!(record.txn, txn);
    let journal = pos_tokio::JsonLinesSink::open(&path).unwrap();
    let mut d = paynt_driver(&server, pin, Clock::start_scaled(SCALE)).with_sink(journal);
    let resumed = d.resume(record).await.unwrap();
    let outcome = d.finish_within(resumed, LIMIT, |_| None).await.unwrap();
    assert_eq!(outcome.class(), OutcomeClass::Approved, "{outcome:?}");
    assert_eq!(server.with_sim(|s, _| s.transactions().len()), 1);
    assert!(
        pos_tokio::JsonLinesSink::unfinished(&path)
            .unwrap()
            .is_empty()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn connect_connections_killed_mid_transaction_are_recovered() {
    let server = connect_server(1, SCALE);
    let mut d = connect_driver(&server, 0, Clock::start_scaled(SCALE));
    let txn = d.start(sale(1000, Currency::GBP)).await.unwrap();
    for _ in 0..3 {
        let _ = d.next_event_within(Duration::from_secs(2)).await.unwrap();
        server.kill_connections();
    }
    let outcome = d.finish_within(txn, LIMIT, |_| None).await.unwrap();
    assert_eq!(outcome.class(), OutcomeClass::Approved, "{outcome:?}");
    assert_eq!(server.truth(outcome.references()), Some(Truth::Approved));
}
