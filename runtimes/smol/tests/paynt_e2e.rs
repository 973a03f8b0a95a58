//! Paynt end to end on smol: the real machine against its simulator served over HTTPS on
//! loopback, pinned to the public key of the certificate the server generated at start.
#![allow(
    missing_docs,
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

mod common;

use std::time::Duration;

use common::paynt::{driver, money_requests, sale, server};
use pos_core::{
    Fingerprint, Outcome, OutcomeClass, RejectReason, Scenario, TlsTrust, TransportError,
};
use pos_smol::{DriverError, FailingSink, MemorySink};

/// Real seconds each transaction may take.
const LIMIT: u64 = 30;

#[test]
fn every_shared_scenario_ends_as_the_table_says() {
    common::each(&Scenario::SHARED, |spawner, s| async move {
        let sim = server();
        let mut d = driver(&sim, sim.fingerprint().unwrap(), spawner);
        let outcome = common::run(&mut d, sale(common::minor_of(s)), LIMIT).await;
        common::check("paynt", s, &outcome, &sim);
        let sent = money_requests(&sim);
        assert!(sent <= 1, "{s}: {sent} money requests");
    });
}

#[test]
fn a_connection_killed_by_the_terminal_mid_transaction_is_recovered() {
    common::on_one_thread(|spawner| async move {
        let sim = server();
        let sink = MemorySink::new();
        let mut d = driver(&sim, sim.fingerprint().unwrap(), spawner).with_sink(sink.clone());
        let txn = d.start(sale(1000)).await.unwrap();
        // Let the POST through, then cut whatever is open (the polls) a few times.
        for _ in 0..3 {
            let _ = d.next_event_within(Duration::from_secs(6)).await.unwrap();
            sim.kill_connections();
        }
        let outcome = common::finish(&mut d, txn, LIMIT).await;
        assert_eq!(outcome.class(), OutcomeClass::Approved, "{outcome:?}");
        common::agrees_with_truth("paynt", &outcome, &sim);
        assert_eq!(money_requests(&sim), 1);
        assert!(!sink.records().is_empty(), "journalled before sending");
        assert!(sink.unfinished().is_empty(), "the finish was noted");
    });
}

#[test]
fn a_pinned_fingerprint_mismatch_is_rejected_before_sending() {
    common::on_one_thread(|spawner| async move {
        let sim = server();
        let mut d = driver(&sim, Fingerprint([9; 32]), spawner);
        let outcome = common::run(&mut d, sale(1000), LIMIT).await;
        let Outcome::Rejected(r) = &outcome else {
            panic!("{outcome:?}")
        };
        assert_eq!(r.reason, RejectReason::Unavailable);
        assert_eq!(money_requests(&sim), 0);
    });
}

#[test]
fn the_client_reports_a_mismatch_distinctly_and_the_pin_it_saw() {
    smol::block_on(async {
        let sim = server();
        let url = format!("{}/payntpos/1.0.0/status", sim.base_url());
        let request = pos_core::HttpRequest::new(pos_core::Method::Get, url);
        let wrong = Fingerprint([9; 32]);
        let err =
            pos_smol::http_client::send(&request, Duration::from_secs(5), &TlsTrust::Pinned(wrong))
                .await
                .unwrap_err();
        assert_eq!(
            err,
            TransportError::CertificateMismatch {
                expected: wrong,
                actual: sim.fingerprint().unwrap()
            }
        );
        assert!(err.certainly_not_sent());
        let (_, seen) = pos_smol::http_client::send(
            &request,
            Duration::from_secs(5),
            &TlsTrust::TrustOnFirstUse,
        )
        .await
        .unwrap();
        assert_eq!(seen, sim.fingerprint());
        let web_pki =
            pos_smol::http_client::send(&request, Duration::from_secs(5), &TlsTrust::WebPki)
                .await
                .unwrap_err();
        assert!(matches!(web_pki, TransportError::Tls(_)), "{web_pki:?}");
    });
}

#[test]
fn a_failing_journal_sends_no_sale() {
    common::on_one_thread(|spawner| async move {
        let sim = server();
        let mut d = driver(&sim, sim.fingerprint().unwrap(), spawner).with_sink(FailingSink);
        let err = d.start(sale(1000)).await.unwrap_err();
        assert!(matches!(err, DriverError::Persist { .. }), "{err}");
        // Give a wrongly sent request every chance to arrive.
        let again = d.next_event_within(common::real(1)).await;
        assert!(
            matches!(again, Err(DriverError::Persist { .. })),
            "{again:?}"
        );
        assert!(matches!(
            d.retry_persist().await,
            Err(DriverError::Persist { .. })
        ));
        smol::Timer::after(Duration::from_millis(300)).await;
        assert_eq!(money_requests(&sim), 0);
        // A sink that works again lets the same sale go out, once.
        let sink = MemorySink::new();
        d.replace_sink(sink.clone()).await.unwrap();
        let txn = sink.records()[0].txn;
        let outcome = common::finish(&mut d, txn, LIMIT).await;
        assert_eq!(outcome.class(), OutcomeClass::Approved, "{outcome:?}");
        assert_eq!(money_requests(&sim), 1);
    });
}
