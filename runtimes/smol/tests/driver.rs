//! The driver's own contract on smol: answers and cancels from another task, cancel-safe
//! waits, resuming from the journal after a crash, and logs without secrets.
#![allow(
    missing_docs,
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pos_core::{Answer, Event, OutcomeClass, Question, Scenario};
use pos_smol::{JsonLinesSink, MemorySink};
use smol::future::FutureExt as _;

#[test]
fn a_handle_answers_the_signature_from_another_task() {
    common::on_one_thread(|spawner| async move {
        use common::connect::{TID, driver, sale, server};
        let sim = server(0);
        let mut d = driver(&sim, TID, spawner.clone());
        let handle = d.handle();
        let (asked_tx, asked_rx) = smol::channel::bounded(1);
        let clerk = spawner.spawn(async move {
            let txn = asked_rx.recv().await.unwrap();
            handle
                .answer(
                    txn,
                    Answer::Signature { accepted: true },
                    Duration::from_secs(5),
                )
                .await
        });
        let txn = d
            .start(sale(common::minor_of(Scenario::SignatureCheck)))
            .await
            .unwrap();
        let outcome = d
            .finish_within(txn, common::real(30), |event| {
                if let Event::Question { txn, question } = event {
                    assert!(matches!(question, Question::SignatureCheck { .. }));
                    asked_tx.try_send(*txn).unwrap();
                }
                None
            })
            .await
            .unwrap();
        clerk.await.unwrap();
        assert_eq!(outcome.class(), OutcomeClass::Approved, "{outcome:?}");
        common::agrees_with_truth("connect", &outcome, &sim);
    });
}

#[test]
fn a_handle_cancels_a_slow_customer() {
    common::on_one_thread(|spawner| async move {
        use common::connect::{TID, driver, sale, server};
        let sim = server(0);
        let mut d = driver(&sim, TID, spawner.clone());
        let txn = d
            .start(sale(common::minor_of(Scenario::SlowCustomer)))
            .await
            .unwrap();
        let handle = d.handle();
        let clerk = spawner.spawn(async move {
            smol::Timer::after(Duration::from_millis(500)).await;
            handle.cancel(txn, Duration::from_secs(5)).await
        });
        let outcome = common::finish(&mut d, txn, 30).await;
        clerk.await.unwrap();
        assert_eq!(outcome.class(), OutcomeClass::Cancelled, "{outcome:?}");
        common::agrees_with_truth("connect", &outcome, &sim);
    });
}

#[test]
fn dropped_waits_lose_no_event() {
    common::on_one_thread(|spawner| async move {
        use common::paynt::{driver, money_requests, sale, server};
        let sim = server();
        let mut d = driver(&sim, sim.fingerprint().unwrap(), spawner);
        let txn = d.start(sale(1000)).await.unwrap();
        let mut events = Vec::new();
        let mut dropped = 0;
        let clock = pos_smol::Clock::start();
        let outcome = loop {
            assert!(clock.now().as_millis() < 30_000, "never finished");
            // Abandon most waits half way, as a select on a UI event would.
            let next = async { Some(d.next_event().await.unwrap()) }
                .or(async {
                    smol::Timer::after(Duration::from_millis(3)).await;
                    None
                })
                .await;
            let Some(event) = next else {
                dropped += 1;
                continue;
            };
            if let Event::Finished { txn: done, outcome } = &event {
                assert_eq!(*done, txn);
                break outcome.clone();
            }
            events.push(event);
        };
        assert!(dropped > 10, "only {dropped} waits were abandoned");
        assert_eq!(outcome.class(), OutcomeClass::Approved, "{outcome:?}");
        assert!(events.iter().any(|e| matches!(e, Event::Persist(_))));
        assert_eq!(money_requests(&sim), 1);
    });
}

#[test]
fn a_transaction_resumes_from_the_journal_after_a_crash() {
    let dir = std::env::temp_dir().join(format!("pos-smol-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("resume.jsonl");
    let _ = std::fs::remove_file(&path);
    common::on_one_thread(|spawner| async move {
        use common::paynt::{driver, money_requests, sale, server};
        let sim = server();
        let pin = sim.fingerprint().unwrap();
        {
            let sink = JsonLinesSink::open(&path).unwrap();
            let mut d = driver(&sim, pin, spawner.clone()).with_sink(sink);
            d.start(sale(common::minor_of(Scenario::SlowCustomer)))
                .await
                .unwrap();
            // Wait for the sale to reach the terminal, then "crash": drop the driver.
            while money_requests(&sim) == 0 {
                let _ = d.next_event_within(Duration::from_secs(1)).await.unwrap();
            }
        }
        let records = JsonLinesSink::unfinished(&path).unwrap();
        assert_eq!(records.len(), 1, "{records:?}");
        let sink = MemorySink::new();
        let mut d = driver(&sim, pin, spawner).with_sink(sink.clone());
        let txn = d.resume(records[0].clone()).await.unwrap();
        let outcome = common::finish(&mut d, txn, 30).await;
        assert_eq!(outcome.class(), OutcomeClass::Approved, "{outcome:?}");
        common::agrees_with_truth("paynt", &outcome, &sim);
        assert_eq!(money_requests(&sim), 1, "the sale was never sent again");
    });
    std::fs::remove_file(dir.join("resume.jsonl")).unwrap();
}

/// Collects formatted log lines.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn logs_carry_no_secrets() {
    let logs = Logs::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer({
            let logs = logs.clone();
            move || logs.clone()
        })
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        common::on_one_thread(|spawner| async move {
            use common::paynt::{driver, sale, server};
            let sim = server();
            let mut d = driver(&sim, sim.fingerprint().unwrap(), spawner);
            let outcome = common::run(&mut d, sale(1000), 30).await;
            assert_eq!(outcome.class(), OutcomeClass::Approved);
        });
    });
    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(text.contains("sending request"), "{text}");
    assert!(text.contains("finished"), "{text}");
    for secret in [
        common::paynt::TOKEN,
        "Authorization",
        "authorization",
        "Bearer",
    ] {
        assert!(!text.contains(secret), "{secret} in the logs:\n{text}");
    }
}

#[test]
fn the_global_executor_runs_the_transports_by_default() {
    use common::codepay::{APP_ID, server};
    let sim = server();
    let clock = common::clock();
    let mut config = codepay_proto::Config::new("127.0.0.1", APP_ID);
    config.port = sim.local_addr().port();
    let machine =
        codepay_proto::CodepayMachine::new(config, pos_smol::os_ids().unwrap(), clock.wall())
            .unwrap();
    // No spawner given: the WebSocket link runs on smol's global executor.
    let mut d = pos_smol::Driver::new(machine, clock);
    let outcome = smol::block_on(async {
        common::codepay::connected(&mut d).await;
        common::run(&mut d, common::codepay::sale(1251), 30).await
    });
    assert_eq!(outcome.class(), OutcomeClass::Declined, "{outcome:?}");
    common::agrees_with_truth("codepay", &outcome, &sim);
}
